"""Run everything a study file asks for and collect one ARD table.

Standard analyses first (:mod:`cnsrwe.runner.standard`), then each ``[[analyses]]`` entry in
file order, split by :func:`cnsrwe.runner.groups.analysis_parts`.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from cnsrwe.runner.analyses import run_competing, run_cox, run_response_rate, run_survival
from cnsrwe.runner.analyses_clinical import run_compare_groups, run_paired
from cnsrwe.runner.evidence import evidence_results
from cnsrwe.runner.groups import analysis_parts
from cnsrwe.runner.prepare import PreparedStudy
from cnsrwe.runner.results import AnalysisResult
from cnsrwe.runner.standard import (
    baseline_result,
    efficacy_results,
    flow_result,
    progression_result,
    shrinkage_result,
    subgroup_forest,
    symptom_result,
)
from cnsrwe.stats import concat_ard

RUNNERS: dict[str, Callable[..., AnalysisResult]] = {
    "response_rate": run_response_rate,
    "survival": run_survival,
    "competing_risks": run_competing,
    "cox": run_cox,
    "compare_groups": run_compare_groups,
    "paired_before_after": run_paired,
}
SYMPTOM_AFTER_DAYS = (10, 60)


def run_analyses(prep: PreparedStudy,
                 progress: Callable[[str], None] | None = None) -> list[AnalysisResult]:
    """Every result, standard ones first (module notes). ``progress(name)`` is called after
    each analysis (for the console progress bar; names only, never patient data)."""
    tick = progress or (lambda _name: None)
    out = [flow_result(prep), baseline_result(prep)]
    efficacy = efficacy_results(prep)
    out += efficacy
    out += evidence_results(prep, efficacy)
    out.append(shrinkage_result(prep))
    for extra in (progression_result(prep), symptom_result(prep, SYMPTOM_AFTER_DAYS)):
        if extra is not None:
            out.append(extra)
    tick("standard")
    sub_labels = {s.name: s.label for s in prep.spec.subgroups}
    for spec in prep.spec.analyses:
        for part in analysis_parts(spec, prep.analysis_set, cohort_labels=prep.cohort_labels,
                                   subgroup_labels=sub_labels,
                                   endpoint_label=_endpoint_label(prep, spec.endpoint)):
            out.append(RUNNERS[spec.kind](spec, part, prep))
        tick(spec.name)
    forest = subgroup_forest(out)
    if forest is not None:
        out.append(forest)
    return out


def _endpoint_label(prep: PreparedStudy, name: str | None) -> str | None:
    return None if name is None else prep.spec.endpoints[name].label


def analysis_count(prep: PreparedStudy) -> int:
    """Number of progress ticks :func:`run_analyses` makes."""
    return 1 + len(prep.spec.analyses)


def collect_ard(results: list[AnalysisResult]) -> pl.DataFrame:
    """All results' ARD rows in one table (one row per key; first occurrence kept)."""
    ard = concat_ard([r.ard for r in results])
    return ard.unique(["analysis", "population", "group", "parameter", "statistic"],
                      keep="first", maintain_order=True)
