"""Sankey diagram of treatment sequences: line 1 -> line 2 -> line 3, band widths = patients.

Input is a table of counted transitions, one row per (``step``, ``from_label``,
``to_label``) with the number of patients ``n``: exactly what
:func:`cnsrwe.resistance.treatment_sequences` returns (step k goes from line k to line k + 1;
the last line of a patient goes to ``"ongoing"`` or ``"no further line"``). Nothing is
counted here; the figure only lays the counts out.

Layout rules (the usual sankey conventions, e.g. Riehmann, Hanfler & Froehlich, "Interactive
Sankey diagrams", IEEE InfoVis 2005):

* column ``c`` (0-based) holds the labels of line ``c + 1``; a node's height is the larger of
  the patients flowing in and out of it (they differ only for nodes whose patients stop);
* within a column, nodes are ordered by ``order`` when given, otherwise by size (largest on
  top, ties by label); terminal labels (``terminal_labels``) always go to the bottom;
* nodes are stacked top-down with a fixed gap (``gap`` x the largest column total) and each
  column is centred on the tallest one;
* a band leaves its source node in the top-to-bottom order of its targets and enters its
  target node in the top-to-bottom order of its sources, so bands never cross inside a node;
  its width equals its patient count at both ends.

Colours: each label keeps one colour in every column (Okabe-Ito, by first appearance in
``order`` or in size order); terminal labels are grey; a band has its source's colour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._input import as_frame, numbers, strings
from cnsrwe.report.figures.style import (
    LIGHT_GREY,
    SMALL_FONT_SIZE,
    group_colour,
    new_axes,
    style_context,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TERMINAL_LABELS: tuple[str, ...] = ("ongoing", "no further line")
NODE_WIDTH = 0.08
BAND_ALPHA = 0.45


def _flows(df: pl.DataFrame, step: str, source: str, target: str, count: str
           ) -> list[tuple[int, str, str, int]]:
    steps = numbers(df, "dataset", step)
    counts = numbers(df, "dataset", count)
    if not np.all(steps == np.round(steps)) or np.any(steps < 1):
        msg = f"`dataset.{step}` must hold whole numbers >= 1, got {steps.tolist()!r}"
        raise ValueError(msg)
    if not np.all(counts == np.round(counts)) or np.any(counts < 1):
        bad = float(counts[(counts != np.round(counts)) | (counts < 1)][0])
        msg = f"`dataset.{count}` must be patient counts >= 1, got {bad!r}"
        raise ValueError(msg)
    src, tgt = strings(df, source), strings(df, target)
    if any(v is None for v in (*src, *tgt)):
        msg = f"`dataset.{source}` and `dataset.{target}` must not be missing"
        raise ValueError(msg)
    first = int(steps.min()) if len(steps) else 1
    flows = [(int(s) - first, str(a), str(b), int(n))
             for s, a, b, n in zip(steps, src, tgt, counts, strict=True)]
    keys = [(s, a, b) for s, a, b, _ in flows]
    if len(set(keys)) != len(keys):
        msg = f"`dataset` must have one row per ({step}, {source}, {target}), got duplicates"
        raise ValueError(msg)
    present = sorted({s for s, _, _, _ in flows})
    if present != list(range(len(present))):
        msg = f"`dataset.{step}` must be consecutive steps, got {[p + first for p in present]!r}"
        raise ValueError(msg)
    return flows


def _r(value: float) -> float:
    """Coordinates rounded to 1e-9 patient units (no -1e-15 from float stacking)."""
    return round(float(value), 9) + 0.0


def _rank(order: Sequence[str] | None, terminal: Sequence[str]
          ) -> Callable[[tuple[str, int]], tuple[bool, int, int, str]]:
    """Sort key of (label, size): listed labels first in ``order``, then by size; terminal last."""
    pos = {label: i for i, label in enumerate(order or ())}

    def key(item: tuple[str, int]) -> tuple[bool, int, int, str]:
        label, size = item
        listed = pos.get(label, len(pos))
        return (label in terminal, listed, -size if label not in pos else 0, label)

    return key


def sankey_figure_data(
    dataset: Any,
    *,
    step: str = "step",
    source: str = "from_label",
    target: str = "to_label",
    count: str = "n",
    order: Sequence[str] | None = None,
    terminal_labels: Sequence[str] = TERMINAL_LABELS,
    column_labels: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    gap: float = 0.04,
) -> FigureData:
    """What :func:`plot_sankey` draws (kind ``"sankey"``).

    Parameters
    ----------
    dataset : counted transitions (``step``, ``source``, ``target``, ``count`` columns).
    order : labels in the order they should be stacked (others follow by size).
    terminal_labels : labels drawn at the bottom of their column, in grey.
    column_labels : one header per column (default ``Line 1``, ``Line 2``, ...).
    colours : label -> colour overrides.
    gap : gap between nodes as a fraction of the largest column total, in [0, 0.5].

    Content: ``columns`` (index, header, total), ``nodes`` (column, label, n, n_in, n_out,
    y0 bottom, y1 top, colour), ``bands`` (step index, source, target, n, source_y0,
    source_y1, target_y0, target_y1, colour), ``ylim``, ``node_width``.
    """
    df = as_frame(dataset, "dataset", [step, source, target, count])
    if not (isinstance(gap, int | float) and 0 <= gap <= 0.5):
        msg = f"`gap` must be in [0, 0.5], got {gap!r}"
        raise ValueError(msg)
    flows = _flows(df, step, source, target, count)
    n_cols = (max(s for s, _, _, _ in flows) + 2) if flows else 0
    if column_labels is not None and len(column_labels) != n_cols:
        msg = (f"`column_labels` must have {n_cols} labels (one per column),"
               f" got {len(column_labels)}")
        raise ValueError(msg)
    headers = list(column_labels) if column_labels else [f"Line {c + 1}" for c in range(n_cols)]
    inflow: dict[tuple[int, str], int] = {}
    outflow: dict[tuple[int, str], int] = {}
    for s, a, b, n in flows:
        outflow[(s, a)] = outflow.get((s, a), 0) + n
        inflow[(s + 1, b)] = inflow.get((s + 1, b), 0) + n
    for (c, label), n_out in outflow.items():
        if c > 0 and n_out > inflow.get((c, label), 0):
            msg = (
                f"`dataset` flows out of {label!r} in column {c + 1} ({n_out}) exceed the flows"
                f" into it ({inflow.get((c, label), 0)}); patients cannot appear mid-sequence"
            )
            raise ValueError(msg)
    terminal = tuple(terminal_labels)
    key = _rank(order, terminal)
    sizes = {k: max(inflow.get(k, 0), outflow.get(k, 0)) for k in {*inflow, *outflow}}
    # one colour per label, in global stacking order
    totals: dict[str, int] = {}
    for (_, label), size in sizes.items():
        totals[label] = totals.get(label, 0) + size
    palette: dict[str, str] = {}
    for label, _ in sorted(totals.items(), key=key):
        if label in terminal:
            palette[label] = LIGHT_GREY
        else:
            palette[label] = group_colour(len([v for v in palette.values() if v != LIGHT_GREY]))
    palette.update(dict(colours or {}))
    col_nodes = [sorted(((lab, size) for (c, lab), size in sizes.items() if c == col), key=key)
                 for col in range(n_cols)]
    col_totals = [sum(size for _, size in nodes) for nodes in col_nodes]
    gap_h = gap * max(col_totals, default=0)
    col_heights = [t + gap_h * max(len(nodes) - 1, 0) for t, nodes in zip(col_totals, col_nodes,
                                                                         strict=True)]
    height = max(col_heights, default=0.0)
    nodes: list[dict[str, Any]] = []
    box: dict[tuple[int, str], tuple[float, float]] = {}
    for col, members in enumerate(col_nodes):
        top = height - (height - col_heights[col]) / 2
        for label, size in members:
            box[(col, label)] = (top - size, top)
            nodes.append({
                "column": col, "label": label, "n": size,
                "n_in": inflow.get((col, label), 0), "n_out": outflow.get((col, label), 0),
                "y0": _r(top - size), "y1": _r(top), "colour": palette[label],
            })  # fmt: skip
            top -= size + gap_h
    rank = {(n["column"], n["label"]): i for i, n in enumerate(nodes)}
    out_cursor = {k: v[1] for k, v in box.items()}
    in_cursor = {k: v[1] for k, v in box.items()}
    bands = []
    by_source = sorted(flows, key=lambda f: (f[0], rank[(f[0], f[1])], rank[(f[0] + 1, f[2])]))
    placed: dict[tuple[int, str, str], tuple[float, float]] = {}
    for s, a, b, n in by_source:
        y1 = out_cursor[(s, a)]
        placed[(s, a, b)] = (y1 - n, y1)
        out_cursor[(s, a)] = y1 - n
    by_target = sorted(flows, key=lambda f: (f[0], rank[(f[0] + 1, f[2])], rank[(f[0], f[1])]))
    for s, a, b, n in by_target:
        y1 = in_cursor[(s + 1, b)]
        in_cursor[(s + 1, b)] = y1 - n
        sy0, sy1 = placed[(s, a, b)]
        bands.append({
            "step": s, "source": a, "target": b, "n": n, "source_y0": _r(sy0),
            "source_y1": _r(sy1), "target_y0": _r(y1 - n), "target_y1": _r(y1),
            "colour": palette[a],
        })  # fmt: skip
    bands.sort(key=lambda d: (d["step"], rank[(d["step"], d["source"])],
                              rank[(d["step"] + 1, d["target"])]))
    content = {
        "columns": [{"index": c, "header": headers[c], "total": col_totals[c]}
                    for c in range(n_cols)],
        "nodes": nodes,
        "bands": bands,
        "ylim": [0.0, _r(height)],
        "node_width": NODE_WIDTH,
    }
    return FigureData("sankey", freeze(content))


def _band_path(x0: float, x1: float, b: Mapping[str, Any]) -> Any:
    from matplotlib.path import Path as MplPath

    xm = (x0 + x1) / 2
    verts = [
        (x0, b["source_y1"]), (xm, b["source_y1"]), (xm, b["target_y1"]), (x1, b["target_y1"]),
        (x1, b["target_y0"]), (xm, b["target_y0"]), (xm, b["source_y0"]), (x0, b["source_y0"]),
        (x0, b["source_y1"]),
    ]  # fmt: skip
    codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO,
             MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY]
    return MplPath(verts, codes)


def plot_sankey(dataset: Any, *, ax: Axes | None = None, title: str | None = None,
                **options: Any) -> Figure:
    """Draw a sankey diagram; returns the Figure. ``options`` as :func:`sankey_figure_data`."""
    data = sankey_figure_data(dataset, **options)
    c = data.content
    from matplotlib.patches import PathPatch, Rectangle

    with style_context():
        n_cols = len(c["columns"])
        fig, axes = new_axes(ax, size=(max(4.5, 2.3 * n_cols), 4.8))
        w = c["node_width"]
        for b in c["bands"]:
            x0, x1 = b["step"] + w / 2, b["step"] + 1 - w / 2
            axes.add_patch(PathPatch(_band_path(x0, x1, b), facecolor=b["colour"],
                                     edgecolor="none", alpha=BAND_ALPHA))
        last = n_cols - 1
        for node in c["nodes"]:
            x = node["column"]
            axes.add_patch(Rectangle((x - w / 2, node["y0"]), w, node["n"],
                                     facecolor=node["colour"], edgecolor="white", linewidth=0.5))
            right = node["column"] != last
            axes.text(x + (w / 2 + 0.03) * (1 if right else -1), (node["y0"] + node["y1"]) / 2,
                      f"{node['label']} ({node['n']})", ha="left" if right else "right",
                      va="center", fontsize=SMALL_FONT_SIZE - 1)
        top = c["ylim"][1]
        for col in c["columns"]:
            axes.text(col["index"], top * 1.03, f"{col['header']}\n(n = {col['total']})",
                      ha="center", va="bottom", fontsize=SMALL_FONT_SIZE)
        axes.set_xlim(-0.35, max(last, 1) + 0.35)
        axes.set_ylim(0, top * 1.12 if top else 1)
        axes.set_axis_off()
        if title:
            axes.set_title(title, loc="left")
    return fig
