"""Build the report document (:class:`cnsrwe.report.Report`) from executed analyses.

Sections, in order: patient flow; baseline characteristics; efficacy (every response-rate
endpoint by cohort, then each response-rate analysis); tumour shrinkage (table, waterfall,
spider); time to event (Kaplan-Meier tables and curves with numbers at risk, log-rank,
Cox/Firth HRs, reverse-KM follow-up); competing CNS progression (cumulative incidence,
Gray's test); Cox models; group comparisons; clinical benefit (paired before/after with
McNemar beside the published Fisher test, ECOG shift with Bowker, symptom change);
progression site and pattern; statistical methods; data quality; per-patient appendix.

Every number comes from the ARD through the :mod:`cnsrwe.report` builders; figures are the
PNG/SVG the runner rendered (``figures`` maps a figure name to its block).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from cnsrwe.report import (
    FigureBlock,
    FormatOptions,
    MedianRow,
    Paragraph,
    RateRow,
    Section,
    TableBlock,
    Variable,
    tab_baseline,
    tab_cox,
    tab_response,
    tab_survival,
)
from cnsrwe.report.format import fmt_estimate_ci, fmt_int, fmt_p, fmt_pct_ci
from cnsrwe.runner.analyses import EVENT_WORDS
from cnsrwe.runner.assemble_tables import (
    cif_table,
    counts_table,
    firth_table,
    paired_table,
    shift_block,
    simple_table,
)
from cnsrwe.runner.prepare import PreparedStudy
from cnsrwe.runner.results import AnalysisResult

Block = Paragraph | TableBlock | FigureBlock

LEVEL_LABELS = {"true": "Yes", "false": "No"}
STANDARD_KINDS = ("flow", "baseline", "shrinkage", "progression", "symptoms", "quality",
                  "forest", "evidence")


def endpoint_phrase(ep: object) -> str:
    """One phrase stating an endpoint's origin, events, competing events and censoring."""
    origin = ("the first intracranial response" if ep.origin == "first_response"
              else "the start of the index treatment")
    events = " or ".join(e.replace("_", " ") for e in ep.events)
    txt = f"time from {origin} to {events}"
    competing = ep.competing
    if competing:
        txt += " with " + " and ".join(EVENT_WORDS.get(c, c) for c in competing) + " competing"
    txt += ", censored at the " + ep.censor_at.replace("_", " ")
    return txt


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)[:60]


def _figs(r: AnalysisResult, figures: Mapping[str, FigureBlock]) -> list[Block]:
    return [figures[f.name] for f in r.figures if f.name in figures]


def _notes(r: AnalysisResult) -> list[Block]:
    return [Paragraph("Note: " + n) for n in r.notes]


def _variables(r: AnalysisResult, label: Mapping[str, str]) -> list[Variable]:
    pars = r.ard.filter(pl.col("analysis") == "describe_categorical")["parameter"]
    out = []
    for v in r.extra["categorical"]:
        levels = sorted({p.split("=", 1)[1] for p in pars.to_list()
                         if p.startswith(f"{v}=") and not p.endswith("=(missing)")})
        if set(levels) <= {"true", "false"}:
            levels = ["true"] if "true" in levels else levels
        out.append(Variable(v, label.get(v, v.replace("_", " ").capitalize()), tuple(levels),
                            tuple(LEVEL_LABELS.get(x, x) for x in levels)))
    out += [Variable(v, label.get(v, v.replace("_", " ").capitalize()))
            for v in r.extra["continuous"]]
    return out


def _fact_labels() -> dict[str, str]:
    return {"age_at_index": "Age at index, years", "sex": "Sex", "ecog": "ECOG performance status",
            "smoking_status": "Smoking status", "histology": "Histology",
            "stage_at_diagnosis": "Stage at diagnosis", "site_id": "Hospital",
            "prior_brain_local": "Prior brain radiotherapy or surgery",
            "uncontrolled_cns": "Uncontrolled CNS metastases",
            "brain_parenchymal": "Brain parenchymal metastases",
            "leptomeningeal": "Leptomeningeal metastases",
            "measurable_cns": "CNS target lesions (measurable)",
            "cns_symptoms": "Symptomatic CNS metastases",
            "extracranial": "Extracranial lesions",
            "measurable_extracranial": "Extracranial target lesions",
            "steroids_or_mannitol": "Corticosteroids or mannitol",
            "n_brain_mets": "Number of brain metastases",
            "sum_cns_target_mm": "Sum of CNS target diameters, mm",
            "n_prior_lines": "Prior systemic lines", "ecog_ge2": "ECOG ≥ 2"}


