"""Spider plot: percentage change of the target-lesion sum from baseline over time, one line
per patient, coloured by the patient's best overall response, with the -30 % / +20 %
RECIST 1.1 reference lines (Eisenhauer 2009, section 4.3.1).

Input is :func:`cnsrwe.response.target_change_series` (``days_from_baseline``,
``pct_change_baseline``, ``new_lesion``) joined with the best response per patient. Points
whose change is not evaluable (null) are left out, so a line joins evaluable assessments
only; a cross marks an assessment with a new lesion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._input import as_frame, check_vocabulary, numbers, strings
from cnsrwe.report.figures.style import (
    GREY,
    RESPONSE_COLOURS,
    RESPONSE_ORDER,
    new_axes,
    response_colour,
    style_context,
)
from cnsrwe.report.figures.waterfall import check_thresholds

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def spider_figure_data(
    dataset: Any,
    *,
    time: str = "days_from_baseline",
    change: str = "pct_change_baseline",
    response: str = "bor",
    new_lesion: str | None = "new_lesion",
    patient: str = "patient_id",
    time_unit: str = "days",
    thresholds: Sequence[float] = (-30.0, 20.0),
    ylabel: str = "Change from baseline in target lesion sum (%)",
) -> FigureData:
    """What :func:`plot_spider` draws (kind ``"spider"``).

    ``response`` holds each patient's best response (one value per patient). Content:
    ``lines`` (per patient in id order: patient, response, colour, x, y, new_lesion_x,
    new_lesion_y), ``thresholds``, ``xlabel``, ``ylabel``, ``legend``.
    """
    cols = [patient, time, change, response] + ([new_lesion] if new_lesion else [])
    df = as_frame(dataset, "dataset", cols)
    lines_at = check_thresholds(thresholds)
    numbers(df, "dataset", time)
    numbers(df, "dataset", change, nullable=True)
    check_vocabulary(f"dataset.{response}", strings(df, response), RESPONSE_ORDER)
    if df[patient].null_count():
        msg = f"`dataset.{patient}` must not be missing, got {df[patient].null_count()} null(s)"
        raise ValueError(msg)
    df = df.with_columns(pl.col(patient).cast(pl.String), pl.col(response).cast(pl.String))
    per = df.group_by(patient).agg(pl.col(response).n_unique().alias("k"))
    if per["k"].max() > 1:  # type: ignore[operator]
        msg = f"`dataset.{response}` must hold one best response per patient, got several"
        raise ValueError(msg)
    nl = pl.col(new_lesion).fill_null(False) if new_lesion else pl.lit(False)
    pts = (
        df.filter(pl.col(change).is_not_null())
        .select(pl.col(patient).alias("p"), pl.col(time).cast(pl.Float64).alias("x"),
                pl.col(change).cast(pl.Float64).alias("y"), nl.alias("nl"),
                pl.col(response).alias("r"))
        .sort(["p", "x"])
    )  # fmt: skip
    lines = []
    for (pid,), g in pts.group_by("p", maintain_order=True):
        resp = g["r"][0]
        hit = g.filter(pl.col("nl"))
        lines.append({
            "patient": pid, "response": resp or "MISSING", "colour": response_colour(resp),
            "x": g["x"].to_list(), "y": g["y"].to_list(),
            "new_lesion_x": hit["x"].to_list(), "new_lesion_y": hit["y"].to_list(),
        })  # fmt: skip
    shown = {ln["response"] for ln in lines}
    content = {
        "lines": lines,
        "thresholds": list(lines_at),
        "xlabel": f"Time from baseline ({time_unit})",
        "ylabel": ylabel,
        "legend": [
            {"label": r, "colour": RESPONSE_COLOURS[r]} for r in RESPONSE_ORDER if r in shown
        ],
    }
    return FigureData("spider", freeze(content))


def plot_spider(dataset: Any, *, ax: Axes | None = None, title: str | None = None,
                **options: Any) -> Figure:
    """Draw a spider plot; returns the Figure. ``options`` as :func:`spider_figure_data`."""
    data = spider_figure_data(dataset, **options)
    c = data.content
    from matplotlib.lines import Line2D

    with style_context():
        fig, axes = new_axes(ax)
        for ln in c["lines"]:
            axes.plot(ln["x"], ln["y"], color=ln["colour"], linewidth=1.0, marker="o",
                      markersize=2.5)
            if ln["new_lesion_x"]:
                axes.plot(ln["new_lesion_x"], ln["new_lesion_y"], linestyle="none", marker="x",
                          markersize=5, color="black")
        axes.axhline(0, color="black", linewidth=0.8)
        for level in c["thresholds"]:
            axes.axhline(level, color=GREY, linewidth=0.8, linestyle=(0, (4, 3)))
        axes.set_xlim(left=0)
        ys = [v for ln in c["lines"] for v in ln["y"]]
        top = max([40.0, *ys])
        axes.set_ylim(min([-100.0, *ys]) - 5.0, top + 0.08 * (top + 100.0))
        axes.set_xlabel(c["xlabel"])
        axes.set_ylabel(c["ylabel"])
        handles: list[Any] = [Line2D([], [], color=e["colour"], label=e["label"])
                              for e in c["legend"]]
        if any(ln["new_lesion_x"] for ln in c["lines"]):
            handles.append(Line2D([], [], linestyle="none", marker="x", color="black",
                                  label="New lesion"))
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                    borderaxespad=0.0)
        if ax is None:
            fig.subplots_adjust(left=0.12, right=0.8)
        if title:
            axes.set_title(title, loc="left")
    return fig
