"""Admiral-style scenario builders: small readable lesion tables (days from line start)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from cnsrwe.criteria import derive_timepoint_responses

DAY0 = dt.date(2020, 1, 1)


def day(d: int) -> dt.date:
    """Calendar date of study day ``d`` (day 0 = line start)."""
    return DAY0 + dt.timedelta(days=d)


def L(
    pid: str, d: int, lid: str, loc: str, role: str, mm: float | None = None, *,
    status: str | None = None, small: bool = False, split: str | None = None,
    merged: str | None = None, eq: bool = False, organ: str | None = None,
) -> dict[str, Any]:
    """One lesion row."""
    return {
        "patient_id": pid, "assessment_date": day(d), "lesion_id": lid, "location": loc,
        "organ": organ or loc, "lesion_role": role, "diameter_mm": mm,
        "non_target_status": status, "modality": "ct", "too_small_to_measure": small,
        "split_from": split, "merged_into": merged, "equivocal": eq,
    }  # fmt: skip


SCHEMA = {
    "patient_id": pl.String, "assessment_date": pl.Date, "lesion_id": pl.String,
    "location": pl.String, "organ": pl.String, "lesion_role": pl.String,
    "diameter_mm": pl.Float64, "non_target_status": pl.String, "modality": pl.String,
    "too_small_to_measure": pl.Boolean, "split_from": pl.String, "merged_into": pl.String,
    "equivocal": pl.Boolean,
}  # fmt: skip


def lesions(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Lesion table from rows."""
    return pl.DataFrame(rows, schema=SCHEMA)


def reference(pids: list[str] | pl.DataFrame) -> pl.DataFrame:
    """Line 1 starting on day 0 for each patient."""
    if isinstance(pids, pl.DataFrame):
        pids = pids["patient_id"].unique().to_list()
    return pl.DataFrame(
        {"patient_id": pids, "line": [1] * len(pids), "reference_date": [DAY0] * len(pids)}
    )


def run(rows: list[dict[str, Any]], profile: Any = "recist11", **kw: Any) -> pl.DataFrame:
    """Timepoints table for a scenario."""
    df = lesions(rows)
    res = derive_timepoint_responses(df, reference(df), profile=profile, **kw)
    return res.timepoints.sort("patient_id", "compartment", "assessment_date")


def at(tp: pl.DataFrame, d: int, compartment: str | None = None) -> dict[str, Any]:
    """The single timepoint row on study day ``d`` (optionally of one compartment)."""
    sel = tp.filter(pl.col("assessment_date") == day(d))
    if compartment is not None:
        sel = sel.filter(pl.col("compartment") == compartment)
    assert sel.height == 1, sel
    return sel.row(0, named=True)