def flow_section(r: AnalysisResult, figures: Mapping[str, FigureBlock]) -> Section:
    rows = [(r.extra["labels"][p], fmt_int(v)) for p, v in
            zip(r.ard["parameter"], r.ard["value"], strict=True)]
    t = simple_table("flow", "Patient flow", ("Step", "Patients"), rows)
    return Section("Patient flow", (t, *_figs(r, figures)))


def efficacy_section(results: list[AnalysisResult], analyses: list[AnalysisResult],
                     prep: PreparedStudy, opt: FormatOptions) -> Section:
    blocks: list[Block] = []
    if results:
        ard = pl.concat([r.ard for r in results])
        rows = []
        for r in results:
            ep = prep.spec.endpoints[r.extra["endpoint"]]
            resp = tuple(x for x in ("CR", "PR", "SD", "NON-CR/NON-PD") if x in ep.responses)
            rows.append(RateRow(r.extra["endpoint"], ep.label,
                                breakdown=(f"{r.extra['endpoint']}_bor", resp)))
        blocks.append(tab_response(ard, rows=rows, groups=results[0].groups,
                                   group_labels=results[0].group_labels, name="efficacy",
                                   caption="Response rates by cohort", options=opt))
    for r in analyses:
        ep = prep.spec.endpoints[r.extra["endpoint"]]
        resp = tuple(x for x in ("CR", "PR", "SD", "NON-CR/NON-PD") if x in ep.responses)
        notes = []
        for a, lab in (("fisher_exact", "Fisher's exact test"), ("chi_square", "Chi-square")):
            hit = r.ard.filter((pl.col("analysis") == a) & (pl.col("statistic") == "p_value"))
            if hit.height:
                notes.append(f"{lab} across groups: p = {fmt_p(hit['value'][0], options=opt)}.")
        blocks.append(tab_response(
            r.ard, rows=[RateRow(r.extra["endpoint"], ep.label,
                                 breakdown=(f"{r.extra['endpoint']}_bor", resp))],
            groups=r.groups, group_labels=r.group_labels, name=_slug(r.population),
            caption=r.title, footnotes=notes, options=opt))
        blocks += _notes(r)
    return Section("Efficacy", tuple(blocks))


def shrinkage_section(r: AnalysisResult, figures: Mapping[str, FigureBlock],
                      opt: FormatOptions) -> Section:
    blocks: list[Block] = []
    if r.ard.filter(pl.col("analysis") == "describe_continuous").height:
        present = set(r.ard.filter(pl.col("statistic") == "median")["group"].to_list())
        groups = [g for g in r.groups if g in present]
        labels = [lab for g, lab in zip(r.groups, r.group_labels, strict=True) if g in present]
        blocks.append(tab_response(
            r.ard, rows=[MedianRow("ic_shrinkage_pct", "Best intracranial tumour shrinkage",
                                   unit="%")], groups=groups, group_labels=labels,
            name="shrinkage", caption="Intracranial tumour shrinkage (patients with CNS "
            "target lesions)", footnotes=["Shrinkage = minus the best percentage change of "
                                          "the sum of intracranial target diameters."],
            options=opt))
    blocks += _figs(r, figures)
    blocks += _notes(r)
    return Section("Tumour shrinkage", tuple(blocks))


