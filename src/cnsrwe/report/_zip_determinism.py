"""Make Office (OOXML) zip files byte-identical across runs.

python-docx and openpyxl stamp every zip member with the current time; this rewrites the
archive with a fixed timestamp (1980-01-01, the zip epoch), members in their original
order, deflate compression, no extra fields, and the document's created/modified
core properties set to :data:`FIXED_CORE_TIME`.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
#: the created/modified time written into docProps/core.xml (openpyxl stamps "now" on save)
FIXED_CORE_TIME = "2000-01-01T00:00:00Z"
_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _fix_core(data: bytes) -> bytes:
    return _CORE_TIME.sub(rb"\g<1>" + FIXED_CORE_TIME.encode() + rb"\g<3>", data)


def normalise_zip(path: Path) -> None:
    """Rewrite ``path`` in place with fixed member and core-property times (module notes)."""
    with zipfile.ZipFile(path) as src:
        members = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    members = [(n, _fix_core(d) if n == "docProps/core.xml" else d) for n, d in members]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())
