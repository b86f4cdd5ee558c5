"""The analyses every report carries, whatever ``[[analyses]]`` lists: patient flow,
baseline characteristics (Table 1), every response-rate endpoint by cohort, intracranial
tumour shrinkage (waterfall, spider), first-progression site and pattern, and CNS symptom
improvement. Their ARD population keys are reserved names (``flow``, ``baseline``,
``efficacy/<endpoint>``, ``shrinkage``, ``progression``, ``symptoms``).

Shrinkage is printed as the paper does (2022 study, Tables 2-3: "median shrinkage 53 %
(0-100)"): shrinkage = minus the best percentage change of the intracranial target sum
(``ad_shrinkage.best_pct_change``), among patients with measurable CNS disease.
"""

from __future__ import annotations

import polars as pl

from cnsrwe.endpoints import progression_tables, symptom_improvement
from cnsrwe.endpoints.clinical import symptom_ard
from cnsrwe.runner.analyses import run_response_rate
from cnsrwe.runner.describe import describe
from cnsrwe.runner.groups import AnalysisPart
from cnsrwe.runner.prepare import ALL, PreparedStudy
from cnsrwe.runner.results import AnalysisResult, FigureSpec, stamp
from cnsrwe.stats import ard_frame, concat_ard
from cnsrwe.stats.ard import ArdRow
from cnsrwe.study import AnalysisSpec

BASELINE_CATEGORICAL = ("sex", "ecog", "smoking_status", "histology", "stage_at_diagnosis",
                        "site_id", "prior_brain_local", "uncontrolled_cns", "brain_parenchymal",
                        "leptomeningeal", "measurable_cns", "cns_symptoms", "extracranial",
                        "measurable_extracranial", "steroids_or_mannitol")
BASELINE_CONTINUOUS = ("age_at_index", "n_brain_mets", "sum_cns_target_mm", "n_prior_lines")
PROGRESSION_PROFILE = "recist11_intracranial+recist11_extracranial"
SPIDER_MAX_PATIENTS = 300  # more lines than this make a spider plot unreadable


def cohort_part(prep: PreparedStudy, population: str, title: str,
                frame: pl.DataFrame | None = None) -> AnalysisPart:
    """The analysis set (or ``frame``) grouped by cohort, with an ``all`` column."""
    df = (prep.analysis_set if frame is None else frame).with_columns(
        pl.col("cohort").alias("group"))
    keys = tuple(prep.cohort_labels)
    return AnalysisPart(population, title, df, keys, tuple(prep.cohort_labels.values()))


