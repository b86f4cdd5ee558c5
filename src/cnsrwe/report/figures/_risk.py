"""Shared drawing pieces of the time-to-event figures: the number-at-risk table beneath the
axes (aligned to the x ticks), the annotation box and the figure margins.

The counts drawn here are passed in; they come from the statistics layer's ``at_risk``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cnsrwe.report.figures.style import FONT_SIZE, GREY, SMALL_FONT_SIZE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Vertical layout of the risk table, in points below the x axis.
_TABLE_TOP_PT = 36.0
_ROW_PT = 11.0
_AXES_HEIGHT_IN = 3.4
_LOCATIONS = {
    "upper right": (0.98, 0.98, "right", "top"),
    "upper left": (0.02, 0.98, "left", "top"),
    "lower left": (0.02, 0.02, "left", "bottom"),
    "lower right": (0.98, 0.02, "right", "bottom"),
}
ANNOTATION_LOCATIONS: tuple[str, ...] = tuple(_LOCATIONS)


def layout_new_figure(fig: Figure, *, n_rows: int, labels: Sequence[str]) -> None:
    """Size a figure we created so the axes keep their height and the risk table fits."""
    bottom_in = (_TABLE_TOP_PT + _ROW_PT * (n_rows + 1) + 6.0) / 72.0 if n_rows else 0.55
    left_in = max(0.75, 0.07 * max((len(s) for s in labels), default=0) + 0.35)
    width = fig.get_figwidth()
    height = _AXES_HEIGHT_IN + bottom_in + 0.2
    fig.set_size_inches(width, height)
    fig.subplots_adjust(left=left_in / width, right=0.97, bottom=bottom_in / height,
                        top=1 - 0.2 / height)


def draw_risk_table(ax: Axes, table: Mapping[str, Any]) -> None:
    """Draw ``table`` (``times``, ``header``, ``rows`` of ``label``/``colour``/``counts``)."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    ax.annotate(table["header"], xy=(0, 0), xycoords="axes fraction",
                xytext=(-14, -_TABLE_TOP_PT), textcoords="offset points", ha="right",
                va="top", fontsize=FONT_SIZE, fontweight="bold", annotation_clip=False)
    for k, row in enumerate(table["rows"]):
        y_off = -_TABLE_TOP_PT - _ROW_PT * (k + 1)
        ax.annotate(row["label"], xy=(0, 0), xycoords="axes fraction", xytext=(-14, y_off),
                    textcoords="offset points", ha="right", va="top", color=row["colour"],
                    fontsize=SMALL_FONT_SIZE, fontweight="bold", annotation_clip=False)
        for t, text in zip(table["times"], row["counts"], strict=True):
            ax.annotate(text, xy=(t, 0), xycoords=trans, xytext=(0, y_off),
                        textcoords="offset points", ha="center", va="top",
                        fontsize=SMALL_FONT_SIZE, annotation_clip=False)


def draw_annotation(ax: Axes, lines: Sequence[str], loc: str) -> None:
    """Draw the annotation box (one text line per entry) at ``loc`` inside the axes."""
    if not lines:
        return
    x, y, ha, va = _LOCATIONS[loc]
    ax.text(x, y, "\n".join(lines), transform=ax.transAxes, ha=ha, va=va,
            fontsize=SMALL_FONT_SIZE, linespacing=1.35, multialignment="left",
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": GREY,
                  "linewidth": 0.6})
