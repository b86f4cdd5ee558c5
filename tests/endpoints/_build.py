"""Tiny scenario builders for the endpoint tests: days from a fixed index date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl

DAY0 = dt.date(2020, 1, 1)


def day(n: int | None) -> dt.date | None:
    """The date ``n`` days after the index date (``None`` stays ``None``)."""
    return None if n is None else DAY0 + dt.timedelta(days=n)


def index(ids: Iterable[str]) -> pl.DataFrame:
    ids = list(ids)
    n = len(ids)
    return pl.DataFrame({"patient_id": ids, "start_date": [DAY0] * n, "line": [1] * n})


def patients(rows: dict[str, tuple[int | None, int | None]]) -> pl.DataFrame:
    """``{id: (death_day, last_known_alive_day)}``."""
    return pl.DataFrame(
        {
            "patient_id": list(rows),
            "death_date": [day(d) for d, _ in rows.values()],
            "last_known_alive_date": [day(a) for _, a in rows.values()],
        },
        schema={"patient_id": pl.String, "death_date": pl.Date, "last_known_alive_date": pl.Date},
    )


def assessments(rows: list[tuple[str, int, str, str]]) -> pl.DataFrame:
    """``[(id, day, compartment, response)]``."""
    return pl.DataFrame(
        {
            "patient_id": [r[0] for r in rows],
            "assessment_date": [day(r[1]) for r in rows],
            "compartment": [r[2] for r in rows],
            "response": [r[3] for r in rows],
        },
        schema={"patient_id": pl.String, "assessment_date": pl.Date, "compartment": pl.String,
                "response": pl.String},
    )


def therapies(rows: list[tuple[str, int | None, str, int, str | None]]) -> pl.DataFrame:
    """``[(id, line, agent_class, start_day, target_site)]``."""
    return pl.DataFrame(
        {
            "patient_id": [r[0] for r in rows],
            "line": [r[1] for r in rows],
            "agent_class": [r[2] for r in rows],
            "start_date": [day(r[3]) for r in rows],
            "target_site": [r[4] for r in rows],
        },
        schema={"patient_id": pl.String, "line": pl.Int64, "agent_class": pl.String,
                "start_date": pl.Date, "target_site": pl.String},
    )
