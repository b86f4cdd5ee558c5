"""Waterfall plot: best percentage change of the target-lesion sum per patient, sorted from
largest increase to largest decrease, bars coloured by best overall response.

Input is the patient-level table of :func:`cnsrwe.response.best_target_change` (column
``best_pct_change``, ``pd_new_lesion``) joined with the best overall response (``bor``). The
reference lines mark the RECIST 1.1 / RANO-BM thresholds for partial response (-30 %) and
progression (+20 %) (Eisenhauer 2009, section 4.3.1; Lin 2015 RANO-BM). Bars above ``cap``
are drawn at the cap with a triangle marker and their value printed; a star marks patients
whose first progression came with a new lesion. Patients without an evaluable change (null)
have no bar and are counted in the footnote. Nothing is computed: order and colours only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._input import as_frame, check_vocabulary, numbers, strings
from cnsrwe.report.figures.style import (
    GREY,
    RESPONSE_COLOURS,
    RESPONSE_ORDER,
    SMALL_FONT_SIZE,
    new_axes,
    response_colour,
    style_context,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def check_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    """Reference-line levels in percent: finite numbers (e.g. (-30, 20))."""
    vals = tuple(thresholds)
    if not all(isinstance(v, int | float) and np.isfinite(v) for v in vals):
        msg = f"`thresholds` must be finite percentages, got {thresholds!r}"
        raise ValueError(msg)
    return tuple(float(v) for v in vals)


def waterfall_figure_data(
    dataset: Any,
    *,
    change: str = "best_pct_change",
    response: str = "bor",
    new_lesion: str | None = "pd_new_lesion",
    patient: str = "patient_id",
    cap: float = 100.0,
    thresholds: Sequence[float] = (-30.0, 20.0),
    ylabel: str = "Best change from baseline in target lesion sum (%)",
) -> FigureData:
    """What :func:`plot_waterfall` draws (kind ``"waterfall"``).

    Content: ``bars`` (in drawing order: patient, value, height, colour, response, capped,
    cap_marker_y, new_lesion, new_lesion_y), ``thresholds``, ``cap``, ``ylim``, ``ylabel``,
    ``legend`` (responses shown, in RESPONSE_ORDER), ``xlabel`` (with counts). Ties in change are
    ordered by patient id, so the order is reproducible. ``new_lesion=None``: no star markers.
    """
    cols = [patient, change, response] + ([new_lesion] if new_lesion else [])
    df = as_frame(dataset, "dataset", cols)
    if not (isinstance(cap, int | float) and np.isfinite(cap) and cap > 0):
        msg = f"`cap` must be a positive percentage, got {cap!r}"
        raise ValueError(msg)
    lines = check_thresholds(thresholds)
    vals = numbers(df, "dataset", change, nullable=True)
    resp = strings(df, response)
    check_vocabulary(f"dataset.{response}", resp, RESPONSE_ORDER)
    ids = strings(df, patient)
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        msg = f"`dataset.{patient}` must identify one row per patient, got duplicates or nulls"
        raise ValueError(msg)
    newl = (
        [bool(v) for v in df[new_lesion].fill_null(False).to_list()] if new_lesion
        else [False] * df.height
    )  # fmt: skip
    keep = [i for i in range(df.height) if np.isfinite(vals[i])]
    order = sorted(keep, key=lambda i: (-vals[i], str(ids[i])))
    bars = []
    for i in order:
        capped = bool(vals[i] > cap)
        height = float(min(vals[i], cap))
        # markers: a triangle above a capped bar; a star above the bar (or inside a capped
        # bar's top) for PD with a new lesion
        marker_y = (cap - 8.0 if capped else max(height, 0.0) + 5.0) if newl[i] else None
        bars.append({
            "patient": ids[i], "value": float(vals[i]), "height": height,
            "colour": response_colour(resp[i]), "response": resp[i] or "MISSING",
            "capped": capped, "cap_marker_y": cap + 4.0 if capped else None,
            "new_lesion": newl[i], "new_lesion_y": marker_y,
        })  # fmt: skip
    shown = {b["response"] for b in bars}
    low = min([-100.0, *(b["height"] for b in bars)])
    n_missing = df.height - len(keep)
    xlabel = f"Patients (n = {len(bars)}"
    xlabel += f"; {n_missing} without an evaluable change, not shown)" if n_missing else ")"
    content = {
        "bars": bars,
        "thresholds": list(lines),
        "cap": float(cap),
        "ylim": [low - 5.0, float(cap) + 20.0],
        "ylabel": ylabel,
        "legend": [
            {"label": r, "colour": RESPONSE_COLOURS[r]} for r in RESPONSE_ORDER if r in shown
        ],
        "xlabel": xlabel,
    }
    return FigureData("waterfall", freeze(content))


def plot_waterfall(dataset: Any, *, ax: Axes | None = None, title: str | None = None,
                   **options: Any) -> Figure:
    """Draw a waterfall plot; returns the Figure. ``options`` as :func:`waterfall_figure_data`."""
    data = waterfall_figure_data(dataset, **options)
    c = data.content
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    with style_context():
        fig, axes = new_axes(ax)
        bars = c["bars"]
        x = np.arange(len(bars))
        axes.bar(x, [b["height"] for b in bars], width=0.8,
                 color=[b["colour"] for b in bars], edgecolor="none")
        axes.axhline(0, color="black", linewidth=0.8)
        for level in c["thresholds"]:
            axes.axhline(level, color=GREY, linewidth=0.8, linestyle=(0, (4, 3)))
        capped = [i for i, b in enumerate(bars) if b["capped"]]
        if capped:
            axes.plot(capped, [bars[i]["cap_marker_y"] for i in capped], linestyle="none",
                      marker="^",
                      markersize=5, color="black")
            for i in capped:
                axes.text(i, c["cap"] + 8.0, f"{bars[i]['value']:.0f}%", ha="center",
                          va="bottom", fontsize=SMALL_FONT_SIZE - 1, rotation=90)
        newl = [i for i, b in enumerate(bars) if b["new_lesion_y"] is not None]
        if newl:
            axes.plot(newl, [bars[i]["new_lesion_y"] for i in newl], linestyle="none",
                      marker="*", markersize=7, color="black")
        axes.set_xlim(-0.8, max(len(bars) - 0.2, 0.8))
        axes.set_ylim(*c["ylim"])
        axes.set_xticks([])
        axes.spines["bottom"].set_visible(False)
        axes.set_ylabel(c["ylabel"])
        axes.set_xlabel(c["xlabel"])
        handles: list[Any] = [Patch(color=e["colour"], label=e["label"]) for e in c["legend"]]
        if capped:
            handles.append(Line2D([], [], linestyle="none", marker="^", color="black",
                                  label=f"Change > {c['cap']:g}% (value printed)"))
        if newl:
            handles.append(Line2D([], [], linestyle="none", marker="*", color="black",
                                  label="PD with new lesion"))
        axes.legend(handles=handles, loc="lower left", ncol=1)
        if title:
            axes.set_title(title, loc="left")
    return fig
