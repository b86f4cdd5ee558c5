"""Snapshot helper for FigureData: compare with tests/report/snapshots/<name>.json.

Regenerate deliberately with ``CNSRWE_UPDATE_SNAPSHOTS=1 pytest tests/report/test_figures*.py``
and review the diff before committing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cnsrwe.report.figures import FigureData

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_matches_snapshot(name: str, data: FigureData) -> None:
    path = SNAPSHOTS / f"{name}.json"
    text = data.to_json()
    if os.environ.get("CNSRWE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"snapshot {path.name} missing; regenerate deliberately"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected, f"FigureData differs from snapshot {path.name}"
