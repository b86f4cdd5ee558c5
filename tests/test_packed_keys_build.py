"""KeyPacker.build takes whole columns: ids in runs or not, several series, nulls, and only
the extremes of lines and dates count."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cnsrwe._packed_keys import KeyPacker

D = dt.date


def _frame(sorted_rows: bool) -> pl.DataFrame:
    df = pl.DataFrame({
        "patient_id": ["P2", "P1", "P3", "P1", "P2", "P3", None],
        "line": [2, 1, 1, 3, 2, None, 1],
        "assessment_date": [D(2020, 3, 1), D(2020, 1, 5), None, D(2021, 7, 9),
                            D(2020, 3, 1), D(2019, 12, 31), D(2020, 1, 1)],
        "lesion_id": ["T2", "T1", "NT1", "T1", "T1", "T2", None],
    })  # fmt: skip
    return df.sort("patient_id", nulls_last=True) if sorted_rows else df


@pytest.mark.parametrize("sorted_rows", [True, False])
def test_codes_offsets_and_widths_from_whole_columns(sorted_rows: bool) -> None:
    df = _frame(sorted_rows)
    extra = pl.Series(["P0", "P1"])  # a second series of ids
    packer = KeyPacker.build(patients=[df["patient_id"], extra], lines=[df["line"]],
                             dates=[df["assessment_date"]], lesions=[df["lesion_id"]])
    assert packer is not None
    assert packer.patients.to_list() == ["P0", "P1", "P2", "P3"]
    assert packer.lesions.to_list() == ["NT1", "T1", "T2"]
    assert packer.line_min == 1
    assert packer.date_min == (D(2019, 12, 31) - D(1970, 1, 1)).days
    span = (D(2021, 7, 9) - D(2019, 12, 31)).days + 1  # 557 days: 10 bits
    assert packer.widths == (2, 2, span.bit_length(), 2)
    key = df.drop_nulls().select(
        packer.key(patient="patient_id", line="line", date="assessment_date",
                   lesion="lesion_id").alias("k")
    )["k"]  # fmt: skip
    ordered = df.drop_nulls().sort("patient_id", "line", "assessment_date", "lesion_id")
    assert key.arg_sort().to_list() == df.drop_nulls().with_row_index().join(
        ordered, on=list(ordered.columns), maintain_order="right"
    )["index"].to_list()


def test_no_values_give_zero_offsets() -> None:
    empty = pl.Series([], dtype=pl.Int64)
    packer = KeyPacker.build(patients=[pl.Series([], dtype=pl.String)], lines=[empty],
                             dates=[pl.Series([], dtype=pl.Date)], lesions=[])
    assert packer is not None
    assert (packer.line_min, packer.date_min, packer.widths) == (0, 0, (0, 0, 0, 0))
