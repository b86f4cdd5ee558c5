"""Per-patient appendix pages: lesion measurements, timepoint responses with the rule that
fired, and a spider-plot slot filled by a figure function the caller passes in.

This module never imports plotting (STYLE.md convention 8): ``plot_spider`` is any callable
that takes the patient's spider series and returns a :class:`FigureBlock` (for example a
wrapper around the figures package's spider plot that saves SVG/PNG bytes).

Inputs are the tables of :func:`cnsrwe.criteria.derive_timepoint_responses`:
``lesions`` (``LESION_SCHEMA``: lesion_id, role, assessment_date, recorded_tenths,
used_tenths, flag) and ``timepoints`` (``TIMEPOINT_SCHEMA``: assessment_date,
compartment, target_sum_tenths, pct_change_baseline, response, rule), filtered by the caller
to one patient, one line and one profile. Sums are stored in tenths of a mm and printed in mm.
The patient appears only under the pseudonymous ``patient_label`` the caller chooses.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from cnsrwe.report.document import Cell, FigureBlock, Paragraph, Row, Section, TableBlock
from cnsrwe.report.format import DEFAULT, FormatOptions, fmt_number

LESION_COLUMNS = ("lesion_id", "role", "assessment_date", "recorded_tenths", "flag")
TIMEPOINT_COLUMNS = ("assessment_date", "compartment", "target_sum_tenths",
                     "pct_change_baseline", "response", "rule")


def _require(df: pl.DataFrame, cols: tuple[str, ...], name: str) -> None:
    if not isinstance(df, pl.DataFrame):
        msg = f"`{name}` must be a polars DataFrame, got {type(df).__name__}"
        raise TypeError(msg)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        msg = f"`{name}` must have columns {list(cols)}, missing {missing!r}"
        raise ValueError(msg)
    for key in ("patient_id", "line", "profile"):
        if key in df.columns and df[key].n_unique() > 1:
            msg = (f"`{name}` must hold one {key} (filter it first), got "
                   f"{df[key].n_unique()} distinct values")
            raise ValueError(msg)


def lesion_table(lesions: pl.DataFrame, *, name: str, options: FormatOptions = DEFAULT
                 ) -> TableBlock:
    """Lesion x assessment-date grid of recorded diameters (mm), flags in footnotes."""
    _require(lesions, LESION_COLUMNS, "lesions")
    df = lesions.select(LESION_COLUMNS).unique().sort(["role", "lesion_id", "assessment_date"])
    df = df.with_columns(pl.col("assessment_date").cast(pl.String).alias("date"))
    date_cols = sorted(df["date"].unique().to_list())
    text: dict[tuple[str, str], str] = {}
    for r in df.iter_rows(named=True):
        v = r["recorded_tenths"]
        text[(r["lesion_id"], r["date"])] = (
            "—" if v is None else fmt_number(v / 10.0, 1, options=options))
    keys = df.select("role", "lesion_id").unique(maintain_order=True)
    header = (Row((Cell("Lesion"), Cell("Role"),
                   *[Cell(d, align="center") for d in date_cols])),)
    body = tuple(
        Row((Cell(lid), Cell(role.replace("_", "-")),
             *[Cell(text.get((lid, d), ""), align="center") for d in date_cols]))
        for role, lid in keys.iter_rows()
    )
    flags = (df.filter(pl.col("flag").is_not_null() & (pl.col("flag") != ""))
             .select("lesion_id", "date", "flag").unique().sort(["lesion_id", "date", "flag"]))
    notes = ["Longest diameter in mm (short axis for lymph nodes); — not measured."]
    notes += [f"{r['lesion_id']} on {r['date']}: {r['flag']}." for r in flags.iter_rows(named=True)]
    return TableBlock(name=name, caption="Lesion measurements", header=header, body=body,
                      footnotes=tuple(notes))


def timepoint_table(timepoints: pl.DataFrame, *, name: str,
                    options: FormatOptions = DEFAULT) -> TableBlock:
    """One row per assessment and compartment: sum (mm), % change, response, rule fired."""
    _require(timepoints, TIMEPOINT_COLUMNS, "timepoints")
    df = timepoints.select(TIMEPOINT_COLUMNS).sort(["assessment_date", "compartment"])
    header = (Row((Cell("Date"), Cell("Compartment"), Cell("Target sum, mm", align="center"),
                   Cell("Change from baseline, %", align="center"),
                   Cell("Response", align="center"), Cell("Rule"))),)
    body = []
    for r in df.iter_rows(named=True):
        tsum = None if r["target_sum_tenths"] is None else r["target_sum_tenths"] / 10.0
        body.append(Row((
            Cell(str(r["assessment_date"])), Cell(r["compartment"]),
            Cell(fmt_number(tsum, 1, options=options, missing="—"), align="center"),
            Cell(fmt_number(r["pct_change_baseline"], 1, options=options, missing="—"),
                 align="center"),
            Cell(r["response"] or "—", align="center"), Cell(r["rule"] or ""))))
    return TableBlock(name=name, caption="Timepoint responses", header=header,
                      body=tuple(body),
                      footnotes=("Rule: the criteria rule that decided the timepoint response.",))


def build_patient_appendix(
    *,
    patient_label: str,
    lesions: pl.DataFrame,
    timepoints: pl.DataFrame,
    spider: pl.DataFrame | None = None,
    plot_spider: Callable[[pl.DataFrame], FigureBlock] | None = None,
    summary: str | None = None,
    options: FormatOptions = DEFAULT,
) -> Section:
    """A level-2 :class:`Section` for one patient (module notes).

    ``plot_spider(spider)`` is called only when both are given, and must return a
    :class:`FigureBlock`.
    """
    if not patient_label.strip():
        msg = f"`patient_label` must be a non-empty pseudonym, got {patient_label!r}"
        raise ValueError(msg)
    slug = "".join(ch if ch.isalnum() else "_" for ch in patient_label)
    blocks: list[Paragraph | TableBlock | FigureBlock] = []
    if summary:
        blocks.append(Paragraph(summary))
    blocks.append(lesion_table(lesions, name=f"{slug}_lesions", options=options))
    blocks.append(timepoint_table(timepoints, name=f"{slug}_timepoints", options=options))
    if plot_spider is not None and spider is not None:
        fig = plot_spider(spider)
        if not isinstance(fig, FigureBlock):
            msg = f"`plot_spider` must return a FigureBlock, got {type(fig).__name__}"
            raise TypeError(msg)
        blocks.append(fig)
    return Section(title=f"Patient {patient_label}", blocks=tuple(blocks), level=2)
