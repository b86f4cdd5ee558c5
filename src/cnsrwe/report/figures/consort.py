"""CONSORT-style patient-flow diagram (Schulz et al. 2010, CONSORT flow diagram) drawn from the
flow table of :func:`cnsrwe.study.patient_flow`: ``step, stage, label, n, kind``.

Included rows form the main column top to bottom; each run of excluded rows becomes one box
to the right, joined to the arrow between the included boxes before and after it, listing
every reason with its count; included rows whose ``stage`` starts with ``branch_prefix``
(``"cohort_"``) become side-by-side boxes at the bottom. Counts are printed as given; the
diagram adds nothing up.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._input import as_frame, check_vocabulary, numbers, strings
from cnsrwe.report.figures.style import SMALL_FONT_SIZE, new_axes, style_context

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_MAIN_X = 0.33
_SIDE_X = 0.60
_WRAP = 40  # characters per line in a box


def _box_text(label: str, n: float) -> str:
    return "\n".join(textwrap.wrap(label, _WRAP) or [""]) + f"\n(n = {int(n)})"


def _excluded_text(labels: list[str], counts: list[float]) -> str:
    lines = ["Excluded:"]
    for label, n in zip(labels, counts, strict=True):
        lines += textwrap.wrap(f"\u2022 {label} (n = {int(n)})", _WRAP,
                               subsequent_indent="   ")
    return "\n".join(lines)


def _point(x: float, y: float) -> dict[str, Any]:
    return {"box": None, "x": x, "y": y}


def _box(box_id: str) -> dict[str, Any]:
    return {"box": box_id, "x": None, "y": None}


def consort_figure_data(flow: Any, *, branch_prefix: str = "cohort_") -> FigureData:
    """What :func:`plot_consort` draws (kind ``"consort"``).

    Content: ``boxes`` (id, kind main/excluded/branch, text, x in [0, 1]: the centre, or the left
    edge of an excluded box; y slot),
    ``arrows`` (``from``/``to``: a box id or a point, ``head``: arrowhead or plain line),
    ``height`` (slots).
    """
    df = as_frame(flow, "flow", ["stage", "label", "n", "kind"])
    if df.height == 0:
        msg = "`flow` must have at least one row, got 0"
        raise ValueError(msg)
    if "step" in df.columns:
        df = df.sort("step")
    kinds = strings(df, "kind")
    check_vocabulary("flow.kind", kinds, ("included", "excluded"))
    counts = numbers(df, "flow", "n")
    if (counts < 0).any() or (counts != counts.round()).any():
        msg = "`flow.n` must be whole numbers >= 0, got a value breaking it"
        raise ValueError(msg)
    stages = [s or "" for s in strings(df, "stage")]
    labels = [s or "" for s in strings(df, "label")]
    if kinds[0] != "included":
        msg = f"`flow` must start with an included stage, got {stages[0]!r} ({kinds[0]})"
        raise ValueError(msg)
    boxes: list[dict[str, Any]] = []
    arrows: list[dict[str, Any]] = []
    main = [i for i, k in enumerate(kinds) if k == "included"
            and not (branch_prefix and stages[i].startswith(branch_prefix))]
    branches = [i for i, k in enumerate(kinds) if k == "included" and i not in main]
    if branches and (branches[0] < main[-1] or any(
            k == "excluded" for k in kinds[branches[0]:])):
        msg = "`flow` must end with its branch rows (after every other row), got them earlier"
        raise ValueError(msg)
    y = 0.0
    prev: str | None = None

    def excluded_box(rows: list[int], box_id: str) -> None:
        nonlocal y
        y -= 1.0
        boxes.append({"id": box_id, "kind": "excluded", "x": _SIDE_X, "y": y,
                      "text": _excluded_text([labels[j] for j in rows],
                                             [float(counts[j]) for j in rows])})
        arrows.append({"from": _point(_MAIN_X, y), "to": _box(box_id), "head": True})

    last = 0
    for i in main:
        box_id = stages[i] or f"row{i}"
        excl = [j for j in range(last, i) if kinds[j] == "excluded"]
        if prev is not None:
            if excl:
                excluded_box(excl, f"excluded_before_{box_id}")
            y -= 1.0
            arrows.append({"from": _box(prev), "to": _box(box_id), "head": True})
        boxes.append({"id": box_id, "kind": "main", "x": _MAIN_X, "y": y,
                      "text": _box_text(labels[i], float(counts[i]))})
        prev, last = box_id, i + 1
    tail = [j for j in range(last, len(kinds)) if kinds[j] == "excluded"]
    split: dict[str, Any] = _box(str(prev))
    if tail:
        excluded_box(tail, "excluded_after_" + str(prev))
        if branches:
            y -= 0.6
            arrows.append({"from": _box(str(prev)), "to": _point(_MAIN_X, y), "head": False})
            split = _point(_MAIN_X, y)
    if branches:
        y -= 1.2
        k = len(branches)
        for j, i in enumerate(branches):
            boxes.append({"id": stages[i], "kind": "branch", "x": (j + 0.5) / k, "y": y,
                          "text": _box_text(labels[i], float(counts[i]))})
            arrows.append({"from": split, "to": _box(stages[i]), "head": True})
    content = {"boxes": boxes, "arrows": arrows, "height": -y + 1.0}
    return FigureData("consort", freeze(content))


def plot_consort(flow: Any, *, ax: Axes | None = None, title: str | None = None,
                 **options: Any) -> Figure:
    """Draw a CONSORT-style flow diagram; returns the Figure. Options as
    :func:`consort_figure_data`. Boxes size themselves to their text."""
    data = consort_figure_data(flow, **options)
    c = data.content
    with style_context():
        fig, axes = new_axes(ax, size=(7.0, 0.75 * c["height"] + 0.3))
        axes.set_axis_off()
        axes.set_xlim(0, 1)
        axes.set_ylim(-c["height"] + 0.5, 0.5)
        artists = {}
        for b in c["boxes"]:
            face = "white" if b["kind"] != "excluded" else "#F2F2F2"
            artists[b["id"]] = axes.text(
                b["x"], b["y"], b["text"], ha="center" if b["kind"] != "excluded" else "left",
                va="center", fontsize=SMALL_FONT_SIZE, linespacing=1.3,
                multialignment="center" if b["kind"] != "excluded" else "left",
                bbox={"boxstyle": "square,pad=0.5", "facecolor": face, "edgecolor": "black",
                      "linewidth": 0.8},
            )
        for a in c["arrows"]:
            props = {"arrowstyle": "-|>" if a["head"] else "-", "color": "black", "lw": 0.8,
                     "shrinkA": 0, "shrinkB": 0}
            src, dst = a["from"], a["to"]
            if dst["box"] is not None and src["box"] is None and src["y"] == next(
                    b["y"] for b in c["boxes"] if b["id"] == dst["box"]):
                xy, xycoords = (0.0, 0.5), artists[dst["box"]]  # sideways into an exclusion
            elif dst["box"] is not None:
                xy, xycoords = (0.5, 1.0), artists[dst["box"]]
            else:
                xy, xycoords = (dst["x"], dst["y"]), "data"
            if src["box"] is not None:
                xytext, textcoords = (0.5, 0.0), artists[src["box"]]
            else:
                xytext, textcoords = (src["x"], src["y"]), "data"
            axes.annotate("", xy=xy, xycoords=xycoords, xytext=xytext, textcoords=textcoords,
                          arrowprops=props)
        if title:
            axes.set_title(title, loc="left")
        if ax is None:
            fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98)
    return fig
