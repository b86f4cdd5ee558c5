"""From data tables to the analysis datasets one study file asks for.

Order (each step a public function of another layer; nothing is computed here beyond joins):

1. response datasets: :func:`cnsrwe.derive.pipeline.derive_study` with the study file's
   criteria profiles and its best-overall-response rule (``[response]``);
2. prior-line progression sites (:mod:`cnsrwe.runner.sites`);
3. the study population: index lines, eligibility, cohorts, baseline facts, subgroups and
   the patient flow (:func:`cnsrwe.study.derive_study_population`);
4. the analysis set: one row per patient assigned to a cohort, with the index line, the
   baseline facts and one nullable boolean column per subgroup (null = outside the
   subgroup's analysis population);
5. time-to-event rows (ADTTE-like) for every time-to-event endpoint, from the index line
   (:func:`cnsrwe.endpoints.derive_tte` with the rules of :mod:`cnsrwe.runner.endpoint_specs`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cnsrwe.derive.pipeline import AnalysisDatasets, derive_study
from cnsrwe.endpoints import derive_tte
from cnsrwe.response import BorRule
from cnsrwe.runner.endpoint_specs import tte_endpoint
from cnsrwe.runner.inputs import StudyInputs
from cnsrwe.runner.sites import build_prior_line_progression
from cnsrwe.study import StudyFile, StudyPopulation, derive_study_population

ALL = "all"  # group key of the whole analysis set
NO_COHORT = "all_patients"  # cohort of everyone when the study file defines no cohorts


@dataclass(frozen=True)
class PreparedStudy:
    """Everything the analyses read.

    ``analysis_set``: ``patient_id, cohort, index_line, start_date`` + baseline facts + one
    boolean column per subgroup; ``bor``: index-line BOR per patient and compartment for the
    first criteria profile assessing each compartment; ``adtte``: ADTTE rows of every
    time-to-event endpoint (``paramcd`` = upper-cased endpoint name); ``sites``: the
    prior-line progression table used by the cohort rules; ``cohort_labels``: cohort name ->
    printed label, in file order.
    """

    spec: StudyFile
    datasets: AnalysisDatasets
    population: StudyPopulation
    sites: pl.DataFrame
    analysis_set: pl.DataFrame
    bor: pl.DataFrame
    adtte: pl.DataFrame
    cohort_labels: dict[str, str]
    bor_rule: BorRule
    profiles: tuple[str, ...]
    clinical: pl.DataFrame


def profile_names(spec: StudyFile) -> list:
    """The profiles of ``[response]`` as ``derive_study`` takes them (names or objects)."""
    from cnsrwe.criteria import CriteriaProfile

    return [p if isinstance(p, str) else CriteriaProfile.from_dict(p)
            for p in spec.response.profiles]


def _profile_label(p: object) -> str:
    return p if isinstance(p, str) else str(getattr(p, "name", p))


def compartment_profiles(datasets: AnalysisDatasets, order: list[str]) -> dict[str, str]:
    """Compartment -> the first profile (in study-file order) that assesses it."""
    present = datasets.bor.select("profile", "compartment").unique()
    out: dict[str, str] = {}
    for p in order:
        for c in present.filter(pl.col("profile") == p)["compartment"].sort().to_list():
            out.setdefault(c, p)
    return out


def _analysis_set(pop: StudyPopulation, spec: StudyFile) -> tuple[pl.DataFrame, dict]:
    if spec.cohorts:
        cohorts = pop.assignment.cohorts.select("patient_id", "cohort")
        labels = {c.name: c.label for c in spec.cohorts}
    else:
        cohorts = pop.index.filter(pl.col("patient_id").is_in(pop.eligible.implode())).select(
            "patient_id", pl.lit(NO_COHORT).alias("cohort"))
        labels = {NO_COHORT: "All patients"}
    subs = pop.subgroups.with_columns(
        pl.when(pl.col("in_scope").fill_null(False)).then(pl.col("member"))
        .otherwise(None).alias("value"))
    wide = (subs.pivot(on="subgroup", index="patient_id", values="value",
                       aggregate_function="first")
            if subs.height else pop.facts.select("patient_id"))
    wide = wide.select("patient_id", *[pl.col(s.name).cast(pl.Boolean) if s.name in wide.columns
                                       else pl.lit(None, pl.Boolean).alias(s.name)
                                       for s in spec.subgroups])
    aset = (cohorts.join(pop.index.select("patient_id", "index_line",
                                          pl.col("index_date").alias("start_date")),
                         on="patient_id", how="left")
            .join(pop.facts, on="patient_id", how="left")
            .join(wide, on="patient_id", how="left")
            .sort("patient_id"))
    return aset, labels


def prepare_study(spec: StudyFile, inputs: StudyInputs) -> PreparedStudy:
    """Run steps 1-5 of the module notes."""
    tables = inputs.tables
    profiles = profile_names(spec)
    rule = BorRule(**spec.response.bor)
    datasets = derive_study({k: v for k, v in tables.items()
                             if k in ("patients", "treatments", "lesions", "clinical",
                                      "timepoint_responses")},
                            profiles=profiles, bor_rules=(rule,))
    sites = build_prior_line_progression(tables["treatments"],
                                         dataset_progression=datasets.progression,
                                         study_file_table=inputs.prior_line_progression)
    # the sites table carries treatments.progression_site already; the cohort engine reads
    # the site from the table it is given
    tab = dict(tables)
    tab["treatments"] = tables["treatments"].drop("progression_site", strict=False)
    pop = derive_study_population(tab, spec, prior_line_progression=sites.drop("source"))
    aset, labels = _analysis_set(pop, spec)
    order = [_profile_label(p) for p in profiles]
    comp_profile = compartment_profiles(datasets, order)
    idx = aset.select("patient_id", pl.col("index_line").alias("line"))
    bor = pl.concat([
        datasets.bor.filter((pl.col("compartment") == c) & (pl.col("profile") == p))
        for c, p in sorted(comp_profile.items())
    ]).join(idx, on=["patient_id", "line"], how="inner")
    adtte = _derive_tte(spec, datasets, tables, aset, comp_profile)
    return PreparedStudy(spec, datasets, pop, sites, aset, bor, adtte, labels, rule,
                         tuple(order), tables["clinical"])


def _derive_tte(spec: StudyFile, datasets: AnalysisDatasets, tables: dict[str, pl.DataFrame],
                aset: pl.DataFrame, comp_profile: dict[str, str]) -> pl.DataFrame:
    endpoints = [tte_endpoint(n, e) for n, e in spec.endpoints.items()
                 if e.kind != "response_rate"]
    if not endpoints or aset.height == 0:
        return pl.DataFrame()
    tp = pl.concat([datasets.timepoints.filter((pl.col("compartment") == c)
                                               & (pl.col("profile") == p))
                    for c, p in sorted(comp_profile.items())])
    idx = aset.select("patient_id", pl.col("index_line").alias("line"), "start_date")
    out = derive_tte(idx, dataset_assessments=tp, dataset_patients=tables["patients"],
                     dataset_therapies=tables["treatments"], endpoints=endpoints,
                     cutoff_date=spec.study.data_cutoff)
    return out
