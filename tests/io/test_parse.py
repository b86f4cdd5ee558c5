"""Parsing text cells to logical types: no silent coercion, tenths kept exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from io_study_fixture import Tables

from cnsrwe.io import load_study, validate_study
from cnsrwe.io.parse import parse_expr, suggest


def _parse(logical: str, values: list[str | None]) -> list[object]:
    frame = pl.DataFrame({"x": pl.Series(values, dtype=pl.String)})
    return frame.select(parse_expr("x", logical)).to_series().to_list()  # type: ignore[arg-type]


def test_decimal1_rejects_two_decimals_instead_of_rounding(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    tables["lesions"][0]["diameter_mm"] = "12.34"
    report = validate_study(make_study(tables))
    assert report.study is None
    (p,) = report.errors
    assert (p.code, p.value) == ("bad_decimal1", "12.34")
    assert "never rounds" in p.fix


def test_tenths_are_kept_exactly(tables: Tables, make_study: Callable[[Tables], Path]) -> None:
    values = ["10.1", "10.2", "10.3", "99.9", "12.50", "+11", "10.0", "0.1"]
    for i, v in enumerate(values):
        tables["lesions"].append({
            **tables["lesions"][6], "lesion_id": f"Z{i}", "diameter_mm": v,  # new lesions
        })  # fmt: skip
    study = load_study(make_study(tables))
    got = study.tables["lesions"].filter(pl.col("lesion_id").str.starts_with("Z"))
    assert got["diameter_mm"].to_list() == [Decimal(v.lstrip("+")).quantize(Decimal("0.1"))
                                            for v in values]  # fmt: skip
    # 10.1 + 10.2 is exactly 20.3 in tenths (not 20.299999999999997 as in floats)
    assert got["diameter_mm"][:2].sum() == Decimal("20.3")


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", Decimal("12.0")), ("12.5", Decimal("12.5")), ("0", Decimal("0.0")),
     ("12.50", Decimal("12.5")), ("-3.0", Decimal("-3.0")), ("12.34", None), ("12.", None),
     (".5", None), ("1e1", None), ("12,5", None), (" 12", None), ("nan", None),
     ("123456789", None)],
)  # fmt: skip
def test_decimal1(text: str, value: Decimal | None) -> None:
    assert _parse("decimal1", [text]) == [value]


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", 2), ("+2", 2), ("-1", -1), ("2.5", None), ("2.0", None), ("two", None),
     ("1e3", None), ("", None)],
)  # fmt: skip
def test_int(text: str, value: int | None) -> None:
    assert _parse("int", [text]) == [value]


@pytest.mark.parametrize(
    ("text", "value"),
    [("4", 4.0), ("7.5", 7.5), ("1e3", 1000.0), (".5", 0.5), ("nan", None), ("inf", None),
     ("4 mg", None)],
)  # fmt: skip
def test_number(text: str, value: float | None) -> None:
    assert _parse("number", [text]) == [value]


@pytest.mark.parametrize(
    ("text", "value"),
    [("2020-02-29", dt.date(2020, 2, 29)), ("2021-02-29", None), ("2020-1-5", None),
     ("05/01/2020", None), ("2020-01-05T00:00", None), ("20200105", None)],
)  # fmt: skip
def test_date(text: str, value: dt.date | None) -> None:
    assert _parse("date", [text]) == [value]


def test_bool_accepts_the_documented_spellings_only() -> None:
    texts = ["true", "FALSE", "Yes", "no", "1", "0", "y", "t", "2", None]
    assert _parse("bool", texts) == [True, False, True, False, True, False, None, None, None,
                                     None]  # fmt: skip


def test_list_splits_on_semicolons_and_strips() -> None:
    got = _parse("list", ["headache; nausea ;", "a", None, "x;;y"])
    assert got == [["headache", "nausea"], ["a"], None, ["x", "y"]]


def test_strings_are_never_truncated_or_trimmed(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    long = "EML4-ALK " + "v3a/b " * 2000
    tables["patients"][0]["alk_fusion_variant"] = long
    study = load_study(make_study(tables))
    assert study.tables["patients"]["alk_fusion_variant"][0] == long


@pytest.mark.parametrize(
    ("value", "guess"),
    [("Female", "female"), (" male", "male"), ("lymph node", "lymph_node"),
     ("brain-parenchyma", None), ("adenocarcinom", "adenocarcinoma"), ("xyz", None)],
)  # fmt: skip
def test_suggest(value: str, guess: str | None) -> None:
    allowed = ("female", "male", "lymph_node", "adenocarcinoma")
    assert suggest(value, allowed) == guess
