"""Tests on contingency tables: Fisher's exact (2x2 and r x c), chi-square, McNemar, Bowker.

Every function reproduces the R ``stats`` function named in its docstring, including R's
floating-point conventions, so that a number in a cnsrwe report equals the number R prints.

Rules
-----
Fisher 2x2 (R ``fisher.test``)
    Conditional on all margins the count ``a`` (row 1, column 1) follows Fisher's noncentral
    hypergeometric distribution with the odds ratio as parameter. Two-sided p: sum of the
    probabilities (under OR = 1) of tables whose probability is at most ``d * (1 + 1e-7)``, d being
    the observed table's probability. The estimate is the conditional maximum-likelihood odds ratio
    (not the sample odds ratio ad/bc); the confidence limits invert the two one-sided exact tests
    (Agresti 2002, Categorical Data Analysis, section 3.5.7). Roots are found to full double
    precision; R's ``uniroot`` stops at its default tolerance, so R's printed limits can differ from
    ours in the last printed digits (recorded in tests/reference/stats_exact/README.md).
Fisher r x c
    The exact p-value over all tables with the observed margins (the Freeman-Halton extension),
    with the same ``1 + 1e-7`` tie tolerance. Tables are enumerated column by column as a network
    (Mehta & Patel 1983, JASA 78:427): nodes are the multisets of remaining row totals, paths that
    reach a node with equal weight are merged, and a node is settled without enumeration when bounds
    on the weight of its completions show that all or none of them count. Exact, not Monte Carlo.
Chi-square (R ``chisq.test``)
    Pearson's statistic with expected counts ``E = row * col / n`` and ``(r-1)(c-1)`` degrees of
    freedom; for a 2x2 table with ``correction=True`` Yates' correction ``min(0.5, |O - E|)``.
    For a vector, the goodness-of-fit statistic against probabilities ``p`` (which must sum to 1
    unless ``rescale_p=True``), with ``k - 1`` degrees of freedom. ``small_expected`` is ``True``
    where R would warn "Chi-squared approximation may be incorrect" (any expected count < 5).
McNemar and Bowker (R ``mcnemar.test``)
    For a k x k table of paired outcomes, ``sum_{i<j} (|n_ij - n_ji| - y)^2 / (n_ij + n_ji)`` with
    ``k(k-1)/2`` degrees of freedom; y = 1 only for 2x2 with ``correction=True``. For k > 2 this is
    Bowker's (1948, JASA 43:572) test of symmetry. Pairs with ``n_ij + n_ji = 0`` give R ``NaN``;
    here they are left out of the sum and of the degrees of freedom (as SAS PROC FREQ does) and the
    number left out is reported. ``exact=True`` (2x2 only) is the two-sided exact binomial test of
    ``n_12`` out of ``n_12 + n_21`` discordant pairs with p = 1/2.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl
from scipy import optimize, special, stats

from cnsrwe._checks import assert_in, assert_open_unit_interval
from cnsrwe.stats.ard import ArdRow, ard_frame
from cnsrwe.stats.proportions import R_RELATIVE_TOLERANCE, binomial_test

Alternative = Literal["two-sided", "less", "greater"]
_ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
_EPS = float(np.finfo(float).eps)


def _as_count_table(table: object, *, name: str = "table", square: bool = False) -> np.ndarray:
    """Validate a 2-D table of non-negative whole counts and return it as an int64 array."""
    arr = np.asarray(table)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 2:
        msg = f"`{name}` must be a 2-D table of at least 2 rows and 2 columns, got {arr.shape}"
        raise ValueError(msg)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        msg = f"`{name}` must hold counts, got dtype {arr.dtype}"
        raise TypeError(msg)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        msg = f"`{name}` must hold non-negative whole counts, got {arr.tolist()!r}"
        raise ValueError(msg)
    if square and arr.shape[0] != arr.shape[1]:
        msg = f"`{name}` must be square (k x k paired outcomes), got shape {arr.shape}"
        raise ValueError(msg)
    if arr.sum() == 0:
        msg = f"`{name}` must contain at least one observation, got {arr.tolist()!r}"
        raise ValueError(msg)
    return arr.astype(np.int64)


# --------------------------------------------------------------------------- Fisher 2x2


@dataclass(frozen=True)
class FisherResult:
    """Fisher's exact test; odds ratio fields are ``None`` for tables larger than 2x2."""

    p_value: float
    alternative: str
    odds_ratio: float | None = None
    lower: float | None = None
    upper: float | None = None
    conf_level: float | None = None
    shape: tuple[int, int] = (2, 2)

    def to_ard(self, *, parameter: str = "association", group: str = "") -> pl.DataFrame:
        """ARD rows: p-value and, for 2x2, the conditional MLE odds ratio with its exact CI."""
        method = f"Fisher's exact test ({self.shape[0]}x{self.shape[1]}), {self.alternative}"
        rows = [ArdRow("fisher_exact", parameter, "p_value", self.p_value, method, group)]
        if self.odds_ratio is not None:
            ci = f"conditional MLE odds ratio, exact {self.conf_level:.0%} CI"
            for stat, value in (
                ("odds_ratio", self.odds_ratio),
                ("lower", self.lower),
                ("upper", self.upper),
            ):
                rows.append(ArdRow("fisher_exact", parameter, stat, value, ci, group))
        return ard_frame(rows)


