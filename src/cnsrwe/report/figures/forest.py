"""Forest plot: one row per subgroup with its estimate and confidence interval, a text
column with n / events and the formatted estimate, a vertical line of no effect and an
optional pooled (overall) estimate drawn as a diamond.

Input is a table with one row per subgroup: ``label``, ``estimate``, ``lower``, ``upper`` and
optionally ``n``, ``events`` and ``kind`` (``"subgroup"`` (default), ``"header"`` for a row
with a label only, ``"pooled"`` for the diamond). The numbers come from the statistics layer,
e.g. the ``hazard_ratio``/``ci_lower``/``ci_upper`` of one ``cox_ph`` fit per subgroup, or
risk differences with their CIs. ``scale="log"`` (hazard and odds ratios; reference 1) or
``"linear"`` (differences, proportions; reference 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from cnsrwe._checks import assert_in
from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._input import as_frame, check_vocabulary, numbers, strings
from cnsrwe.report.figures.style import (
    GREY,
    OKABE_ITO,
    SMALL_FONT_SIZE,
    new_axes,
    style_context,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

KINDS = ("subgroup", "header", "pooled")


def _count(df: pl.DataFrame, col: str, i: int) -> str:
    if col not in df.columns or df[col][i] is None:
        return ""
    v = float(df[col][i])
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def forest_figure_data(
    dataset: Any,
    *,
    scale: str = "log",
    reference: float | None = None,
    estimate_label: str = "HR (95% CI)",
    xlabel: str | None = None,
    digits: int = 2,
) -> FigureData:
    """What :func:`plot_forest` draws (kind ``"forest"``).

    Content: ``rows`` (top to bottom: y, label, kind, estimate, lower, upper, n_text,
    estimate_text), ``scale``, ``reference``, ``xlim``, ``xticks``, ``xlabel``,
    ``columns`` (headers of the text columns).
    """
    assert_in("scale", scale, ("log", "linear"))
    df = as_frame(dataset, "dataset", ["label", "estimate", "lower", "upper"])
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 4:
        msg = f"`digits` must be a whole number in [0, 4], got {digits!r}"
        raise ValueError(msg)
    kinds = strings(df, "kind") if "kind" in df.columns else ["subgroup"] * df.height
    kinds = [k or "subgroup" for k in kinds]
    check_vocabulary("dataset.kind", kinds, KINDS)
    est = numbers(df, "dataset", "estimate", nullable=True)
    lo = numbers(df, "dataset", "lower", nullable=True)
    up = numbers(df, "dataset", "upper", nullable=True)
    has = ~np.isnan(est)
    rows_needing = np.array([k != "header" for k in kinds])
    if np.any(rows_needing & has & ((lo > est) | (est > up))):
        msg = "`dataset` must have lower <= estimate <= upper in every row, got a row breaking it"
        raise ValueError(msg)
    if scale == "log" and np.any(rows_needing & has & ((lo <= 0) | (est <= 0))):
        msg = "`dataset` estimates and limits must be > 0 on `scale` 'log', got a value <= 0"
        raise ValueError(msg)
    ref = (1.0 if scale == "log" else 0.0) if reference is None else float(reference)
    if scale == "log" and ref <= 0:
        msg = f"`reference` must be > 0 on a log scale, got {reference!r}"
        raise ValueError(msg)
    labels = strings(df, "label")
    n_rows = df.height
    has_counts = "n" in df.columns or "events" in df.columns
    rows = []
    for i in range(n_rows):
        shown = kinds[i] != "header" and has[i]
        if "n" in df.columns and "events" in df.columns:
            n_text = f"{_count(df, 'n', i)}/{_count(df, 'events', i)}".strip("/")
        else:
            n_text = _count(df, "n", i) or _count(df, "events", i)
        rows.append({
            "y": float(n_rows - 1 - i), "label": labels[i] or "", "kind": kinds[i],
            "estimate": float(est[i]) if shown else None,
            "lower": float(lo[i]) if shown and np.isfinite(lo[i]) else None,
            "upper": float(up[i]) if shown and np.isfinite(up[i]) else None,
            "n_text": n_text if kinds[i] != "header" else "",
            "estimate_text": (f"{est[i]:.{digits}f} ({lo[i]:.{digits}f}\u2013{up[i]:.{digits}f})"
                              if shown else ""),
        })  # fmt: skip
    vals = [v for r in rows for v in (r["lower"], r["upper"], r["estimate"]) if v is not None]
    vals.append(ref)
    if scale == "log":
        lo_x = 2.0 ** np.floor(np.log2(min(vals)))
        hi_x = 2.0 ** np.ceil(np.log2(max(vals)))
        if lo_x == hi_x:
            lo_x, hi_x = lo_x / 2, hi_x * 2
        k = np.arange(np.log2(lo_x), np.log2(hi_x) + 1)
        ticks = [float(2.0**e) for e in k]
    else:
        span = max(vals) - min(vals) or 1.0
        lo_x, hi_x = min(vals) - 0.05 * span, max(vals) + 0.05 * span
        ticks = []
    header = "n/events" if "n" in df.columns and "events" in df.columns else (
        "n" if "n" in df.columns else "events")
    content = {
        "rows": rows,
        "scale": scale,
        "reference": ref,
        "xlim": [float(lo_x), float(hi_x)],
        "xticks": ticks,
        "xlabel": xlabel or ("Hazard ratio (log scale)" if scale == "log" else "Difference"),
        "columns": {"label": "Subgroup", "n": header if has_counts else "",
                    "estimate": estimate_label},
    }
    return FigureData("forest", freeze(content))


def plot_forest(dataset: Any, *, ax: Axes | None = None, title: str | None = None,
                **options: Any) -> Figure:
    """Draw a forest plot; returns the Figure. ``options`` as :func:`forest_figure_data`.

    Text columns sit left (labels, n/events) and right (estimate with CI) of the plotting
    area; with a given ``ax`` the caller leaves margins for them.
    """
    data = forest_figure_data(dataset, **options)
    c = data.content
    from matplotlib.patches import Polygon
    from matplotlib.ticker import FixedLocator, NullLocator

    with style_context():
        rows = c["rows"]
        fig, axes = new_axes(ax, size=(7.0, 1.2 + 0.26 * max(len(rows), 1)))
        colour = OKABE_ITO["blue"]
        for r in rows:
            if r["estimate"] is None:
                continue
            if r["kind"] == "pooled" and r["lower"] is not None:
                h = 0.3
                axes.add_patch(Polygon(
                    [(r["lower"], r["y"]), (r["estimate"], r["y"] + h), (r["upper"], r["y"]),
                     (r["estimate"], r["y"] - h)], closed=True, facecolor="black",
                    edgecolor="black"))  # fmt: skip
                continue
            if r["lower"] is not None and r["upper"] is not None:
                axes.plot([r["lower"], r["upper"]], [r["y"], r["y"]], color=colour,
                          linewidth=1.2)
            axes.plot(r["estimate"], r["y"], marker="s", markersize=5, color=colour,
                      linestyle="none")
        axes.axvline(c["reference"], color=GREY, linewidth=0.8, linestyle=(0, (4, 3)))
        if c["scale"] == "log":
            axes.set_xscale("log")
            axes.xaxis.set_major_locator(FixedLocator(c["xticks"]))
            axes.xaxis.set_minor_locator(NullLocator())
            axes.set_xticklabels([f"{t:g}" for t in c["xticks"]])
        axes.set_xlim(*c["xlim"])
        axes.set_ylim(-0.7, len(rows) - 0.3)
        axes.set_yticks([])
        axes.spines["left"].set_visible(False)
        axes.set_xlabel(c["xlabel"])
        top = len(rows) - 0.3
        cols = c["columns"]
        for r in rows:
            bold = "bold" if r["kind"] in ("header", "pooled") else "normal"
            indent = 0 if r["kind"] != "subgroup" else 8
            axes.annotate(r["label"], xy=(0, r["y"]), xycoords=("axes fraction", "data"),
                          xytext=(-150 + indent, 0), textcoords="offset points", ha="left",
                          va="center", fontweight=bold, fontsize=SMALL_FONT_SIZE,
                          annotation_clip=False)
            axes.annotate(r["n_text"], xy=(0, r["y"]), xycoords=("axes fraction", "data"),
                          xytext=(-8, 0), textcoords="offset points", ha="right",
                          va="center", fontsize=SMALL_FONT_SIZE, annotation_clip=False)
            axes.annotate(r["estimate_text"], xy=(1, r["y"]),
                          xycoords=("axes fraction", "data"), xytext=(8, 0),
                          textcoords="offset points", ha="left", va="center",
                          fontsize=SMALL_FONT_SIZE, annotation_clip=False)
        for text, x, dx, ha in ((cols["label"], 0, -150, "left"), (cols["n"], 0, -8, "right"),
                                (cols["estimate"], 1, 8, "left")):
            axes.annotate(text, xy=(x, top), xycoords=("axes fraction", "data"),
                          xytext=(dx, 4), textcoords="offset points", ha=ha, va="bottom",
                          fontweight="bold", fontsize=SMALL_FONT_SIZE, annotation_clip=False)
        if ax is None:
            w = fig.get_figwidth()
            h = fig.get_figheight()
            fig.subplots_adjust(left=2.25 / w, right=1 - 1.45 / w, bottom=0.55 / h,
                                top=1 - 0.4 / h)
        if title:
            axes.set_title(title, loc="left", pad=18)
    return fig
