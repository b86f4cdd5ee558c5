"""The whole :class:`cnsrwe.report.Report`: title page, the sections of
:mod:`cnsrwe.runner.assemble`, statistical methods, data quality and the per-patient appendix.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from cnsrwe.report import (
    FigureBlock,
    FormatOptions,
    MethodsDescription,
    Paragraph,
    Report,
    Section,
    build_patient_appendix,
    tab_baseline,
    write_methods_paragraph,
)
from cnsrwe.report.format import fmt_int
from cnsrwe.report.manifest import package_versions
from cnsrwe.runner import assemble as asm
from cnsrwe.runner.assemble_tables import simple_table
from cnsrwe.runner.prepare import PreparedStudy
from cnsrwe.runner.resistance_blocks import resistance_section
from cnsrwe.runner.results import AnalysisResult

APPENDIX_LIMIT = 100
APPENDIX_TITLE = "Per-patient appendix"


def methods_description(prep: PreparedStudy, results: list[AnalysisResult]) -> str:
    """The statistical-methods paragraph from what was actually run."""
    kinds = {r.kind for r in results}
    analyses = set().union(*[set(r.ard["analysis"].unique().to_list()) for r in results])
    group_tests = [t for a, t in (("logrank", "the log-rank test"),
                                  ("gray_test", "Gray's test for cumulative incidence"),
                                  ("fisher_exact", "Fisher's exact test"),
                                  ("chi_square", "the chi-square test"),
                                  ("t_test", "the t-test"), ("welch_t_test", "Welch's t-test"),
                                  ("mann_whitney", "the Mann-Whitney test")) if a in analyses]
    paired = [t for a, t in (("mcnemar", "McNemar's exact test"),
                             ("bowker", "Bowker's test of symmetry for ECOG shifts"),
                             ("wilcoxon_signed_rank",
                              "the Wilcoxon signed-rank test for ECOG before vs after"))
              if a in analyses]
    regression = [t for a, t in (("cox_ph", "Cox proportional-hazards regression (Efron ties)"),
                                 ("firth_cox", "Firth's penalised Cox regression"),
                                 ("cause_specific_cox", "cause-specific Cox regression"))
                  if a in analyses]
    endpoints = [f"{e.label}: " + asm.endpoint_phrase(e)
                 for e in prep.spec.endpoints.values() if e.kind != "response_rate"]
    versions = {k: v for k, v in package_versions(("cnsrwe", "numpy", "scipy", "polars")).items()
                if v is not None}
    desc = MethodsDescription(
        criteria="the criteria profiles " + ", ".join(prep.profiles),
        bor_rule=prep.bor_rule.description,
        rate_ci_method="Clopper-Pearson exact",
        endpoints=tuple(endpoints),
        survival_method="the Kaplan-Meier method" if "survival" in kinds else None,
        survival_ci_method="the log-log transformation (Greenwood variance)"
        if "survival" in kinds else None,
        follow_up_method="the reverse Kaplan-Meier method" if "median_follow_up" in analyses
        else None,
        group_tests=tuple(group_tests), paired_tests=tuple(paired),
        regression=tuple(regression), data_cutoff=prep.spec.study.data_cutoff,
        software=versions)
    return write_methods_paragraph(desc)


def quality_section(r: AnalysisResult) -> Section:
    rows = [(p.replace(":", ": ").replace("_", " "), fmt_int(v))
            for p, v in zip(r.ard["parameter"], r.ard["value"], strict=True)]
    blocks: list = [Paragraph("Counts only; the rows concerned are listed by "
                              "`cnsrwe validate` and in the derived ad_issues table.")]
    if rows:
        blocks.append(simple_table("quality", "Data-quality findings", ("Finding", "Count"),
                                   rows))
    return Section("Data quality", tuple(blocks))


def appendix_sections(prep: PreparedStudy, *, limit: int = APPENDIX_LIMIT) -> list[Section]:
    """One level-2 section per patient (the first ``limit`` by patient code) with the
    intracranial lesion measurements and timepoint responses of the index line."""
    prof = prep.bor.filter(pl.col("compartment") == "intracranial")["profile"]
    if prof.len() == 0:
        return []
    profile = prof[0]
    ids = prep.analysis_set.select("patient_id", "index_line").sort("patient_id").head(limit)
    les = prep.datasets.lesions.filter(pl.col("profile") == profile).join(
        ids, left_on=["patient_id", "line"], right_on=["patient_id", "index_line"])
    tps = prep.datasets.timepoints.filter(pl.col("profile") == profile).join(
        ids, left_on=["patient_id", "line"], right_on=["patient_id", "index_line"])
    les_by = les.partition_by("patient_id", as_dict=True)
    tps_by = tps.partition_by("patient_id", as_dict=True)
    out = [Section(APPENDIX_TITLE, (Paragraph(
        f"Intracranial lesion measurements and timepoint responses ({profile}) of the index "
        f"line, for the first {fmt_int(ids.height)} of "
        f"{fmt_int(prep.analysis_set.height)} patients by study code."),))]
    for (pid,) in ids.select("patient_id").rows():
        lesion = les_by.get((pid,))
        tp = tps_by.get((pid,))
        if lesion is None or tp is None:
            continue
        out.append(build_patient_appendix(patient_label=str(pid), lesions=lesion,
                                          timepoints=tp))
    return out


def build_report(prep: PreparedStudy, results: list[AnalysisResult],
                 figures: Mapping[str, FigureBlock], *, options: FormatOptions,
                 appendix_limit: int = APPENDIX_LIMIT) -> Report:
    """The report document (module notes)."""
    by_pop = {r.population: r for r in results}
    info = prep.spec.study
    subtitle = tuple(s for s in (
        ", ".join(info.authors), info.reference,
        f"Data cut-off: {info.data_cutoff.isoformat()}", info.description) if s)
    secs: list[Section] = [asm.flow_section(by_pop["flow"], figures)]
    base = by_pop["baseline"]
    secs.append(Section("Baseline characteristics", (tab_baseline(
        base.ard, variables=asm._variables(base, asm._fact_labels()), groups=base.groups,
        group_labels=base.group_labels, name="table1",
        caption="Baseline characteristics by cohort", options=options),)))
    eff = [r for r in results if r.population.startswith("efficacy/")]
    user = [r for r in results if r.kind not in asm.STANDARD_KINDS
            and not r.population.startswith("efficacy/")]
    secs.append(asm.efficacy_section(eff, [r for r in user if r.kind == "response_rate"],
                                     prep, options))
    secs.append(asm.shrinkage_section(by_pop["shrinkage"], figures, options))
    for kind, title, fn in (
        ("survival", "Time to event", asm.survival_blocks),
        ("competing_risks", "Competing CNS progression", asm.competing_blocks),
    ):
        blocks = [b for r in user if r.kind == kind for b in fn(r, figures, options)]
        if kind == "survival" and "forest" in by_pop:
            blocks += [figures[f.name] for f in by_pop["forest"].figures if f.name in figures]
        if blocks:
            secs.append(Section(title, tuple(blocks)))
    for kind, title, fn2 in (("cox", "Cox models", asm.cox_blocks),
                             ("compare_groups", "Group comparisons", asm.compare_blocks)):
        blocks = [b for r in user if r.kind == kind for b in fn2(r, options)]
        if blocks:
            secs.append(Section(title, tuple(blocks)))
    clin = [b for r in user if r.kind == "paired_before_after"
            for b in asm.paired_blocks(r, options)]
    if "symptoms" in by_pop:
        clin += asm.symptom_blocks(by_pop["symptoms"], options)
    if clin:
        secs.append(Section("Clinical benefit", tuple(clin)))
    if "progression" in by_pop:
        secs.append(Section("Progression site and pattern",
                            tuple(asm.progression_blocks(by_pop["progression"], options))))
    ev = [b for r in results if r.kind == "evidence" for b in asm.evidence_blocks(r, figures,
                                                                                  options)]
    if ev:
        secs.append(Section("Comparison with published trials", tuple(ev)))
    res_sec = resistance_section(results, figures, options)
    if res_sec is not None:
        secs.append(res_sec)
    secs.append(Section("Statistical methods", (Paragraph(methods_description(prep, results)),)))
    secs.append(quality_section(by_pop["quality"]))
    secs += appendix_sections(prep, limit=appendix_limit)
    return Report(info.title, tuple(secs), subtitle)
