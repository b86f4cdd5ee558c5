"""Write a figure as PNG, SVG and PDF with deterministic bytes.

matplotlib stamps files with its version, a creation date and random SVG ids unless told
otherwise. Here every format gets fixed metadata (no creator/producer/software string, no
date) and SVG ids come from the fixed ``svg.hashsalt`` of :func:`~.style.rc_params`, so saving
the same figure twice gives identical SVG and PDF bytes (checked by the tests). PNG files
carry no text chunk besides what is given here; their pixels depend on the FreeType and Agg
builds, so PNG bytes are reproducible on one installation but not across machines.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnsrwe.report.figures.style import DPI, style_context

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Creator": None, "Date": None, "Format": None, "Type": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
}


def save_figure(
    figure: Figure,
    path: str | os.PathLike[str],
    *,
    formats: Sequence[str] = FORMATS,
    dpi: int = DPI,
    title: str | None = None,
) -> list[Path]:
    """Save ``figure`` as ``<path>.<format>`` for each of ``formats``; return the paths.

    ``path`` is the file name without extension (an extension among ``formats`` is
    replaced). ``dpi`` applies to the PNG (vector formats keep their vector content);
    ``title`` is written into the SVG and PDF metadata when given. Parent folders must exist.
    Each file is written to a temporary name in the same folder and then renamed, so a
    failed save leaves no partial file behind.
    """
    fmts = tuple(formats)
    if not fmts or any(f not in FORMATS for f in fmts) or len(set(fmts)) != len(fmts):
        msg = f"`formats` must be distinct values among {FORMATS!r}, got {formats!r}"
        raise ValueError(msg)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 50 <= dpi <= 2400:
        msg = f"`dpi` must be a whole number in [50, 2400], got {dpi!r}"
        raise ValueError(msg)
    base = Path(path)
    if base.suffix.lower().lstrip(".") in FORMATS:
        base = base.with_suffix("")
    if not base.parent.is_dir():
        msg = f"`path` must be in an existing folder, got {str(path)!r}"
        raise FileNotFoundError(msg)
    written = []
    with style_context():
        for fmt in fmts:
            meta = dict(_METADATA[fmt])
            if title is not None and fmt in ("svg", "pdf"):
                meta["Title"] = title
            target = base.with_name(f"{base.name}.{fmt}")
            tmp = target.with_name(f".{target.name}.tmp")
            try:
                figure.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, facecolor="white")
                tmp.replace(target)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(target)
    return written
