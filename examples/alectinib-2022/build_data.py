"""Build the reconstructed 2022 alectinib data set from its per-patient specification.

Usage (from the repository root)::

    python examples/alectinib-2022/build_data.py            # writes examples/alectinib-2022/data/
    python examples/alectinib-2022/build_data.py --out DIR  # writes somewhere else

Input: ``patient_spec.csv`` beside this script, one row per patient, written by hand so that
every count the paper publishes (Zou Z et al., BMC Med 2022;20:12, Tables 1-9 and the Results
text) is met; ``README.md`` lists which column serves which table. Output: the tables of the
cnsrwe data format (``patients``, ``treatments``, ``lesions``, ``clinical``; see
``docs/data-format.md``); the site of progression of each prior line is the treatments
column ``progression_site``, which the cohort rules of ``study.toml`` read.

Everything the paper does not publish is invented by the fixed rules below: calendar dates,
exact lesion diameters, scan schedule, prior-line durations, the time of each progression and
death, follow-up lines. The script is deterministic (no random numbers, no clock): running it
twice gives byte-identical files. THIS IS NOT THE REAL PATIENT DATA.

Rules (all days relative to the alectinib start, day 0):

* Imaging: brain MRI and body CT on the same dates - baseline on day -7 (RECIST 1.1 section
  3.2: within 4 weeks before treatment), then every 56 days ("every 1 to 3 months", Methods)
  up to the first progression (an unscheduled scan when progression is off the 56-day grid),
  or up to the last visit before the cut-off (June 1, 2021) or death.
* Target sizes: the spec's baseline sum is split over one or two lesions, each >= 10 mm.
  Each target shrinks to ``1 - 0.6 p`` of baseline at the first follow-up and to ``1 - p`` from
  the second one on (``p`` = the spec's best shrinkage), so the best change of the sum is
  exactly the spec's value (to 0.1 mm rounding). Non-target lesions (brain metastases beyond
  the targets, leptomeningeal disease, extracranial non-targets) have no diameter and are
  ``present``; they turn ``absent`` from the second follow-up when the spec's best response
  is CR.
* Progression: new lesions at the progression scan - 2 new brain lesions for intracranial
  oligo-progression (Methods: 1-3 lesions), 5 for multi-progression, new leptomeningeal
  enhancement for LM progression; one new liver lesion for extracranial progression.
  Alectinib stops 10 days after the progression scan; the next line starts the day after
  (lorlatinib after CNS progression; after extracranial-only progression lorlatinib,
  brigatinib or chemotherapy in turn).
* Clinical visits: day -3 (baseline: ECOG, CNS symptoms, corticosteroid dose, mannitol) and
  day 14 ("a half-month after the administration of alectinib", Results).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE / "patient_spec.csv"
CUTOFF = dt.date(2021, 6, 1)  # Methods: "The data cutoff date was June 1, 2021."
SCAN_EVERY = 56
BASELINE_SCAN_DAY = -7
BASELINE_VISIT_DAY = -3
AFTER_VISIT_DAY = 14
STEROID_BEFORE_MG = 8.0  # dexamethasone equivalent per day (invented)
STEROID_AFTER_MG = 2.0

BRAIN_SITES = (
    "right frontal lobe", "left parietal lobe", "right temporal lobe", "left occipital lobe",
    "cerebellum", "left frontal lobe", "right parietal lobe", "left temporal lobe",
)  # fmt: skip
PRIOR_REGIMENS = {
    "chemotherapy": ("pemetrexed + carboplatin", "chemotherapy", "pemetrexed;carboplatin", 126),
    "crizotinib": ("crizotinib", "alk_tki", "crizotinib", 330),
    "ceritinib": ("ceritinib", "alk_tki", "ceritinib", 300),
    "conteltinib": ("CT707 (conteltinib)", "alk_tki", "conteltinib", 300),
    "iruplinalkib": ("WX-0593 (iruplinalkib)", "alk_tki", "iruplinalkib", 300),
}
NEXT_AFTER_EXTRACRANIAL = (
    ("lorlatinib", "alk_tki", "lorlatinib"),
    ("brigatinib", "alk_tki", "brigatinib"),
    ("pemetrexed + carboplatin", "chemotherapy", "pemetrexed;carboplatin"),
)

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
#: the spec's prior-line progression sites -> the data format's treatments.progression_site
RECORDED_SITE = {"CNS_ONLY": "intracranial", "EXTRACRANIAL_ONLY": "extracranial",
                 "BOTH": "both"}

Row = dict[str, object]


def read_spec(path: Path = SPEC) -> list[dict[str, str]]:
    """The specification rows, in file order."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _day(start: dt.date, day: int) -> str:
    return (start + dt.timedelta(days=day)).isoformat()