def survival_blocks(r: AnalysisResult, figures: Mapping[str, FigureBlock],
                    opt: FormatOptions) -> list[Block]:
    if not r.groups:
        return [Paragraph(f"{r.title}: " + " ".join(r.notes))]
    ref = r.extra["reference"]
    others = [g for g in r.groups if g != ref]
    hrs = {g: f"group={g}" for g in others
           if r.ard.filter((pl.col("analysis") == "cox_ph")
                           & (pl.col("parameter") == f"group={g}")).height}
    notes = []
    for g in others:
        hit = r.ard.filter((pl.col("analysis") == "firth_cox")
                           & (pl.col("parameter") == f"group={g}"))
        if hit.height:
            v = dict(zip(hit["statistic"], hit["value"], strict=True))
            hr = fmt_estimate_ci(v["hazard_ratio"], v["lower"], v["upper"],
                                 opt.ratio_decimals, options=opt)
            notes.append(f"Firth HR, {r.extra['label_map'][g]} vs {r.extra['label_map'][ref]}: "
                         f"{hr}, p = {fmt_p(v['p_value'], options=opt)}.")
    fu = r.ard.filter((pl.col("analysis") == "median_follow_up")
                      & (pl.col("parameter") == "median_follow_up"))
    for g, lab in zip(r.groups, r.group_labels, strict=True):
        v = fu.filter(pl.col("group") == g)
        if v.height:
            d = dict(zip(v["statistic"], v["value"], strict=True))
            txt = fmt_estimate_ci(d["estimate"], d["lower"], d["upper"], opt.decimals,
                                  options=opt, estimate_missing=opt.not_reached,
                                  upper_missing=opt.not_reached)
            notes.append(f"Median follow-up (reverse Kaplan-Meier), {lab}: {txt} months.")
    table = tab_survival(r.ard, groups=r.groups, group_labels=r.group_labels,
                         landmarks=r.extra["times"], hazard_ratios=hrs or None,
                         name=_slug(r.population), caption=r.title, footnotes=notes,
                         options=opt)
    return [table, *_figs(r, figures), *_notes(r)]


def competing_blocks(r: AnalysisResult, figures: Mapping[str, FigureBlock],
                     opt: FormatOptions) -> list[Block]:
    if not r.groups:
        return [Paragraph(f"{r.title}: " + " ".join(r.notes))]
    present = set(r.ard["parameter"].to_list())
    causes = {c: lab for c, lab in r.extra["cause_labels"].items()
              if any(p.startswith(f"cause {c} at") for p in present)}
    t = cif_table(r.ard, groups=r.groups, group_labels=r.group_labels, causes=causes,
                  times=r.extra["times"], name=_slug(r.population), caption=r.title,
                  options=opt)
    return [t, *_figs(r, figures), *_notes(r)]


def cox_blocks(r: AnalysisResult, opt: FormatOptions) -> list[Block]:
    labels = _fact_labels()
    terms = [(t, labels.get(t, t.replace("group=", "Group: ").replace("_", " ")))
             for t in r.extra["terms"]]
    out: list[Block] = []
    if r.ard.filter(pl.col("analysis") == "cox_ph").height:
        out.append(tab_cox(r.ard, terms=terms, name=_slug(r.population) + "_cox",
                           caption=r.title + " (Cox)", options=opt))
    if r.ard.filter(pl.col("analysis") == "firth_cox").height:
        out.append(firth_table(r.ard, terms=terms, name=_slug(r.population) + "_firth",
                               caption=r.title + " (Firth)", options=opt))
    return out + _notes(r)


def compare_blocks(r: AnalysisResult, opt: FormatOptions) -> list[Block]:
    labels = _fact_labels()
    variables = _variables(r, labels)
    primary = r.ard.filter(pl.col("statistic") == "p_value").unique(
        ["parameter"], keep="first", maintain_order=True)
    keep = pl.concat([r.ard.filter(pl.col("statistic") != "p_value"), primary])
    others = r.ard.filter(pl.col("statistic") == "p_value").join(
        primary.select("analysis", "parameter"), on=["analysis", "parameter"], how="anti")
    notes = [f"{o['parameter']}: {o['method']} p = {fmt_p(o['value'], options=opt)}."
             for o in others.iter_rows(named=True)]
    present = set(r.ard.filter(pl.col("analysis") == "population")["group"].to_list())
    groups = [g for g in r.groups if g in present]
    glabels = [lab for g, lab in zip(r.groups, r.group_labels, strict=True) if g in present]
    if not groups:
        return [Paragraph(f"{r.title}: no patients."), *_notes(r)]
    t = tab_baseline(keep, variables=variables, groups=groups, group_labels=glabels,
                     spanner="Group", name=_slug(r.population), caption=r.title,
                     add_p=primary.height > 0, footnotes=notes, options=opt)
    return [t, *_notes(r)]