class _NoncentralHypergeometric:
    """Distribution of cell (1,1) of a 2x2 table given its margins, indexed by the odds ratio."""

    def __init__(self, table: np.ndarray) -> None:
        self.x = int(table[0, 0])
        m = int(table[:, 0].sum())
        n = int(table[:, 1].sum())
        k = int(table[0, :].sum())
        self.lo = max(0, k - n)
        self.hi = min(k, m)
        self.support = np.arange(self.lo, self.hi + 1)
        self.logdc = stats.hypergeom.logpmf(self.support, m + n, m, k)

    def pmf(self, log_or: float) -> np.ndarray:
        d = self.logdc + log_or * self.support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mean(self, log_or: float) -> float:
        return float(np.sum(self.support * self.pmf(log_or)))

    def tail(self, log_or: float, *, upper: bool) -> float:
        d = self.pmf(log_or)
        keep = self.support >= self.x if upper else self.support <= self.x
        return float(d[keep].sum())

    def _solve(self, fun, target: float) -> float:
        """Root in log-odds of a monotone ``fun(log_or) = target``; bracket widened as needed."""
        lo, hi = -1.0, 1.0
        while (fun(lo) - target) * (fun(hi) - target) > 0:
            lo, hi = 2 * lo, 2 * hi
            if hi > 1e4:
                msg = "no root found for the odds ratio"
                raise ArithmeticError(msg)
        root = optimize.brentq(lambda t: fun(t) - target, lo, hi, xtol=1e-14, rtol=4 * _EPS)
        return math.exp(root)

    def mle(self) -> float:
        if self.x == self.lo:
            return 0.0 if self.hi > self.lo else math.nan
        if self.x == self.hi:
            return math.inf
        return self._solve(self.mean, float(self.x))

    def lower_limit(self, alpha: float) -> float:
        if self.x == self.lo:
            return 0.0
        return self._solve(lambda t: self.tail(t, upper=True), alpha)

    def upper_limit(self, alpha: float) -> float:
        if self.x == self.hi:
            return math.inf
        return self._solve(lambda t: self.tail(t, upper=False), alpha)


def _fisher_2x2(table: np.ndarray, alternative: str, conf_level: float) -> FisherResult:
    dist = _NoncentralHypergeometric(table)
    if alternative == "less":
        p = dist.tail(0.0, upper=False)
        lower, upper = 0.0, dist.upper_limit(1 - conf_level)
    elif alternative == "greater":
        p = dist.tail(0.0, upper=True)
        lower, upper = dist.lower_limit(1 - conf_level), math.inf
    else:
        d = dist.pmf(0.0)
        p = float(d[d <= d[dist.x - dist.lo] * (1 + R_RELATIVE_TOLERANCE)].sum())
        alpha = (1 - conf_level) / 2
        lower, upper = dist.lower_limit(alpha), dist.upper_limit(alpha)
    return FisherResult(min(1.0, p), alternative, dist.mle(), lower, upper, conf_level)


# --------------------------------------------------------------------------- Fisher r x c


