"""Counts that describe a stored study, with no identifiers (``cnsrwe summary``).

Rule: every figure is a count or a calendar date range over the whole study; no patient id,
lesion id or single patient's date is returned. Patients are counted by ``site_id``; lesion
assessments are distinct (patient, assessment date) pairs; treatment rows are counted by
``agent_class`` and ``regimen`` together with the number of distinct patients who had them;
deaths are patients with a ``death_date``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from cnsrwe.io.schema import TABLES

if TYPE_CHECKING:
    from cnsrwe.store.study import Store


@dataclass(frozen=True)
class StudySummary:
    """Counts of one version of a study (see module docstring)."""

    version: int
    n_patients: int
    patients_by_site: dict[str, int]
    n_deaths: int
    n_lesion_rows: int
    n_lesion_assessments: int
    n_patients_with_lesions: int
    treatments: list[dict[str, Any]]
    rows_by_table: dict[str, int]
    first_date: date | None
    last_date: date | None

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for ``--format json`` (dates as ISO text)."""
        out = asdict(self)
        out["first_date"] = None if self.first_date is None else self.first_date.isoformat()
        out["last_date"] = None if self.last_date is None else self.last_date.isoformat()
        return out


def summarize_study(store: Store, *, version: int | None = None) -> StudySummary:
    """Count patients, lesions, treatments and deaths of ``version`` (default: current)."""
    present = store.tables(version=version)
    v = version if version is not None else store.current_version()
    assert v is not None  # tables() raised already if there is no import
    frames = {name: store.read_table(name, version=version) for name in present}
    patients = frames.get("patients", pl.DataFrame(schema={"patient_id": pl.String}))
    by_site: dict[str, int] = {}
    if "site_id" in patients.columns:
        counts = patients.group_by("site_id").len().sort("site_id")
        by_site = dict(zip(counts["site_id"].to_list(), counts["len"].to_list(), strict=True))
    deaths = (
        int(patients["death_date"].is_not_null().sum()) if "death_date" in patients.columns else 0
    )
    lesions = frames.get("lesions")
    n_les = 0 if lesions is None else lesions.height
    n_assess = 0 if lesions is None else lesions.select("patient_id", "assessment_date").n_unique()
    n_les_pat = 0 if lesions is None else lesions["patient_id"].n_unique()
    treatments: list[dict[str, Any]] = []
    if "treatments" in frames:
        agg = (
            frames["treatments"]
            .group_by("agent_class", "regimen")
            .agg(rows=pl.len(), patients=pl.col("patient_id").n_unique())
            .sort("agent_class", "regimen")
        )
        treatments = agg.to_dicts()
    firsts, lasts = [], []
    for name, df in frames.items():
        for col in TABLES[name].columns:
            if col.type == "date":
                s = df[col.name]
                if s.null_count() < s.len():
                    firsts.append(s.min())
                    lasts.append(s.max())
    return StudySummary(
        version=v,
        n_patients=patients.height,
        patients_by_site=by_site,
        n_deaths=deaths,
        n_lesion_rows=n_les,
        n_lesion_assessments=n_assess,
        n_patients_with_lesions=n_les_pat,
        treatments=treatments,
        rows_by_table={name: df.height for name, df in frames.items()},
        first_date=min(firsts) if firsts else None,  # type: ignore[type-var]
        last_date=max(lasts) if lasts else None,  # type: ignore[type-var]
    )
