"""Build the reconstructed 2024 progression-pattern data set from its per-patient specification.

Usage (from the repository root)::

    python examples/progression-2024/build_data.py            # writes data/ beside it
    python examples/progression-2024/build_data.py --out DIR  # writes somewhere else

Input: ``patient_spec.csv`` beside this script, one row per patient (73), chosen so that every
count the paper publishes (Wu L, Zou Z et al., J Transl Med 2024, doi:10.1186/s12967-024-05388-0:
Tables 1-3, the Results text, the figure legends) is met; ``README.md`` says which column serves
which count and what is invented. Output: the tables of the cnsrwe data format (``patients``,
``treatments``, ``lesions``, ``clinical``, ``biopsies``; see ``docs/data-format.md``).

The script is deterministic (no random numbers, no clock): running it twice gives
byte-identical files. THIS IS NOT THE REAL PATIENT DATA.

Rules (``P`` = the day of the first radiological progression of a staged ALK-TKI line, i.e.
line start + ``lN_progression_day``):

* Staged lines: cohort 1 has line 1 (first-line alectinib); cohort 2 has line 1 (crizotinib)
  and line 2 (the second-generation ALK-TKI, the "post-crizotinib stage").
* A staged line without local therapy ends on ``P + 7`` (end_reason ``progression``,
  ``progression_site`` = ``lN_site``). With local therapy (``lN_local_days`` given) a
  radiotherapy row starts on ``P + 1`` (SRS to the brain for intracranial progression,
  stereotactic body radiotherapy otherwise) and the drug goes on until ``P + lN_local_days``,
  when the disease progresses again at the same site (2024 study, "local treatment ...
  extension of the duration of previous targeted therapy").
* The next line starts 14 days after the previous one ends. ``after_2g`` lists the lines given
  after the second-generation ALK-TKI as ``regimen:days:end_reason``; ``chemotherapy`` means
  pemetrexed + carboplatin. An ``ongoing`` line has no end date.
* Imaging per staged line (lesion ids carry the line, ``L1-``/``L2-``: each line is
  re-baselined): baseline scan on ``start - 3`` with the primary lung tumour (target), one bone
  metastasis (non-target; every patient had distant metastases, Table 1) and, when ``lN_cns``,
  one brain metastasis (non-target, MRI). At ``P`` the baseline lesions are present and
  ``lN_new_lesions`` new lesions appear: in the brain for intracranial progression, in liver,
  adrenal and bone in turn for extracranial progression, alternating (brain first) for both.
  An empty ``lN_new_lesions`` means the extent of that progression was not recorded: no lesion
  rows are written for ``P``, only the radiologist's calls (``timepoint_responses``: PD in the
  progressing compartment and overall). A line continued after local therapy gets one more
  new lesion at its end.
  ``l1_cns_resolved``: the brain metastasis is absent at ``P`` (and is gone at line 2).
* Clinical visits: ``start - 3`` (ECOG ``lN_ecog``, no symptoms) and ``P`` (symptoms by
  ``lN_symptoms``: ``cns`` = headache and vomiting with CNS symptoms, ``extracranial`` = bone pain
  or cough, ``none``). A symptomatic progression also worsens ECOG by one point (the new
  symptoms limit activity), so the response engine's rule (new CNS symptoms, "deterioration"
  or a worse ECOG) and the paper's ("new symptoms or worsening of pre-existing symptoms")
  classify the same patients.
* Re-biopsies: ``l1_biopsy`` on ``P + 10`` of line 1 (histology); the re-biopsy after the
  second-generation ALK-TKI on its end date + 3 (``at_progression``) or on the end date of the
  first following line + 3 (``after_next_line``). Transformation is read on histology,
  everything else on NGS.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE / "patient_spec.csv"
GAP_DAYS = 14
BASELINE_SCAN_DAY = -3
BASELINE_VISIT_DAY = -3

#: regimen name, agent list and dose for every drug name of the specification
REGIMENS: dict[str, tuple[str, str, str, str]] = {
    "alectinib": ("alectinib", "alk_tki", "alectinib", "600 mg bid"),
    "crizotinib": ("crizotinib", "alk_tki", "crizotinib", "250 mg bid"),
    "ceritinib": ("ceritinib", "alk_tki", "ceritinib", "450 mg qd"),
    "brigatinib": ("brigatinib", "alk_tki", "brigatinib", "180 mg qd"),
    "ensartinib": ("ensartinib", "alk_tki", "ensartinib", "225 mg qd"),
    "iruplinalkib": ("WX-0593 (iruplinalkib)", "alk_tki", "iruplinalkib", "180 mg qd"),
    "lorlatinib": ("lorlatinib", "alk_tki", "lorlatinib", "100 mg qd"),
    "chemotherapy": ("pemetrexed + carboplatin", "chemotherapy", "pemetrexed;carboplatin",
                     "pemetrexed 500 mg/m2 + carboplatin AUC 5 q3w"),
}
EXTRACRANIAL_NEW = (("liver", "liver"), ("adrenal", "left adrenal"), ("bone", "thoracic spine"))
SYMPTOMS = {"cns": ("true", "headache;vomiting", "deterioration"),
            "extracranial": ("false", "bone pain", ""), "none": ("false", "", "")}

PATIENT_COLS = ("patient_id", "site_id", "sex", "age_at_index", "smoking_status", "histology",
                "diagnosis_date", "stage_at_diagnosis", "ecog_at_index", "death_date",
                "last_known_alive_date", "alk_test_method")
TREATMENT_COLS = ("patient_id", "line", "regimen", "agent_class", "agents", "start_date",
                  "end_date", "end_reason", "target_site", "rt_technique", "dose",
                  "progression_site")
LESION_COLS = ("patient_id", "assessment_date", "lesion_id", "location", "organ", "lesion_role",
               "diameter_mm", "non_target_status", "modality", "too_small_to_measure")
CLINICAL_COLS = ("patient_id", "visit_date", "ecog", "cns_symptoms", "symptoms",
                 "symptom_change", "corticosteroid_mg_dexamethasone_eq", "mannitol")
BIOPSY_COLS = ("patient_id", "biopsy_date", "specimen", "method", "result", "finding")
TIMEPOINT_COLS = ("patient_id", "assessment_date", "compartment", "response", "criteria")
COLUMNS = {"patients": PATIENT_COLS, "treatments": TREATMENT_COLS, "lesions": LESION_COLS,
           "timepoint_responses": TIMEPOINT_COLS, "clinical": CLINICAL_COLS,
           "biopsies": BIOPSY_COLS}

Row = dict[str, object]
Spec = dict[str, str]


def read_spec(path: Path = SPEC) -> list[Spec]:
    """The specification rows, in file order."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _iso(day: dt.date, offset: int = 0) -> str:
    return (day + dt.timedelta(days=offset)).isoformat()


