"""Number formatting for every table, paragraph and label of the report.

All text that shows a number is produced here, so decimals, rounding and the look of
p-values and confidence intervals are the same everywhere and set in one place
(:class:`FormatOptions`).

Rounding rule
    Numbers are rounded on their shortest decimal representation (``repr``), half away from
    zero by default (``rounding="half-up"``), the rule SAS ``ROUND`` and most clinical table
    shells use: 68.75 % -> "68.8", 6.25 % -> "6.3". ``rounding="half-even"`` reproduces
    C ``printf``/R ``sprintf``/``formatC`` on values that are exact in binary (6.25 -> "6.2").
    Rounding the decimal representation (not the binary double) means 0.125 and 2.675 round
    as a reader expects (2.675 -> "2.68" half-up), not as their binary approximation would.

Missing values
    ``None``/NaN print as ``options.missing`` (default "NE", not estimable). An upper
    confidence limit or a median that Kaplan-Meier cannot reach prints as
    ``options.not_reached`` ("NR") — the builders choose which applies.

p-values (AMA Manual of Style 11th ed., §20.9; NEJM statistical guidelines)
    below ``p_threshold`` (0.001) -> "< 0.001"; otherwise ``p_decimals`` (3) decimals;
    p > 0.99 -> "> 0.99".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Literal

Rounding = Literal["half-up", "half-even"]


@dataclass(frozen=True)
class FormatOptions:
    """How numbers look. Every field is a setting; defaults follow common journal style.

    decimals: decimals of estimates (medians, rates in months ...).
    pct_decimals: decimals of percentages.
    ratio_decimals: decimals of hazard/odds ratios and their CIs.
    p_decimals, p_threshold: see the module notes.
    ci_separator: between lower and upper limit ("34.7–70.9", an en dash by default).
    pct_sign: whether percentages carry "%" in n (%) cells.
    missing / not_reached: text for undefined values / unreached KM quantiles.
    rounding: "half-up" or "half-even" (module notes).
    """

    decimals: int = 1
    pct_decimals: int = 1
    ratio_decimals: int = 2
    p_decimals: int = 3
    p_threshold: float = 0.001
    ci_separator: str = "–"
    pct_sign: bool = True
    missing: str = "NE"
    not_reached: str = "NR"
    rounding: Rounding = "half-up"

    def __post_init__(self) -> None:
        for name in ("decimals", "pct_decimals", "ratio_decimals", "p_decimals"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 10:
                msg = f"`{name}` must be an integer in [0, 10], got {v!r}"
                raise ValueError(msg)
        if not 0 < self.p_threshold < 1:
            msg = f"`p_threshold` must be in (0, 1), got {self.p_threshold!r}"
            raise ValueError(msg)
        if self.rounding not in ("half-up", "half-even"):
            msg = f"`rounding` must be one of ('half-up', 'half-even'), got {self.rounding!r}"
            raise ValueError(msg)


DEFAULT = FormatOptions()


def is_missing(value: float | None) -> bool:
    """True for ``None`` and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float | None, decimals: int, *, options: FormatOptions = DEFAULT,
               missing: str | None = None) -> str:
    """``value`` rounded to ``decimals`` places by ``options.rounding``; "-0.0" prints "0.0"."""
    if is_missing(value):
        return options.missing if missing is None else missing
    assert value is not None
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    mode = ROUND_HALF_UP if options.rounding == "half-up" else ROUND_HALF_EVEN
    q = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=mode)
    if q == 0:
        q = abs(q)
    return f"{q:f}"


def fmt_int(value: float | None, *, options: FormatOptions = DEFAULT) -> str:
    """A count: must be a whole number (``12.0`` -> "12")."""
    if is_missing(value):
        return options.missing
    assert value is not None
    if float(value) != round(float(value)):
        msg = f"`value` must be a whole number for a count, got {value!r}"
        raise ValueError(msg)
    return str(round(float(value)))


def fmt_pct(proportion: float | None, *, options: FormatOptions = DEFAULT) -> str:
    """A proportion in [0, 1] as a percentage without the sign: 0.53125 -> "53.1"."""
    if is_missing(proportion):
        return options.missing
    assert proportion is not None
    return fmt_number(proportion * 100.0, options.pct_decimals, options=options)


def fmt_n_pct(n: float | None, proportion: float | None, *,
              options: FormatOptions = DEFAULT) -> str:
    """"n (pct%)" as in a Table 1: ``(22, 0.6875)`` -> "22 (68.8%)"."""
    sign = "%" if options.pct_sign else ""
    return f"{fmt_int(n, options=options)} ({fmt_pct(proportion, options=options)}{sign})"


def fmt_ci(lower: float | None, upper: float | None, decimals: int, *,
           options: FormatOptions = DEFAULT, upper_missing: str | None = None) -> str:
    """"lower–upper"; a missing upper limit prints ``upper_missing`` (e.g. "NR")."""
    lo = fmt_number(lower, decimals, options=options)
    up = fmt_number(upper, decimals, options=options, missing=upper_missing)
    return f"{lo}{options.ci_separator}{up}"


def fmt_estimate_ci(estimate: float | None, lower: float | None, upper: float | None,
                    decimals: int, *, options: FormatOptions = DEFAULT,
                    estimate_missing: str | None = None,
                    upper_missing: str | None = None) -> str:
    """"estimate (lower–upper)": ``(31, 18, None)`` with "NR" -> "31.0 (18.0–NR)"."""
    est = fmt_number(estimate, decimals, options=options, missing=estimate_missing)
    ci = fmt_ci(lower, upper, decimals, options=options, upper_missing=upper_missing)
    return f"{est} ({ci})"


def fmt_pct_ci(proportion: float | None, lower: float | None, upper: float | None, *,
               options: FormatOptions = DEFAULT) -> str:
    """A rate with its CI in percent: ``(17/32, .3469, .7093)`` -> "53.1 (34.7–70.9)"."""
    scale = [None if is_missing(v) else float(v) * 100.0 for v in (proportion, lower, upper)]
    return fmt_estimate_ci(scale[0], scale[1], scale[2], options.pct_decimals, options=options)


def fmt_median_range(median: float | None, minimum: float | None, maximum: float | None,
                     decimals: int | None = None, *, options: FormatOptions = DEFAULT) -> str:
    """"median (min–max)": ``(2.7, 1.0, 5.3)`` -> "2.7 (1.0–5.3)"."""
    d = options.decimals if decimals is None else decimals
    return fmt_estimate_ci(median, minimum, maximum, d, options=options)


def fmt_p(p: float | None, *, options: FormatOptions = DEFAULT) -> str:
    """A p-value: "< 0.001", "0.003", "0.050", "> 0.99" (module notes)."""
    if is_missing(p):
        return options.missing
    assert p is not None
    if not 0.0 <= p <= 1.0:
        msg = f"`p` must be in [0, 1], got {p!r}"
        raise ValueError(msg)
    if p < options.p_threshold:
        return f"< {fmt_number(options.p_threshold, options.p_decimals, options=options)}"
    if p > 0.99:
        return "> 0.99"
    return fmt_number(p, options.p_decimals, options=options)


def fmt_p_phrase(p: float | None, *, options: FormatOptions = DEFAULT) -> str:
    """A p-value for running text: "p = 0.003", "p < 0.001", "p > 0.99"."""
    text = fmt_p(p, options=options)
    return f"p {text}" if text[0] in "<>" else f"p = {text}"