def _with_all(df: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([df.with_columns(pl.col("cohort").alias("group")),
                      df.with_columns(pl.lit(ALL).alias("group"))])


def flow_result(prep: PreparedStudy) -> AnalysisResult:
    """Patient-flow counts (``patient_flow``/``<stage>``/``n``) and the CONSORT figure."""
    flow = prep.population.flow
    rows = [ArdRow("patient_flow", r["stage"], "n", float(r["n"]), r["kind"])
            for r in flow.iter_rows(named=True)]
    fig = FigureSpec("patient_flow", "Patient flow (CONSORT-style diagram)",
                     "Flow diagram: patients screened, excluded with reasons, and per cohort",
                     "plot_consort", flow)
    return AnalysisResult("flow", "flow", "flow", "Patient flow",
                          stamp(ard_frame(rows), "flow"), figures=(fig,),
                          extra={"labels": dict(zip(flow["stage"], flow["label"], strict=True))})


def baseline_result(prep: PreparedStudy) -> AnalysisResult:
    """Table 1 rows by cohort and for all patients."""
    aset = prep.analysis_set
    cat = [v for v in BASELINE_CATEGORICAL if v in aset.columns
           and aset[v].drop_nulls().len() > 0]
    num = [v for v in BASELINE_CONTINUOUS if v in aset.columns]
    ard = describe(_with_all(aset), categorical=cat, continuous=num)
    groups = (*prep.cohort_labels, ALL)
    labels = (*prep.cohort_labels.values(), "All patients")
    return AnalysisResult("baseline", "baseline", "baseline", "Baseline characteristics",
                          stamp(ard, "baseline"), groups, labels,
                          extra={"categorical": cat, "continuous": num})


def efficacy_results(prep: PreparedStudy) -> list[AnalysisResult]:
    """Every response-rate endpoint by cohort (+ all patients)."""
    out = []
    for name, ep in prep.spec.endpoints.items():
        if ep.kind != "response_rate":
            continue
        spec = AnalysisSpec(name=f"efficacy_{name}", kind="response_rate", endpoint=name,
                            by="cohort", tests=("binomial_ci",))
        part = cohort_part(prep, f"efficacy/{name}", ep.label)
        out.append(run_response_rate(spec, part, prep))
    return out


def shrinkage_result(prep: PreparedStudy) -> AnalysisResult:
    """Median (range) intracranial shrinkage by cohort; waterfall and spider figures."""
    ad = prep.datasets
    comp = "intracranial"
    prof = prep.bor.filter(pl.col("compartment") == comp)["profile"]
    profile = prof[0] if prof.len() else None
    idx = prep.analysis_set.select("patient_id", pl.col("index_line").alias("line"), "cohort",
                                   "measurable_cns")
    bor = prep.bor.filter(pl.col("compartment") == comp).select("patient_id", "bor")
    shr = (ad.shrinkage.filter((pl.col("compartment") == comp) & (pl.col("profile") == profile))
           .join(idx, on=["patient_id", "line"], how="inner")
           .filter(pl.col("measurable_cns").fill_null(False)
                   & pl.col("best_pct_change").is_not_null())
           .join(bor, on="patient_id", how="left")
           .with_columns((-pl.col("best_pct_change")).alias("ic_shrinkage_pct")))
    ard = describe(_with_all(shr), continuous=["ic_shrinkage_pct"])
    series = (ad.shrinkage_series
              .filter((pl.col("compartment") == comp) & (pl.col("profile") == profile))
              .join(shr.select("patient_id", "line", "bor"), on=["patient_id", "line"],
                    how="inner"))
    figs = []
    if shr.height:
        figs.append(FigureSpec(
            "ic_waterfall", "Best change from baseline in the sum of intracranial target "
            "lesions, per patient with measurable CNS disease (colour = intracranial BOR)",
            "Waterfall plot of the best percentage change of intracranial target lesions",
            "plot_waterfall", shr.select("patient_id", "best_pct_change", "bor",
                                         "pd_new_lesion")))
    n_series = series["patient_id"].n_unique() if series.height else 0
    notes = []
    if n_series > SPIDER_MAX_PATIENTS:
        notes.append(f"Spider plot omitted: {n_series:,} patients is more than "
                     f"{SPIDER_MAX_PATIENTS} lines can show; see the waterfall plot and the "
                     "per-patient appendix.")
    elif n_series:
        figs.append(FigureSpec(
            "ic_spider", "Change from baseline in the sum of intracranial target lesions "
            "over time, per patient", "Spider plot of intracranial target-lesion change "
            "over time", "plot_spider",
            series.select("patient_id", "days_from_baseline", "pct_change_baseline", "bor",
                          "new_lesion"), {"time_unit": "days"}))
    return AnalysisResult("shrinkage", "shrinkage", "shrinkage", "Tumour shrinkage",
                          stamp(ard, "shrinkage"), (*prep.cohort_labels, ALL),
                          (*prep.cohort_labels.values(), "All patients"), tuple(figs),
                          tuple(notes))


def progression_result(prep: PreparedStudy) -> AnalysisResult | None:
    """Site, extent and pattern of the first progression on the index line, by cohort."""
    p = prep.datasets.progression
    profiles = set(p["profile"].unique().to_list())
    profile = PROGRESSION_PROFILE if PROGRESSION_PROFILE in profiles else "recist11"
    idx = prep.analysis_set.select("patient_id", pl.col("index_line").alias("line"), "cohort")
    d = p.filter(pl.col("profile") == profile).join(idx, on=["patient_id", "line"],
                                                    how="inner")
    if d.filter(pl.col("first_pd_date").is_not_null()).height == 0:
        return None
    table, ard = progression_tables(d, by="cohort")
    counts = [ArdRow("progression_table", f"{r['variable']}={r['category']}", s,
                     float(r[k]), "patients with a first progression on the index line",
                     group=r["group"])
              for r in table.iter_rows(named=True)
              for s, k in (("n", "n"), ("p", "fraction"), ("total", "total"))]
    full = concat_ard([ard, ard_frame(counts)])
    return AnalysisResult("progression", "progression", "progression",
                          "Site and pattern of first progression", stamp(full, "progression"),
                          tuple(prep.cohort_labels), tuple(prep.cohort_labels.values()),
                          extra={"table": table, "profile": profile})


def symptom_result(prep: PreparedStudy, after_days: tuple[int, int]) -> AnalysisResult | None:
    """CNS symptom change after the index start among symptomatic patients, by cohort."""
    aset = prep.analysis_set.filter(pl.col("cns_symptoms").fill_null(False))
    if aset.height == 0:
        return None
    tab = symptom_improvement(aset.select("patient_id", "start_date", "cohort"),
                              dataset_clinical=prep.clinical, by="cohort",
                              after_days=after_days)
    ard = symptom_ard(tab)
    return AnalysisResult("symptoms", "symptoms", "symptoms", "CNS symptom improvement",
                          stamp(ard, "symptoms"), tuple(prep.cohort_labels),
                          tuple(prep.cohort_labels.values()),
                          extra={"table": tab, "after_days": after_days})


def quality_result(prep: PreparedStudy,
                   problems: tuple[tuple[str, str, int], ...]) -> AnalysisResult:
    """Counts (never identifiers) of data-quality findings: validation warnings by code,
    derivation issues by code, patients without a cohort by reason, and the source of each
    prior-line progression site."""
    rows = [ArdRow("data_quality", f"validation:{sev}:{code}", "n", float(n),
                   "validation problems that did not stop the load")
            for sev, code, n in problems]
    issues = prep.datasets.issues.group_by("code").len().sort("code")
    rows += [ArdRow("data_quality", f"derivation:{c}", "n", float(n),
                    "issues found while deriving the response datasets")
             for c, n in issues.rows()]
    un = prep.population.assignment.unassigned.group_by("reason").len().sort("reason")
    rows += [ArdRow("data_quality", f"unassigned:{r}", "n", float(n),
                    "eligible patients without a cohort") for r, n in un.rows()]
    src = prep.sites.group_by("source").len().sort("source")
    rows += [ArdRow("data_quality", f"progression_site_source:{s}", "n", float(n),
                    "prior-line progression sites by source") for s, n in src.rows()]
    return AnalysisResult("quality", "quality", "quality", "Data quality",
                          stamp(ard_frame(rows), "quality"))


def subgroup_forest(results: list[AnalysisResult]) -> AnalysisResult | None:
    """A forest plot of every group-vs-reference hazard ratio of the survival analyses:
    the Firth estimate when it was run (finite with few events), else the Cox estimate. The
    numbers are the analyses' own ARD rows (no new computation); one header row per analysis
    part, then each group against the part's reference group."""
    rows = []
    for r in results:
        if r.kind != "survival" or len(r.groups) < 2:
            continue
        ref = r.extra["reference"]
        names = dict(zip(r.groups, r.group_labels, strict=True))
        rows.append({"label": r.title, "estimate": None, "lower": None, "upper": None,
                     "kind": "header"})
        for g in r.groups:
            par = f"group={g}"
            for analysis in ("firth_cox", "cox_ph"):
                hit = r.ard.filter((pl.col("analysis") == analysis)
                                   & (pl.col("parameter") == par))
                if hit.height:
                    v = dict(zip(hit["statistic"], hit["value"], strict=True))
                    rows.append({"label": f"{names[g]} vs {names[ref]}"
                                          f" ({'Firth' if analysis == 'firth_cox' else 'Cox'})",
                                 "estimate": v["hazard_ratio"], "lower": v["lower"],
                                 "upper": v["upper"], "kind": "subgroup"})
                    break
    if not any(r["kind"] == "subgroup" for r in rows):
        return None
    data = pl.DataFrame(rows, schema={"label": pl.String, "estimate": pl.Float64,
                                      "lower": pl.Float64, "upper": pl.Float64,
                                      "kind": pl.String})
    data = data.filter((pl.col("kind") == "subgroup")
                       | (pl.col("kind").shift(-1) == "subgroup"))
    fig = FigureSpec("hazard_ratio_forest", "Hazard ratios of every survival comparison "
                     "(Firth penalised Cox when run, else Cox; 95% CI)",
                     "Forest plot of hazard ratios with 95% confidence intervals",
                     "plot_forest", data)
    return AnalysisResult("forest", "forest", "forest", "Hazard ratios across comparisons",
                          stamp(concat_ard([]), "forest"), figures=(fig,),
                          extra={"table": data})
