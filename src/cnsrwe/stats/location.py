"""Two-sample location tests: Student/Welch t-test and the Wilcoxon-Mann-Whitney test, as R.

Rules
-----
``t_test`` (R ``t.test``)
    Welch's test by default (``equal_var=False``): ``t = (mean_x - mean_y) / sqrt(s_x^2/n_x +
    s_y^2/n_y)`` with Welch-Satterthwaite degrees of freedom; ``equal_var=True`` pools the
    variances (Student, ``n_x + n_y - 2`` df). The CI is for ``mean_x - mean_y``. With ``y=None``
    the one-sample test of ``mean = 0``.
``mann_whitney`` (R ``wilcox.test(x, y)``)
    ``W = sum of ranks of x - n_x (n_x + 1) / 2`` (mid-ranks for ties). With ``exact=None`` the
    exact null distribution is used when both samples have fewer than 50 values and there are no
    ties, otherwise the normal approximation with tie-corrected variance
    ``n_x n_y / 12 [(N + 1) - sum(t^3 - t) / (N (N - 1))]`` and, if ``correction``, a continuity
    correction of 0.5 towards the mean. As in R, ``exact=True`` with ties falls back to the normal
    approximation (R warns "cannot compute exact p-value with ties"; here ``method`` says so).
    Two-sided exact p: ``min(1, 2 min(P(W <= w), P(W >= w)))`` as R computes it.
``wilcoxon_signed_rank`` (R ``wilcox.test(x, y, paired = TRUE)``; ``wilcox.test(x)`` when
    ``y`` is None)
    Differences ``d = x - y``; zero differences are dropped before ranking, as R does.
    ``V = sum of the ranks of |d| over d > 0`` (mid-ranks for ties). With ``exact=None`` the
    exact null distribution of V is used when fewer than 50 non-zero differences remain, and
    only when there are neither ties nor zeros; otherwise the normal approximation with mean
    ``n (n + 1) / 4`` and tie-corrected variance ``n (n + 1) (2n + 1) / 24 - sum(t^3 - t) / 48``
    and, if ``correction``, a continuity correction of 0.5 towards the mean (R warns "cannot
    compute exact p-value with ties/zeroes"; here ``method`` says so). Two-sided exact p:
    ``min(1, 2 min(P(V <= v), P(V >= v)))``. Reference: Hollander & Wolfe (1973), pp. 29f,
    the example of R's help page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from cnsrwe._checks import assert_in, assert_open_unit_interval
from cnsrwe.stats._survdata import _to_numpy
from cnsrwe.stats.ard import ArdRow, ard_frame

Alternative = Literal["two-sided", "less", "greater"]
_ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
_EXACT_LIMIT = 50


def _sample(name: str, values: Any, *, minimum: int) -> np.ndarray:
    arr = _to_numpy(name, values)
    try:
        out = arr.astype(float)
    except (TypeError, ValueError) as exc:
        msg = f"`{name}` must be numeric, got dtype {arr.dtype}"
        raise ValueError(msg) from exc
    if not np.all(np.isfinite(out)):
        msg = f"`{name}` must be finite and not missing, got {int((~np.isfinite(out)).sum())} bad"
        raise ValueError(msg)
    if out.size < minimum:
        msg = f"`{name}` must have at least {minimum} values, got {out.size}"
        raise ValueError(msg)
    return out


@dataclass(frozen=True)
class LocationTest:
    """Result of a t-test or Wilcoxon-Mann-Whitney test."""

    statistic: float
    p_value: float
    alternative: str
    method: str
    df: float | None = None
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    conf_level: float | None = None

    def to_ard(self, *, parameter: str = "difference", group: str = "") -> pl.DataFrame:
        """ARD rows: statistic, p-value and (t-test) df, estimate, lower, upper."""
        values = {
            "statistic": self.statistic,
            "p_value": self.p_value,
            "df": self.df,
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
        }
        return ard_frame(
            ArdRow("location_test", parameter, k, v, f"{self.method}, {self.alternative}", group)
            for k, v in values.items()
            if v is not None
        )


def t_test(
    x: Any,
    y: Any = None,
    *,
    equal_var: bool = False,
    alternative: Alternative = "two-sided",
    conf_level: float = 0.95,
) -> LocationTest:
    """Welch (default) or Student t-test, as R ``t.test`` (see the module docstring)."""
    assert_in("alternative", alternative, _ALTERNATIVES)
    assert_open_unit_interval("conf_level", conf_level)
    xs = _sample("x", x, minimum=2)
    if y is None:
        est = float(xs.mean())
        se = float(xs.std(ddof=1) / math.sqrt(xs.size))
        df = float(xs.size - 1)
        method = "One-sample t-test"
    else:
        ys = _sample("y", y, minimum=2)
        vx, vy = float(xs.var(ddof=1)), float(ys.var(ddof=1))
        nx, ny = xs.size, ys.size
        est = float(xs.mean() - ys.mean())
        if equal_var:
            df = float(nx + ny - 2)
            pooled = ((nx - 1) * vx + (ny - 1) * vy) / df
            se = math.sqrt(pooled * (1 / nx + 1 / ny))
            method = "Two-sample t-test (equal variances)"
        else:
            sx, sy = vx / nx, vy / ny
            se = math.sqrt(sx + sy)
            df = (sx + sy) ** 2 / (sx**2 / (nx - 1) + sy**2 / (ny - 1))
            method = "Welch two-sample t-test"
    if se == 0:
        msg = "`x` and `y` must not both be constant (the standard error is 0), got zero variance"
        raise ValueError(msg)
    t = est / se
    if alternative == "less":
        p = float(stats.t.cdf(t, df))
        q = float(stats.t.ppf(conf_level, df))
        lower, upper = -math.inf, est + q * se
    elif alternative == "greater":
        p = float(stats.t.sf(t, df))
        q = float(stats.t.ppf(conf_level, df))
        lower, upper = est - q * se, math.inf
    else:
        p = float(2 * stats.t.sf(abs(t), df))
        q = float(stats.t.ppf(0.5 + conf_level / 2, df))
        lower, upper = est - q * se, est + q * se
    return LocationTest(t, p, alternative, method, df, est, lower, upper, conf_level)


def _wilcox_counts(m: int, n: int) -> np.ndarray:
    """Number of arrangements giving each value 0..m*n of the Mann-Whitney statistic.

    Recurrence c(m, n, w) = c(m - 1, n, w - n) + c(m, n - 1, w), vectorised over w.
    """
    size = m * n + 1
    # prev[j] holds c(i - 1, j, .) for j = 0..n, padded to full length
    prev = [np.zeros(size) for _ in range(n + 1)]
    for j in range(n + 1):
        prev[j][0] = 1.0  # c(0, j, 0) = 1
    for _ in range(m):
        cur = [np.zeros(size) for _ in range(n + 1)]
        cur[0][0] = 1.0  # c(i, 0, 0) = 1
        for j in range(1, n + 1):
            shifted = np.zeros(size)
            shifted[j:] = prev[j][: size - j]
            cur[j] = shifted + cur[j - 1]
        prev = cur
    return prev[n]


def mann_whitney(
    x: Any,
    y: Any,
    *,
    exact: bool | None = None,
    correction: bool = True,
    alternative: Alternative = "two-sided",
) -> LocationTest:
    """Wilcoxon-Mann-Whitney rank-sum test, as R ``wilcox.test(x, y)`` (see module)."""
    assert_in("alternative", alternative, _ALTERNATIVES)
    xs = _sample("x", x, minimum=1)
    ys = _sample("y", y, minimum=1)
    nx, ny = xs.size, ys.size
    ranks = stats.rankdata(np.concatenate([xs, ys]))
    w = float(ranks[:nx].sum() - nx * (nx + 1) / 2)
    has_ties = np.unique(ranks).size < ranks.size
    if exact is None:
        exact = nx < _EXACT_LIMIT and ny < _EXACT_LIMIT
    if exact and not has_ties:
        p = _exact_p(_wilcox_counts(nx, ny), w, nx * ny / 2, alternative)
        return LocationTest(w, p, alternative, "Wilcoxon rank-sum exact test")
    z = w - nx * ny / 2
    _, tie_counts = np.unique(ranks, return_counts=True)
    big_n = nx + ny
    sigma = math.sqrt(
        (nx * ny / 12)
        * ((big_n + 1) - float(np.sum(tie_counts**3 - tie_counts)) / (big_n * (big_n - 1)))
    )
    if sigma == 0:
        msg = "`x` and `y` must not all be equal (rank variance 0), got identical values"
        raise ValueError(msg)
    p = _normal_p(z, sigma, alternative, correction=correction)
    method = "Wilcoxon rank-sum test, normal approximation"
    if correction:
        method += " with continuity correction"
    if exact and has_ties:
        method += " (exact p not available with ties)"
    return LocationTest(w, min(1.0, p), alternative, method)


def _exact_p(counts: np.ndarray, stat: float, centre: float, alternative: str) -> float:
    """Exact p-value of an integer rank statistic from the counts of its values 0..max.

    R's ``wilcox.test`` (``pwilcox`` / ``psignrank``): "less" is P(S <= s), "greater"
    P(S >= s); two-sided doubles the tail on the side of ``centre`` where ``s`` lies (the
    upper tail when ``s > centre``), capped at 1.
    """
    cdf = np.cumsum(counts / counts.sum())
    k = round(stat)

    def lower_tail(q: int) -> float:  # P(S <= q)
        return float(cdf[q]) if q >= 0 else 0.0

    def upper_tail(q: int) -> float:  # P(S >= q)
        return 1.0 - lower_tail(q - 1)

    if alternative == "less":
        p = lower_tail(k)
    elif alternative == "greater":
        p = upper_tail(k)
    else:
        p = 2 * (upper_tail(k) if stat > centre else lower_tail(k))
    return min(1.0, p)


def _normal_p(z: float, sigma: float, alternative: str, *, correction: bool) -> float:
    """P-value of a centred rank statistic ``z`` with standard deviation ``sigma``.

    R's ``wilcox.test`` normal approximation (both the rank-sum and the signed-rank test):
    the continuity correction moves ``z`` by 0.5 towards 0 (two-sided), or by +0.5 / -0.5
    for the "greater" / "less" alternatives.
    """
    corr = 0.0
    if correction:
        corr = {"two-sided": float(np.sign(z)) * 0.5, "greater": 0.5, "less": -0.5}[alternative]
    zc = (z - corr) / sigma
    if alternative == "less":
        return float(stats.norm.cdf(zc))
    if alternative == "greater":
        return float(stats.norm.sf(zc))
    return float(2 * min(stats.norm.cdf(zc), stats.norm.sf(zc)))


def _signrank_counts(n: int) -> np.ndarray:
    """Number of sign assignments giving each value 0..n(n+1)/2 of the signed-rank statistic
    (subsets of {1..n} by their sum): c_k(v) = c_{k-1}(v) + c_{k-1}(v - k), vectorised over v."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def wilcoxon_signed_rank(
    x: Any,
    y: Any = None,
    *,
    exact: bool | None = None,
    correction: bool = True,
    alternative: Alternative = "two-sided",
) -> LocationTest:
    """Wilcoxon signed-rank test of paired ``x``, ``y`` (or of ``x`` alone), as R
    ``wilcox.test(x, y, paired = TRUE)`` (see module). ``statistic`` is R's V; the
    alternative is about the location of ``x - y`` ("greater": ``x`` tends to be larger)."""
    assert_in("alternative", alternative, _ALTERNATIVES)
    if exact is not None and not isinstance(exact, bool):
        msg = f"`exact` must be True, False or None, got {exact!r}"
        raise ValueError(msg)
    xs = _sample("x", x, minimum=1)
    if y is None:
        d = xs
    else:
        ys = _sample("y", y, minimum=1)
        if ys.size != xs.size:
            msg = f"`x` and `y` must be paired (same length), got {xs.size} and {ys.size}"
            raise ValueError(msg)
        d = xs - ys
    zeros = int(np.sum(d == 0))
    d = d[d != 0]
    n = d.size
    if n == 0:
        msg = "`x - y` must have at least one non-zero difference, got all zero"
        raise ValueError(msg)
    ranks = stats.rankdata(np.abs(d))
    v = float(ranks[d > 0].sum())
    has_ties = np.unique(ranks).size < n
    if exact is None:
        exact = n < _EXACT_LIMIT
    dropped = f"; {zeros} zero difference(s) dropped" if zeros else ""
    if exact and not has_ties and not zeros:
        p = _exact_p(_signrank_counts(n), v, n * (n + 1) / 4, alternative)
        return LocationTest(v, p, alternative, "Wilcoxon signed-rank exact test")
    z = v - n * (n + 1) / 4
    _, tie_counts = np.unique(ranks, return_counts=True)
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24
                      - float(np.sum(tie_counts**3 - tie_counts)) / 48)
    if sigma == 0:  # pragma: no cover - n >= 1 non-zero differences give sigma > 0
        msg = "`x - y` must have a positive rank variance, got 0"
        raise ValueError(msg)
    p = _normal_p(z, sigma, alternative, correction=correction)
    method = "Wilcoxon signed-rank test, normal approximation"
    if correction:
        method += " with continuity correction"
    if exact and (has_ties or zeros):
        method += " (exact p not available with ties or zeros)"
    return LocationTest(v, min(1.0, p), alternative, method + dropped)