@functools.lru_cache(maxsize=4096)
def _bounded_compositions(total: int, caps: tuple[int, ...]) -> np.ndarray:
    """All vectors ``x`` with ``0 <= x_i <= caps_i`` and ``sum(x) = total`` (one per row)."""
    parts = np.zeros((1, 0), dtype=np.int64)
    rem = np.array([total], dtype=np.int64)
    rest = np.concatenate([np.cumsum(np.array(caps[::-1], dtype=np.int64))[::-1][1:], [0]])
    for i, cap in enumerate(caps):
        lo = np.maximum(0, rem - rest[i])
        hi = np.minimum(cap, rem)
        count = np.maximum(hi - lo + 1, 0)
        if count.sum() == 0:
            return np.zeros((0, len(caps)), dtype=np.int64)
        owner = np.repeat(np.arange(rem.size), count)
        offset = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
        value = lo[owner] + offset
        parts = np.column_stack([parts[owner], value])
        rem = rem[owner] - value
    return parts


def _even_split_weight(total: int, k: int) -> float:
    """Largest ``-sum log x_i!`` over ``k`` non-negative parts summing to ``total``."""
    q, r = divmod(total, k)
    return -(r * special.gammaln(q + 2) + (k - r) * special.gammaln(q + 1))


def _fisher_rxc_p(table: np.ndarray) -> float:
    """Exact r x c p-value by network enumeration (see the module docstring)."""
    if table.shape[0] > table.shape[1]:
        table = table.T
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return 1.0
    rows = table.sum(axis=1)
    cols = np.sort(table.sum(axis=0))[::-1]
    n = int(rows.sum())
    n_rows = rows.size
    const = float(
        special.gammaln(rows + 1).sum() + special.gammaln(cols + 1).sum() - special.gammaln(n + 1)
    )
    threshold = -float(special.gammaln(table + 1).sum()) + math.log1p(R_RELATIVE_TOLERANCE)
    # Bounds on the weight of completing the remaining columns (row totals relaxed).
    future_max = [
        sum(_even_split_weight(int(c), n_rows) for c in cols[j:]) for j in range(cols.size + 1)
    ]
    future_min = [-float(special.gammaln(cols[j:] + 1).sum()) for j in range(cols.size + 1)]
    col_logfact = [float(special.gammaln(cols[j:] + 1).sum()) for j in range(cols.size + 1)]

    p_value = 0.0
    radix = (n + 1) ** np.arange(n_rows)  # encodes a sorted state as one integer
    # node arrays: sorted remaining row totals, past weight, path multiplicity
    states = np.sort(rows)[None, :]
    weights = np.zeros(1)
    mults = np.ones(1)
    for j, col in enumerate(cols):
        new_states, new_w, new_m = [], [], []
        # states arrive sorted by node code (see the merge below): walk node blocks
        codes = states @ radix
        bounds = np.flatnonzero(np.diff(codes)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [codes.size]])
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            s = states[lo]
            w, mult = weights[lo:hi], mults[lo:hi]
            # log of sum over completions of prod 1/x! = log n_rem! - sum log s! - sum log c!
            log_future_mass = (
                special.gammaln(s.sum() + 1) - special.gammaln(s + 1).sum() - col_logfact[j]
            )
            all_count = w + future_max[j] <= threshold
            if np.any(all_count):
                p_value += float(
                    np.sum(mult[all_count] * np.exp(w[all_count] + log_future_mass + const))
                )
            undecided = ~all_count & (w + future_min[j] <= threshold)
            if not np.any(undecided):
                continue
            w, mult = w[undecided], mult[undecided]
            comps = _bounded_compositions(int(col), tuple(s.tolist()))
            comp_w = -special.gammaln(comps + 1).sum(axis=1)
            remaining = np.sort(s[None, :] - comps, axis=1)
            new_states.append(np.repeat(remaining, w.size, axis=0))
            new_w.append((comp_w[:, None] + w[None, :]).ravel())
            new_m.append(np.tile(mult, comp_w.size))
        if not new_states:
            return min(1.0, p_value)
        states = np.concatenate(new_states)
        w_all = np.concatenate(new_w)
        m_all = np.concatenate(new_m)
        # merge paths that reach the same node with the same weight
        codes = states @ radix
        w_key = np.round(w_all, 9)
        order = np.lexsort((w_key, codes))
        codes, w_key = codes[order], w_key[order]
        new_block = np.ones(order.size, dtype=bool)
        new_block[1:] = (np.diff(codes) != 0) | (np.diff(w_key) != 0)
        first = np.flatnonzero(new_block)
        states, weights = states[order[first]], w_all[order[first]]
        mults = np.add.reduceat(m_all[order], first)
    keep = weights <= threshold  # only the empty state remains after the last column
    p_value += float(np.sum(mults[keep] * np.exp(weights[keep] + const)))
    return min(1.0, p_value)


