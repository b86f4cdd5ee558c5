"""One figure style for every cnsrwe figure: colour-blind-safe colours, fonts, sizes.

Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design", reproduced in
Wong 2011, Nat Methods 8:441), which stays distinguishable under the common colour-vision
deficiencies. Groups also differ by line style so curves remain distinct in grey-scale print.
Response categories use fixed colours so a CR is the same blue in every figure of a report.

Fonts are DejaVu Sans (shipped with matplotlib), so figures render identically on every
machine. Sizes suit a single journal column at 300 dpi.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Okabe-Ito palette, in the order used for groups (black last; kept for reference lines).
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "orange": "#E69F00",
    "reddish_purple": "#CC79A7",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: Group colours, in order (yellow is left out: too light for thin lines on white).
GROUP_COLOURS: tuple[str, ...] = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
)  # fmt: skip

#: Line styles paired with the group colours (distinct in grey-scale print).
GROUP_LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), "-")

#: Best-response colours (RECIST 1.1 / RANO-BM categories and the response engine's MISSING).
RESPONSE_COLOURS: dict[str, str] = {
    "CR": "#0072B2",
    "PR": "#56B4E9",
    "SD": "#009E73",
    "NON-CR/NON-PD": "#E69F00",
    "PD": "#D55E00",
    "NE": "#999999",
    "MISSING": "#BBBBBB",
}

#: Order of response categories in legends (best first).
RESPONSE_ORDER: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")

GREY = "#666666"
LIGHT_GREY = "#BBBBBB"
FONT_FAMILY = "DejaVu Sans"
FONT_SIZE = 9.0
SMALL_FONT_SIZE = 8.0
LINE_WIDTH = 1.5
DPI = 300
#: Default figure size in inches (width, height).
FIGURE_SIZE: tuple[float, float] = (6.5, 4.5)


def group_colour(k: int) -> str:
    """Colour of the ``k``-th group (cycles after the palette is used up)."""
    return GROUP_COLOURS[k % len(GROUP_COLOURS)]


def group_linestyle(k: int) -> Any:
    """Line style of the ``k``-th group."""
    return GROUP_LINESTYLES[k % len(GROUP_LINESTYLES)]


def response_colour(code: str | None) -> str:
    """Colour of a best-response code (unknown codes and ``None`` get the NE grey)."""
    if code is None:
        return RESPONSE_COLOURS["MISSING"]
    return RESPONSE_COLOURS.get(code, RESPONSE_COLOURS["NE"])


def rc_params() -> dict[str, Any]:
    """The matplotlib settings every cnsrwe figure is drawn and saved with."""
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [FONT_FAMILY],
        "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE + 1,
        "axes.labelsize": FONT_SIZE,
        "xtick.labelsize": SMALL_FONT_SIZE,
        "ytick.labelsize": SMALL_FONT_SIZE,
        "legend.fontsize": SMALL_FONT_SIZE,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.8,
        "lines.linewidth": LINE_WIDTH,
        "savefig.dpi": DPI,
        "svg.hashsalt": "cnsrwe",
        "svg.fonttype": "path",
        "pdf.fonttype": 42,
        "image.composite_image": True,
    }


def new_axes(ax: Axes | None, size: Sequence[float] = FIGURE_SIZE) -> tuple[Figure, Axes]:
    """Return ``(figure, axes)``: the figure of ``ax``, or a new one (no pyplot state).

    A new figure is a plain :class:`matplotlib.figure.Figure`, so nothing is registered with
    pyplot, no GUI backend is touched and the figure is freed with its last reference.
    """
    if ax is not None:
        fig = ax.get_figure()
        if fig is None:
            msg = "`ax` must belong to a figure, got an axes without one"
            raise ValueError(msg)
        return fig, ax  # type: ignore[return-value]
    from matplotlib.figure import Figure

    fig = Figure(figsize=tuple(size), dpi=100)
    return fig, fig.add_subplot(1, 1, 1)


def style_context() -> Any:
    """Context manager applying :func:`rc_params` while a figure is drawn or saved."""
    import matplotlib

    return matplotlib.rc_context(rc_params())
