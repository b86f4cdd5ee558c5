"""RECIST 1.1 entry checks against the boundary cases of tests/reference/io_recist_entry/.

Each case adds targets at patient P003's first (baseline) assessment of an otherwise valid
study and compares the rule codes found with the expected ones (Eisenhauer 2009 §3.1, §4.2).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from io_study_fixture import Tables, lesion

from cnsrwe.io import validate_study

CASES = Path(__file__).resolve().parents[1] / "reference" / "io_recist_entry" / "cases.csv"
ROWS = list(csv.DictReader(CASES.read_text(encoding="utf-8").splitlines()))


@pytest.mark.parametrize("case", ROWS, ids=[r["case"] for r in ROWS])
def test_recist_entry_case(
    case: dict[str, str], tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    for i in range(int(case["n"])):
        organ = "site" if case["same_organ"] == "yes" else f"site {i}"
        tables["lesions"].append(lesion(
            "P003", "2020-01-20", f"R{i}", case["location"], "target", organ=organ,
            diameter_mm=case["diameter_mm"], too_small_to_measure=case["too_small_to_measure"],
            modality="ct",
        ))  # fmt: skip
    report = validate_study(make_study(tables))
    expected = sorted(c for c in case["expected"].split(";") if c)
    assert sorted({p.code for p in report.problems}) == expected, case["rule"]
