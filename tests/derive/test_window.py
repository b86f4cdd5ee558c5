"""group_assessment_windows: the packed-key path equals the key-column path, batches too."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cnsrwe._packed_keys as packed_keys
from cnsrwe.derive.reference import derive_reference_dates
from cnsrwe.derive.window import _windows_by_columns, group_assessment_windows

from ._studies import hand_built_study


def _inputs() -> tuple[pl.DataFrame, pl.DataFrame]:
    study = hand_built_study()
    les = study["lesions"]
    # a third patient: a lesion read twice in one window (the later read is kept), scans
    # 15 and 14 days apart (a new window, then the same one), scans on line-start days
    d = dt.date
    extra = pl.DataFrame({
        "patient_id": ["P3"] * 7,
        "assessment_date": [d(2021, 1, 1), d(2021, 1, 10), d(2021, 1, 15), d(2021, 1, 30),
                            d(2021, 2, 13), d(2021, 3, 1), d(2021, 3, 1)],
        "lesion_id": ["T1", "T1", "T2", "T1", "T2", "T1", "NT1"],
    })  # fmt: skip
    les = pl.concat([les, extra], how="diagonal_relaxed")
    tr = pl.concat([study["treatments"], pl.DataFrame({
        "patient_id": ["P3", "P3"], "line": [1, 2], "regimen": ["alectinib", "lorlatinib"],
        "agent_class": ["alk_tki", "alk_tki"], "start_date": [d(2021, 1, 10), d(2021, 3, 1)],
        "end_date": [d(2021, 2, 28), None],
    })], how="diagonal_relaxed")  # fmt: skip
    return les, derive_reference_dates(tr).lines


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("max_bits", [64, 12, 8])
def test_packed_windows_equal_column_windows(
    max_bits: int, shuffled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    les, lines = _inputs()
    # rows in (patient, date) order take the run-length path, shuffled rows binary search
    les = les.sample(fraction=1.0, shuffle=True, seed=7) if shuffled else les.sort(
        "patient_id", "assessment_date", maintain_order=True
    )
    refs = lines.select(pl.col("patient_id").cast(pl.String), "reference_date")
    expected = _windows_by_columns(les, refs, 14)
    monkeypatch.setattr(packed_keys, "_MAX_BITS", max_bits)  # < 64: patients in batches
    got = group_assessment_windows(les, lines, window_days=14)
    assert_frame_equal(got, expected, check_exact=True)
    p3 = got.filter(pl.col("patient_id") == "P3")
    d = dt.date
    # a line start opens a new window only for scans after it (2021-01-10 joins 2021-01-01)
    assert p3.select("scan_date", "assessment_date", "window_first_date", "lesion_id").rows() == [
        (d(2021, 1, 10), d(2021, 1, 10), d(2021, 1, 1), "T1"),
        (d(2021, 1, 15), d(2021, 1, 15), d(2021, 1, 15), "T2"),
        (d(2021, 1, 30), d(2021, 2, 13), d(2021, 1, 30), "T1"),
        (d(2021, 2, 13), d(2021, 2, 13), d(2021, 1, 30), "T2"),
        (d(2021, 3, 1), d(2021, 3, 1), d(2021, 3, 1), "NT1"),
        (d(2021, 3, 1), d(2021, 3, 1), d(2021, 3, 1), "T1"),
    ]


def test_empty_lesions() -> None:
    les, lines = _inputs()
    got = group_assessment_windows(les.clear(), lines, window_days=14)
    assert got.height == 0
    assert got.columns[-2:] == ["assessment_date", "window_first_date"]


@pytest.mark.parametrize("case", ["in_order", "merged", "duplicated"])
def test_sort_shortcuts_equal_column_windows(case: str) -> None:
    """Rows already in (patient, window date, lesion, scan date) order are kept as they are,
    nearly ordered rows are sorted by numpy, rows with duplicated reads by polars; every
    case equals the key-column path."""
    les, lines = _inputs()
    les = les.sort("patient_id", "assessment_date", "lesion_id")
    days = 14
    if case == "in_order":  # P1 and P2 scans at least 5 days apart: no window joins two
        les, days = les.filter(pl.col("patient_id") != "P3"), 4
    if case == "duplicated":
        les = pl.concat([les, les.filter(pl.col("patient_id") == "P3")]).sort(
            "patient_id", "assessment_date", "lesion_id", maintain_order=True
        )
    refs = lines.select(pl.col("patient_id").cast(pl.String), "reference_date")
    got = group_assessment_windows(les, lines, window_days=days)
    assert_frame_equal(got, _windows_by_columns(les, refs, days), check_exact=True)
    merged = got.filter(pl.col("scan_date") != pl.col("window_first_date")).height
    assert (merged == 0) == (case == "in_order")


@pytest.mark.parametrize("window_days", [0, 14])
def test_window_first_dates_one_row_per_response_date(window_days: int) -> None:
    """Run starts of the ordered windowed rows (or a group-by on shuffled rows) give the
    same rows as the smallest first date per (patient, response date)."""
    from cnsrwe.derive.window import window_first_dates

    les, lines = _inputs()
    windowed = group_assessment_windows(les, lines, window_days=window_days)
    keys = ["patient_id", "assessment_date"]
    want = windowed.group_by(keys).agg(pl.col("window_first_date").min()).sort(keys)
    for rows in (windowed, windowed.sample(fraction=1.0, shuffle=True, seed=1)):
        got = window_first_dates(rows).sort(keys)
        assert_frame_equal(got, want, check_exact=True)
    assert window_first_dates(windowed.head(0)).height == 0
