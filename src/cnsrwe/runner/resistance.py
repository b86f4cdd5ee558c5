"""Analyses of the "Resistance and treatment sequences" section (``[resistance]``).

Runs only when the study file sets ``[resistance] enabled = true``. Every number comes from
:mod:`cnsrwe.resistance` or :mod:`cnsrwe.stats` as ARD rows with population
``resistance/<part>``; figures are :class:`FigureSpec` objects drawn later by the figures
package. The rules follow the 2024 progression-pattern study (Wu, Zou et al., J Transl Med
2024, doi:10.1186/s12967-024-05388-0) and docs/resistance.md:

* lines of therapy: ALK-TKI generation and sequence stage (:func:`derive_lines_of_therapy`);
* progression incidence (Table 2): Fisher's exact test (reproduces the paper's p-values) with
  Pearson's chi-square beside it (uncorrected, and with Yates' correction for 2 x 2 tables),
  because the paper's Methods name it; baseline CNS metastases of a line = the
  ``any_cns`` baseline fact (:func:`cnsrwe.study.baseline_facts`) computed with that line
  as index;
* oligo-progression and local therapy, subsequent therapy after 2G failure (Table 3),
  re-biopsy mechanisms by specimen, knowledge-base annotation (research use only);
* survival after 2G failure: the first ALK-TKI line after the first progression on a 2G
  ALK-TKI, grouped by the ALK kinase-domain mutation status of tissue re-biopsies taken at
  or after that progression. Line PFS = line start to its end when it ended for
  progression or death, else censored at the last date known alive (or the data cut-off);
  OS = line start to death, else censored likewise. Kaplan-Meier, log-rank, Cox (Efron) and
  Firth's penalised Cox when a group has fewer events than ``firth_below_events``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cnsrwe.resistance import (
    NOTICE,
    BiopsyTimingRule,
    ResultTable,
    annotate_findings,
    canonical_drug,
    derive_biopsy_mechanisms,
    derive_lines_of_therapy,
    load_kb,
    local_therapy_use,
    progression_incidence,
    rebiopsy_timing,
    subsequent_therapy_after_2g,
    treatment_sequences,
)
from cnsrwe.runner.inputs import StudyInputs
from cnsrwe.runner.prepare import PreparedStudy, profile_names
from cnsrwe.runner.resistance_survival import survival_after_2g
from cnsrwe.runner.results import AnalysisResult, FigureSpec, stamp
from cnsrwe.stats import chi_square, concat_ard
from cnsrwe.study import baseline_facts
from cnsrwe.study.resistance_spec import ResistanceComparison, ResistanceSpec

KIND = "resistance"
STAGE_WORDS = {"first_line": "first line", "tki_naive_later_line": "later line, TKI-naive",
               "post_crizotinib": "after crizotinib", "post_2g": "after a 2G ALK-TKI",
               "post_3g": "after a 3G ALK-TKI"}
EVENT_LABELS = {"cns": "CNS progression", "symptomatic": "Symptomatic progression",
                "symptomatic_cns": "Symptomatic CNS progression",
                "oligo": "Oligo-progression (1-3 lesions)"}


@dataclass(frozen=True)
class ResistanceData:
    """Derived inputs shared by the section's analyses."""

    lines: pl.DataFrame
    local_therapies: pl.DataFrame
    progression: pl.DataFrame
    samples: pl.DataFrame
    profile: str
    n_line_issues: int
    n_biopsy_issues: int


def _profile(prep: PreparedStudy, rs: ResistanceSpec) -> str:
    from cnsrwe.derive.pipeline import SPLIT_PAIR

    if rs.progression_profile:
        return rs.progression_profile
    return "+".join(SPLIT_PAIR) if set(SPLIT_PAIR) <= set(prep.profiles) else prep.profiles[0]


def _progression(prep: PreparedStudy, tables: dict[str, pl.DataFrame], rs: ResistanceSpec,
                 profile: str) -> pl.DataFrame:
    """``ad_progression`` of the profile; derived again only when the symptom window is not
    the one the runner's datasets used (the project default)."""
    from cnsrwe.derive.pipeline import derive_study
    from cnsrwe.response.progression import ProgressionRule

    rule = ProgressionRule(symptom_window_days=rs.symptom_window_days)
    prog = prep.datasets.progression
    if rule != ProgressionRule():
        prog = derive_study({k: v for k, v in tables.items()
                             if k in ("patients", "treatments", "lesions", "clinical",
                                      "timepoint_responses")},
                            profiles=profile_names(prep.spec), bor_rules=(prep.bor_rule,),
                            progression_rule=rule).progression
    return prog.filter(pl.col("profile") == profile)