def staged_line(spec: Spec, k: int, start: dt.date) -> tuple[list[Row], dt.date, dt.date]:
    """Treatment rows of staged line ``k`` (1 or 2), its progression day and its end date."""
    p = f"l{k}_"
    pid, drug = spec["patient_id"], spec[p + "drug"]
    regimen, klass, agents, dose = REGIMENS[drug]
    prog = start + dt.timedelta(days=int(spec[p + "progression_day"]))
    local = spec[p + "local_days"]
    end = prog + dt.timedelta(days=int(local) if local else 7)
    rows: list[Row] = [{
        "patient_id": pid, "line": k, "regimen": regimen, "agent_class": klass,
        "agents": agents, "start_date": start.isoformat(), "end_date": end.isoformat(),
        "end_reason": "progression", "target_site": "", "rt_technique": "", "dose": dose,
        "progression_site": spec[p + "site"],
    }]  # fmt: skip
    if local:
        brain = spec[p + "site"] == "intracranial"
        rows.append({
            "patient_id": pid, "line": k, "regimen": "SRS" if brain else "SBRT",
            "agent_class": "radiotherapy", "agents": "", "start_date": _iso(prog, 1),
            "end_date": _iso(prog, 1 if brain else 5), "end_reason": "completed",
            "target_site": "brain" if brain else "extracranial",
            "rt_technique": "srs" if brain else "other",
            "dose": "24 Gy x 1" if brain else "8 Gy x 5", "progression_site": "",
        })  # fmt: skip
    return rows, prog, end


