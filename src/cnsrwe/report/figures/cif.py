"""Cumulative incidence figure for competing risks (e.g. CNS progression vs death without
CNS progression): one step curve per group and cause, a number-at-risk table and Gray's
test p-values in the annotation.

Curves come from ``cumulative_incidence(...).table`` (Aalen-Johansen, as ``cmprsk::cuminc``)
and are drawn from 0 up to each group's last follow-up time (``max_time``), where the
estimate is defined. Numbers at risk are subjects still free of every event and uncensored,
which is what a Kaplan-Meier fit on "any event" reports: pass that fit as ``risk`` and the
table shows its ``at_risk(ticks)``; nothing is recounted here. P-values come from
``gray_test`` results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from cnsrwe._checks import assert_in
from cnsrwe.report.figures._data import FigureData, freeze
from cnsrwe.report.figures._layout import check_ticks, fmt_count, fmt_p, time_ticks
from cnsrwe.report.figures._risk import ANNOTATION_LOCATIONS
from cnsrwe.report.figures.km import render_time_to_event
from cnsrwe.report.figures.style import group_colour, group_linestyle
from cnsrwe.stats.cuminc import CumulativeIncidence
from cnsrwe.stats.gray import GrayTest
from cnsrwe.stats.kaplan_meier import KaplanMeierByResult, KaplanMeierResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _risk_fits(risk: Any, groups: Sequence[str]) -> dict[str, KaplanMeierResult] | None:
    if risk is None:
        return None
    if isinstance(risk, KaplanMeierResult):
        fits = {groups[0]: risk} if len(groups) == 1 else {}
    elif isinstance(risk, KaplanMeierByResult):
        fits = dict(risk.fits)
    else:
        msg = (
            "`risk` must be a KaplanMeierResult or KaplanMeierByResult fitted on any event, "
            f"got {type(risk).__name__!r}"
        )
        raise TypeError(msg)
    if sorted(fits) != sorted(groups):
        msg = (
            f"`risk` must have the groups of the cumulative incidence {list(groups)!r}, "
            f"got {sorted(fits)!r}"
        )
        raise ValueError(msg)
    return fits


def _gray_tests(gray: Any) -> list[GrayTest]:
    if gray is None:
        return []
    tests = [gray] if isinstance(gray, GrayTest) else list(
        gray.values() if isinstance(gray, Mapping) else gray
    )
    if not all(isinstance(t, GrayTest) for t in tests):
        msg = f"`gray` must be GrayTest results (gray_test), got {gray!r}"
        raise TypeError(msg)
    return tests


def cif_figure_data(
    result: CumulativeIncidence,
    *,
    causes: Sequence[int] | None = None,
    cause_labels: Mapping[int, str] | None = None,
    risk: KaplanMeierResult | KaplanMeierByResult | None = None,
    gray: GrayTest | Sequence[GrayTest] | Mapping[int, GrayTest] | None = None,
    times: Sequence[float] | None = None,
    xmax: float | None = None,
    show_ci: bool = False,
    time_unit: str = "months",
    ylabel: str = "Cumulative incidence",
) -> FigureData:
    """What :func:`plot_cumulative_incidence` draws (kind ``"cumulative_incidence"``).

    ``causes`` selects and orders the causes (default: all); ``cause_labels`` names them
    (default ``"cause <k>"``). With one group curves differ by cause (colour and line style);
    with several, colour marks the group and line style the cause. Content keys are those of
    :func:`~.km.km_figure_data` (``groups`` holds one entry per group and cause, with
    ``cause``; no censor marks or median lines).
    """
    if not isinstance(result, CumulativeIncidence):
        msg = (
            "`result` must be a CumulativeIncidence (cumulative_incidence), "
            f"got {type(result).__name__!r}"
        )
        raise TypeError(msg)
    shown = list(result.causes) if causes is None else list(causes)
    if not shown or any(c not in result.causes for c in shown):
        msg = f"`causes` must be among the observed causes {list(result.causes)!r}, got {causes!r}"
        raise ValueError(msg)
    names = {c: f"cause {c}" for c in shown} | dict(cause_labels or {})
    groups = list(result.groups)
    fits = _risk_fits(risk, groups)
    tests = _gray_tests(gray)
    if xmax is not None and (not np.isfinite(xmax) or xmax <= 0):
        msg = f"`xmax` must be a positive finite time, got {xmax!r}"
        raise ValueError(msg)
    right = max(result.max_time.values()) if xmax is None else float(xmax)
    ticks = time_ticks(right) if times is None else check_ticks("times", times)
    one = len(groups) == 1
    curves = []
    for gi, g in enumerate(groups):
        for ci, c in enumerate(shown):
            sub = result.table.filter((pl.col("group") == g) & (pl.col("cause") == c))
            end = result.max_time[g]
            est = sub["estimate"].to_list()
            last = est[-1] if est else 0.0

            def steps(col: str, sub: pl.DataFrame = sub) -> list[float]:
                vals = [float("nan") if v is None else v for v in sub[col].to_list()]
                return [0.0, *vals, vals[-1] if vals else 0.0]

            k = ci if one else gi
            label = names[c] if one else (f"{g}: {names[c]}" if g else names[c])
            curves.append({
                "label": label, "group": g, "cause": c, "colour": group_colour(k),
                "linestyle": str(group_linestyle(ci)),
                "step_x": [0.0, *sub["time"].to_list(), end],
                "step_y": [0.0, *est, last],
                "ci_lower": steps("lower") if show_ci else None,
                "ci_upper": steps("upper") if show_ci else None,
                "censor_x": [], "censor_y": [], "median_line": None,
            })  # fmt: skip
    notes = []
    for t in tests:
        name = names.get(t.cause, f"cause {t.cause}")
        notes.append(f"Gray's test, {name}: {fmt_p(t.p_value)}")
    table = None
    if fits is not None:
        rows = []
        for gi, g in enumerate(groups):
            n_risk = fits[g].at_risk(ticks)["n_risk"].to_list()
            rows.append({"label": g or "All patients", "colour": group_colour(0 if one else gi),
                         "n_risk": n_risk, "counts": [fmt_count(n) for n in n_risk]})
        table = {"times": list(ticks), "header": "Number at risk", "rows": rows}
    content = {
        "groups": curves,
        "xticks": list(ticks),
        "xlim": [0.0, max(right, ticks[-1])],
        "xlabel": f"Time ({time_unit})",
        "ylabel": ylabel,
        "annotation": notes,
        "risk_table": table,
    }
    return FigureData("cumulative_incidence", freeze(content))


def plot_cumulative_incidence(
    result: CumulativeIncidence,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    annotation_loc: str = "legend",
    ylim: tuple[float, float] = (0.0, 1.0),
    **options: Any,
) -> Figure:
    """Draw a cumulative incidence figure; ``options`` as :func:`cif_figure_data`.

    ``annotation_loc="legend"`` (default) prints the Gray p-values as the heading of the
    legend box in the upper left, where incidence curves (rising from 0) leave room.
    """
    assert_in("annotation_loc", annotation_loc, (*ANNOTATION_LOCATIONS, "legend"))
    lo, hi = ylim
    if not (0 <= lo < hi <= 1):
        msg = f"`ylim` must satisfy 0 <= lower < upper <= 1, got {ylim!r}"
        raise ValueError(msg)
    data = cif_figure_data(result, **options)
    return render_time_to_event(data, ax=ax, title=title, annotation_loc=annotation_loc,
                                ylim=(lo, hi), legend_loc="upper left")