def prepare_resistance(prep: PreparedStudy, inputs: StudyInputs) -> ResistanceData:
    """Lines of therapy, progression of each line and re-biopsy samples (module notes)."""
    rs = prep.spec.resistance
    tables = inputs.tables
    lot = derive_lines_of_therapy(tables["treatments"])
    profile = _profile(prep, rs)
    prog = _progression(prep, tables, rs, profile)
    biopsies = tables.get("biopsies")
    samples = pl.DataFrame()
    n_bio = 0
    if biopsies is not None and biopsies.height:
        mech = derive_biopsy_mechanisms(
            biopsies, lot.lines, rule=BiopsyTimingRule(
                days_before_progression=rs.biopsy_days_before_progression,
                days_after_progression=rs.biopsy_days_after_progression),
            check_type="none")
        samples, n_bio = mech.samples, mech.issues.height
    return ResistanceData(lot.lines, lot.local_therapies, prog, samples, profile,
                          lot.issues.height, n_bio)


def _result(part: str, title: str, ard: pl.DataFrame, *, figures: tuple[FigureSpec, ...] = (),
            notes: tuple[str, ...] = (), **extra: object) -> AnalysisResult:
    pop = f"resistance/{part}"
    return AnalysisResult(part, KIND, pop, title, stamp(ard, pop), figures=figures,
                          notes=notes, extra=dict(extra))


def _stage_label() -> pl.Expr:
    return pl.concat_str([pl.col("alk_generation"), pl.col("sequence_stage").replace_strict(
        STAGE_WORDS, default=pl.col("sequence_stage"))], separator=", ")


def lines_result(d: ResistanceData) -> AnalysisResult:
    """ALK-TKI lines by sequence stage, generation and drug (lines and patients)."""
    tab = (d.lines.filter(pl.col("alk_tki").is_not_null())
           .group_by("sequence_stage", "alk_generation", "alk_tki")
           .agg(pl.len().cast(pl.Int64).alias("n_lines"),
                pl.col("patient_id").n_unique().cast(pl.Int64).alias("n_patients"))
           .sort("alk_generation", "sequence_stage", "n_lines", "alk_tki",
                 descending=[False, False, True, False]))
    res = ResultTable("alk_tki_lines", tab, ("sequence_stage", "alk_generation", "alk_tki"),
                      ("n_lines", "n_patients"), "counts of ALK-TKI lines and patients")
    notes = (f"{d.n_line_issues} line-of-therapy data issue(s) (see cnsrwe.resistance "
             "issues).",) if d.n_line_issues else ()
    return _result("lines", "ALK-TKI lines by sequence stage and generation", res.to_ard(),
                   notes=notes, table=tab)


def _compared_lines(lines: pl.DataFrame, c: ResistanceComparison) -> pl.DataFrame:
    mapping = {}
    for label, agents in c.groups.items():
        for a in agents:
            drug = canonical_drug(a)
            if drug is not None:
                mapping.setdefault(drug.name, label)
    sel = lines.filter(pl.col("alk_tki").is_not_null())
    if c.stages:
        sel = sel.filter(pl.col("sequence_stage").is_in(list(c.stages)))
    if c.generations:
        sel = sel.filter(pl.col("alk_generation").is_in(list(c.generations)))
    group = pl.col("alk_tki").replace_strict(mapping, default=c.others or None,
                                              return_dtype=pl.String)
    return sel.with_columns(group.alias("_group")).filter(pl.col("_group").is_not_null())


