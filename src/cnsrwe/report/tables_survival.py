"""Survival summaries (median and landmark rates with CIs, log-rank p, HR) and Cox tables.

Reads the ARD written by ``cnsrwe.stats``:

* ``kaplan_meier`` rows (``KaplanMeierResult.to_ard(times=...)``): ``subjects/n``,
  ``events/n``, ``median`` estimate/lower/upper, ``time=<t>`` survival/lower/upper;
* ``logrank`` rows (``LogrankResult.to_ard()``): ``test/p_value``;
* ``cox_ph`` rows (``CoxResult.to_ard()``): per covariate ``hazard_ratio``, ``lower``,
  ``upper``, ``p_value``; ``model`` n and n_events; ``lr_test``/``wald_test``/``score_test``.

A median (or upper limit) that the Kaplan-Meier curve does not reach is stored as missing
and printed "NR" (not reached), as R prints ``NA`` in ``print(survfit)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from cnsrwe.report._ard_lookup import ArdLookup, column_labels
from cnsrwe.report.document import Cell, Row, TableBlock
from cnsrwe.report.format import (
    DEFAULT,
    FormatOptions,
    fmt_estimate_ci,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_p_phrase,
    fmt_pct_ci,
)

KM = "kaplan_meier"


def _time_label(t: float, unit: str) -> str:
    return f"{t:g}-{unit.rstrip('s')} rate, % (95% CI)"


def tab_survival(
    ard: pl.DataFrame,
    *,
    groups: Sequence[str],
    group_labels: Sequence[str] | None = None,
    landmarks: Sequence[float] = (),
    time_unit: str = "months",
    hazard_ratios: Mapping[str, str] | None = None,
    name: str = "survival",
    caption: str = "Survival summary",
    footnotes: Sequence[str] = (),
    options: FormatOptions = DEFAULT,
) -> TableBlock:
    """One row per group: N, events, median (95% CI), landmark rates, HR (95% CI).

    ``hazard_ratios`` maps a group to the ``cox_ph`` parameter of its HR versus the
    reference (the reference row shows "1 (reference)"); a ``logrank`` test row, when in
    ``ard``, goes into a footnote with its method.
    """
    if not groups:
        msg = "`groups` must name at least one group, got none"
        raise ValueError(msg)
    labels = column_labels(groups, group_labels)
    look = ArdLookup(ard)
    cols = ["Group", "N", "Events", f"Median, {time_unit} (95% CI)"]
    cols += [_time_label(t, time_unit) for t in landmarks]
    if hazard_ratios:
        cols.append("HR (95% CI)")
    header = (Row(tuple(Cell(c, align="left" if i == 0 else "center")
                        for i, c in enumerate(cols))),)
    body = []
    methods = set()
    for g, lab in zip(groups, labels, strict=True):
        cells = [Cell(lab),
                 Cell(fmt_int(look.get(KM, g, "subjects", "n")), align="center"),
                 Cell(fmt_int(look.get(KM, g, "events", "n")), align="center")]
        med = [look.get(KM, g, "median", s) for s in ("estimate", "lower", "upper")]
        cells.append(Cell(fmt_estimate_ci(*med, options.decimals, options=options,
                                          estimate_missing=options.not_reached,
                                          upper_missing=options.not_reached), align="center"))
        methods.add(look.method(KM, g, "median", "estimate"))
        for t in landmarks:
            par = f"time={t:g}"
            vals = [look.get(KM, g, par, s) for s in ("survival", "lower", "upper")]
            cells.append(Cell(fmt_pct_ci(*vals, options=options), align="center"))
        if hazard_ratios:
            if g in hazard_ratios:
                p = hazard_ratios[g]
                hr = [look.get("cox_ph", "", p, s) for s in ("hazard_ratio", "lower", "upper")]
                cells.append(Cell(fmt_estimate_ci(*hr, options.ratio_decimals, options=options),
                                  align="center"))
                methods.add("HR: " + look.method("cox_ph", "", p, "hazard_ratio"))
            else:
                cells.append(Cell("1 (reference)", align="center"))
        body.append(Row(tuple(cells)))
    notes = [f"{m}." for m in sorted(methods)]
    notes.append(f"NR: not reached. Times in {time_unit}.")
    if look.has("logrank", "", "test", "p_value"):
        p = look.get("logrank", "", "test", "p_value")
        notes.append(f"Log-rank test {fmt_p_phrase(p, options=options)} "
                     f"({look.method('logrank', '', 'test', 'p_value')}).")
    notes += list(footnotes)
    return TableBlock(name=name, caption=caption, header=header, body=tuple(body),
                      footnotes=tuple(notes))


def tab_cox(
    ard: pl.DataFrame,
    *,
    terms: Sequence[tuple[str, str]],
    name: str = "cox",
    caption: str = "Cox proportional hazards model",
    footnotes: Sequence[str] = (),
    options: FormatOptions = DEFAULT,
) -> TableBlock:
    """Covariate | HR (95% CI) | p-value, for ``terms`` = (cox parameter, printed label).

    Footnotes give n, events, the likelihood-ratio/Wald/score tests when present and the
    method text of the fit.
    """
    if not terms:
        msg = "`terms` must list at least one (parameter, label) pair, got none"
        raise ValueError(msg)
    look = ArdLookup(ard)
    header = (Row((Cell("Covariate"), Cell("HR (95% CI)", align="center"),
                   Cell("p-value", align="center"))),)
    body = []
    for par, label in terms:
        hr = [look.get("cox_ph", "", par, s) for s in ("hazard_ratio", "lower", "upper")]
        body.append(Row((Cell(label),
                         Cell(fmt_estimate_ci(*hr, options.ratio_decimals, options=options),
                              align="center"),
                         Cell(fmt_p(look.get("cox_ph", "", par, "p_value"), options=options),
                              align="center"))))
    first = terms[0][0]
    notes = [look.method("cox_ph", "", first, "hazard_ratio") + "."]
    if look.has("cox_ph", "", "model", "n"):
        notes.append(f"n = {fmt_int(look.get('cox_ph', '', 'model', 'n'))}, events = "
                     f"{fmt_int(look.get('cox_ph', '', 'model', 'n_events'))}.")
    for tname, tlabel in (("lr_test", "Likelihood ratio"), ("wald_test", "Wald"),
                          ("score_test", "Score (log-rank)")):
        if look.has("cox_ph", "", tname, "p_value"):
            stat = fmt_number(look.get("cox_ph", "", tname, "statistic"), 2, options=options)
            df = fmt_int(look.get("cox_ph", "", tname, "df"))
            p = fmt_p_phrase(look.get("cox_ph", "", tname, "p_value"), options=options)
            notes.append(f"{tlabel} test: {stat} on {df} df, {p}.")
    notes += list(footnotes)
    return TableBlock(name=name, caption=caption, header=header, body=tuple(body),
                      footnotes=tuple(notes))
