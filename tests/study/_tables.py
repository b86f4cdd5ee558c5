"""Small hand-built tables in the study data format, for the cohort and facts tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alectinib-2022" / "study.toml"

TREATMENT_SCHEMA = {
    "patient_id": pl.String, "line": pl.Int64, "regimen": pl.String, "agent_class": pl.String,
    "agents": pl.List(pl.String), "start_date": pl.Date, "end_date": pl.Date,
    "end_reason": pl.String, "target_site": pl.String, "rt_technique": pl.String,
}  # fmt: skip
LESION_SCHEMA = {
    "patient_id": pl.String, "assessment_date": pl.Date, "lesion_id": pl.String,
    "location": pl.String, "lesion_role": pl.String, "diameter_mm": pl.Decimal(9, 1),
    "modality": pl.String,
}  # fmt: skip
CLINICAL_SCHEMA = {
    "patient_id": pl.String, "visit_date": pl.Date, "ecog": pl.Int64, "cns_symptoms": pl.Boolean,
    "corticosteroid_mg_dexamethasone_eq": pl.Float64, "mannitol": pl.Boolean,
}  # fmt: skip


def d(text: str) -> dt.date:
    """``"2018-01-01"`` -> date."""
    return dt.date.fromisoformat(text)


def line(pid: str, n: int | None, regimen: str, start: str, end: str | None = None,
         reason: str | None = None, *, cls: str = "alk_tki", agents: list[str] | None = None,
         site: str | None = None, rt: str | None = None) -> dict[str, object]:
    """One treatments row; ``agents`` defaults to ``[regimen]`` (``[]`` = not recorded)."""
    return {
        "patient_id": pid, "line": n, "regimen": regimen, "agent_class": cls,
        "agents": [regimen] if agents is None else agents, "start_date": d(start),
        "end_date": d(end) if end else None, "end_reason": reason, "target_site": site,
        "rt_technique": rt,
    }  # fmt: skip


def treatments(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TREATMENT_SCHEMA)


def lesions(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """Rows ``(patient_id, date, lesion_id, location, role, diameter_mm)``."""
    data = [(p, d(str(a)), lid, loc, role, None if diam is None else str(diam), "mri")
            for p, a, lid, loc, role, diam in rows]
    frame = pl.DataFrame(data, schema={**LESION_SCHEMA, "diameter_mm": pl.String},
                         orient="row")
    return frame.with_columns(pl.col("diameter_mm").cast(pl.Decimal(9, 1)))


def clinical(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """Rows ``(patient_id, date, ecog, cns_symptoms, dex_mg, mannitol)``."""
    data = [(p, d(str(v)), *rest) for p, v, *rest in rows]
    return pl.DataFrame(data, schema=CLINICAL_SCHEMA, orient="row")


def progression(rows: list[tuple[str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"patient_id": pl.String, "line": pl.Int64,
                                      "progression_site": pl.String}, orient="row")