def _baseline_cns(prep: PreparedStudy, inputs: StudyInputs, lines: pl.DataFrame
                  ) -> pl.DataFrame:
    """``patient_id, line, baseline_cns``: the ``any_cns`` fact with each line as index
    (one call per line number, vectorised over patients)."""
    t = inputs.tables
    frames = []
    for (k,), part in lines.group_by("line"):
        idx = part.select("patient_id", pl.col("line").alias("index_line"),
                          pl.col("reference_date").alias("index_date"))
        facts = baseline_facts(t["lesions"], t["clinical"], t["treatments"], idx,
                               baseline=prep.spec.baseline)
        frames.append(facts.select("patient_id", pl.lit(k, pl.Int64).alias("line"),
                                   pl.col("any_cns").alias("baseline_cns")))
    if not frames:
        return pl.DataFrame(schema={"patient_id": pl.String, "line": pl.Int64,
                                    "baseline_cns": pl.Boolean})
    return pl.concat(frames)


def _chi_square_ard(table: pl.DataFrame, event: str) -> list[pl.DataFrame]:
    """Pearson's chi-square per stratum (and Yates-corrected for 2 x 2), beside Fisher."""
    out = []
    for (stratum,), part in table.group_by("stratum", maintain_order=True):
        part = part.filter(pl.col("n") > 0)
        counts = [[int(e), int(n - e)] for e, n in zip(part["events"], part["n"], strict=True)]
        if len(counts) < 2 or not all(sum(col) > 0 for col in zip(*counts, strict=True)):
            continue
        out.append(chi_square(counts, correction=False).to_ard(parameter=event,
                                                                group=str(stratum)))
        if len(counts) == 2:
            out.append(chi_square(counts, correction=True).to_ard(
                parameter=event, group=str(stratum)).with_columns(
                pl.lit("chi_square_yates").alias("analysis")))
    return out


def comparison_result(prep: PreparedStudy, inputs: StudyInputs, d: ResistanceData,
                      c: ResistanceComparison) -> AnalysisResult:
    """Table 2-style incidence of each event across the comparison's groups."""
    lines = _compared_lines(d.lines, c)
    base = _baseline_cns(prep, inputs, lines)
    frames, tables = [], {}
    for event in c.events:
        res = progression_incidence(lines, d.progression, event=event, by="_group",
                                    dataset_baseline_cns=base)
        frames.append(res.to_ard())
        frames += _chi_square_ard(res.table, event)
        tables[event] = res.table
    present = set(lines["_group"].to_list())
    groups = tuple(g for g in (*c.groups, c.others) if g and g in present)
    return _result(f"incidence/{c.name}", c.label, concat_ard(frames), groups=groups,
                   events=c.events, tables=tables)


def oligo_result(d: ResistanceData) -> AnalysisResult:
    """Oligo-progression by stage of the ALK-TKI line and local therapy given for it."""
    lines = d.lines.filter(pl.col("alk_tki").is_not_null()).with_columns(
        _stage_label().alias("_stage"))
    inc = progression_incidence(lines, d.progression, event="oligo", by="_stage")
    use = local_therapy_use(lines, d.progression, d.local_therapies, by="_stage")
    return _result("oligo_local", "Oligo-progression and local therapy",
                   concat_ard([inc.to_ard(), use.to_ard()]), incidence=inc.table,
                   local=use.table)


def subsequent_result(d: ResistanceData, inputs: StudyInputs) -> AnalysisResult:
    """Table 3: treatment after the first progression on a 2G ALK-TKI."""
    res = subsequent_therapy_after_2g(d.lines, dataset_patients=inputs.tables["patients"])
    return _result("subsequent", "Subsequent therapy after failure of a 2G ALK-TKI",
                   res.to_ard(), table=res.table)


def _rings(samples: pl.DataFrame) -> pl.DataFrame:
    return (samples.with_columns(
        pl.col("line_generation").fill_null("later line").alias("after"),
        pl.col("mechanism_class").replace("failed", None).alias("mechanism"))
        .group_by("specimen", "after", "mechanism").agg(pl.len().cast(pl.Int64).alias("n"))
        .sort("specimen", "after", "mechanism", nulls_last=True))


