"""Text snapshots for the report tests: tests/report/snapshots/report_<name>.txt.

A missing or different snapshot fails. Regenerate deliberately with
``CNSRWE_UPDATE_SNAPSHOTS=1 pytest tests/report -q`` and review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"report_{name}.txt"
    if os.environ.get("CNSRWE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.is_file(), f"snapshot {path.name} is missing; run with CNSRWE_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"output differs from snapshot {path.name}"
