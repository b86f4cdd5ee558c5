"""Swimmer plot: one lane per patient showing treatment segments and clinical events.

Inputs are two tables prepared by the analysis (times from each patient's index date, in
the figure's time unit):

``segments``: ``patient_id``, ``start``, ``end``, ``category`` (e.g. "1st-generation ALK TKI",
"2nd-generation ALK TKI", "3rd-generation ALK TKI", "Chemotherapy") and optionally ``ongoing``
(bool: an arrow after the segment end).

``events``: ``patient_id``, ``time``, ``event`` among the keys of ``EVENT_STYLE``:
first CR / first PR, CNS progression, extracranial progression, death and CNS radiotherapy.

Lanes are ordered by total follow-up (longest on top), ties by patient id. Category colours
follow the Okabe-Ito order of ``category_order`` (default: categories sorted by name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._input import as_frame, check_vocabulary, numbers, strings
from cnsrwe.report.figures.style import GREY, group_colour, new_axes, style_context

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Event kinds and how they are drawn: (legend label, marker, face colour). Faces are black
#: or white with a contrasting edge, so markers stay visible on every segment colour.
EVENT_STYLE: dict[str, tuple[str, str, str]] = {
    "first_cr": ("First CR", "D", "black"),
    "first_pr": ("First PR", "D", "white"),
    "cns_progression": ("CNS progression", "v", "black"),
    "extracranial_progression": ("Extracranial progression", "v", "white"),
    "death": ("Death", "X", "black"),
    "cns_radiotherapy": ("CNS radiotherapy", "*", "white"),
}
EVENT_KINDS: tuple[str, ...] = tuple(EVENT_STYLE)


def swimmer_figure_data(
    segments: Any,
    events: Any = None,
    *,
    category_order: Sequence[str] | None = None,
    patient: str = "patient_id",
    time_unit: str = "months",
) -> FigureData:
    """What :func:`plot_swimmer` draws (kind ``"swimmer"``).

    Content: ``lanes`` (top to bottom: patient, y, segments with start/end/category/colour,
    ``arrow_x`` or null, events with time/event/marker), ``categories`` (label, colour),
    ``event_legend``, ``xlabel``.
    """
    seg = as_frame(segments, "segments", [patient, "start", "end", "category"])
    start = numbers(seg, "segments", "start")
    end = numbers(seg, "segments", "end")
    if (start < 0).any() or (end < start).any():
        msg = "`segments` must have 0 <= start <= end in every row, got a row breaking it"
        raise ValueError(msg)
    cats = strings(seg, "category")
    if any(c is None for c in cats):
        msg = "`segments.category` must not be missing, got a null"
        raise ValueError(msg)
    present = sorted({c for c in cats if c is not None})
    order = present if category_order is None else list(category_order)
    check_vocabulary("segments.category", cats, order)
    colour = {c: group_colour(k) for k, c in enumerate(order)}
    ongoing = (
        seg["ongoing"].fill_null(False).cast(pl.Boolean).to_list() if "ongoing" in seg.columns
        else [False] * seg.height
    )  # fmt: skip
    seg = pl.DataFrame({"p": strings(seg, patient), "start": start, "end": end, "cat": cats,
                        "ongoing": ongoing})
    if seg["p"].null_count():
        msg = f"`segments.{patient}` must not be missing, got a null"
        raise ValueError(msg)
    if events is None:
        ev = pl.DataFrame(schema={"p": pl.String, "time": pl.Float64, "event": pl.String})
    else:
        e = as_frame(events, "events", [patient, "time", "event"])
        kinds = strings(e, "event")
        check_vocabulary("events.event", kinds, EVENT_KINDS)
        ev = pl.DataFrame({"p": strings(e, patient), "time": numbers(e, "events", "time"),
                           "event": kinds}, schema={"p": pl.String, "time": pl.Float64,
                                                    "event": pl.String})
        unknown = set(ev["p"].to_list()) - set(seg["p"].to_list())
        if unknown:
            msg = (f"`events.{patient}` must name patients present in `segments`, got "
                   f"{len(unknown)} without a segment")
            raise ValueError(msg)
    span = seg.group_by("p").agg(pl.col("end").max().alias("span"))
    span = span.join(
        ev.group_by("p").agg(pl.col("time").max().alias("ev_max")), on="p", how="left"
    ).with_columns(pl.max_horizontal("span", "ev_max").alias("span"))
    lane_order = span.sort(["span", "p"], descending=[True, False])["p"].to_list()
    n = len(lane_order)
    lanes = []
    for k, pid in enumerate(lane_order):
        s = seg.filter(pl.col("p") == pid).sort(["start", "end", "cat"])
        ends = s.filter(pl.col("ongoing"))["end"]
        e = ev.filter(pl.col("p") == pid).sort(["time", "event"])
        lanes.append({
            "patient": pid, "y": float(n - 1 - k),
            "segments": [{"start": r["start"], "end": r["end"], "category": r["cat"],
                          "colour": colour[r["cat"]]} for r in s.iter_rows(named=True)],
            "arrow_x": float(ends.max()) if ends.len() else None,  # type: ignore[arg-type]
            "events": [{"time": r["time"], "event": r["event"],
                        "marker": EVENT_STYLE[r["event"]][1]} for r in e.iter_rows(named=True)],
        })  # fmt: skip
    used = set(ev["event"].to_list())
    content = {
        "lanes": lanes,
        "categories": [{"label": c, "colour": colour[c]} for c in order if c in present],
        "event_legend": [{"event": k, "label": EVENT_STYLE[k][0], "marker": EVENT_STYLE[k][1],
                          "colour": EVENT_STYLE[k][2]} for k in EVENT_KINDS if k in used],
        "xlabel": f"Time from index ({time_unit})",
    }
    return FigureData("swimmer", freeze(content))


def plot_swimmer(segments: Any, events: Any = None, *, ax: Axes | None = None,
                 title: str | None = None, **options: Any) -> Figure:
    """Draw a swimmer plot; returns the Figure. ``options`` as :func:`swimmer_figure_data`.

    A new figure grows with the number of lanes (0.22 in per patient, at least 2.4 in).
    """
    data = swimmer_figure_data(segments, events, **options)
    c = data.content
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.transforms import offset_copy

    with style_context():
        fig, axes = new_axes(ax, size=(6.5, max(2.4, 0.75 + 0.22 * len(c["lanes"]))))
        for lane in c["lanes"]:
            y = lane["y"]
            for s in lane["segments"]:
                axes.barh(y, s["end"] - s["start"], left=s["start"], height=0.6,
                          color=s["colour"], edgecolor="white", linewidth=0.5)
            if lane["arrow_x"] is not None:
                ahead = offset_copy(axes.transData, fig=fig, x=14, y=0, units="points")
                axes.annotate("", xy=(lane["arrow_x"], y), xycoords=ahead,
                              xytext=(lane["arrow_x"], y), textcoords="data",
                              arrowprops={"arrowstyle": "-|>", "color": GREY, "lw": 1.0,
                                          "shrinkA": 0, "shrinkB": 0})
            for e in lane["events"]:
                _label, marker, face = EVENT_STYLE[e["event"]]
                axes.plot(e["time"], y, linestyle="none", marker=marker, markersize=5.5,
                          markerfacecolor=face, markeredgewidth=0.7,
                          markeredgecolor="white" if face == "black" else "black")
        axes.set_yticks([])
        axes.spines["left"].set_visible(False)
        axes.set_ylim(-0.8, len(c["lanes"]) - 0.2)
        axes.set_xlim(left=0)
        axes.set_xlabel(c["xlabel"])
        axes.set_ylabel("Patients")
        handles: list[Any] = [Patch(color=k["colour"], label=k["label"])
                              for k in c["categories"]]
        handles += [Line2D([], [], linestyle="none", marker=k["marker"], markersize=5,
                           markerfacecolor=k["colour"], markeredgecolor="black",
                           markeredgewidth=0.7, label=k["label"]) for k in c["event_legend"]]
        if any(lane["arrow_x"] is not None for lane in c["lanes"]):
            handles.append(Line2D([], [], color=GREY, marker=">", markersize=4,
                                  label="Ongoing"))
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                    borderaxespad=0.0)
        if ax is None:
            h = fig.get_figheight()
            fig.subplots_adjust(left=0.06, right=0.68, bottom=0.5 / h, top=1 - 0.15 / h)
        if title:
            axes.set_title(title, loc="left")
    return fig
