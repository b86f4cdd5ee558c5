"""Table 1 style summaries: n (%) for categorical and median (range) for continuous rows.

Input ARD rows (the descriptive convention the report reads; ``group`` = the column,
e.g. a cohort):

* ``analysis="population", parameter="subjects", statistic="n"``: N in the column header;
* ``analysis="describe_categorical", parameter="<variable>=<level>"``, statistics ``n``
  (patients at that level) and ``p`` (proportion in [0, 1] of the non-missing patients);
* ``analysis="describe_continuous", parameter="<variable>"``, statistics ``median``,
  ``min``, ``max`` (and ``n`` when some values are missing);
* optional test rows, any analysis, ``group=""``, ``parameter="<variable>"``,
  ``statistic="p_value"`` (e.g. ``fisher_exact(...).to_ard(parameter="sex")``): a p-value
  column, the test named in a footnote from the rows' ``method``;
* optional ``statistic="smd"`` rows (any analysis, ``group=""``, ``parameter="<variable>"``):
  a standardised-mean-difference column (Austin 2009, Stat Med 28:3083).

The layout follows gtsummary ``tbl_summary()`` + ``add_p()`` and the 2022 study's Table 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from cnsrwe.report._ard_lookup import ArdLookup, column_labels
from cnsrwe.report.document import Cell, Row, TableBlock
from cnsrwe.report.format import (
    DEFAULT,
    FormatOptions,
    fmt_int,
    fmt_median_range,
    fmt_n_pct,
    fmt_number,
    fmt_p,
)


@dataclass(frozen=True)
class Variable:
    """One characteristic: categorical when ``levels`` is given, else continuous.

    ``level_labels`` (same length as ``levels``) are the printed level names; ``unit`` is
    appended to the label of a continuous row ("Age, years").
    """

    name: str
    label: str
    levels: tuple[str, ...] = ()
    level_labels: tuple[str, ...] = ()
    unit: str = ""
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.level_labels and len(self.level_labels) != len(self.levels):
            msg = (f"`level_labels` of {self.name!r} must have one label per level "
                   f"({len(self.levels)}), got {len(self.level_labels)}")
            raise ValueError(msg)


def _header(groups: Sequence[str], group_labels: Sequence[str], look: ArdLookup,
            spanner: str, extra: list[str], stub: str) -> tuple[Row, ...]:
    cols = []
    for g, lab in zip(groups, group_labels, strict=True):
        n = look.get("population", g, "subjects", "n") if look.has(
            "population", g, "subjects", "n") else None
        cols.append(Cell(lab if n is None else f"{lab} (N = {fmt_int(n)})", align="center"))
    top = [Cell(""), Cell(spanner, colspan=len(groups), align="center")]
    top += [Cell("") for _ in extra]
    bottom = [Cell(stub), *cols, *[Cell(e, align="center") for e in extra]]
    return (Row(tuple(top)), Row(tuple(bottom)))


def tab_baseline(
    ard: pl.DataFrame,
    *,
    variables: Sequence[Variable],
    groups: Sequence[str],
    group_labels: Sequence[str] | None = None,
    spanner: str = "Cohort",
    name: str = "table1",
    caption: str = "Baseline characteristics",
    add_p: bool = False,
    add_smd: bool = False,
    footnotes: Sequence[str] = (),
    options: FormatOptions = DEFAULT,
) -> TableBlock:
    """Build a Table 1 from descriptive ARD rows (module notes) as a :class:`TableBlock`.

    Categorical variables get a label row then one indented "n (%)" row per level;
    continuous variables one row "median (min–max)". ``add_p``/``add_smd`` add the test and
    SMD columns (on the label row). Raises ``KeyError`` naming the missing ARD row.
    """
    if not groups:
        msg = "`groups` must name at least one column, got none"
        raise ValueError(msg)
    labels = column_labels(groups, group_labels)
    look = ArdLookup(ard)
    extra = (["p-value"] if add_p else []) + (["SMD"] if add_smd else [])
    header = _header(groups, labels, look, spanner, extra, "Characteristic")
    body: list[Row] = []
    tests: set[str] = set()

    def extras(var: str) -> list[Cell]:
        out = []
        if add_p:
            hits = look.find("", var, "p_value")
            if len(hits) > 1:
                msg = f"`ard` holds p-values of several analyses for {var!r}, got {hits!r}"
                raise ValueError(msg)
            if hits:
                tests.add(look.method(hits[0], "", var, "p_value"))
                out.append(Cell(fmt_p(look.get(hits[0], "", var, "p_value"), options=options),
                                align="center"))
            else:
                out.append(Cell(""))
        if add_smd:
            hits = look.find("", var, "smd")
            smd = look.get(hits[0], "", var, "smd") if hits else None
            out.append(Cell("" if smd is None else fmt_number(abs(smd), 2, options=options),
                            align="center"))
        return out

    for v in variables:
        if v.levels:
            body.append(Row((Cell(v.label, bold=True), *[Cell("") for _ in groups],
                             *extras(v.name)), kind="group"))
            for lev, lev_label in zip(v.levels, v.level_labels or v.levels, strict=True):
                par = f"{v.name}={lev}"
                cells = [Cell(fmt_n_pct(look.get("describe_categorical", g, par, "n"),
                                        look.get("describe_categorical", g, par, "p"),
                                        options=options), align="center") for g in groups]
                body.append(Row((Cell(lev_label, indent=1), *cells, *[Cell("") for _ in extra])))
        else:
            label = f"{v.label}, {v.unit}" if v.unit else v.label
            cells = [Cell(fmt_median_range(
                look.get("describe_continuous", g, v.name, "median"),
                look.get("describe_continuous", g, v.name, "min"),
                look.get("describe_continuous", g, v.name, "max"),
                v.decimals, options=options), align="center") for g in groups]
            body.append(Row((Cell(f"{label}, median (range)", bold=True), *cells,
                             *extras(v.name))))
    notes = ["Categorical rows: n (%) of patients with a known value; continuous rows: "
             "median (minimum–maximum)."]
    notes += [f"p-value: {t}." for t in sorted(tests)]
    if add_smd:
        notes.append("SMD: absolute standardised mean difference.")
    notes += list(footnotes)
    return TableBlock(name=name, caption=caption, header=header, body=tuple(body),
                      footnotes=tuple(notes))
