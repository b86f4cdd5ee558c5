"""Reference dates per systemic line (cnsrwe.derive.reference), scenario by scenario."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cnsrwe.derive.reference import derive_reference_dates
from cnsrwe.errors import SchemaError

D = dt.date


def _treatments(rows: list[tuple[str, int | None, str, str, dt.date, dt.date | None]]
                ) -> pl.DataFrame:  # fmt: skip
    return pl.DataFrame(
        rows, orient="row",
        schema={"patient_id": pl.String, "line": pl.Int64, "regimen": pl.String,
                "agent_class": pl.String, "start_date": pl.Date, "end_date": pl.Date},
    )  # fmt: skip


def _lines(df: pl.DataFrame, **kw: str) -> list[tuple[object, ...]]:
    out = derive_reference_dates(df, **kw).lines  # type: ignore[arg-type]
    return out.select("patient_id", "line", "reference_date", "end_date", "next_therapy_date",
                      "assessment_end_date").rows()  # fmt: skip


def test_two_lines_next_line_start_ends_the_first() -> None:
    df = _treatments([
        ("A", 1, "crizotinib", "alk_tki", D(2019, 1, 10), D(2019, 9, 1)),
        ("A", 2, "alectinib", "alk_tki", D(2019, 9, 15), None),
    ])  # fmt: skip
    assert _lines(df) == [
        ("A", 1, D(2019, 1, 10), D(2019, 9, 1), D(2019, 9, 15), D(2019, 9, 14)),
        ("A", 2, D(2019, 9, 15), None, None, None),
    ]


def test_local_therapy_during_a_line_is_not_a_new_line() -> None:
    df = _treatments([
        ("A", 1, "alectinib", "alk_tki", D(2020, 1, 1), D(2020, 12, 1)),
        ("A", 1, "SRS", "radiotherapy", D(2020, 6, 1), D(2020, 6, 3)),
        ("A", None, "lobectomy", "surgery", D(2020, 8, 1), D(2020, 8, 1)),
    ])  # fmt: skip
    assert _lines(df) == [("A", 1, D(2020, 1, 1), D(2020, 12, 1), None, None)]
    assert derive_reference_dates(df).issues.height == 0


def test_next_therapy_any_counts_local_therapy() -> None:
    df = _treatments([
        ("A", 1, "alectinib", "alk_tki", D(2020, 1, 1), D(2020, 12, 1)),
        ("A", 1, "SRS", "radiotherapy", D(2020, 6, 1), D(2020, 6, 3)),
        ("A", 2, "lorlatinib", "alk_tki", D(2020, 12, 10), None),
    ])  # fmt: skip
    assert _lines(df, next_therapy="any")[0][4] == D(2020, 6, 1)
    assert _lines(df, next_therapy="systemic")[0][4] == D(2020, 12, 10)


def test_local_therapy_before_the_line_is_ignored_with_any() -> None:
    df = _treatments([
        ("A", None, "WBRT", "radiotherapy", D(2019, 12, 1), D(2019, 12, 14)),
        ("A", 1, "alectinib", "alk_tki", D(2020, 1, 1), None),
    ])  # fmt: skip
    assert _lines(df, next_therapy="any")[0][4] is None


def test_rows_of_one_line_combine_and_ongoing_row_wins() -> None:
    df = _treatments([
        ("A", 1, "carboplatin", "chemotherapy", D(2020, 1, 5), D(2020, 4, 1)),
        ("A", 1, "pemetrexed", "chemotherapy", D(2020, 1, 1), None),
    ])  # fmt: skip
    out = derive_reference_dates(df).lines
    assert out.select("reference_date", "end_date", "regimen").row(0) == (
        D(2020, 1, 1), None, "pemetrexed")


def test_patients_are_independent() -> None:
    df = _treatments([
        ("A", 1, "alectinib", "alk_tki", D(2020, 1, 1), None),
        ("B", 1, "crizotinib", "alk_tki", D(2018, 1, 1), D(2019, 1, 1)),
        ("B", 2, "alectinib", "alk_tki", D(2021, 1, 1), None),
    ])  # fmt: skip
    got = _lines(df)
    assert got[0][4] is None  # B's later line never ends A's line
    assert got[1][4] == D(2021, 1, 1)


def test_issues_for_missing_line_and_contradicting_order() -> None:
    df = _treatments([
        ("A", None, "alectinib", "alk_tki", D(2020, 1, 1), None),
        ("B", 1, "alectinib", "alk_tki", D(2020, 5, 1), None),
        ("B", 2, "crizotinib", "alk_tki", D(2019, 1, 1), D(2020, 4, 1)),
    ])  # fmt: skip
    res = derive_reference_dates(df)
    assert res.issues.select("patient_id", "line", "code").rows() == [
        ("A", None, "systemic_row_without_line"), ("B", 2, "line_order_differs_from_dates"),
    ]
    assert res.lines["patient_id"].to_list() == ["B", "B"]


def test_bad_arguments_raise_in_house_grammar() -> None:
    df = _treatments([("A", 1, "alectinib", "alk_tki", D(2020, 1, 1), None)])
    with pytest.raises(ValueError, match="`next_therapy` must be one of"):
        derive_reference_dates(df, next_therapy="local")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="lacks required column `agent_class`"):
        derive_reference_dates(df.drop("agent_class"))
    with pytest.raises(SchemaError, match=r"`treatments\.start_date` must be a Date"):
        derive_reference_dates(df.with_columns(pl.col("start_date").cast(pl.String)))


def test_line_order_compares_lines_of_one_patient_only() -> None:
    """A patient's first line is never compared with the previous patient's last line; rows
    without a patient id are one patient of their own (as a window per patient_id)."""
    df = _treatments([
        ("A", 1, "crizotinib", "alk_tki", D(2021, 1, 1), None),
        ("B", 1, "alectinib", "alk_tki", D(2019, 1, 1), None),  # earlier than A's line 1
        ("B", 2, "lorlatinib", "alk_tki", D(2018, 6, 1), None),  # earlier than B's line 1
        (None, 1, "alectinib", "alk_tki", D(2020, 1, 1), None),  # type: ignore[list-item]
        (None, 2, "lorlatinib", "alk_tki", D(2019, 1, 1), None),  # type: ignore[list-item]
    ])  # fmt: skip
    issues = derive_reference_dates(df).issues
    got = issues.filter(pl.col("code") == "line_order_differs_from_dates")
    assert got.select("patient_id", "line").rows() == [(None, 2), ("B", 2)]