def later_lines(spec: Spec, first_line: int, start: dt.date) -> list[Row]:
    """Rows of the lines after the second-generation ALK-TKI (``after_2g``)."""
    rows: list[Row] = []
    for j, item in enumerate(filter(None, spec["after_2g"].split(";"))):
        drug, days, reason = item.split(":")
        regimen, klass, agents, dose = REGIMENS[drug]
        end = start + dt.timedelta(days=int(days))
        rows.append({
            "patient_id": spec["patient_id"], "line": first_line + j, "regimen": regimen,
            "agent_class": klass, "agents": agents, "start_date": start.isoformat(),
            "end_date": "" if reason == "ongoing" else end.isoformat(), "end_reason": reason,
            "target_site": "", "rt_technique": "", "dose": dose, "progression_site": "",
        })  # fmt: skip
        start = end + dt.timedelta(days=GAP_DAYS)
    return rows


def _lesion(pid: str, day: str, lid: str, location: str, organ: str, role: str,
            diameter: str = "", status: str = "present") -> Row:
    return {"patient_id": pid, "assessment_date": day, "lesion_id": lid, "location": location,
            "organ": organ, "lesion_role": role, "diameter_mm": diameter,
            "non_target_status": "" if role == "target" else status,
            "modality": "mri" if location == "brain_parenchyma" else "ct",
            "too_small_to_measure": "false" if role == "target" else ""}