def paired_blocks(r: AnalysisResult, opt: FormatOptions) -> list[Block]:
    labels = _fact_labels()
    out: list[Block] = []
    binaries = r.extra["binaries"]
    if binaries:
        with_fisher = r.ard.filter(pl.col("analysis") == "fisher_unpaired").height > 0
        lo, hi = r.extra["after_days"]
        out.append(paired_table(r.ard, variables=[(b, labels.get(b, b)) for b in binaries],
                                name=_slug(r.population), caption=f"{r.title} (after = "
                                f"first visit on days {lo}-{hi})", with_fisher=with_fisher,
                                options=opt))
    if r.ard.filter(pl.col("analysis") == "shift_table").height:
        out.append(shift_block(r.ard, levels=(0, 1, 2, 3, 4), name=_slug(r.population) + "_shift",
                               caption=f"{r.title}: ECOG shift table", options=opt))
    return out + _notes(r)


def progression_blocks(r: AnalysisResult, opt: FormatOptions) -> list[Block]:
    tab = r.extra["table"]
    rows = [(f"{v}={c}", f"{v.replace('_', ' ').capitalize()}: {c.replace('_', ' ').lower()}")
            for v, c in tab.select("variable", "category").unique(maintain_order=True).rows()]
    notes = []
    for rec in r.ard.filter((pl.col("analysis") == "fisher_exact")
                            & (pl.col("statistic") == "p_value")).iter_rows(named=True):
        notes.append(f"{rec['parameter']}: Fisher's exact test across cohorts, p = "
                     f"{fmt_p(rec['value'], options=opt)}.")
    notes.append(f"Among patients with a first progression on the index line (profile "
                 f"{r.extra['profile']}).")
    return [counts_table(r.ard, analysis="progression_table", rows=rows, groups=r.groups,
                         group_labels=r.group_labels, name="progression",
                         caption="Site and pattern of first progression", footnotes=notes,
                         options=opt)]


def symptom_blocks(r: AnalysisResult, opt: FormatOptions) -> list[Block]:
    cats = r.extra["table"]["symptom_change"].unique(maintain_order=True).to_list()
    lo, hi = r.extra["after_days"]
    return [counts_table(r.ard, analysis="symptom_improvement",
                         rows=[(c, c.replace("_", " ").capitalize()) for c in cats],
                         groups=r.groups, group_labels=r.group_labels, name="symptoms",
                         caption="Change of CNS symptoms among symptomatic patients",
                         footnotes=[f"First visit on days {lo}-{hi} with a recorded change."],
                         p_stat="fraction", options=opt)]


def evidence_blocks(r: AnalysisResult, figures: Mapping[str, FigureBlock],
                    opt: FormatOptions) -> list[Block]:
    """The study cohort, comparable trials and pooled estimates (numbers of the ARD rows
    ``evidence_comparison``, the same as the forest table)."""
    if "forest" not in r.extra:
        return _notes(r)
    rows = []
    for rec in r.extra["forest"].iter_rows(named=True):
        rows.append((rec["label"], "" if rec["k"] is None else f"{rec['k']}/{rec['n']}",
                     fmt_pct_ci(rec["estimate"], rec["lower"], rec["upper"], options=opt),
                     rec["criteria"] or "", rec["verification"] or ""))
    t = simple_table(_slug(r.population), r.title,
                     ("Study / trial", "k/n", "ic-ORR, % (95% CI)", "Criteria", "Row status"),
                     rows, ["Exact (Clopper-Pearson) CIs; pooled: random effects on the logit "
                            "scale (REML with Hartung-Knapp; DerSimonian-Laird beside it). "
                            "Unverified trial rows are not used."])
    return [t, *_figs(r, figures), *_notes(r)]
