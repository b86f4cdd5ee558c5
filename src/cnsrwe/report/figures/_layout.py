"""Layout helpers: tick positions and number text. Nothing here touches a statistic."""

from __future__ import annotations

import math

import numpy as np

#: Tick steps (besides 1, 2, 2.5, 5 times a power of ten) that suit month axes.
_MONTH_STEPS = (3.0, 6.0, 12.0, 24.0, 36.0, 48.0, 60.0)


def time_ticks(xmax: float, *, max_ticks: int = 8) -> tuple[float, ...]:
    """Tick positions 0, step, 2 step, ... up to ``xmax``, at most ``max_ticks`` of them.

    The step is the smallest of {1, 2, 2.5, 5} x 10^k and 3, 6, 12, 24, 36, 48, 60 that keeps
    the count within ``max_ticks``; the last tick is the largest multiple <= ``xmax``.
    """
    if not math.isfinite(xmax) or xmax <= 0:
        return (0.0,)
    top = math.floor(math.log10(xmax))
    steps = sorted(
        {b * 10.0**k for b in (1.0, 2.0, 2.5, 5.0) for k in range(top - 3, top + 2)}
        | set(_MONTH_STEPS)
    )
    for step in steps:
        n = math.floor(xmax / step + 1e-9)
        if n + 1 <= max_ticks:
            return tuple(float(round(k * step, 10)) for k in range(n + 1))
    return (0.0,)  # pragma: no cover - the largest step always fits


def check_ticks(name: str, times: object) -> tuple[float, ...]:
    """Validate user-given tick times: finite, >= 0, strictly increasing, at least one."""
    try:
        arr = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.asarray([np.nan])
    if (
        arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0)
        or np.any(np.diff(arr) <= 0)
    ):
        msg = f"`{name}` must be increasing finite times >= 0, got {times!r}"
        raise ValueError(msg)
    return tuple(float(t) for t in arr)


def fmt_number(x: float | None, digits: int = 1) -> str:
    """Number with ``digits`` decimals; ``None`` (not reached / not estimable) as ``NR``."""
    if x is None or not math.isfinite(x):
        return "NR"
    return f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    """P-value as printed in figure annotations: ``p < 0.001`` or 3 significant decimals."""
    if p is None or not math.isfinite(p):
        return "p = NA"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def fmt_count(x: float) -> str:
    """Count text for risk tables: whole numbers without decimals, weighted counts 1 decimal."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.1f}"
