"""packer_values: fewer values, the same KeyPacker (codes, offsets, widths) and keys."""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal, assert_series_equal

from cnsrwe._packed_keys import KeyPacker
from cnsrwe.response._keys import packer_values


def _frame(sorted_rows: bool) -> pl.DataFrame:
    d = dt.date
    df = pl.DataFrame({
        "patient_id": ["P2", "P1", "P3", "P1", "P2", "P3"],
        "assessment_date": [d(2020, 3, 1), d(2020, 1, 5), None, d(2021, 7, 9),
                            d(2020, 3, 1), d(2019, 12, 31)],
        "lesion_id": ["T2", "T1", "NT1", "T1", "T1", "T2"],
    })  # fmt: skip
    return df.sort("patient_id") if sorted_rows else df


def test_same_packer_and_keys_sorted_or_not() -> None:
    for sorted_rows in (True, False):
        df = _frame(sorted_rows)
        full = KeyPacker.build(patients=[df["patient_id"]], lines=[],
                               dates=[df["assessment_date"]], lesions=[df["lesion_id"]])
        few = KeyPacker.build(
            patients=[packer_values(df["patient_id"])], lines=[],
            dates=[packer_values(df["assessment_date"], extremes=True)],
            lesions=[packer_values(df["lesion_id"])],
        )  # fmt: skip
        assert full is not None
        assert few is not None
        assert_series_equal(few.patients, full.patients)
        assert_series_equal(few.lesions, full.lesions)
        assert (few.line_min, few.date_min, few.widths) == (
            full.line_min, full.date_min, full.widths
        )
        key = full.key(patient="patient_id", date="assessment_date", lesion="lesion_id")
        key2 = few.key(patient="patient_id", date="assessment_date", lesion="lesion_id")
        assert_frame_equal(df.select(key), df.select(key2))


def test_runs_of_sorted_values_and_extremes() -> None:
    df = _frame(True)
    assert packer_values(df["patient_id"]).to_list() == ["P1", "P2", "P3"]
    assert packer_values(df["assessment_date"], extremes=True).to_list() == [
        dt.date(2019, 12, 31), dt.date(2021, 7, 9)
    ]
    unsorted = _frame(False)["patient_id"]
    assert_series_equal(packer_values(unsorted), unsorted)
