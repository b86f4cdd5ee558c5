"""A small valid study input written as CSV files, for the CLI tests."""

from __future__ import annotations

import csv
from pathlib import Path

from cnsrwe.io.schema import TABLES

PATIENTS = [
    {
        "patient_id": "P001",
        "site_id": "S1",
        "sex": "female",
        "birth_year": "1968",
        "smoking_status": "never",
        "histology": "adenocarcinoma",
        "diagnosis_date": "2018-03-14",
        "stage_at_diagnosis": "IVB",
        "ecog_at_index": "1",
        "death_date": "2021-02-01",
        "last_known_alive_date": "2021-01-15",
    },
    {
        "patient_id": "P002",
        "site_id": "S2",
        "sex": "male",
        "birth_year": "1959",
        "smoking_status": "former",
        "histology": "adenocarcinoma",
        "diagnosis_date": "2019-06-01",
        "stage_at_diagnosis": "IVA",
        "ecog_at_index": "0",
        "last_known_alive_date": "2022-03-30",
    },
]
TREATMENTS = [
    {
        "patient_id": "P001",
        "line": "1",
        "regimen": "alectinib",
        "agent_class": "alk_tki",
        "agents": "alectinib",
        "start_date": "2018-04-01",
        "end_date": "2020-01-10",
        "end_reason": "progression",
    },
    {
        "patient_id": "P001",
        "line": "1",
        "regimen": "SRS",
        "agent_class": "radiotherapy",
        "start_date": "2019-05-01",
        "end_date": "2019-05-01",
        "end_reason": "completed",
        "target_site": "brain",
        "rt_technique": "srs",
    },
    {
        "patient_id": "P002",
        "line": "1",
        "regimen": "alectinib",
        "agent_class": "alk_tki",
        "agents": "alectinib",
        "start_date": "2019-07-01",
        "end_reason": "ongoing",
    },
]
LESIONS = [
    {"patient_id": "P001", "assessment_date": "2018-03-20", "lesion_id": "B1",
     "location": "brain_parenchyma", "lesion_role": "target", "diameter_mm": "12.5",
     "modality": "mri"},
    {"patient_id": "P001", "assessment_date": "2018-06-20", "lesion_id": "B1",
     "location": "brain_parenchyma", "lesion_role": "target", "diameter_mm": "7.3",
     "modality": "mri"},
]  # fmt: skip


def write_table(folder: Path, name: str, rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` as ``<name>.csv`` with every format column (empty when not given)."""
    path = folder / f"{name}.csv"
    header = list(TABLES[name].column_names)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows([{**dict.fromkeys(header, ""), **r} for r in rows])
    return path


def write_cli_study(folder: Path) -> Path:
    """The valid study as a folder of CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "patients", PATIENTS)
    write_table(folder, "treatments", TREATMENTS)
    write_table(folder, "lesions", LESIONS)
    return folder
