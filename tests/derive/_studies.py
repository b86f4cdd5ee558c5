"""A hand-built two-patient study whose responses are worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl

D = dt.date


def _lesion(pid: str, date: dt.date, lid: str, location: str, role: str,
            mm: float | None, *, status: str | None = None, modality: str = "ct",
            ) -> dict[str, object]:  # fmt: skip
    return {
        "patient_id": pid, "assessment_date": date, "lesion_id": lid, "location": location,
        "organ": location, "lesion_role": role, "diameter_mm": mm, "non_target_status": status,
        "modality": modality, "too_small_to_measure": False, "equivocal": False,
    }  # fmt: skip


def hand_built_study() -> dict[str, pl.DataFrame]:
    """Two patients whose responses are worked out by hand in tests/derive/test_pipeline.py.

    P1: line 1 from 2020-01-01. Brain MRI and body CT on different dates (5-6 days apart) at
    baseline and at both follow-ups. Targets: lung 40 mm, brain 20 mm (sum 60 mm), bone
    non-target. Follow-ups: 25 + 10 = 35 mm (-41.7 %, PR) and 20 + 8 = 28 mm (PR), 56 days
    apart -> confirmed PR. One radiologist call (PR on 2020-02-26) that the lesion-derived row
    overrides.
    P2: line 1 from 2020-01-01, line 2 (lorlatinib) from 2020-04-20, SRS on 2020-04-18 during
    line 1. Targets liver 30 mm, node 20 mm (sum 50). Day 49: 28 + 19 = 47 mm (-6 %, SD, on or
    after day 42); day 105: 29 + 19 = 48 mm and a new 8 mm brain lesion -> PD.
    """
    les = [
        _lesion("P1", D(2019, 12, 15), "T2", "brain_parenchyma", "target", 20, modality="mri"),
        _lesion("P1", D(2019, 12, 20), "T1", "lung", "target", 40),
        _lesion("P1", D(2019, 12, 20), "NT1", "bone", "non_target", None, status="present"),
        _lesion("P1", D(2020, 2, 20), "T2", "brain_parenchyma", "target", 10, modality="mri"),
        _lesion("P1", D(2020, 2, 26), "T1", "lung", "target", 25),
        _lesion("P1", D(2020, 2, 26), "NT1", "bone", "non_target", None, status="present"),
        _lesion("P1", D(2020, 4, 16), "T2", "brain_parenchyma", "target", 8, modality="mri"),
        _lesion("P1", D(2020, 4, 22), "T1", "lung", "target", 20),
        _lesion("P1", D(2020, 4, 22), "NT1", "bone", "non_target", None, status="present"),
        _lesion("P2", D(2019, 12, 28), "T1", "liver", "target", 30),
        _lesion("P2", D(2019, 12, 28), "T2", "lymph_node", "target", 20),
        _lesion("P2", D(2020, 2, 19), "T1", "liver", "target", 28),
        _lesion("P2", D(2020, 2, 19), "T2", "lymph_node", "target", 19),
        _lesion("P2", D(2020, 4, 15), "T1", "liver", "target", 29),
        _lesion("P2", D(2020, 4, 15), "T2", "lymph_node", "target", 19),
        _lesion("P2", D(2020, 4, 15), "N1", "brain_parenchyma", "new", 8, modality="mri"),
    ]
    lesions = pl.DataFrame(les).with_columns(pl.col("diameter_mm").cast(pl.Decimal(9, 1)))
    treatments = pl.DataFrame({
        "patient_id": ["P1", "P2", "P2", "P2"],
        "line": [1, 1, None, 2],
        "regimen": ["alectinib", "alectinib", "SRS", "lorlatinib"],
        "agent_class": ["alk_tki", "alk_tki", "radiotherapy", "alk_tki"],
        "agents": [["alectinib"], ["alectinib"], None, ["lorlatinib"]],
        "start_date": [D(2020, 1, 1), D(2020, 1, 1), D(2020, 4, 18), D(2020, 4, 20)],
        "end_date": [None, D(2020, 4, 16), D(2020, 4, 18), None],
        "end_reason": ["ongoing", "progression", "completed", "ongoing"],
        "target_site": [None, None, "brain", None],
        "rt_technique": [None, None, "srs", None],
    }, schema_overrides={"line": pl.Int64, "agents": pl.List(pl.String)})  # fmt: skip
    given = pl.DataFrame({
        "patient_id": ["P1"], "assessment_date": [D(2020, 2, 26)], "compartment": ["overall"],
        "response": ["PR"], "criteria": ["recist11"],
    })  # fmt: skip
    patients = pl.DataFrame({"patient_id": ["P1", "P2"]})
    return {"patients": patients, "treatments": treatments, "lesions": lesions,
            "timepoint_responses": given}  # fmt: skip
