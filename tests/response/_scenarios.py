"""Helpers to write admiral-style per-subject scenarios as compact day sequences."""

from __future__ import annotations

import datetime as dt

import polars as pl

DAY0 = dt.date(2020, 1, 1)


def day(n: int) -> dt.date:
    """Calendar date of study day ``n`` (day 0 = 2020-01-01)."""
    return DAY0 + dt.timedelta(days=n)


def series(patient_id: str, text: str) -> list[dict[str, object]]:
    """Rows from ``"d56 SD, d112 PR"`` (days from day 0) for one patient."""
    rows: list[dict[str, object]] = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        d, resp = item.split(" ", 1)
        date = day(int(d[1:]))
        rows.append({"patient_id": patient_id, "assessment_date": date, "response": resp})
    return rows


def frames(cases: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Assessment and reference-date tables for ``{patient_id: sequence}``."""
    rows = [r for pid, text in cases.items() for r in series(pid, text)]
    schema = {"patient_id": pl.String, "assessment_date": pl.Date, "response": pl.String}
    a = pl.DataFrame(rows, schema=schema)
    r = pl.DataFrame(
        {"patient_id": list(cases), "reference_date": [DAY0] * len(cases)},
        schema={"patient_id": pl.String, "reference_date": pl.Date},
    )
    return a, r
