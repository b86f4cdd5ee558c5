"""A small valid study for the io tests, written as CSV files from Python dicts."""

from __future__ import annotations

import csv
from pathlib import Path

from cnsrwe.io.schema import TABLES

Rows = list[dict[str, str]]
Tables = dict[str, Rows]


def _row(table: str, **values: str) -> dict[str, str]:
    """A row with every column of ``table`` (empty unless given)."""
    row = dict.fromkeys(TABLES[table].column_names, "")
    unknown = set(values) - set(row)
    assert not unknown, unknown
    row.update(values)
    return row


def _lesion(pid: str, date: str, lid: str, location: str, role: str, **kw: str) -> dict[str, str]:
    return _row("lesions", patient_id=pid, assessment_date=date, lesion_id=lid,
                location=location, lesion_role=role, modality=kw.pop("modality", "mri"), **kw)


def valid_tables() -> Tables:
    """Three patients, with every table, that pass validation without warnings."""
    patients = [
        _row("patients", patient_id="P001", site_id="S1", sex="female", birth_year="1968",
             smoking_status="never", histology="adenocarcinoma", diagnosis_date="2018-03-14",
             stage_at_diagnosis="IVB", ecog_at_index="1", death_date="2021-02-01",
             last_known_alive_date="2021-01-15"),
        _row("patients", patient_id="P002", site_id="S1", sex="male", age_at_index="61.5",
             smoking_status="former", histology="adenocarcinoma", diagnosis_date="2019-06-01",
             stage_at_diagnosis="IVA", ecog_at_index="0", last_known_alive_date="2022-03-30"),
        _row("patients", patient_id="P003", site_id="S2", sex="female", birth_year="1975",
             smoking_status="", histology="", diagnosis_date="2020-01-10",
             stage_at_diagnosis="", ecog_at_index="", last_known_alive_date="2021-12-01"),
    ]
    treatments = [
        _row("treatments", patient_id="P001", line="1", regimen="alectinib",
             agent_class="alk_tki", agents="alectinib", start_date="2018-04-01",
             end_date="2020-01-10", end_reason="progression"),
        _row("treatments", patient_id="P001", line="1", regimen="SRS", agent_class="radiotherapy",
             start_date="2019-05-01", end_date="2019-05-01", end_reason="completed",
             target_site="brain", rt_technique="srs"),
        _row("treatments", patient_id="P001", line="2", regimen="lorlatinib",
             agent_class="alk_tki", agents="lorlatinib", start_date="2020-02-01",
             end_date="2021-01-20", end_reason="death"),
        _row("treatments", patient_id="P002", line="1", regimen="carboplatin-pemetrexed",
             agent_class="chemotherapy", agents="carboplatin; pemetrexed",
             start_date="2019-07-01", end_reason="ongoing"),
        _row("treatments", patient_id="P003", line="1", regimen="brigatinib",
             agent_class="alk_tki", agents="brigatinib", start_date="2020-02-01",
             end_date="2021-06-01", end_reason="toxicity"),
    ]
    lesions = [
        _lesion("P001", "2018-03-20", "B1", "brain_parenchyma", "target", diameter_mm="12.5",
                organ="left frontal lobe", too_small_to_measure="false"),
        _lesion("P001", "2018-03-20", "L1", "lung", "target", diameter_mm="31", modality="ct",
                organ="right upper lobe"),
        _lesion("P001", "2018-03-20", "N1", "lymph_node", "non_target", modality="ct",
                non_target_status="present", organ="mediastinal"),
        _lesion("P001", "2018-06-20", "B1", "brain_parenchyma", "target", diameter_mm="",
                too_small_to_measure="true"),
        _lesion("P001", "2018-06-20", "L1", "lung", "target", diameter_mm="20.1", modality="ct"),
        _lesion("P001", "2018-06-20", "N1", "lymph_node", "non_target", modality="ct",
                non_target_status="absent"),
        _lesion("P001", "2018-06-20", "B2", "brain_parenchyma", "new", diameter_mm="4",
                equivocal="yes"),
        _lesion("P001", "2020-01-05", "B1", "brain_parenchyma", "target", diameter_mm="0"),
        _lesion("P001", "2020-01-05", "L1", "lung", "target", diameter_mm="35.0",
                modality="ct"),
        _lesion("P001", "2020-01-05", "N1", "lymph_node", "non_target", modality="ct",
                non_target_status="unequivocal_progression"),
        _lesion("P001", "2020-01-05", "B3", "brain_parenchyma", "new", diameter_mm="6"),
        _lesion("P001", "2020-04-05", "L1", "lung", "target", diameter_mm="30", modality="ct"),
        _lesion("P001", "2020-04-05", "L1a", "lung", "new", diameter_mm="3", modality="ct",
                split_from="L1"),
        _lesion("P002", "2019-06-25", "N2", "lymph_node", "target", diameter_mm="15",
                modality="ct", organ="hilar"),
        _lesion("P002", "2019-06-25", "LM", "leptomeninges", "non_target",
                non_target_status="present"),
    ]
    timepoint_responses = [
        _row("timepoint_responses", patient_id="P001", assessment_date="2018-06-20",
             compartment="intracranial", response="PR", criteria="recist11"),
        _row("timepoint_responses", patient_id="P001", assessment_date="2020-01-05",
             compartment="overall", response="PD", criteria="recist11"),
    ]
    clinical = [
        _row("clinical", patient_id="P001", visit_date="2018-04-01", ecog="1",
             cns_symptoms="True", symptoms="headache; nausea",
             corticosteroid_mg_dexamethasone_eq="4",
             mannitol="no"),
        _row("clinical", patient_id="P002", visit_date="2019-07-01", ecog="0",
             cns_symptoms="0", corticosteroid_mg_dexamethasone_eq="0", symptom_change=""),
    ]
    biopsies = [
        _row("biopsies", patient_id="P001", biopsy_date="2020-01-15", specimen="plasma",
             method="ngs", result="alk_mutation", finding="ALK G1202R"),
    ]
    return {
        "patients": patients, "treatments": treatments, "lesions": lesions,
        "timepoint_responses": timepoint_responses, "clinical": clinical, "biopsies": biopsies,
    }  # fmt: skip


def write_csv(path: Path, rows: Rows, *, header: list[str] | None = None,
              encoding: str = "utf-8") -> Path:
    """Write ``rows`` (dicts) as CSV with ``header`` (default: the first row's keys)."""
    header = header if header is not None else list(rows[0]) if rows else []
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_study(folder: Path, tables: Tables) -> Path:
    """Write each table as ``<folder>/<table>.csv`` (header = the first row's keys)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        header = list(rows[0]) if rows else list(TABLES[name].column_names)
        write_csv(folder / f"{name}.csv", rows, header=header)
    return folder


def lesion(pid: str, date: str, lid: str, location: str, role: str, **kw: str) -> dict[str, str]:
    """A lesions row (public alias used by the rule tests)."""
    return _lesion(pid, date, lid, location, role, **kw)


def row(table: str, **values: str) -> dict[str, str]:
    """A row of ``table`` with every column (public alias used by the rule tests)."""
    return _row(table, **values)
