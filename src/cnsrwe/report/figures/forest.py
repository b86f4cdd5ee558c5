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

import textwrap
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

#: Readable ratio ticks per decade (x 10^k): 1, 2, 4 above 1 and their reciprocals
#: 0.5, 0.25, 0.1 below, so the axis is symmetric about 1 (0.25 <-> 4, 0.1 <-> 10).
_FINE = tuple(sorted({float(f"{v:.12g}") for m in (1.0, 2.0, 4.0) for k in range(7)
                      for v in (m * 10.0**k, 1.0 / (m * 10.0**k))}))
#: At most this many labelled ticks; a wider range keeps the powers of ten only.
MAX_TICKS = 7
#: Widest label column (inches) before a label is wrapped onto more lines.
LABEL_MAX_INCHES = 3.2


def log_axis(lo: float, hi: float) -> tuple[float, float, list[float]]:
    """Limits and ticks of a log-scale ratio axis covering ``[lo, hi]`` (both > 0).

    The limits are the nearest readable ticks outside the data (the ladder 0.1, 0.25, 0.5,
    1, 2, 4, 10, extended by powers of ten, see ``_FINE``); the ticks are the ladder values
    between them, or only the powers of ten when that would give more than ``MAX_TICKS``
    (e.g. 0.08 to 313 gives 0.05 to 400 with ticks 0.1, 1, 10, 100). Ticks therefore never
    crowd near a lower limit close to 0, as doubling from the smallest limit did. Over a
    very wide range every second (third, ...) power of ten is kept.
    """
    fine = np.asarray(_FINE)
    lo = float(np.clip(lo, fine[0], fine[-1]))
    hi = float(np.clip(hi, fine[0], fine[-1]))
    lo_x = float(fine[np.searchsorted(fine, lo * (1 + 1e-9), side="right") - 1])
    hi_x = float(fine[np.searchsorted(fine, hi * (1 - 1e-9), side="left")])
    if lo_x == hi_x:
        i = int(np.searchsorted(fine, lo_x))
        lo_x, hi_x = float(fine[max(i - 1, 0)]), float(fine[min(i + 1, fine.size - 1)])
    inside = fine[(fine >= lo_x) & (fine <= hi_x)]
    if inside.size > MAX_TICKS:
        power = np.round(np.log10(inside), 9)
        inside = inside[power == np.round(power)]
        step = -(-inside.size // MAX_TICKS)  # every step-th power of ten, keeping 10^0 = 1
        inside = inside[np.round(np.log10(inside)).astype(int) % step == 0]
    return lo_x, hi_x, [float(t) for t in inside]


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
        lo_x, hi_x, ticks = log_axis(min(vals), max(vals))
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


def _text_width(text: str, *, bold: bool = False) -> float:
    """Width in inches of one line of ``text`` at the figures' small font size (measured by
    the Agg renderer with the active style's font)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    if not text:
        return 0.0
    prop = FontProperties(size=SMALL_FONT_SIZE, weight="bold" if bold else "normal")
    width, _, _ = RendererAgg(1, 1, 72).get_text_width_height_descent(text, prop, ismath=False)
    return float(width) / 72.0


def _wrap(text: str, *, bold: bool, limit: float) -> str:
    """``text`` wrapped at word boundaries so that every line is at most ``limit`` inches
    wide (a single word longer than that stays whole)."""
    if _text_width(text, bold=bold) <= limit:
        return text
    chars = len(text)
    while chars > 1:
        chars -= max(1, chars // 20)
        lines = textwrap.wrap(text, chars, break_long_words=False)
        if max(_text_width(line, bold=bold) for line in lines) <= limit:
            return "\n".join(lines)
    return "\n".join(text.split())


def plot_forest(dataset: Any, *, ax: Axes | None = None, title: str | None = None,
                **options: Any) -> Figure:
    """Draw a forest plot; returns the Figure. ``options`` as :func:`forest_figure_data`.

    Layout: label column | n/events column | plotting area | estimate (CI) column. The
    column widths are measured from their longest text (labels wider than
    ``LABEL_MAX_INCHES`` are wrapped onto more lines and the rows spaced for them), so no
    text overlaps another column or the intervals. A new figure is sized to hold all four
    columns; with a given ``ax`` the columns are placed the same way outside its left and
    right edges and the caller leaves margins for them.
    """
    data = forest_figure_data(dataset, **options)
    c = data.content
    from matplotlib.patches import Polygon
    from matplotlib.ticker import FixedLocator, NullLocator

    gap = 0.15  # inches between columns
    indent = 8.0 / 72.0  # subgroup rows are indented under their header
    plot_width = 3.0
    with style_context():
        rows = c["rows"]
        cols = c["columns"]
        labels = [_wrap(r["label"], bold=r["kind"] != "subgroup",
                        limit=LABEL_MAX_INCHES - (indent if r["kind"] == "subgroup" else 0))
                  for r in rows]
        label_w = max([_text_width(line, bold=r["kind"] != "subgroup")
                       + (indent if r["kind"] == "subgroup" else 0)
                       for r, text in zip(rows, labels, strict=True)
                       for line in text.split("\n")]
                      + [_text_width(cols["label"], bold=True)])
        n_w = max([_text_width(r["n_text"]) for r in rows] + [_text_width(cols["n"], bold=True)])
        est_w = max([_text_width(r["estimate_text"]) for r in rows]
                    + [_text_width(cols["estimate"], bold=True)])
        lines = max([t.count("\n") + 1 for t in labels] + [1])
        pitch = 0.26 if lines == 1 else 0.1 + 0.14 * lines  # inches per row
        left_w = label_w + gap + (n_w + gap if n_w else 0)  # inches left of the axes
        right_w = gap + est_w
        fig, axes = new_axes(ax, size=(0.15 + left_w + plot_width + right_w + 0.15,
                                       1.2 + pitch * max(len(rows), 1)))
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
        label_x = -72.0 * left_w  # offsets in points from the axes edges
        n_x = -72.0 * gap
        est_x = 72.0 * gap
        for r, text in zip(rows, labels, strict=True):
            bold = "bold" if r["kind"] in ("header", "pooled") else "normal"
            shift = 72.0 * indent if r["kind"] == "subgroup" else 0.0
            axes.annotate(text, xy=(0, r["y"]), xycoords=("axes fraction", "data"),
                          xytext=(label_x + shift, 0), textcoords="offset points", ha="left",
                          va="center", fontweight=bold, fontsize=SMALL_FONT_SIZE,
                          annotation_clip=False)
            axes.annotate(r["n_text"], xy=(0, r["y"]), xycoords=("axes fraction", "data"),
                          xytext=(n_x, 0), textcoords="offset points", ha="right",
                          va="center", fontsize=SMALL_FONT_SIZE, annotation_clip=False)
            axes.annotate(r["estimate_text"], xy=(1, r["y"]),
                          xycoords=("axes fraction", "data"), xytext=(est_x, 0),
                          textcoords="offset points", ha="left", va="center",
                          fontsize=SMALL_FONT_SIZE, annotation_clip=False)
        for text, x, dx, ha in ((cols["label"], 0, label_x, "left"), (cols["n"], 0, n_x, "right"),
                                (cols["estimate"], 1, est_x, "left")):
            axes.annotate(text, xy=(x, top), xycoords=("axes fraction", "data"),
                          xytext=(dx, 4), textcoords="offset points", ha=ha, va="bottom",
                          fontweight="bold", fontsize=SMALL_FONT_SIZE, annotation_clip=False)
        if ax is None:
            w = fig.get_figwidth()
            h = fig.get_figheight()
            fig.subplots_adjust(left=(0.15 + left_w) / w, right=1 - (right_w + 0.15) / w,
                                bottom=0.55 / h, top=1 - 0.4 / h)
        if title:
            axes.set_title(title, loc="left", pad=18)
    return fig
