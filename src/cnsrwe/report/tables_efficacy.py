"""Response-rate tables shaped like the 2022 study's Tables 2 and 3.

One body row per endpoint row spec, one column per group (cohort). Input ARD rows:

* :class:`RateRow` reads ``binomial_ci`` rows (``cnsrwe.stats.binomial_ci(k, n).to_ard(
  parameter=..., group=...)``): statistics ``k``, ``n``, ``estimate``, ``lower``, ``upper``.
  The cell is "k/n, % (95% CI)"; with ``breakdown`` a second line gives the responders'
  split as the paper prints it ("4 CR + 7 PR"), read from ``describe_categorical`` rows
  ``parameter="<breakdown>=<level>"``, statistic ``n``.
* :class:`MedianRow` reads ``describe_continuous`` rows (``median``, ``min``, ``max``):
  "median (min–max)", e.g. the median intracranial tumour shrinkage.

The CI method is stated once in a footnote, from the ARD ``method`` text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from cnsrwe.report._ard_lookup import ArdLookup, column_labels
from cnsrwe.report.document import Cell, Row, TableBlock
from cnsrwe.report.format import DEFAULT, FormatOptions, fmt_int, fmt_median_range, fmt_pct_ci


@dataclass(frozen=True)
class RateRow:
    """A response rate with exact CI; ``breakdown`` = (variable, levels) of the responders."""

    parameter: str
    label: str
    breakdown: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class MedianRow:
    """A median (range) row from ``describe_continuous``; ``unit`` goes into the label."""

    parameter: str
    label: str
    unit: str = ""
    decimals: int | None = None


def _rate_cell(look: ArdLookup, row: RateRow, group: str, options: FormatOptions) -> str:
    k = look.get("binomial_ci", group, row.parameter, "k")
    n = look.get("binomial_ci", group, row.parameter, "n")
    txt = f"{fmt_int(k)}/{fmt_int(n)}, " + fmt_pct_ci(
        look.get("binomial_ci", group, row.parameter, "estimate"),
        look.get("binomial_ci", group, row.parameter, "lower"),
        look.get("binomial_ci", group, row.parameter, "upper"), options=options)
    if row.breakdown is not None:
        var, levels = row.breakdown
        parts = [f"{fmt_int(look.get('describe_categorical', group, f'{var}={lev}', 'n'))} {lev}"
                 for lev in levels]
        txt += "\n" + " + ".join(parts)
    return txt


def tab_response(
    ard: pl.DataFrame,
    *,
    rows: Sequence[RateRow | MedianRow],
    groups: Sequence[str],
    group_labels: Sequence[str] | None = None,
    spanner: str = "Cohort",
    name: str = "response",
    caption: str = "Intracranial efficacy",
    footnotes: Sequence[str] = (),
    options: FormatOptions = DEFAULT,
) -> TableBlock:
    """Build an efficacy table (module notes). Raises ``KeyError`` naming a missing ARD row."""
    if not groups or not rows:
        msg = f"`groups` and `rows` must be non-empty, got {len(groups)} and {len(rows)}"
        raise ValueError(msg)
    labels = column_labels(groups, group_labels)
    look = ArdLookup(ard)
    top = Row((Cell(""), Cell(spanner, colspan=len(groups), align="center")))
    sub = []
    for g, lab in zip(groups, labels, strict=True):
        n = (look.get("population", g, "subjects", "n")
             if look.has("population", g, "subjects", "n") else None)
        sub.append(Cell(lab if n is None else f"{lab} (N = {fmt_int(n)})", align="center"))
    header = (top, Row((Cell("Endpoint"), *sub)))
    body = []
    methods: set[str] = set()
    for r in rows:
        if isinstance(r, RateRow):
            cells = [Cell(_rate_cell(look, r, g, options), align="center") for g in groups]
            methods.update(look.method("binomial_ci", g, r.parameter, "estimate") for g in groups)
            body.append(Row((Cell(f"{r.label}, n/N, % (95% CI)"), *cells)))
        else:
            cells = [Cell(fmt_median_range(
                look.get("describe_continuous", g, r.parameter, "median"),
                look.get("describe_continuous", g, r.parameter, "min"),
                look.get("describe_continuous", g, r.parameter, "max"),
                r.decimals, options=options), align="center") for g in groups]
            unit = f", {r.unit}" if r.unit else ""
            body.append(Row((Cell(f"{r.label}{unit}, median (range)"), *cells)))
    notes = [f"95% CI: {m}." for m in sorted(methods)] + list(footnotes)
    return TableBlock(name=name, caption=caption, header=header, body=tuple(body),
                      footnotes=tuple(notes))
