"""Kaplan-Meier figure: step curves with censor ticks, optional CI bands and median lines,
an annotation box (median with CI per group, hazard ratio with CI, log-rank p) and a
number-at-risk table aligned to the x ticks.

Every number comes from the statistics layer: the curve from ``KaplanMeierResult.table``,
medians from ``.median`` / ``.median_ci``, the risk table from ``.at_risk(ticks)`` (which
equals R ``summary(survfit, times=)``), the HR from a ``CoxResult`` and p from a
``LogrankResult``. The only thing decided here is layout: which tick times to show.
Censor ticks sit on the curve at each censoring time, as R ``plot.survfit(mark.time=TRUE)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cnsrwe._checks import assert_in
from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._layout import check_ticks, fmt_count, fmt_number, fmt_p, time_ticks
from cnsrwe.report.figures._risk import (
    ANNOTATION_LOCATIONS,
    draw_annotation,
    draw_risk_table,
    layout_new_figure,
)
from cnsrwe.report.figures.style import (
    GREY,
    SMALL_FONT_SIZE,
    group_colour,
    group_linestyle,
    new_axes,
    style_context,
)
from cnsrwe.stats.cox import CoxResult
from cnsrwe.stats.kaplan_meier import KaplanMeierByResult, KaplanMeierResult
from cnsrwe.stats.logrank import LogrankResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _fits(result: Any) -> dict[str, KaplanMeierResult]:
    if isinstance(result, KaplanMeierByResult):
        return dict(result.fits)
    if isinstance(result, KaplanMeierResult):
        return {result.label or "All patients": result}
    msg = (
        "`result` must be a KaplanMeierResult or KaplanMeierByResult (cnsrwe.stats."
        f"kaplan_meier / kaplan_meier_by), got {type(result).__name__!r}"
    )
    raise TypeError(msg)


def _nan(a: Any) -> list[float]:
    return [float("nan") if v is None else float(v) for v in a]


def _curve(fit: KaplanMeierResult) -> dict[str, Any]:
    tab = fit.table
    time = tab["time"].to_list()
    cens = tab.filter(tab["n_censor"] > 0)
    med = fit.median
    lo, up = fit.median_ci
    return {
        "step_x": [0.0, *time],
        "step_y": [1.0, *tab["survival"].to_list()],
        "ci_lower": [1.0, *_nan(tab["lower"].to_list())],
        "ci_upper": [1.0, *_nan(tab["upper"].to_list())],
        "censor_x": cens["time"].to_list(),
        "censor_y": cens["survival"].to_list(),
        "median": med,
        "median_ci": [lo, up],
        "median_line": None if med is None else [[0.0, 0.5], [med, 0.5], [med, 0.0]],
    }


def _hr_line(cox: CoxResult, covariate: str | None, label: str | None, digits: int) -> str:
    names = list(cox.covariates)
    name = names[0] if covariate is None else covariate
    if name not in names:
        msg = f"`hr_covariate` must be one of {names!r}, got {covariate!r}"
        raise ValueError(msg)
    i = names.index(name)
    hr, lo, up = (float(a[i]) for a in (cox.hazard_ratio, cox.ci_lower, cox.ci_upper))
    pct = f"{round(cox.conf_level * 100, 6):g}%"
    return (f"HR {label or name}: {hr:.{digits}f} ({pct} CI {lo:.{digits}f}\u2013"
            f"{up:.{digits}f})")


def km_figure_data(
    result: KaplanMeierResult | KaplanMeierByResult,
    *,
    times: Sequence[float] | None = None,
    xmax: float | None = None,
    logrank: LogrankResult | None = None,
    cox: CoxResult | None = None,
    hr_covariate: str | None = None,
    hr_label: str | None = None,
    show_ci: bool = False,
    show_median: bool = True,
    show_risk_table: bool = True,
    time_unit: str = "months",
    ylabel: str = "Survival probability",
    digits: int = 1,
) -> FigureData:
    """What :func:`plot_km` draws, as a :class:`FigureData` of kind ``"kaplan_meier"``.

    Parameters
    ----------
    result : one curve (``kaplan_meier``) or one per group (``kaplan_meier_by``).
    times : x ticks and risk-table times; default: evenly spaced ticks from 0 to ``xmax``.
    xmax : right end of the x axis; default: the largest follow-up time.
    logrank : its ``p_value`` is printed in the annotation.
    cox : its hazard ratio with CI for ``hr_covariate`` (default: the first covariate) is
        printed as ``HR <hr_label>``.
    show_ci, show_median, show_risk_table : draw CI bands / median lines / the risk table.
    time_unit : unit of the time axis, printed in the axis label and the annotation.
    digits : decimals of medians and HRs.

    Content keys: ``groups`` (label, colour, linestyle, step_x/step_y, ci_lower/ci_upper or
    null, censor_x/censor_y, median, median_ci, median_line), ``xticks``, ``xlim``,
    ``xlabel``, ``ylabel``, ``annotation`` (lines), ``risk_table`` (times, header, rows with
    label, colour, n_risk, counts) or null.
    """
    fits = _fits(result)
    if not isinstance(time_unit, str) or not time_unit:
        msg = f"`time_unit` must be a non-empty string, got {time_unit!r}"
        raise ValueError(msg)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 4:
        msg = f"`digits` must be a whole number in [0, 4], got {digits!r}"
        raise ValueError(msg)
    if logrank is not None and not isinstance(logrank, LogrankResult):
        msg = f"`logrank` must be a LogrankResult (logrank_test), got {type(logrank).__name__!r}"
        raise TypeError(msg)
    if cox is not None and not isinstance(cox, CoxResult):
        msg = f"`cox` must be a CoxResult (cox_ph), got {type(cox).__name__!r}"
        raise TypeError(msg)
    last = max(float(f.table["time"].max() or 0.0) for f in fits.values())
    if xmax is not None and (not np.isfinite(xmax) or xmax <= 0):
        msg = f"`xmax` must be a positive finite time, got {xmax!r}"
        raise ValueError(msg)
    right = last if xmax is None else float(xmax)
    ticks = time_ticks(right) if times is None else check_ticks("times", times)
    groups = []
    for k, (label, fit) in enumerate(fits.items()):
        c = _curve(fit)
        if not show_ci:
            c["ci_lower"] = c["ci_upper"] = None
        if not show_median:
            c["median_line"] = None
        groups.append({"label": label, "colour": group_colour(k),
                       "linestyle": str(group_linestyle(k)), **c})
    first = next(iter(fits.values()))
    pct = f"{round(first.conf_level * 100, 6):g}%"
    notes = [f"Median ({pct} CI), {time_unit}"]
    for g in groups:
        lo, up = g["median_ci"]
        notes.append(f"{g['label']}: {fmt_number(g['median'], digits)} "
                     f"({fmt_number(lo, digits)}\u2013{fmt_number(up, digits)})")
    if cox is not None:
        notes.append(_hr_line(cox, hr_covariate, hr_label, digits + 1))
    if logrank is not None:
        notes.append(f"Log-rank {fmt_p(logrank.p_value)}")
    risk = None
    if show_risk_table:
        rows = []
        for g, fit in zip(groups, fits.values(), strict=True):
            n_risk = fit.at_risk(ticks)["n_risk"].to_list()
            rows.append({"label": g["label"], "colour": g["colour"], "n_risk": n_risk,
                         "counts": [fmt_count(n) for n in n_risk]})
        risk = {"times": list(ticks), "header": "Number at risk", "rows": rows}
    content = {
        "groups": groups,
        "xticks": list(ticks),
        "xlim": [0.0, max(right, ticks[-1])],
        "xlabel": f"Time ({time_unit})",
        "ylabel": ylabel,
        "annotation": notes,
        "risk_table": risk,
    }
    return FigureData("kaplan_meier", freeze(content))


def draw_steps(ax: Axes, data: FigureData, *, ylim: tuple[float, float]) -> None:
    """Draw the step curves, CI bands, censor ticks and median lines of ``data``."""
    for g in data.content["groups"]:
        x = np.asarray(g["step_x"], dtype=float)
        if g["ci_lower"] is not None:
            ax.fill_between(x, np.asarray(g["ci_lower"], dtype=float),
                            np.asarray(g["ci_upper"], dtype=float), step="post",
                            color=g["colour"], alpha=0.15, linewidth=0)
        ls = g["linestyle"]
        ax.step(x, g["step_y"], where="post", color=g["colour"],
                linestyle=eval_linestyle(ls), label=g["label"])
        if g["censor_x"]:
            ax.plot(g["censor_x"], g["censor_y"], linestyle="none", marker="|",
                    markersize=6, markeredgewidth=1.0, color=g["colour"])
        if g.get("median_line") is not None:
            px, py = zip(*g["median_line"], strict=True)
            ax.plot(px, py, linestyle=(0, (3, 2)), linewidth=0.8, color=GREY)
    ax.set_xticks(list(data.content["xticks"]))
    ax.set_xlim(*data.content["xlim"])
    ax.set_ylim(*ylim)
    ax.set_xlabel(data.content["xlabel"])
    ax.set_ylabel(data.content["ylabel"])


def eval_linestyle(text: str) -> Any:
    """Line style from its FigureData text (``"-"`` or ``"(0, (5, 1, 1, 1))"``)."""
    if text.startswith("("):
        offset, rest = text[1:-1].split(",", 1)
        dashes = tuple(float(v) for v in rest.strip().strip("()").split(",") if v.strip())
        return (float(offset), dashes)
    return text


def plot_km(
    result: KaplanMeierResult | KaplanMeierByResult,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    annotation_loc: str = "upper right",
    **options: Any,
) -> Figure:
    """Draw a Kaplan-Meier figure; returns the Figure. ``options`` as :func:`km_figure_data`.

    With ``ax=None`` a new figure is sized so the risk table fits beneath the axes; with a
    given ``ax`` the caller leaves room below it (about 0.5 in + 0.15 in per group).
    """
    assert_in("annotation_loc", annotation_loc, ANNOTATION_LOCATIONS)
    data = km_figure_data(result, **options)
    return render_time_to_event(data, ax=ax, title=title, annotation_loc=annotation_loc,
                                ylim=(0.0, 1.02), legend_loc="lower left")


def render_time_to_event(data: FigureData, *, ax: Axes | None, title: str | None,
                         annotation_loc: str, ylim: tuple[float, float],
                         legend_loc: str) -> Figure:
    """Draw a Kaplan-Meier or cumulative-incidence :class:`FigureData`."""
    c: Mapping[str, Any] = data.content
    with style_context():
        fig, axes = new_axes(ax)
        draw_steps(axes, data, ylim=ylim)
        if annotation_loc == "legend":
            # one box: the annotation lines head the legend (no overlap by construction)
            axes.legend(loc=legend_loc, handlelength=2.6, title="\n".join(c["annotation"]),
                        title_fontsize=SMALL_FONT_SIZE, alignment="left", frameon=True,
                        edgecolor=GREY, framealpha=1.0)
        else:
            if len(c["groups"]) > 1:
                axes.legend(loc=legend_loc, handlelength=2.6)
            draw_annotation(axes, c["annotation"], annotation_loc)
        risk = c["risk_table"]
        if risk is not None:
            draw_risk_table(axes, risk)
        if title:
            axes.set_title(title, loc="left")
        if ax is None:
            labels = [r["label"] for r in risk["rows"]] + [risk["header"]] if risk else []
            layout_new_figure(fig, n_rows=len(risk["rows"]) if risk else 0, labels=labels)
    return fig
