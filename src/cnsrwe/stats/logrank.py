"""Log-rank and Harrington-Fleming G-rho tests, as R ``survival::survdiff``.

Rule (R survival 3.x ``survdiff.fit`` / ``survdiff2.c``), within each stratum and at each
distinct event time t with d deaths among n at risk (n_k in group k):

* weight w(t) = S(t-)^rho, S the left-continuous Kaplan-Meier of the pooled stratum
  (rho = 0: log-rank; rho = 1: Peto-Peto modification of the Gehan-Wilcoxon test);
* observed O_k = sum w d_k, expected E_k = sum w d n_k / n;
* variance V_jk = sum w^2 d (n - d) / (n (n - 1)) n_j (1[j = k] - n_k / n)  (skipped when n = 1).

O, E and V are summed over strata.  Groups with E = 0 are dropped; the statistic is
(O - E)' V^- (O - E) over the remaining groups less the first, on (groups - 1) degrees of
freedom.  The per-group table shows (O-E)^2/E and (O-E)^2/V as ``print.survdiff`` does.

``pairwise_logrank`` repeats the test on each pair of groups and adjusts the p-values like
``survminer::pairwise_survdiff`` (which calls ``stats::p.adjust``).

References: Harrington & Fleming (1982) Biometrika 69:553-566; Peto & Peto (1972).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats as sps

from cnsrwe._checks import assert_in
from cnsrwe.stats._survdata import as_labels, surv_input
from cnsrwe.stats.ard import ArdRow, ard_frame

PAdjust = Literal["none", "holm", "bonferroni", "BH"]


@dataclass(frozen=True)
class LogrankResult:
    """Result of :func:`logrank_test` (R ``survdiff``)."""

    statistic: float
    df: int
    p_value: float
    groups: tuple[str, ...]
    n: tuple[int, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    variance: tuple[tuple[float, ...], ...]
    rho: float
    stratified: bool

    @property
    def table(self) -> pl.DataFrame:
        """group, n, observed, expected, (O-E)^2/E, (O-E)^2/V (as ``print.survdiff``)."""
        o = np.array(self.observed)
        e = np.array(self.expected)
        v = np.diag(np.array(self.variance))
        with np.errstate(divide="ignore", invalid="ignore"):
            oe_e = (o - e) ** 2 / e
            oe_v = (o - e) ** 2 / v
        return pl.DataFrame(
            {
                "group": list(self.groups),
                "n": list(self.n),
                "observed": o,
                "expected": e,
                "oe2_e": oe_e,
                "oe2_v": oe_v,
            }
        ).with_columns(pl.col("oe2_e", "oe2_v").fill_nan(None))

    def method(self) -> str:
        name = "log-rank" if self.rho == 0 else f"Harrington-Fleming G-rho (rho={self.rho:g})"
        return ("stratified " if self.stratified else "") + name

    def to_ard(self) -> pl.DataFrame:
        m = self.method()
        rows = [
            ArdRow("logrank", "test", "statistic", self.statistic, m),
            ArdRow("logrank", "test", "df", float(self.df), m),
            ArdRow("logrank", "test", "p_value", self.p_value, m),
        ]
        for g, n, o, e in zip(self.groups, self.n, self.observed, self.expected, strict=True):
            rows += [
                ArdRow("logrank", "group", "n", float(n), m, group=g),
                ArdRow("logrank", "group", "observed", o, m, group=g),
                ArdRow("logrank", "group", "expected", e, m, group=g),
            ]
        return ard_frame(rows)


def _stratum_sums(
    time: np.ndarray, event: np.ndarray, gcode: np.ndarray, ngroup: int, rho: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """O, E, V for one stratum (vectorised over distinct times)."""
    utime, inv = np.unique(time, return_inverse=True)
    k = utime.shape[0]
    ev = event.astype(np.float64)
    cnt = np.bincount(inv * ngroup + gcode, minlength=k * ngroup).reshape(k, ngroup)
    dk = np.bincount(inv * ngroup + gcode, weights=ev, minlength=k * ngroup).reshape(k, ngroup)
    risk = np.cumsum(cnt[::-1], axis=0)[::-1].astype(np.float64)  # n_k(t): time >= t
    n = risk.sum(axis=1)
    d = dk.sum(axis=1)
    if rho != 0:
        factor = 1.0 - d / n
        km_right = np.cumprod(factor)
        km_left = np.concatenate([[1.0], km_right[:-1]])
        w = km_left**rho
    else:
        w = np.ones(k)
    has = d > 0
    w, d, n, risk, dk = w[has], d[has], n[has], risk[has], dk[has]
    obs = (w[:, None] * dk).sum(axis=0)
    exp = (w[:, None] * d[:, None] * risk / n[:, None]).sum(axis=0)
    multi = n > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(multi, w * w * d * (n - d) / (n * (n - 1.0)), 0.0)
    p = risk / n[:, None]
    var = np.diag((c[:, None] * risk).sum(axis=0)) - np.einsum("t,tj,tk->jk", c, risk, p)
    return obs, exp, var


def _test(o: np.ndarray, e: np.ndarray, v: np.ndarray) -> tuple[float, int, float]:
    keep = e > 0
    df = int(keep.sum()) - 1
    if keep.sum() < 2:
        return 0.0, max(df, 0), float("nan") if df <= 0 else 1.0
    diff = (o - e)[keep][1:]
    vv = v[np.ix_(keep, keep)][1:, 1:]
    sol = np.linalg.lstsq(vv, diff, rcond=None)[0] if np.linalg.matrix_rank(vv) < vv.shape[0] \
        else np.linalg.solve(vv, diff)
    chi = float(sol @ diff)
    return chi, df, float(sps.chi2.sf(chi, df))


def logrank_test(
    time: Any,
    event: Any,
    group: Any,
    *,
    strata: Any = None,
    rho: float = 0.0,
) -> LogrankResult:
    """K-sample log-rank / G-rho test, optionally stratified (R ``survdiff``).

    Parameters
    ----------
    time, event
        Follow-up times (>= 0) and 0/1 event indicators.
    group
        Group labels (at least two distinct values).  Levels are sorted as R sorts factor
        levels.  A level with no expected events (e.g. only early censorings) is kept in the
        table and dropped from the statistic, as R does.
    strata
        Optional stratum labels (R ``+ strata(x)``).
    rho
        G-rho exponent, >= 0: 0 = log-rank (default), 1 = Peto-Peto.

    Examples
    --------
    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], ["a", "a", "a", "b", "b", "b"])
    >>> r.df
    1
    """
    if not isinstance(rho, int | float) or not np.isfinite(rho) or rho < 0:
        msg = f"`rho` must be a finite number >= 0, got {rho!r}"
        raise ValueError(msg)
    data = surv_input(time, event, None)
    gcode, glabels = as_labels("group", group, data.n)
    if len(glabels) < 2:
        msg = f"`group` must have at least two distinct values, got {glabels!r}"
        raise ValueError(msg)
    if strata is None:
        scode = np.zeros(data.n, dtype=np.int64)
        nstrata = 1
    else:
        scode, slabels = as_labels("strata", strata, data.n)
        nstrata = len(slabels)
    ng = len(glabels)
    o = np.zeros(ng)
    e = np.zeros(ng)
    v = np.zeros((ng, ng))
    order = np.argsort(scode, kind="stable")
    bounds = np.searchsorted(scode[order], np.arange(nstrata + 1))
    for s in range(nstrata):  # loop over strata (few), never over subjects or times
        idx = order[bounds[s] : bounds[s + 1]]
        if idx.shape[0] == 0:
            continue
        os_, es, vs = _stratum_sums(data.time[idx], data.event[idx], gcode[idx], ng, float(rho))
        o += os_
        e += es
        v += vs
    chi, df, p = _test(o, e, v)
    n = np.bincount(gcode, minlength=ng)
    return LogrankResult(
        statistic=chi, df=df, p_value=p, groups=tuple(glabels), n=tuple(int(x) for x in n),
        observed=tuple(float(x) for x in o), expected=tuple(float(x) for x in e),
        variance=tuple(tuple(float(x) for x in row) for row in v), rho=float(rho),
        stratified=strata is not None,
    )


def p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """R ``stats::p.adjust`` for "none", "holm", "bonferroni" and "BH"."""
    p = np.asarray(p, dtype=np.float64)
    m = p.shape[0]
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, m * p)
    if method == "holm":
        o = np.argsort(p, kind="stable")
        adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[o]))
        out = np.empty(m)
        out[o] = adj
        return out
    o = np.argsort(p, kind="stable")[::-1]  # BH
    adj = np.minimum(1.0, np.minimum.accumulate(m / np.arange(m, 0, -1) * p[o]))
    out = np.empty(m)
    out[o] = adj
    return out


@dataclass(frozen=True)
class PairwiseLogrankResult:
    """Pairwise tests; ``table`` has group1, group2, statistic, p_value, p_adjusted."""

    table: pl.DataFrame
    p_adjust_method: str
    rho: float

    def to_ard(self) -> pl.DataFrame:
        m = f"pairwise log-rank (rho={self.rho:g}), {self.p_adjust_method} adjustment"
        rows = []
        for rec in self.table.iter_rows(named=True):
            par = f"{rec['group1']} vs {rec['group2']}"
            rows += [
                ArdRow("pairwise_logrank", par, "statistic", rec["statistic"], m),
                ArdRow("pairwise_logrank", par, "p_value", rec["p_value"], m),
                ArdRow("pairwise_logrank", par, "p_adjusted", rec["p_adjusted"], m),
            ]
        return ard_frame(rows)


def pairwise_logrank(
    time: Any,
    event: Any,
    group: Any,
    *,
    strata: Any = None,
    rho: float = 0.0,
    p_adjust_method: PAdjust = "holm",
) -> PairwiseLogrankResult:
    """Log-rank test on every pair of groups (``survminer::pairwise_survdiff``).

    Each pair is tested on the subjects of those two groups only; p-values are adjusted over
    all pairs with ``p_adjust_method`` ("holm" default as in survminer, "bonferroni", "BH",
    "none").
    """
    assert_in("p_adjust_method", p_adjust_method, ("none", "holm", "bonferroni", "BH"))
    data = surv_input(time, event, None)
    gcode, glabels = as_labels("group", group, data.n)
    scode = None if strata is None else as_labels("strata", strata, data.n)[0]
    recs = []
    for a, b in combinations(range(len(glabels)), 2):
        mask = (gcode == a) | (gcode == b)
        r = logrank_test(data.time[mask], data.event[mask], gcode[mask],
                         strata=None if scode is None else scode[mask], rho=rho)
        recs.append({"group1": glabels[b], "group2": glabels[a],
                     "statistic": r.statistic, "p_value": r.p_value})
    table = pl.DataFrame(recs, schema={"group1": pl.String, "group2": pl.String,
                                       "statistic": pl.Float64, "p_value": pl.Float64})
    adj = p_adjust(table["p_value"].to_numpy(), p_adjust_method)
    return PairwiseLogrankResult(table.with_columns(pl.Series("p_adjusted", adj)),
                                 p_adjust_method, float(rho))