def mechanisms_result(d: ResistanceData) -> AnalysisResult:
    """Re-biopsy mechanism class by specimen (counts), timing, and the sunburst."""
    s = d.samples
    tab = (s.group_by("specimen", "mechanism_class").agg(pl.len().cast(pl.Int64).alias("n"))
           .sort("specimen", "n", "mechanism_class", descending=[False, True, False]))
    counts = ResultTable("rebiopsy_mechanism", tab, ("specimen", "mechanism_class"), ("n",),
                         "counts of re-biopsy samples (patient x date x specimen)")
    timing, days = rebiopsy_timing(s)
    rings = _rings(s)
    ring_res = ResultTable("rebiopsy_sunburst", rings, ("specimen", "after", "mechanism"),
                           ("n",), "counts of re-biopsy samples per sunburst wedge")
    fig = FigureSpec(
        "resistance_rebiopsy_sunburst",
        "Re-biopsies: specimen (inner ring), generation of the ALK-TKI whose progression "
        "they followed, and resistance mechanism (outer ring; failed samples have none)",
        "Sunburst of re-biopsy samples by specimen, preceding ALK-TKI generation and "
        "mechanism", "plot_sunburst", rings,
        {"levels": ["specimen", "after", "mechanism"]})
    notes = (f"{d.n_biopsy_issues} re-biopsy finding issue(s) (unparseable or inconsistent "
             "findings; listed by cnsrwe.resistance).",) if d.n_biopsy_issues else ()
    ard = concat_ard([counts.to_ard(), timing.to_ard(), days.to_ard(), ring_res.to_ard()])
    return _result("rebiopsy", "Re-biopsy resistance mechanisms by specimen", ard,
                   figures=(fig,), notes=notes, table=tab, n_samples=s.height)


def findings_result(d: ResistanceData, rs: ResistanceSpec) -> AnalysisResult:
    """Knowledge-base annotation of each sample with ALK mutations (research use only)."""
    ann = annotate_findings(d.samples, include_unverified=rs.kb_include_unverified)
    kb = load_kb().select("row_id", "source_year", "verification",
                          pl.col("source").str.split(" et al").list.first().alias("author"))
    rows = ann.select("patient_id", "biopsy_date", "specimen", "kb_query",
                      "inhibitors_reported_active", "kb_row_ids").sort(
        "patient_id", "biopsy_date", "specimen")
    src = (rows.select("patient_id", "biopsy_date", "specimen", "kb_row_ids")
           .explode("kb_row_ids").join(kb, left_on="kb_row_ids", right_on="row_id")
           .group_by("patient_id", "biopsy_date", "specimen")
           .agg(pl.format("{} {} ({})", "author", "source_year", "verification").unique()
                .sort().str.join("; ").alias("sources")))
    rows = rows.join(src, on=["patient_id", "biopsy_date", "specimen"], how="left")
    tab = rows.group_by("kb_query").agg(pl.len().cast(pl.Int64).alias("n_samples")).sort(
        "kb_query")
    res = ResultTable("kb_annotated_samples", tab, ("kb_query",), ("n_samples",),
                      "samples per ALK mutation (or compound) annotated from the knowledge base")
    return _result("findings", "ALK resistance mutations and inhibitors reported active",
                   res.to_ard(), rows=rows, notice=NOTICE)


def sequences_result(d: ResistanceData, rs: ResistanceSpec) -> AnalysisResult:
    """From -> to counts of consecutive lines and the sankey diagram."""
    res = treatment_sequences(d.lines, max_steps=rs.sankey_max_steps)
    fig = FigureSpec(
        "resistance_treatment_sankey",
        f"Treatment sequences: lines 1 to {rs.sankey_max_steps + 1} (band width = patients)",
        "Sankey diagram of systemic treatment lines and the transitions between them",
        "plot_sankey", res.table)
    return _result("sequences", "Treatment sequences", res.to_ard(), figures=(fig,),
                   table=res.table)


def resistance_results(prep: PreparedStudy, inputs: StudyInputs) -> list[AnalysisResult]:
    """Every result of the section, or none when ``[resistance]`` is not enabled."""
    rs = prep.spec.resistance
    if not rs.enabled:
        return []
    d = prepare_resistance(prep, inputs)
    out = [lines_result(d)]
    out += [comparison_result(prep, inputs, d, c) for c in rs.comparisons]
    out += [oligo_result(d), subsequent_result(d, inputs), sequences_result(d, rs)]
    if d.samples.height:
        out += [mechanisms_result(d), findings_result(d, rs)]
        out += survival_after_2g(prep, inputs, d.lines, d.samples, rs)
    return out