def _new_sites(site: str, n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        if site == "intracranial" or (site == "both" and i % 2 == 0):
            out.append(("brain_parenchyma", "brain"))
        else:
            out.append(EXTRACRANIAL_NEW[i % len(EXTRACRANIAL_NEW)])
    return out


def lesion_rows(spec: Spec, k: int, start: dt.date, prog: dt.date, end: dt.date) -> list[Row]:
    """Baseline and progression scans of staged line ``k`` (module docstring, "Imaging")."""
    p, pid, tag = f"l{k}_", spec["patient_id"], f"L{k}-"
    ordinal = int(pid[-2:])
    base_day = _iso(start, BASELINE_SCAN_DAY)
    size = f"{20 + ordinal % 25}.{ordinal % 10}"
    baseline = [("T1", "lung", "right upper lobe", "target", size),
                ("N1", "bone", "lumbar spine", "non_target", "")]
    if spec[p + "cns"] == "true":
        baseline.append(("B1", "brain_parenchyma", "right frontal lobe", "non_target", ""))
    rows = [_lesion(pid, base_day, tag + lid, loc, organ, role, d)
            for lid, loc, organ, role, d in baseline]
    if not spec[p + "new_lesions"]:
        return rows
    resolved = k == 1 and spec["l1_cns_resolved"] == "true"
    day = prog.isoformat()
    for lid, loc, organ, role, d in baseline:
        status = "absent" if resolved and lid == "B1" else "present"
        rows.append(_lesion(pid, day, tag + lid, loc, organ, role, d, status))
    new = _new_sites(spec[p + "site"], int(spec[p + "new_lesions"]))
    rows += [_lesion(pid, day, f"{tag}NEW{i + 1}", loc, organ, "new")
             for i, (loc, organ) in enumerate(new)]
    if spec[p + "local_days"]:
        day = end.isoformat()
        for lid, loc, organ, role, d in baseline:
            rows.append(_lesion(pid, day, tag + lid, loc, organ, role, d))
        rows += [_lesion(pid, day, f"{tag}NEW{i + 1}", loc, organ, "new")
                 for i, (loc, organ) in enumerate(new)]
        loc, organ = _new_sites(spec[p + "site"], 1)[0]
        rows.append(_lesion(pid, day, f"{tag}NEW{len(new) + 1}", loc, organ, "new"))
    return rows


def given_calls(spec: Spec, k: int, prog: dt.date) -> list[Row]:
    """Radiologist PD calls for a progression whose extent was not recorded (no lesion rows)."""
    p = f"l{k}_"
    if spec[p + "new_lesions"]:
        return []
    site = spec[p + "site"]
    cns = "PD" if site in ("intracranial", "both") else "NON-CR/NON-PD"
    extra = "PD" if site in ("extracranial", "both") else "NON-CR/NON-PD"
    return [{"patient_id": spec["patient_id"], "assessment_date": prog.isoformat(),
             "compartment": comp, "response": resp, "criteria": "recist11"}
            for comp, resp in (("intracranial", cns), ("extracranial", extra),
                               ("overall", "PD"))]


def clinical_rows(spec: Spec, k: int, start: dt.date, prog: dt.date) -> list[Row]:
    """Visit before line ``k`` (ECOG, no symptoms) and at its first progression."""
    p, pid = f"l{k}_", spec["patient_id"]
    cns, symptoms, change = SYMPTOMS[spec[p + "symptoms"]]
    if spec[p + "symptoms"] == "extracranial" and int(pid[-2:]) % 2 == 0:
        symptoms = "cough"
    ecog = int(spec[p + "ecog"])
    worse = min(ecog + 1, 4) if symptoms else ecog
    common = {"patient_id": pid, "corticosteroid_mg_dexamethasone_eq": "0", "mannitol": "false"}
    return [
        {**common, "visit_date": _iso(start, BASELINE_VISIT_DAY), "ecog": ecog,
         "cns_symptoms": "false", "symptoms": "", "symptom_change": ""},
        {**common, "visit_date": prog.isoformat(), "ecog": worse, "cns_symptoms": cns,
         "symptoms": symptoms, "symptom_change": change},
    ]


def biopsy_rows(spec: Spec, l1_prog: dt.date, end_2g: dt.date, later: list[Row]) -> list[Row]:
    """The re-biopsy at crizotinib progression and the one after the 2G ALK-TKI."""
    pid, rows = spec["patient_id"], []
    if spec["l1_biopsy"]:
        rows.append({"patient_id": pid, "biopsy_date": _iso(l1_prog, 10), "specimen": "tissue",
                     "method": "histology", "result": "transformation",
                     "finding": spec["l1_biopsy"]})
    timing = spec["biopsy_timing"]
    if timing == "none":
        return rows
    if timing == "at_progression":
        day = _iso(end_2g, 3)
    else:
        day = _iso(dt.date.fromisoformat(str(later[0]["end_date"])), 3)
    result = spec["biopsy_result"]
    rows.append({"patient_id": pid, "biopsy_date": day, "specimen": spec["biopsy_specimen"],
                 "method": "histology" if result == "transformation" else "ngs",
                 "result": result, "finding": spec["biopsy_finding"]})
    return rows


def patient_row(spec: Spec, first_start: dt.date) -> Row:
    """The patients row (single centre; diagnosis three weeks before the first ALK-TKI)."""
    ordinal = int(spec["patient_id"][-2:]) + (100 if spec["cohort"] == "2" else 0)
    return {
        "patient_id": spec["patient_id"], "site_id": "CICAMS",
        "sex": spec["sex"], "age_at_index": spec["age_at_index"],
        "smoking_status": spec["smoking_status"], "histology": spec["histology"],
        "diagnosis_date": _iso(first_start, -21), "stage_at_diagnosis": "IVB",
        "ecog_at_index": spec["l1_ecog"], "death_date": spec["death_date"],
        "last_known_alive_date": spec["last_known_alive_date"],
        "alk_test_method": ("ihc", "fish", "ngs")[ordinal % 3],
    }  # fmt: skip


def build_tables(specs: Iterable[Spec]) -> dict[str, list[Row]]:
    """All output tables as lists of rows, in patient order."""
    tables: dict[str, list[Row]] = {name: [] for name in COLUMNS}
    for spec in specs:
        start = dt.date.fromisoformat(spec["l1_start"])
        n_staged = int(spec["cohort"])
        treatments: list[Row] = []
        progs = []
        line_start = start
        for k in range(1, n_staged + 1):
            rows, prog, end = staged_line(spec, k, line_start)
            treatments += rows
            progs.append(prog)
            tables["lesions"] += lesion_rows(spec, k, line_start, prog, end)
            tables["timepoint_responses"] += given_calls(spec, k, prog)
            tables["clinical"] += clinical_rows(spec, k, line_start, prog)
            line_start = end + dt.timedelta(days=GAP_DAYS)
        later = later_lines(spec, n_staged + 1, line_start)
        treatments += later
        tables["patients"].append(patient_row(spec, start))
        tables["treatments"] += treatments
        tables["biopsies"] += biopsy_rows(spec, progs[0], end, later)
    return tables


def write_tables(tables: dict[str, list[Row]], out: Path) -> list[Path]:
    """Write each table as ``<name>.csv`` (UTF-8, LF line ends, fixed column order)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in tables.items():
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, COLUMNS[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "data", help="output folder")
    args = parser.parse_args(argv)
    for path in write_tables(build_tables(read_spec()), args.out):
        print(path)


if __name__ == "__main__":
    main()
