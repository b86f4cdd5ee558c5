"""Baseline facts per patient, and subgroup / eligibility rules evaluated on them.

:func:`baseline_facts` turns the lesions, clinical, treatments (and optionally patients)
tables into one row per index patient with every fact of
:data:`cnsrwe.study.vocabulary.FACTS`. Baseline follows RECIST 1.1 section 3.2: the latest
record of each lesion within ``imaging_window_days`` on or before the index date (lesions
with role ``new`` are follow-up findings and are ignored); clinical facts come from the
latest non-missing value within ``clinical_window_days``. A patient without any lesion
row in the window was *not imaged*: every lesion fact is missing, never "no metastases"
(``clinical/endpoints.md`` section 0).

"Uncontrolled CNS metastases" follows the 2022 six-hospital alectinib study (Results:
"CNS metastases were not treated before the administration of alectinib or progressed
following prior targeted therapy or local treatment"): CNS disease present and either no
prior brain radiotherapy/surgery, or a prior systemic line that ended with CNS
progression after the last such local therapy started.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from cnsrwe.io.schema import CNS_LOCATIONS
from cnsrwe.study.cohorts import ALWAYS, _frame, prior_lines
from cnsrwe.study.model import BaselineSpec, EligibilityRule, FactCondition, SubgroupRule
from cnsrwe.study.vocabulary import FACTS

_BRAIN_SITES = ("brain", "leptomeninges")
_CNS_SITES = ("CNS_ONLY", "BOTH")
_PATIENT_FACTS = ("sex", "smoking_status", "histology", "stage_at_diagnosis", "site_id")
_FACT_DTYPES = {"bool": pl.Boolean, "int": pl.Int64, "number": pl.Float64, "string": pl.String}


def _window(frame: pl.DataFrame, index: pl.DataFrame, date_col: str, days: int) -> pl.DataFrame:
    return frame.join(index.select("patient_id", "index_date"), on="patient_id").filter(
        (pl.col(date_col) <= pl.col("index_date"))
        & (pl.col(date_col) >= pl.col("index_date") - pl.duration(days=days))
    )


def _lesion_facts(lesions: pl.DataFrame, index: pl.DataFrame, spec: BaselineSpec
                  ) -> pl.DataFrame:
    base = (
        _window(lesions, index, "assessment_date", spec.imaging_window_days)
        .filter(pl.col("lesion_role") != "new")
        .sort("patient_id", "lesion_id", "assessment_date")
        .group_by("patient_id", "lesion_id", maintain_order=True).last()
    )
    # A non-target lesion whose latest baseline-window status is 'absent' is not disease at
    # baseline (it resolved before the index line), so it counts towards no fact.
    present = (
        (pl.col("non_target_status") != "absent").fill_null(True)
        if "non_target_status" in base.columns else pl.lit(True)
    )
    loc = pl.col("location")
    cns = loc.is_in(CNS_LOCATIONS) & present
    extracranial = ~loc.is_in(CNS_LOCATIONS) & present
    target = pl.col("lesion_role") == "target"
    diam = pl.col("diameter_mm").cast(pl.Float64)
    cns_target = cns & target & (loc != "leptomeninges")
    return base.group_by("patient_id").agg(
        pl.lit(True).alias("imaged_at_baseline"),
        cns.any().alias("any_cns"),
        (cns & (loc == "brain_parenchyma")).sum().cast(pl.Int64).alias("n_brain_mets"),
        (cns_target & (diam >= spec.measurable_cns_min_mm)).any().alias("measurable_cns"),
        pl.when(cns_target.any()).then(diam.filter(cns_target).sum())
        .alias("sum_cns_target_mm"),
        (cns & (loc == "leptomeninges")).any().alias("leptomeningeal"),
        (cns & (loc == "brain_parenchyma")).any().alias("brain_parenchymal"),
        extracranial.any().alias("extracranial"),
        (extracranial & target).any().alias("measurable_extracranial"),
    )


def _clinical_facts(clinical: pl.DataFrame, index: pl.DataFrame, spec: BaselineSpec
                    ) -> pl.DataFrame:
    visits = _window(clinical, index, "visit_date", spec.clinical_window_days).sort(
        "patient_id", "visit_date"
    )
    steroid = pl.col("corticosteroid_mg_dexamethasone_eq").drop_nulls().last() > 0
    return visits.group_by("patient_id").agg(
        pl.col("cns_symptoms").drop_nulls().last().alias("cns_symptoms"),
        pl.col("ecog").drop_nulls().last().cast(pl.Int64).alias("ecog"),
        steroid.alias("corticosteroids"),
        pl.col("mannitol").drop_nulls().last().alias("mannitol"),
    )


def _treatment_facts(treatments: pl.DataFrame, index: pl.DataFrame,
                     prior_line_progression: Any | None) -> pl.DataFrame:
    local = treatments.join(index.select("patient_id", "index_date"), on="patient_id").filter(
        pl.col("agent_class").is_in(("radiotherapy", "surgery"))
        & pl.col("target_site").is_in(_BRAIN_SITES)
        & (pl.col("start_date") < pl.col("index_date"))
    )
    local_facts = local.group_by("patient_id").agg(
        (pl.col("agent_class") == "radiotherapy").any().alias("prior_brain_radiotherapy"),
        (pl.col("agent_class") == "surgery").any().alias("prior_brain_surgery"),
        pl.col("start_date").max().alias("__last_local"),
    )
    prior = prior_lines(treatments, index, prior_line_progression)
    lines = prior.group_by("patient_id").agg(
        pl.col("line").n_unique().cast(pl.Int64).alias("n_prior_lines"),
        pl.col("line").filter(pl.col("agent_class") == "alk_tki").n_unique().cast(pl.Int64)
        .alias("n_prior_alk_tki"),
    )
    # a prior line that ended for progression after the last local therapy: CNS progression
    # if its site is CNS_ONLY/BOTH; unknown site -> unknown; other end reasons -> no.
    after = (
        prior.join(local_facts.select("patient_id", "__last_local"), on="patient_id")
        .filter(pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("__last_local")))
        .group_by("patient_id", "line")
        .agg(pl.when((pl.col("end_reason") == "progression").any())
             .then(pl.col("progression_site").drop_nulls().first().is_in(_CNS_SITES))
             .otherwise(False).alias("cns_pd"))
        .group_by("patient_id")
        .agg(pl.col("cns_pd").any(ignore_nulls=False).alias("cns_progression_after_local"),
             pl.lit(True).alias("__after_seen"))
    )
    return (
        index.select("patient_id")
        .join(local_facts, on="patient_id", how="left")
        .join(lines, on="patient_id", how="left")
        .join(after, on="patient_id", how="left")
        .with_columns(
            pl.col("prior_brain_radiotherapy", "prior_brain_surgery").fill_null(False),
            pl.col("n_prior_lines", "n_prior_alk_tki").fill_null(0),
            # no local therapy, or no prior line after it: no progression after local therapy
            pl.when(pl.col("__last_local").is_null() | pl.col("__after_seen").is_null())
            .then(False).otherwise(pl.col("cns_progression_after_local"))
            .alias("cns_progression_after_local"),
        )
        .with_columns((pl.col("prior_brain_radiotherapy") | pl.col("prior_brain_surgery"))
                      .alias("prior_brain_local"))
        .drop("__last_local", "__after_seen")
    )


def _patient_facts(patients: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    cols = ["patient_id", *[c for c in _PATIENT_FACTS if c in patients.columns]]
    out = index.select("patient_id", "index_date").join(
        patients.select(*cols, *[c for c in ("age_at_index", "birth_year", "ecog_at_index")
                                 if c in patients.columns]),
        on="patient_id", how="left",
    )
    age = pl.col("age_at_index").cast(pl.Float64) if "age_at_index" in out.columns else None
    if "birth_year" in out.columns:  # year difference: within one year of the exact age
        by_year = (pl.col("index_date").dt.year() - pl.col("birth_year")).cast(pl.Float64)
        age = by_year if age is None else pl.coalesce(age, by_year)
    exprs = [pl.col(c) for c in cols]
    exprs.append((age if age is not None else pl.lit(None, pl.Float64)).alias("age_at_index"))
    if "ecog_at_index" in out.columns:
        exprs.append(pl.col("ecog_at_index").cast(pl.Int64).alias("__ecog_patient"))
    return out.select(exprs)


def baseline_facts(lesions: Any, clinical: Any, treatments: Any, index: Any, *,
                   patients: Any | None = None, prior_line_progression: Any | None = None,
                   baseline: BaselineSpec | None = None) -> pl.DataFrame:
    """One row per patient of ``index`` with every baseline fact (see module docstring).

    ``index`` is the output of :func:`~cnsrwe.study.cohorts.select_index_lines`. Columns
    follow :data:`~cnsrwe.study.vocabulary.FACTS`; a fact that cannot be known is null.
    """
    spec = baseline or BaselineSpec()
    idx = _frame(index, "index", ("patient_id", "index_line", "index_date"))
    les = _frame(lesions, "lesions", ("patient_id", "assessment_date", "lesion_id", "location",
                                      "lesion_role", "diameter_mm"))
    cli = _frame(clinical, "clinical", ("patient_id", "visit_date", "ecog", "cns_symptoms",
                                        "corticosteroid_mg_dexamethasone_eq", "mannitol"))
    trt = _frame(treatments, "treatments", ("patient_id", "line", "regimen", "agent_class",
                                            "agents", "start_date", "end_date", "end_reason",
                                            "target_site"))
    out = (
        idx.select("patient_id")
        .join(_lesion_facts(les, idx, spec), on="patient_id", how="left")
        .join(_clinical_facts(cli, idx, spec), on="patient_id", how="left")
        .join(_treatment_facts(trt, idx, prior_line_progression), on="patient_id", how="left")
    )
    if patients is not None:
        pat = _frame(patients, "patients", ("patient_id",))
        out = out.join(_patient_facts(pat, idx), on="patient_id", how="left")
        if "__ecog_patient" in out.columns:
            out = out.with_columns(pl.coalesce("ecog", "__ecog_patient").alias("ecog")).drop(
                "__ecog_patient")
    out = out.with_columns(
        pl.col("imaged_at_baseline").fill_null(False),
        pl.any_horizontal("corticosteroids", "mannitol").alias("steroids_or_mannitol"),
        (pl.col("any_cns") & (~pl.col("prior_brain_local")
                              | pl.col("cns_progression_after_local"))).alias("uncontrolled_cns"),
    )
    return out.select(
        "patient_id",
        *[(pl.col(name) if name in out.columns else pl.lit(None)).cast(_FACT_DTYPES[f.type])
          .alias(name) for name, f in FACTS.items()],
    )


def condition_expr(cond: FactCondition) -> pl.Expr:
    """The polars expression of a fact condition (three-valued: null = unknown)."""
    if cond.all_of is not None:
        return pl.all_horizontal([condition_expr(c) for c in cond.all_of])
    if cond.any_of is not None:
        return pl.any_horizontal([condition_expr(c) for c in cond.any_of])
    if cond.not_ is not None:
        return ~condition_expr(cond.not_)
    col = pl.col(str(cond.fact))
    if cond.is_missing is not None:
        return col.is_null() == cond.is_missing
    if cond.equals is not None:
        return col == cond.equals
    if cond.in_ is not None:
        return col.is_in(list(cond.in_))
    parts = []
    if cond.min is not None:
        parts.append(col >= cond.min)
    if cond.max is not None:
        parts.append(col <= cond.max)
    return pl.all_horizontal(parts)


def evaluate_subgroups(facts: Any, subgroup_rules: Sequence[SubgroupRule]) -> pl.DataFrame:
    """Long table ``patient_id, subgroup, in_scope, member`` (one row per patient and rule).

    ``in_scope`` is the ``within`` condition (true when absent); ``member`` is
    ``in_scope and when``. Both are null when missing facts leave them undecided.
    """
    f = _frame(facts, "facts", ("patient_id",))
    parts = []
    for rule in subgroup_rules:
        scope = condition_expr(rule.within) if rule.within is not None else ALWAYS
        parts.append(f.select(
            "patient_id", pl.lit(rule.name).alias("subgroup"),
            scope.alias("in_scope"),
            pl.all_horizontal(scope, condition_expr(rule.when)).alias("member"),
        ))
    if not parts:
        return pl.DataFrame(schema={"patient_id": f.schema["patient_id"], "subgroup": pl.String,
                                    "in_scope": pl.Boolean, "member": pl.Boolean})
    return pl.concat(parts)


def evaluate_eligibility(facts: Any, eligibility_rules: Sequence[EligibilityRule]
                         ) -> pl.DataFrame:
    """Long table ``patient_id, criterion, met`` (null = could not be assessed)."""
    f = _frame(facts, "facts", ("patient_id",))
    parts = [
        f.select("patient_id", pl.lit(r.name).alias("criterion"),
                 condition_expr(r.when).alias("met"))
        for r in eligibility_rules
    ]
    if not parts:
        return pl.DataFrame(schema={"patient_id": f.schema["patient_id"],
                                    "criterion": pl.String, "met": pl.Boolean})
    return pl.concat(parts)
