"""Cumulative incidence of competing events: the Aalen-Johansen estimate with cmprsk's variance.

Rule (Kalbfleisch & Prentice 1980, section 7.2; Gray 1988, Ann Stat 16:1141)
------------------------------------------------------------------------------
At each distinct time ``t`` with ``n`` subjects at risk, ``d_k`` events of cause ``k`` and ``d``
events of any cause, ``F_k(t) = F_k(t-) + S(t-) d_k / n``, with ``S`` the all-cause Kaplan-Meier
estimate. The variance is the one ``cmprsk::cuminc`` (R package cmprsk 2.2-12, Fortran routine
``cinc`` in src/cincsub.f) reports, an asymptotic delta-method variance in which tied events are
treated as in the hypergeometric (Greenwood-type) correction ``1 - (d - 1)/(n - 1)``:
three running sums ``v1, v2, v3`` are accumulated over event times of the cause of interest and
of the competing causes, and ``Var F_k(t) = v1 + F_k(t)^2 v3 - 2 F_k(t) v2``. Censoring tied with
an event at the same time is counted in the risk set of that time (censoring after events).

Confidence intervals (cmprsk prints none; users compute them from ``est`` and ``var``):

``conf_type="log-log"`` (default)
    symmetric on ``log(-log F)``: ``F^exp(±z sqrt(var) / (F log F))``; stays inside (0, 1).
    This is the transform used by ``tidycmprsk`` and by SAS PROC LIFETEST's CIF (CONFTYPE=LOGLOG).
``conf_type="plain"``
    ``F ± z sqrt(var)``, truncated to [0, 1].

:meth:`CumulativeIncidence.at` follows ``cmprsk::timepoints``: the right-continuous estimate at
each requested time, and missing (``None``) after the group's largest follow-up time or before 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from cnsrwe._checks import assert_in, assert_open_unit_interval
from cnsrwe.stats._survdata import _to_numpy, as_labels, as_times
from cnsrwe.stats.ard import ArdRow, ard_frame

ConfType = Literal["log-log", "plain"]
_CONF_TYPES: tuple[str, ...] = ("log-log", "plain")



#: Columns of a cumulative-incidence table (``.table`` and ``.at(times)``).
CIF_TABLE_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String(),
    "cause": pl.Int64(),
    "time": pl.Float64(),
    "estimate": pl.Float64(),
    "variance": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
}

def as_causes(name: str, values: Any, n: int) -> np.ndarray:
    """Check an event code vector: whole numbers >= 0 (0 = censored, 1..k = causes)."""
    arr = _to_numpy(name, values)
    if arr.shape[0] != n:
        msg = f"`{name}` must have the same length as `time` ({n}), got {arr.shape[0]}"
        raise ValueError(msg)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        msg = f"`{name}` must hold whole-number codes (0 = censored, 1.. = causes), got {arr.dtype}"
        raise ValueError(msg)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"`{name}` must hold whole numbers >= 0 (0 = censored), got {arr[i]!r} at position {i}"
        )
        raise ValueError(msg)
    return arr.astype(np.int64)


def competing_input(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``(time, event)`` arrays for the competing-risks functions."""
    t = as_times("time", time)
    if t.shape[0] == 0:
        msg = "`time` must contain at least one subject, got 0"
        raise ValueError(msg)
    return t, as_causes("event", event, t.shape[0])


@dataclass(frozen=True)
class _Curve:
    """One cumulative incidence curve (a group and a cause) at its jump times."""

    time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    max_time: float


def aalen_johansen_curve(time: np.ndarray, event: np.ndarray, cause: int) -> _Curve:
    """Estimate and cmprsk variance of ``F_cause`` for one group (times need not be sorted).

    Vectorised over distinct times: every quantity in cmprsk's sequential loop is a running
    sum or product of per-time terms.
    """
    uniq, inverse = np.unique(time, return_inverse=True)
    n_at = np.bincount(inverse, minlength=uniq.size)
    nd1 = np.bincount(inverse, weights=(event == cause), minlength=uniq.size)
    nd2 = np.bincount(inverse, weights=(event != 0) & (event != cause), minlength=uniq.size)
    rs = time.size - np.concatenate([[0], np.cumsum(n_at)[:-1]]).astype(float)
    keep = (nd1 + nd2) > 0
    rs, nd1, nd2, t_ev = rs[keep], nd1[keep], nd2[keep], uniq[keep]
    nd = nd1 + nd2
    surv_after = np.cumprod((rs - nd) / rs)  # all-cause KM just after each event time
    fk = np.concatenate([[1.0], surv_after[:-1]])  # ... and just before
    fkn = surv_after
    f = np.cumsum(fk * nd1 / rs)
    safe = np.where(fkn > 0, fkn, 1.0)
    # competing-cause terms (skipped when the KM drops to 0, as in cinc)
    t5 = np.where(nd2 > 1, 1 - (nd2 - 1) / np.maximum(rs - 1, 1), 1.0)
    t6 = np.where((nd2 > 0) & (fkn > 0), fk * fk * t5 * nd2 / (rs * rs), 0.0)
    t3 = 1 / safe
    t4 = f / safe
    v1 = t4 * t4 * t6
    v2 = t3 * t4 * t6
    v3 = t3 * t3 * t6
    # cause-of-interest terms
    t5 = np.where(nd1 > 1, 1 - (nd1 - 1) / np.maximum(rs - 1, 1), 1.0)
    t6 = np.where(nd1 > 0, fk * fk * t5 * nd1 / (rs * rs), 0.0)
    t3 = np.where(fkn > 0, 1 / safe, 0.0)
    t4 = 1 + t3 * f
    v1 = np.cumsum(v1 + t4 * t4 * t6)
    v2 = np.cumsum(v2 + t3 * t4 * t6)
    v3 = np.cumsum(v3 + t3 * t3 * t6)
    var = v1 + f * f * v3 - 2 * f * v2
    jumps = nd1 > 0
    return _Curve(t_ev[jumps], f[jumps], var[jumps], float(time.max()))