def _flag(value: str) -> bool:
    return value == "true"


def _mm(tenths: int) -> str:
    return f"{tenths // 10}.{tenths % 10}"


def split_sum(total_mm: int, n: int) -> list[int]:
    """Split a target sum (mm) over ``n`` lesions, each >= 10 mm, as tenths of a mm."""
    if n == 1:
        return [total_mm * 10]
    second = max(10, (total_mm * 2) // 5)
    return [(total_mm - second) * 10, second * 10]


def shrink_series(baseline: list[int], pct: int, k: int) -> list[int]:
    """Target sizes (tenths) at follow-up ``k``: ``1 - 0.6 p`` at k = 1, ``1 - p`` after.

    The sum at k >= 2 is rounded once and the rounding put on the last lesion, so the best
    percentage change of the sum is the spec's value to within 0.1 mm.
    """
    if not baseline:
        return []
    frac = 0.6 * pct / 100 if k == 1 else pct / 100
    total = round(sum(baseline) * (1 - frac))
    sizes = [round(b * (1 - frac)) for b in baseline[:-1]]
    return [*sizes, total - sum(sizes)]


def scan_days(spec: dict[str, str], start: dt.date) -> list[int]:
    """Imaging days: baseline, then every 56 days to progression / last visit."""
    if spec["progression_day"]:
        last = int(spec["progression_day"])
    else:
        end = (CUTOFF - start).days
        if spec["death_day"]:
            end = min(end, int(spec["death_day"]))
        last = ((end - 1) // SCAN_EVERY) * SCAN_EVERY
    days = [BASELINE_SCAN_DAY, *range(SCAN_EVERY, last + 1, SCAN_EVERY)]
    if spec["progression_day"] and days[-1] != last:  # unscheduled scan at progression
        days.append(last)
    return days


def lesion_rows(spec: dict[str, str]) -> list[Row]:
    """Every lesion row of one patient (module docstring, "Imaging" to "Progression")."""
    pid, start = spec["patient_id"], dt.date.fromisoformat(spec["alectinib_start"])
    days = scan_days(spec, start)
    ic_cr, ex_cr = spec["ic_bor"] == "CR", spec["ex_bor"] == "CR"
    n_t = int(spec["cns_targets"])
    cns_t = split_sum(int(spec["cns_target_sum_mm"]), n_t) if n_t else []
    n_x = int(spec["ex_targets"])
    ex_t = split_sum(int(spec["ex_target_sum_mm"]), n_x) if n_x else []
    n_nt = int(spec["n_brain_mets"]) - n_t
    pd_kind = spec["first_progression"]
    out: list[Row] = []

    def add(day: int, lesion_id: str, location: str, organ: str, role: str, *,
            tenths: int | None = None, status: str | None = None) -> None:
        out.append({
            "patient_id": pid, "assessment_date": _day(start, day), "lesion_id": lesion_id,
            "location": location, "organ": organ, "lesion_role": role,
            "diameter_mm": "" if tenths is None else _mm(tenths),
            "non_target_status": status or "",
            "modality": "mri" if location in ("brain_parenchyma", "leptomeninges") else "ct",
            "too_small_to_measure": "false" if role == "target" else "",
        })  # fmt: skip

    for k, day in enumerate(days):
        cns_now = cns_t if k == 0 else shrink_series(cns_t, int(spec["ic_shrink_pct"] or 0), k)
        ex_now = ex_t if k == 0 else shrink_series(ex_t, int(spec["ex_shrink_pct"] or 0), k)
        ic_status = "absent" if ic_cr and k >= 2 else "present"
        ex_status = "absent" if ex_cr and k >= 2 else "present"
        for i, tenths in enumerate(cns_now):
            add(day, f"B{i + 1}", "brain_parenchyma", BRAIN_SITES[i], "target", tenths=tenths)
        for i in range(n_nt):
            add(day, f"B{n_t + i + 1}", "brain_parenchyma", BRAIN_SITES[(n_t + i) % 8],
                "non_target", status=ic_status)
        if spec["lm"] != "none":
            add(day, "LM1", "leptomeninges", "leptomeninges", "non_target", status=ic_status)
        for i, tenths in enumerate(ex_now):
            location, organ = (("lung", "right upper lobe"), ("liver", "segment VI"))[i]
            add(day, f"X{i + 1}", location, organ, "target", tenths=tenths)
        for i in range(int(spec["ex_nontargets"])):
            location, organ = (("bone", "thoracic spine T8"), ("lymph_node", "mediastinal"))[i]
            add(day, f"Y{i + 1}", location, organ, "non_target", status=ex_status)
    pd_day = days[-1]
    if pd_kind in ("cns", "both"):
        pattern = spec["cns_pd_pattern"]
        if pattern == "lm":
            add(pd_day, "N1", "leptomeninges", "leptomeninges", "new")
        for i in range({"oligo": 2, "multi": 5}.get(pattern, 0)):
            add(pd_day, f"N{i + 1}", "brain_parenchyma", BRAIN_SITES[(i + 3) % 8], "new",
                tenths=60 + 10 * i)
    if pd_kind in ("extracranial", "both"):
        add(pd_day, "XN1", "liver", "segment IV", "new", tenths=120)
    return out


def _prior_lines(spec: dict[str, str]) -> list[tuple[str, str]]:
    text = spec["prior_lines"]
    return [tuple(part.split(":")) for part in text.split(";")] if text else []  # type: ignore[misc]


def treatment_rows(spec: dict[str, str], ordinal: int) -> tuple[list[Row], list[Row]]:
    """Treatment rows and prior-line progression sites of one patient.

    Prior lines run back to back, the last ending 12 days before alectinib (40 days when the
    CNS was controlled by local therapy given after it). A controlled patient's brain local
    therapy starts 25 days before alectinib, after the last prior line ended; an uncontrolled
    patient's starts 30 days before the last prior line started, so that line's CNS
    progression came after it (the 2022 study's "progressed following prior ... local
    treatment"; ``cnsrwe.study`` fact ``uncontrolled_cns``).
    """
    pid, start = spec["patient_id"], dt.date.fromisoformat(spec["alectinib_start"])
    prior = _prior_lines(spec)
    controlled = _flag(spec["cns_controlled"])
    rows: list[Row] = []
    sites: list[Row] = []

    def add(line: int | None, regimen: str, agent_class: str, agents: str, first: int,
            last: int | None, reason: str, *, target: str = "", technique: str = "",
            dose: str = "", site: str = "") -> None:
        rows.append({
            "patient_id": pid, "line": "" if line is None else line, "regimen": regimen,
            "agent_class": agent_class, "agents": agents, "start_date": _day(start, first),
            "end_date": "" if last is None else _day(start, last), "end_reason": reason,
            "target_site": target, "rt_technique": technique, "dose": dose,
            "progression_site": site,
        })  # fmt: skip

    end = -40 if controlled else -12
    spans = []
    for agent, _site in reversed(prior):
        duration = PRIOR_REGIMENS[agent][3] + 7 * (ordinal % 5)
        spans.append((end - duration, end))
        end = end - duration - 21
    spans.reverse()
    for line, ((agent, site), (first, last)) in enumerate(zip(prior, spans, strict=True), 1):
        regimen, agent_class, agents, _ = PRIOR_REGIMENS[agent]
        add(line, regimen, agent_class, agents, first, last, "progression",
            site=RECORDED_SITE[site])
        sites.append({"patient_id": pid, "line": line, "progression_site": site})
    index_line = len(prior) + 1
    local = spec["prior_brain_local"]
    if local != "none":
        if not controlled and not spans:
            msg = f"{pid}: uncontrolled after local therapy needs a prior line, got none"
            raise ValueError(msg)
        first = -25 if controlled else spans[-1][0] - 30
        if local == "surgery":
            add(None, "brain metastasectomy", "surgery", "", first, first, "completed",
                target="brain")
        else:
            n_days = 1 if local == "srs" else 14
            add(None, {"srs": "SRS", "wbrt": "WBRT"}[local], "radiotherapy", "", first,
                first + n_days - 1, "completed", target="brain", technique=local,
                dose={"srs": "20 Gy x 1", "wbrt": "30 Gy / 10 fractions"}[local])
    if spec["stage_group"] == "recurrence":
        first_systemic = spans[0][0] if spans else 0
        add(None, "lobectomy", "surgery", "", first_systemic - 700 - 30 * (ordinal % 7),
            first_systemic - 700 - 30 * (ordinal % 7), "completed", target="extracranial")
    if _flag(spec["salvage_brain_rt"]):
        add(index_line, "SRS", "radiotherapy", "", 30, 30, "completed", target="brain",
            technique="srs", dose="20 Gy x 1")
    death = int(spec["death_day"]) if spec["death_day"] else None
    follow_end = (CUTOFF - start).days
    if spec["progression_day"]:
        pd_day = int(spec["progression_day"])
        add(index_line, "alectinib", "alk_tki", "alectinib", 0, pd_day + 10, "progression",
            dose="600 mg bid")
        if spec["first_progression"] == "extracranial":
            regimen, agent_class, agents = NEXT_AFTER_EXTRACRANIAL[ordinal % 3]
        else:
            regimen, agent_class, agents = "lorlatinib", "alk_tki", "lorlatinib"
        nxt_end, nxt_reason = (death, "death") if death is not None else (None, "ongoing")
        add(index_line + 1, regimen, agent_class, agents, pd_day + 11, nxt_end, nxt_reason)
    elif death is not None:
        add(index_line, "alectinib", "alk_tki", "alectinib", 0, death, "death",
            dose="600 mg bid")
    else:
        assert follow_end > 0
        add(index_line, "alectinib", "alk_tki", "alectinib", 0, None, "ongoing",
            dose="600 mg bid")
    return rows, sites


def patient_row(spec: dict[str, str], treatments: list[Row], ordinal: int) -> Row:
    """The ``patients`` row: demographics from the spec, invented diagnosis date."""
    start = dt.date.fromisoformat(spec["alectinib_start"])
    first = min(dt.date.fromisoformat(str(t["start_date"])) for t in treatments)
    diagnosis = first - dt.timedelta(days=20 + ordinal % 9)
    death = _day(start, int(spec["death_day"])) if spec["death_day"] else ""
    return {
        "patient_id": spec["patient_id"], "site_id": spec["site_id"], "sex": spec["sex"],
        "age_at_index": spec["age"], "smoking_status": spec["smoking_status"],
        "histology": spec["histology"], "diagnosis_date": diagnosis.isoformat(),
        "stage_at_diagnosis": spec["stage_at_diagnosis"], "ecog_at_index": spec["ecog_before"],
        "death_date": death, "last_known_alive_date": "" if death else CUTOFF.isoformat(),
        "alk_test_method": ("ihc", "fish", "ngs")[ordinal % 3],
    }  # fmt: skip


def clinical_rows(spec: dict[str, str]) -> list[Row]:
    """Baseline (day -3) and half-month (day 14) visits."""
    start = dt.date.fromisoformat(spec["alectinib_start"])
    symptomatic = _flag(spec["symptomatic"])
    change = spec["symptom_change"]
    still = symptomatic and change != "significant_improvement"

    def steroid(flag: str, mg: float) -> str:
        return str(mg) if _flag(flag) else "0.0"

    return [
        {"patient_id": spec["patient_id"], "visit_date": _day(start, BASELINE_VISIT_DAY),
         "ecog": spec["ecog_before"], "cns_symptoms": str(symptomatic).lower(),
         "symptoms": spec["symptoms"], "symptom_change": "",
         "corticosteroid_mg_dexamethasone_eq": steroid(spec["steroid_before"],
                                                       STEROID_BEFORE_MG),
         "mannitol": spec["mannitol_before"]},
        {"patient_id": spec["patient_id"], "visit_date": _day(start, AFTER_VISIT_DAY),
         "ecog": spec["ecog_after"], "cns_symptoms": str(still).lower(),
         "symptoms": spec["symptoms"] if still else "", "symptom_change": change,
         "corticosteroid_mg_dexamethasone_eq": steroid(spec["steroid_after"], STEROID_AFTER_MG),
         "mannitol": spec["mannitol_after"]},
    ]  # fmt: skip


def build_tables(specs: Iterable[dict[str, str]]) -> dict[str, list[Row]]:
    """All output tables as lists of rows, in patient order."""
    tables: dict[str, list[Row]] = {
        "patients": [], "treatments": [], "lesions": [], "clinical": [],
    }  # fmt: skip
    for ordinal, spec in enumerate(specs):
        treatments, _sites = treatment_rows(spec, ordinal)
        tables["patients"].append(patient_row(spec, treatments, ordinal))
        tables["treatments"].extend(treatments)
        tables["lesions"].extend(lesion_rows(spec))
        tables["clinical"].extend(clinical_rows(spec))
    return tables


COLUMNS = {"patients": PATIENT_COLS, "treatments": TREATMENT_COLS, "lesions": LESION_COLS,
           "clinical": CLINICAL_COLS}


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "data", help="output folder")
    args = parser.parse_args(argv)
    for path in write_tables(build_tables(read_spec()), args.out):
        print(path)


if __name__ == "__main__":
    main()
