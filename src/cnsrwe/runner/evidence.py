"""The study's intracranial ORR per cohort beside comparable published trials
(:func:`cnsrwe.evidence.compare_cohort`: exact CIs, REML + Hartung-Knapp pooling).

The study file does not say which trial population a cohort matches, so the runner reads it
from the cohort rules, and only when they say it plainly:

* drug: the index rule's single ``agents_any`` entry;
* ``first_line``: a cohort whose rule is "no prior line with an ALK TKI"
  (``quantifier = "none"``, ``match = { agent_class_in = ["alk_tki"] }``);
* ``post_crizotinib``: a rule whose ``match.agents_any`` is only crizotinib;
* ``post_second_generation``: a rule whose ``match.agents_any`` lists only
  second-generation ALK TKIs;
* population ``measurable`` for the ic-ORR endpoint with ``population = "measurable_cns"``,
  ``any`` for ``population = "any_cns"``.

Any other cohort is not compared. Unverified trial rows are never used (docs/evidence.md).
Rows published by the study itself (their ``source`` contains the study file's
``study.reference``) are left out, so a study is never pooled with its own published numbers.
"""

from __future__ import annotations

import polars as pl

from cnsrwe.evidence import compare_cohort, read_evidence
from cnsrwe.runner.analyses import FAILURES, short_labels
from cnsrwe.runner.prepare import PreparedStudy
from cnsrwe.runner.results import AnalysisResult, FigureSpec, stamp
from cnsrwe.stats import concat_ard
from cnsrwe.study import CohortRule

SECOND_GENERATION = {"alectinib", "ceritinib", "brigatinib", "ensartinib", "ct707",
                     "conteltinib", "wx-0593", "iruplinalkib"}
POPULATIONS = {"measurable_cns": "measurable", "any_cns": "any"}


def cohort_line(rule: CohortRule) -> str | None:
    """The evidence ``line`` a cohort rule states plainly (module notes), else ``None``."""
    for cond in rule.prior_lines:
        agents = {a.strip().lower() for a in cond.match.agents_any}
        classes = set(cond.match.agent_class_in)
        if cond.quantifier == "none" and classes == {"alk_tki"} and not agents:
            return "first_line"
        if cond.quantifier != "none" and agents == {"crizotinib"}:
            return "post_crizotinib"
        if cond.quantifier != "none" and agents and agents <= SECOND_GENERATION:
            return "post_second_generation"
    return None


def evidence_results(prep: PreparedStudy, efficacy: list[AnalysisResult]) -> list[AnalysisResult]:
    """One comparison per (cohort, population) that the rules state plainly."""
    agents = prep.spec.index.match.agents_any
    if len(agents) != 1:
        return []
    drug = agents[0].strip().lower()
    dataset = read_evidence()
    ref = " ".join(prep.spec.study.reference.split()).lower()
    n_own = 0
    if ref:
        own = dataset["source"].fill_null("").str.to_lowercase().str.contains(ref, literal=True)
        n_own = int(own.sum())
        dataset = dataset.filter(~own)
    own_note = (f"{n_own} published row(s) of this study itself ({prep.spec.study.reference})"
                " left out of the comparison." if n_own else "")
    out = []
    for r in efficacy:
        ep = prep.spec.endpoints[r.extra["endpoint"]]
        if (ep.compartment != "intracranial" or tuple(ep.responses) != ("CR", "PR")
                or ep.population not in POPULATIONS):
            continue
        population = POPULATIONS[ep.population]
        for rule in prep.spec.cohorts:
            line = cohort_line(rule)
            rows = r.ard.filter((pl.col("analysis") == "binomial_ci")
                                & (pl.col("group") == rule.name)
                                & pl.col("statistic").is_in(["k", "n"]))
            if line is None or rows.height != 2:
                continue
            kn = dict(zip(rows["statistic"], rows["value"], strict=True))
            key = f"evidence/{rule.name}/{population}"
            short = short_labels((rule.label, "x: y"))[0] if ":" in rule.label else rule.label
            try:
                cmp = compare_cohort({short: (int(kn["k"]), int(kn["n"]))}, drug=drug,
                                     line=line, population=population, dataset=dataset)
            except FAILURES as exc:
                out.append(AnalysisResult(key, "evidence", key, rule.label,
                                          stamp(concat_ard([]), key),
                                          notes=(f"comparison not possible: {exc}",)))
                continue
            if (cmp.forest["kind"] == "trial").sum() == 0:
                continue
            title = (f"{rule.label}: intracranial ORR ({population} CNS disease) beside "
                     f"published {drug} trials ({line.replace('_', ' ')})")
            plot = cmp.forest.select(
                pl.when(pl.col("kind") == "pooled")
                .then(pl.lit("Pooled, ") + pl.col("label").str.extract(r"(DerSimonian|restricted)")
                      .replace({"restricted": "REML + Hartung-Knapp",
                                "DerSimonian": "DerSimonian-Laird"}))
                .otherwise(pl.col("label")).alias("label"),
                "estimate", "lower", "upper",
                pl.when(pl.col("kind") == "pooled").then(pl.lit("pooled"))
                .otherwise(pl.lit("subgroup")).alias("kind"))
            fig = FigureSpec(key.replace("/", "__"), title,
                             "Forest plot of intracranial response rates: this study's cohort, "
                             "published trials and pooled estimates", "plot_forest", plot,
                             {"scale": "linear", "estimate_label": "ic-ORR (95% CI)",
                              "xlabel": "Intracranial objective response rate"})
            out.append(AnalysisResult(key, "evidence", key, title, stamp(cmp.to_ard(), key),
                                      figures=(fig,),
                                      notes=tuple(w for w in (*cmp.warnings, own_note) if w),
                                      extra={"forest": cmp.forest}))
    return out