def _conf_limits(
    est: np.ndarray, var: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    se = np.sqrt(np.maximum(var, 0.0))
    if conf_type == "plain":
        return np.clip(est - z * se, 0, 1), np.clip(est + z * se, 0, 1)
    lower = np.full(est.shape, np.nan)
    upper = np.full(est.shape, np.nan)
    inside = (est > 0) & (est < 1)
    e = est[inside]
    g = z * se[inside] / np.abs(e * np.log(e))
    lower[inside] = e ** np.exp(g)
    upper[inside] = e ** np.exp(-g)
    lower[est == 0], upper[est == 0] = 0.0, 0.0
    lower[est == 1], upper[est == 1] = 1.0, 1.0
    return lower, upper


@dataclass(frozen=True)
class CumulativeIncidence:
    """Aalen-Johansen cumulative incidence per group and cause (see the module docstring).

    ``table`` has one row per group, cause and jump time of that cause, with columns group,
    cause, time, estimate, variance, lower, upper.
    """

    table: pl.DataFrame
    groups: tuple[str, ...]
    causes: tuple[int, ...]
    conf_level: float
    conf_type: str
    max_time: dict[str, float] = field(repr=False)

    def at(self, times: Any) -> pl.DataFrame:
        """Estimates at ``times`` with ``cmprsk::timepoints`` semantics (one row per group,
        cause and time); ``None`` after a group's largest follow-up time."""
        t = np.unique(np.asarray(times, dtype=float))
        if t.size == 0 or not np.all(np.isfinite(t)):
            msg = f"`times` must be finite numbers, got {np.asarray(times).tolist()!r}"
            raise ValueError(msg)
        frames = []
        for g in self.groups:
            for c in self.causes:
                sub = self.table.filter((pl.col("group") == g) & (pl.col("cause") == c))
                jt = sub["time"].to_numpy()
                idx = np.searchsorted(jt, t, side="right") - 1
                valid = (t >= 0) & (t <= self.max_time[g])
                cols = {}
                for name in ("estimate", "variance", "lower", "upper"):
                    vals = np.concatenate([[0.0], sub[name].to_numpy()])[idx + 1]
                    cols[name] = [
                        float(v) if ok else None for v, ok in zip(vals, valid, strict=True)
                    ]
                frames.append(
                    pl.DataFrame(
                        {"group": [g] * t.size, "cause": [c] * t.size, "time": t, **cols},
                        schema=CIF_TABLE_SCHEMA,
                    )
                )
        return pl.concat(frames)

    def to_ard(self, times: Any = None) -> pl.DataFrame:
        """ARD rows: estimate, variance, lower, upper per group, cause and time.

        ``times`` defaults to every jump time; ``parameter`` is ``"cause <k> at <time>"``.
        """
        data = self.table if times is None else self.at(times)
        method = f"Aalen-Johansen, cmprsk variance, {self.conf_type} {self.conf_level:.0%} CI"
        rows = []
        for rec in data.iter_rows(named=True):
            parameter = f"cause {rec['cause']} at {rec['time']:g}"
            for stat in ("estimate", "variance", "lower", "upper"):
                rows.append(
                    ArdRow(
                        "cumulative_incidence",
                        parameter,
                        stat,
                        rec[stat],
                        method,
                        group=rec["group"],
                    )
                )
        return ard_frame(rows)


def cumulative_incidence(
    time: Any,
    event: Any,
    *,
    group: Any = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
) -> CumulativeIncidence:
    """Aalen-Johansen cumulative incidence per group and cause, as ``cmprsk::cuminc``.

    ``event``: 0 = censored, 1..k = causes. Causes are those observed anywhere in the data;
    a group without events of a cause has an all-zero curve (no rows in ``table``).
    """
    t, e = competing_input(time, event)
    assert_open_unit_interval("conf_level", conf_level)
    assert_in("conf_type", conf_type, _CONF_TYPES)
    if group is None:
        codes, labels = np.zeros(t.size, dtype=np.int64), [""]
    else:
        codes, labels = as_labels("group", group, t.size)
    causes = tuple(int(c) for c in np.unique(e[e > 0]))
    parts = []
    max_time = {}
    for gi, g in enumerate(labels):
        mask = codes == gi
        max_time[g] = float(t[mask].max())
        for c in causes:
            curve = aalen_johansen_curve(t[mask], e[mask], c)
            lower, upper = _conf_limits(curve.estimate, curve.variance, conf_level, conf_type)
            parts.append(
                pl.DataFrame(
                    {
                        "group": [g] * curve.time.size,
                        "cause": [c] * curve.time.size,
                        "time": curve.time,
                        "estimate": curve.estimate,
                        "variance": curve.variance,
                        "lower": lower,
                        "upper": upper,
                    },
                    schema=CIF_TABLE_SCHEMA,
                )
            )
    table = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={
                "group": pl.String,
                "cause": pl.Int64,
                "time": pl.Float64,
                "estimate": pl.Float64,
                "variance": pl.Float64,
                "lower": pl.Float64,
                "upper": pl.Float64,
            }
        )
    )
    return CumulativeIncidence(table, tuple(labels), causes, conf_level, conf_type, max_time)
