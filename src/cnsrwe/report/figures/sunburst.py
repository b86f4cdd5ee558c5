"""Sunburst of counted categories in rings, e.g. re-biopsies by specimen -> timing -> mechanism.

Input is a table with one row per leaf path: one column per ring (``levels``, inner ring
first) and a count column (``n``), e.g. the samples of
:func:`cnsrwe.resistance.derive_biopsy_mechanisms` grouped by specimen, timing and
mechanism class, or the counts of :func:`cnsrwe.resistance.rebiopsy_timing`. Nothing is
counted here except sums of the given counts up the hierarchy.

Rules:

* ring ``k`` holds one wedge per distinct path ``levels[0..k]``; its count is the sum of the
  counts of the rows below it and its angle is ``360 x count / total``;
* a null at level ``k`` ends that path: the sector stays empty on rings ``k`` and beyond (e.g.
  no mechanism ring for a failed biopsy); a null may not be followed by a value;
* wedges start at 12 o'clock and run clockwise; inside a parent, children are ordered by
  ``order[level]`` when given, otherwise by count (largest first, ties by label), so reruns
  give the same picture;
* colours: inner-ring labels take the Okabe-Ito colours in drawing order; every outer wedge has
  its inner-ring ancestor's colour, lightened by ``lighten`` per ring (``colours`` overrides by
  label); a wedge is labelled with its name and count when its angle is at least
  ``min_label_degrees``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._input import as_frame, numbers, strings
from cnsrwe.report.figures.style import SMALL_FONT_SIZE, group_colour, new_axes, style_context

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HOLE = 0.3  # radius of the empty centre (outer radius 1)


def _mix_white(colour: str, fraction: float) -> str:
    """``colour`` (#RRGGBB) mixed with white: 0 = unchanged, 1 = white."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (255 - c) * fraction) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def _check_levels(levels: Sequence[str]) -> list[str]:
    if isinstance(levels, str) or not levels or not all(isinstance(v, str) for v in levels):
        msg = f"`levels` must be a non-empty list of column names, got {levels!r}"
        raise ValueError(msg)
    if len(set(levels)) != len(levels):
        msg = f"`levels` must name distinct columns, got {list(levels)!r}"
        raise ValueError(msg)
    return list(levels)


def sunburst_figure_data(
    dataset: Any,
    *,
    levels: Sequence[str],
    count: str = "n",
    order: Mapping[str, Sequence[str]] | None = None,
    colours: Mapping[str, str] | None = None,
    lighten: float = 0.3,
    min_label_degrees: float = 12.0,
    centre_label: str | None = None,
) -> FigureData:
    """What :func:`plot_sunburst` draws (kind ``"sunburst"``).

    Parameters
    ----------
    dataset : one row per leaf path: the ``levels`` columns and ``count``.
    levels : ring columns, inner ring first.
    order : per level, labels in drawing order (others follow by count).
    colours : label -> colour overrides (any ring).
    lighten : how much each ring further out is mixed with white, in [0, 0.5).
    min_label_degrees : smallest wedge angle that gets a text label.
    centre_label : text in the centre (default ``n = <total>``).

    Content: ``levels``, ``total``, ``centre_text``, ``rings`` (ring, level, r_inner,
    r_outer), ``wedges`` (ring, path, label, n, fraction of total, theta1, theta2 in degrees
    counter-clockwise from 3 o'clock as matplotlib draws them, colour, labelled, text).
    """
    cols = _check_levels(levels)
    df = as_frame(dataset, "dataset", [*cols, count])
    if not (isinstance(lighten, int | float) and 0 <= lighten < 0.5):
        msg = f"`lighten` must be in [0, 0.5), got {lighten!r}"
        raise ValueError(msg)
    if not (isinstance(min_label_degrees, int | float) and min_label_degrees >= 0):
        msg = f"`min_label_degrees` must be a number of degrees >= 0, got {min_label_degrees!r}"
        raise ValueError(msg)
    counts = numbers(df, "dataset", count)
    if np.any(counts < 0):
        msg = f"`dataset.{count}` must be counts >= 0, got {float(counts[counts < 0][0])!r}"
        raise ValueError(msg)
    paths: list[tuple[str, ...]] = []
    columns = [strings(df, c) for c in cols]
    for i in range(df.height):
        values = [col[i] for col in columns]
        if values[0] is None:
            msg = (f"`dataset.{cols[0]}` (the inner ring) must not be missing,"
                   f" got a null in row {i + 1}")
            raise ValueError(msg)
        cut = values.index(None) if None in values else len(values)
        if any(v is not None for v in values[cut:]):
            msg = (f"`dataset` row {i + 1} has a value after a missing level; a path ends at its"
                   f" first null, got {values!r}")
            raise ValueError(msg)
        paths.append(tuple(str(v) for v in values[:cut]))
    total = float(counts.sum())
    if total <= 0:
        msg = f"`dataset.{count}` must sum to more than 0, got {total!r}"
        raise ValueError(msg)
    sums: dict[tuple[str, ...], float] = {}
    for path, n in zip(paths, counts, strict=True):
        for k in range(1, len(path) + 1):
            sums[path[:k]] = sums.get(path[:k], 0.0) + float(n)
    orders = {lv: {lab: i for i, lab in enumerate(seq)} for lv, seq in (order or {}).items()}

    def sort_key(path: tuple[str, ...]) -> tuple[int, float, str]:
        pos = orders.get(cols[len(path) - 1], {})
        label = path[-1]
        return (pos.get(label, len(pos)), -sums[path] if label not in pos else 0.0, label)

    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for path in sums:
        children.setdefault(path[:-1], []).append(path)
    width = (1.0 - HOLE) / len(cols)
    wedges: list[dict[str, Any]] = []
    root_colour: dict[str, str] = {}
    override = dict(colours or {})

    def place(parent: tuple[str, ...], start: float) -> None:
        for path in sorted(children.get(parent, []), key=sort_key):
            n = sums[path]
            span = 360.0 * n / total
            ring = len(path) - 1
            if ring == 0:
                root_colour[path[0]] = override.get(path[0], group_colour(len(root_colour)))
            colour = override.get(path[-1], _mix_white(root_colour[path[0]], lighten * ring))
            # clockwise from 12 o'clock = matplotlib angles 90 - start - span .. 90 - start
            theta2 = 90.0 - start
            theta1 = theta2 - span
            labelled = span >= min_label_degrees and n > 0
            wedges.append({
                "ring": ring, "path": list(path), "label": path[-1], "n": n,
                "fraction": n / total, "theta1": round(theta1, 9), "theta2": round(theta2, 9),
                "colour": colour, "labelled": labelled,
                "text": f"{path[-1]}\n{n:g}" if labelled else "",
            })  # fmt: skip
            place(path, start)
            start += span

    place((), 0.0)
    content = {
        "levels": cols,
        "total": total,
        "centre_text": centre_label if centre_label is not None else f"n = {total:g}",
        "rings": [{"ring": k, "level": lv, "r_inner": HOLE + k * width,
                   "r_outer": HOLE + (k + 1) * width} for k, lv in enumerate(cols)],
        "wedges": wedges,
    }
    return FigureData("sunburst", freeze(content))


def plot_sunburst(dataset: Any, *, ax: Axes | None = None, title: str | None = None,
                  **options: Any) -> Figure:
    """Draw a sunburst; returns the Figure. ``options`` as :func:`sunburst_figure_data`."""
    data = sunburst_figure_data(dataset, **options)
    c = data.content
    from matplotlib.patches import Wedge

    with style_context():
        fig, axes = new_axes(ax, size=(5.5, 5.5))
        rings = c["rings"]
        for w in c["wedges"]:
            r = rings[w["ring"]]
            axes.add_patch(Wedge((0, 0), r["r_outer"], w["theta1"], w["theta2"],
                                 width=r["r_outer"] - r["r_inner"], facecolor=w["colour"],
                                 edgecolor="white", linewidth=0.8))
            if w["labelled"]:
                mid = np.deg2rad((w["theta1"] + w["theta2"]) / 2)
                rad = (r["r_inner"] + r["r_outer"]) / 2
                axes.text(rad * np.cos(mid), rad * np.sin(mid), w["text"], ha="center",
                          va="center", fontsize=SMALL_FONT_SIZE - 1.5)
        axes.text(0, 0, c["centre_text"], ha="center", va="center", fontsize=SMALL_FONT_SIZE)
        axes.set_xlim(-1.05, 1.05)
        axes.set_ylim(-1.05, 1.05)
        axes.set_aspect("equal")
        axes.set_axis_off()
        if title:
            axes.set_title(title, loc="left")
    return fig
