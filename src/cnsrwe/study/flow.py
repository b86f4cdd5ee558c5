"""The study population end to end: index line, baseline facts, eligibility, cohorts,
subgroups, and a CONSORT-style patient flow (screened, with index line, excluded with
reasons, per cohort).

Exclusions are sequential in study-file order, as in a CONSORT diagram: each count is
among patients still included after the previous step, so the counts add up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cnsrwe.errors import SchemaError
from cnsrwe.study.cohorts import CohortAssignment, _frame, assign_cohorts, select_index_lines
from cnsrwe.study.facts import baseline_facts, evaluate_eligibility, evaluate_subgroups
from cnsrwe.study.load import LoadedStudyFile
from cnsrwe.study.model import CohortRule, EligibilityRule
from cnsrwe.study.specs import StudyFile

FLOW_SCHEMA = {"step": pl.Int32, "stage": pl.String, "label": pl.String, "n": pl.Int64,
               "kind": pl.String}

_REASON_LABEL = {
    "no_cohort": "Treatment history matches no cohort rule",
    "undetermined": "Cohort undecidable: data missing (e.g. prior-line progression site)",
    "multiple_cohorts": "Treatment history matches several cohorts",
}


def patient_flow(screened: Any, index: Any, eligibility: Any, assignment: CohortAssignment,
                 *, eligibility_rules: Sequence[EligibilityRule] = (),
                 cohort_rules: Sequence[CohortRule] = ()) -> pl.DataFrame:
    """CONSORT-style counts: ``step, stage, label, n, kind`` (kind = included / excluded).

    ``screened`` holds every patient id (a frame with ``patient_id`` or a sequence);
    ``eligibility`` is the long output of
    :func:`~cnsrwe.study.facts.evaluate_eligibility`; ``assignment`` comes from
    :func:`~cnsrwe.study.cohorts.assign_cohorts` run on the eligible patients. A criterion
    that cannot be assessed (missing data) is its own exclusion line, never hidden.
    """
    ids = (screened["patient_id"] if isinstance(screened, pl.DataFrame)
           else pl.Series("patient_id", list(screened))).unique()
    idx = _frame(index, "index", ("patient_id",))
    elig = _frame(eligibility, "eligibility", ("patient_id", "criterion", "met"))
    rows: list[tuple[str, str, int, str]] = [("screened", "Patients screened", ids.len(),
                                              "included")]
    remaining = idx.filter(pl.col("patient_id").is_in(ids.implode()))["patient_id"].unique()
    rows.append(("no_index_line", "No index line", ids.len() - remaining.len(), "excluded"))
    rows.append(("with_index_line", "With an index line", remaining.len(), "included"))
    for rule in eligibility_rules:
        met = elig.filter((pl.col("criterion") == rule.name)
                          & pl.col("patient_id").is_in(remaining.implode()))
        failed = met.filter(pl.col("met") == False)["patient_id"]  # noqa: E712
        unknown = met.filter(pl.col("met").is_null())["patient_id"]
        rows.append((f"excluded_{rule.name}", rule.label, failed.len(), "excluded"))
        if unknown.len():
            rows.append((f"unassessable_{rule.name}", f"{rule.label}: could not be assessed"
                         " (missing data)", unknown.len(), "excluded"))
        out = pl.concat([failed, unknown]).implode()
        remaining = remaining.filter(~remaining.is_in(out))
    rows.append(("eligible", "Eligible", remaining.len(), "included"))
    un = assignment.unassigned.filter(pl.col("patient_id").is_in(remaining.implode()))
    for reason, label in _REASON_LABEL.items():
        n = un.filter(pl.col("reason") == reason).height
        if n:
            rows.append((f"unassigned_{reason}", label, n, "excluded"))
    assigned = assignment.cohorts.filter(pl.col("patient_id").is_in(remaining.implode()))
    labels = {r.name: r.label for r in cohort_rules}
    names = [r.name for r in cohort_rules] or sorted(assigned["cohort"].unique().to_list())
    for name in names:
        n = assigned.filter(pl.col("cohort") == name).height
        rows.append((f"cohort_{name}", labels.get(name, name), n, "included"))
    return pl.DataFrame(
        [(k + 1, *r) for k, r in enumerate(rows)], schema=FLOW_SCHEMA, orient="row"
    )


def read_prior_line_progression(loaded: LoadedStudyFile) -> pl.DataFrame | None:
    """Read the ``data.prior_line_progression`` table (CSV or Parquet) named by a study
    file, relative to the file; ``None`` when the study file names none."""
    rel = loaded.spec.data.prior_line_progression
    if rel is None:
        return None
    base = loaded.path.parent if loaded.path is not None else Path.cwd()
    path = base / rel
    if not path.is_file():
        msg = f"`data.prior_line_progression` must name an existing file, got {str(path)!r}"
        raise SchemaError(msg)
    if path.suffix.lower() == ".parquet":
        frame = pl.read_parquet(path)
    else:
        frame = pl.read_csv(path, schema_overrides={"patient_id": pl.String, "line": pl.Int64,
                                                    "progression_site": pl.String})
    return _frame(frame, "prior_line_progression", ("patient_id", "line", "progression_site"))


@dataclass(frozen=True)
class StudyPopulation:
    """Everything :func:`derive_study_population` derives, as plain tables."""

    index: pl.DataFrame
    facts: pl.DataFrame
    eligibility: pl.DataFrame
    eligible: pl.Series
    assignment: CohortAssignment
    subgroups: pl.DataFrame
    flow: pl.DataFrame


def derive_study_population(tables: Mapping[str, Any], study: StudyFile, *,
                            prior_line_progression: Any | None = None) -> StudyPopulation:
    """Apply a study file's index, eligibility, cohort and subgroup rules to its tables.

    ``tables`` maps table names of the data format (``patients``, ``treatments``,
    ``lesions``, ``clinical``) to frames, e.g. ``LoadedStudy.tables`` or frames read
    from the store.
    """
    for name in ("patients", "treatments", "lesions", "clinical"):
        if name not in tables:
            msg = f"`tables` must include {name!r}, got {sorted(tables)!r}"
            raise SchemaError(msg)
    treatments = _frame(tables["treatments"], "treatments", ("patient_id",))
    index = select_index_lines(treatments, study.index)
    facts = baseline_facts(tables["lesions"], tables["clinical"], treatments, index,
                           patients=tables["patients"],
                           prior_line_progression=prior_line_progression,
                           baseline=study.baseline)
    eligibility = evaluate_eligibility(facts, study.eligibility)
    failed = eligibility.filter(pl.col("met").fill_null(False).not_())["patient_id"]
    eligible = index.filter(~pl.col("patient_id").is_in(failed.implode()))
    assignment = assign_cohorts(treatments, eligible, study.cohorts,
                                prior_line_progression=prior_line_progression,
                                on_multiple=study.cohort_policy.on_multiple)
    subgroups = evaluate_subgroups(facts, study.subgroups)
    flow = patient_flow(_frame(tables["patients"], "patients", ("patient_id",)), index,
                        eligibility, assignment, eligibility_rules=study.eligibility,
                        cohort_rules=study.cohorts)
    return StudyPopulation(index, facts, eligibility, eligible["patient_id"], assignment,
                           subgroups, flow)
