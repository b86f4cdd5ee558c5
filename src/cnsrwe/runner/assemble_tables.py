"""Tables the report builders of :mod:`cnsrwe.report` do not cover (paired before/after,
competing risks, progression pattern, symptom change, data quality, Firth Cox), built the
same way: every number is looked up in the ARD and formatted by :mod:`cnsrwe.report.format`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from cnsrwe.report import Cell, Row, TableBlock
from cnsrwe.report._ard_lookup import ArdLookup
from cnsrwe.report.format import (
    FormatOptions,
    fmt_estimate_ci,
    fmt_int,
    fmt_n_pct,
    fmt_p,
    fmt_pct_ci,
)


def _hdr(*labels: str) -> tuple[Row, ...]:
    return (Row(tuple(Cell(t, align="left" if i == 0 else "center")
                      for i, t in enumerate(labels))),)


def _row(*texts: str) -> Row:
    return Row(tuple(Cell(t, align="left" if i == 0 else "center")
                     for i, t in enumerate(texts)))


def counts_table(ard: pl.DataFrame, *, analysis: str, rows: Sequence[tuple[str, str]],
                 groups: Sequence[str], group_labels: Sequence[str], name: str,
                 caption: str, footnotes: Sequence[str] = (), p_stat: str = "p",
                 options: FormatOptions) -> TableBlock:
    """n (%) per group for ``rows`` = (parameter, label), from ``n`` and ``p_stat`` rows."""
    look = ArdLookup(ard)
    body = []
    for par, label in rows:
        cells = [fmt_n_pct(look.get(analysis, g, par, "n"), look.get(analysis, g, par, p_stat),
                           options=options) if look.has(analysis, g, par, "n") else "0"
                 for g in groups]
        body.append(_row(label, *cells))
    return TableBlock(name, caption, _hdr("", *group_labels), tuple(body), tuple(footnotes))


def paired_table(ard: pl.DataFrame, *, variables: Sequence[tuple[str, str]], name: str,
                 caption: str, with_fisher: bool, options: FormatOptions) -> TableBlock:
    """Before/after yes counts, discordant pairs, McNemar exact p (and the paper's Fisher)."""
    look = ArdLookup(ard)
    cols = ["Variable", "Paired patients", "Before: yes", "After: yes",
            "Yes → no", "No → yes", "McNemar exact p"]
    if with_fisher:
        cols.append("Fisher p (unpaired, as published)")
    body = []
    for var, label in variables:
        a = "paired_before_after"
        cells = [label, fmt_int(look.get(a, "", var, "n_paired")),
                 fmt_int(look.get(a, "", var, "before_yes")),
                 fmt_int(look.get(a, "", var, "after_yes")),
                 fmt_int(look.get(a, "", var, "n_yes_no")),
                 fmt_int(look.get(a, "", var, "n_no_yes")),
                 fmt_p(look.get("mcnemar", "", var, "p_value"), options=options)]
        if with_fisher:
            cells.append(fmt_p(look.get("fisher_unpaired", "", var, "p_value"),
                               options=options))
        body.append(_row(*cells))
    notes = ["Before: latest visit from 30 days before to the start of the index treatment; "
             "after: first visit in the stated window. Patients without both visits are "
             "not paired."]
    if with_fisher:
        notes.append("Fisher's exact test on the before/after margins treats the same "
                     "patients as two independent groups (as in the 2022 paper); the paired "
                     "McNemar test is the valid analysis.")
    unpaired = [look.get("paired_before_after", "", v, "n_unpaired") for v, _ in variables]
    notes.append("Patients without both visits: " + ", ".join(
        f"{lab} {fmt_int(u)}" for (_, lab), u in zip(variables, unpaired, strict=True)) + ".")
    return TableBlock(name, caption, _hdr(*cols), tuple(body), tuple(notes))


def _eq(p_text: str) -> str:
    """" = 0.003" or " < 0.001" (a printed p that already carries its relation)."""
    return f" {p_text}" if p_text.startswith(("<", ">")) else f" = {p_text}"


def shift_block(ard: pl.DataFrame, *, levels: Sequence[int], name: str, caption: str,
                options: FormatOptions) -> TableBlock:
    """ECOG before (rows) x after (columns) with Bowker's test in a footnote."""
    look = ArdLookup(ard)
    body = [_row(f"Before: {b}", *[fmt_int(look.get("shift_table", "", f"{b} -> {a}", "n"))
                                   for a in levels]) for b in levels]
    notes = []
    if look.has("bowker", "", "ecog shift", "p_value"):
        p = look.get("bowker", "", "ecog shift", "p_value")
        notes.append(f"Bowker's test of symmetry: p = {fmt_p(p, options=options)}."
                     if p is not None else "Bowker's test of symmetry: not estimable.")
    if look.has("wilcoxon_signed_rank", "", "ecog", "p_value"):
        n = look.get("wilcoxon_signed_rank", "", "ecog", "n_pairs")
        v = look.get("wilcoxon_signed_rank", "", "ecog", "statistic")
        p = look.get("wilcoxon_signed_rank", "", "ecog", "p_value")
        notes.append(f"Wilcoxon signed-rank test, ECOG before vs after ({fmt_int(n)} pairs; "
                     f"unchanged pairs dropped): V = {v:g}, p{_eq(fmt_p(p, options=options))}.")
    return TableBlock(name, caption, _hdr("ECOG", *[f"After: {a}" for a in levels]),
                      tuple(body), tuple(notes))


def cif_table(ard: pl.DataFrame, *, groups: Sequence[str], group_labels: Sequence[str],
              causes: dict[int, str], times: Sequence[float], name: str, caption: str,
              options: FormatOptions) -> TableBlock:
    """Cumulative incidence (95% CI) per group and cause at ``times``; Gray's test and the
    cause-specific HRs in footnotes."""
    look = ArdLookup(ard)
    body = []
    for g, lab in zip(groups, group_labels, strict=True):
        for c, clab in causes.items():
            cells = []
            for t in times:
                par = f"cause {c} at {t:g}"
                vals = [look.get("cumulative_incidence", g, par, s)
                        if look.has("cumulative_incidence", g, par, s) else None
                        for s in ("estimate", "lower", "upper")]
                cells.append(fmt_pct_ci(*vals, options=options))
            body.append(_row(f"{lab}: {clab}", *cells))
    notes = ["Aalen-Johansen estimates, % (95% CI); competing events are not censored."]
    for c in causes:
        par = f"cause {c}"
        if look.has("gray_test", "", par, "p_value"):
            notes.append(f"Gray's test, {causes[c]}: p = "
                         f"{fmt_p(look.get('gray_test', '', par, 'p_value'), options=options)}.")
    hr = ard.filter(pl.col("analysis") == "cause_specific_cox")
    for par in hr["parameter"].unique(maintain_order=True).to_list():
        g = hr.filter(pl.col("parameter") == par)["group"][0]
        est = [look.get("cause_specific_cox", g, par, s) for s in ("hazard_ratio", "lower",
                                                                   "upper")]
        p = look.get("cause_specific_cox", g, par, "p_value")
        notes.append(f"Cause-specific HR, {par}: "
                     f"{fmt_estimate_ci(*est, options.ratio_decimals, options=options)}, "
                     f"p = {fmt_p(p, options=options)}.")
    return TableBlock(name, caption, _hdr("Group: event", *[f"{t:g} months" for t in times]),
                      tuple(body), tuple(notes))


def firth_table(ard: pl.DataFrame, *, terms: Sequence[tuple[str, str]], name: str,
                caption: str, options: FormatOptions) -> TableBlock:
    """Firth penalised Cox HRs with profile-likelihood CIs."""
    look = ArdLookup(ard)
    body = []
    for par, label in terms:
        est = [look.get("firth_cox", "", par, s) for s in ("hazard_ratio", "lower", "upper")]
        body.append(_row(label, fmt_estimate_ci(*est, options.ratio_decimals, options=options),
                         fmt_p(look.get("firth_cox", "", par, "p_value"), options=options)))
    method = look.method("firth_cox", "", terms[0][0], "hazard_ratio")
    notes = [method + ". Firth's penalty keeps the HR finite when a group has no events "
             "(monotone likelihood)."]
    return TableBlock(name, caption, _hdr("Covariate", "HR (95% CI)", "p-value"), tuple(body),
                      tuple(notes))


def simple_table(name: str, caption: str, header: Sequence[str],
                 rows: Sequence[Sequence[str]], footnotes: Sequence[str] = ()) -> TableBlock:
    """A plain text table (labels and already formatted numbers)."""
    return TableBlock(name, caption, _hdr(*header), tuple(_row(*r) for r in rows),
                      tuple(footnotes))