def fisher_exact(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    alternative: Alternative = "two-sided",
    conf_level: float = 0.95,
) -> FisherResult:
    """Fisher's exact test as R ``fisher.test`` (rules in the module docstring).

    For a 2x2 table the result also carries the conditional MLE odds ratio and its exact CI;
    ``alternative`` other than two-sided is defined only for 2x2 tables.
    """
    arr = _as_count_table(table)
    assert_in("alternative", alternative, _ALTERNATIVES)
    assert_open_unit_interval("conf_level", conf_level)
    if arr.shape == (2, 2):
        return _fisher_2x2(arr, alternative, conf_level)
    if alternative != "two-sided":
        msg = f"`alternative` must be 'two-sided' for a table larger than 2x2, got {alternative!r}"
        raise ValueError(msg)
    return FisherResult(_fisher_rxc_p(arr), alternative, shape=(arr.shape[0], arr.shape[1]))


# --------------------------------------------------------------------------- chi-square


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson chi-square test (independence or goodness of fit)."""

    statistic: float
    df: int
    p_value: float
    expected: np.ndarray = field(repr=False)
    small_expected: bool
    method: str

    def to_ard(self, *, parameter: str = "association", group: str = "") -> pl.DataFrame:
        """ARD rows: statistic, df, p-value."""
        return ard_frame(
            ArdRow("chi_square", parameter, s, v, self.method, group)
            for s, v in (
                ("statistic", self.statistic),
                ("df", float(self.df)),
                ("p_value", self.p_value),
            )
        )


def chi_square(
    x: Sequence[int] | Sequence[Sequence[int]] | np.ndarray,
    *,
    p: Sequence[float] | np.ndarray | None = None,
    correction: bool = True,
    rescale_p: bool = False,
) -> ChiSquareResult:
    """Pearson chi-square test as R ``chisq.test`` (rules in the module docstring).

    A 2-D ``x`` is tested for independence (Yates' correction for 2x2 when ``correction``); a 1-D
    ``x`` for goodness of fit to ``p`` (equal probabilities when ``p`` is ``None``).
    """
    arr = np.asarray(x)
    if arr.ndim == 1:
        return _goodness_of_fit(arr, p, rescale_p=rescale_p)
    if p is not None:
        msg = f"`p` applies only to a 1-D vector of counts, got a table of shape {arr.shape}"
        raise ValueError(msg)
    obs = _as_count_table(arr, name="x").astype(float)
    n = obs.sum()
    expected = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / n
    if np.any(expected == 0):
        msg = f"`x` must not have an empty row or column, got {obs.astype(int).tolist()!r}"
        raise ValueError(msg)
    yates = 0.0
    method = "Pearson's chi-square test"
    if correction and obs.shape == (2, 2):
        yates = float(min(0.5, np.min(np.abs(obs - expected))))
        if yates > 0:
            method = "Pearson's chi-square test with Yates' continuity correction"
    stat = float(np.sum((np.abs(obs - expected) - yates) ** 2 / expected))
    df = (obs.shape[0] - 1) * (obs.shape[1] - 1)
    return ChiSquareResult(
        stat, df, float(stats.chi2.sf(stat, df)), expected, bool(np.any(expected < 5)), method
    )


def _goodness_of_fit(
    arr: np.ndarray, p: Sequence[float] | np.ndarray | None, *, rescale_p: bool
) -> ChiSquareResult:
    if (
        arr.size < 2
        or not np.issubdtype(arr.dtype, np.number)
        or np.any(arr < 0)
        or not np.all(np.isfinite(arr))
    ):
        msg = f"`x` must be at least 2 non-negative finite counts, got {arr.tolist()!r}"
        raise ValueError(msg)
    if arr.sum() == 0:
        msg = f"`x` must contain at least one observation, got {arr.tolist()!r}"
        raise ValueError(msg)
    probs = np.full(arr.size, 1 / arr.size) if p is None else np.asarray(p, dtype=float)
    if probs.shape != arr.shape or np.any(probs < 0) or not np.all(np.isfinite(probs)):
        msg = f"`p` must be {arr.size} non-negative probabilities, got {np.asarray(p).tolist()!r}"
        raise ValueError(msg)
    if rescale_p:
        probs = probs / probs.sum()
    elif abs(probs.sum() - 1) > np.sqrt(_EPS):
        msg = f"`p` must sum to 1 (or pass rescale_p=True), got sum {probs.sum()!r}"
        raise ValueError(msg)
    expected = arr.sum() * probs
    stat = float(np.sum((arr - expected) ** 2 / expected))
    df = arr.size - 1
    return ChiSquareResult(
        stat,
        df,
        float(stats.chi2.sf(stat, df)),
        expected,
        bool(np.any(expected < 5)),
        "Chi-square test for given probabilities",
    )


# --------------------------------------------------------------------------- McNemar / Bowker


@dataclass(frozen=True)
class SymmetryResult:
    """McNemar (2x2) or Bowker (k x k) test of symmetry of paired outcomes."""

    statistic: float | None
    df: int
    p_value: float
    method: str
    n_pairs_dropped: int = 0

    def to_ard(self, *, parameter: str = "paired change", group: str = "") -> pl.DataFrame:
        """ARD rows: statistic, df and p-value (statistic and df omitted for the exact test)."""
        rows = [ArdRow("symmetry_test", parameter, "p_value", self.p_value, self.method, group)]
        if self.statistic is not None:
            rows.insert(
                0,
                ArdRow("symmetry_test", parameter, "statistic", self.statistic, self.method, group),
            )
            rows.insert(
                1, ArdRow("symmetry_test", parameter, "df", float(self.df), self.method, group)
            )
        return ard_frame(rows)


def _symmetry(arr: np.ndarray, yates: float, method: str) -> SymmetryResult:
    upper = arr[np.triu_indices(arr.shape[0], 1)].astype(float)
    lower = arr.T[np.triu_indices(arr.shape[0], 1)].astype(float)
    keep = (upper + lower) > 0
    dropped = int((~keep).sum())
    if not np.any(keep):
        msg = "`table` must have at least one discordant pair, got none off the diagonal"
        raise ValueError(msg)
    upper, lower = upper[keep], lower[keep]
    stat = float(np.sum((np.abs(upper - lower) - yates) ** 2 / (upper + lower)))
    df = int(keep.sum())
    return SymmetryResult(stat, df, float(stats.chi2.sf(stat, df)), method, dropped)


def mcnemar(
    table: Sequence[Sequence[int]] | np.ndarray, *, exact: bool = False, correction: bool = True
) -> SymmetryResult:
    """McNemar's test as R ``mcnemar.test``; a k x k table gives Bowker's test (see module)."""
    arr = _as_count_table(table, square=True)
    if exact:
        if arr.shape != (2, 2):
            msg = f"`exact=True` needs a 2x2 table, got shape {arr.shape}"
            raise ValueError(msg)
        b, c = int(arr[0, 1]), int(arr[1, 0])
        if b + c == 0:
            msg = "`table` must have at least one discordant pair, got none off the diagonal"
            raise ValueError(msg)
        p = binomial_test(b, b + c, 0.5).p_value
        return SymmetryResult(None, 1, p, "Exact McNemar test (binomial, discordant pairs)")
    if arr.shape == (2, 2):
        yates = 1.0 if correction else 0.0
        name = "McNemar's test" + (" with continuity correction" if correction else "")
        return _symmetry(arr, yates, name)
    return bowker(arr)


def bowker(table: Sequence[Sequence[int]] | np.ndarray) -> SymmetryResult:
    """Bowker's test of symmetry for a k x k table (McNemar without correction when k = 2)."""
    arr = _as_count_table(table, square=True)
    return _symmetry(arr, 0.0, "Bowker's test of symmetry")
