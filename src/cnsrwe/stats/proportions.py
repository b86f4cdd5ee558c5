"""Binomial proportions: confidence intervals and the exact binomial test.

Rules
-----
``clopper-pearson``
    The exact interval of Clopper and Pearson (1934, Biometrika 26:404): the limits are the
    ``alpha/2`` and ``1 - alpha/2`` quantiles of Beta(k, n-k+1) and Beta(k+1, n-k); lower = 0 when
    k = 0 and upper = 1 when k = n. Identical to R ``binom.test(k, n)$conf.int`` and SPSS/SAS
    "exact" limits. This is the interval published response-rate tables use.
``wilson``
    The score interval of Wilson (1927, JASA 22:209). With ``correct=True`` (default, as R
    ``prop.test(k, n)``) the continuity-corrected form of Newcombe (1998, Stat Med 17:857, method
    4) is used, exactly as R's ``prop.test`` computes it (including R's clamping of the limits to
    [0, 1] and the special cases k = 0 and k = n). ``correct=False`` gives the plain Wilson interval
    (R ``prop.test(k, n, correct=FALSE)``).
``jeffreys``
    The equal-tailed Jeffreys interval (Brown, Cai & DasGupta 2001, Stat Sci 16:101, section 4.1.2):
    quantiles of Beta(k + 1/2, n - k + 1/2), with lower = 0 when k = 0 and upper = 1 when k = n.

:func:`binomial_test` reproduces R ``binom.test``: the two-sided p-value sums the probabilities of
every outcome whose probability is at most ``d * (1 + 1e-7)``, d being the probability of the
observed count (R's relative tolerance for floating-point ties).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from cnsrwe._checks import assert_in, assert_open_unit_interval
from cnsrwe.stats.ard import ArdRow, ard_frame

BinomialMethod = Literal["clopper-pearson", "wilson", "jeffreys"]
Alternative = Literal["two-sided", "less", "greater"]

_METHODS: tuple[str, ...] = ("clopper-pearson", "wilson", "jeffreys")
_ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
#: R's relative tolerance when comparing outcome probabilities with the observed one.
R_RELATIVE_TOLERANCE = 1e-7


def _check_counts(k: int, n: int) -> None:
    for name, value in (("k", k), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            msg = f"`{name}` must be a whole number, got {value!r}"
            raise TypeError(msg)
    if n < 1:
        msg = f"`n` must be at least 1, got {n!r}"
        raise ValueError(msg)
    if not 0 <= k <= n:
        msg = f"`k` must be between 0 and `n` ({n}), got {k!r}"
        raise ValueError(msg)


@dataclass(frozen=True)
class BinomialCI:
    """A proportion ``k/n`` with its confidence interval."""

    k: int
    n: int
    estimate: float
    lower: float
    upper: float
    conf_level: float
    method: str

    def to_ard(self, *, parameter: str = "proportion", group: str = "") -> pl.DataFrame:
        """Long ARD rows: n, k, estimate, lower, upper."""
        label = f"{self.method}, {self.conf_level:.0%}"
        values = {
            "n": float(self.n),
            "k": float(self.k),
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
        }
        return ard_frame(
            ArdRow("binomial_ci", parameter, s, v, label, group=group) for s, v in values.items()
        )


def binomial_ci(
    k: int,
    n: int,
    *,
    conf_level: float = 0.95,
    method: BinomialMethod = "clopper-pearson",
    correct: bool = True,
) -> BinomialCI:
    """Confidence interval of a binomial proportion ``k/n`` (rules in the module docstring).

    ``correct`` applies only to ``method="wilson"`` (continuity correction as R ``prop.test``).

    Examples
    --------
    >>> ci = binomial_ci(17, 32)
    >>> round(ci.lower, 4), round(ci.upper, 4)
    (0.3469, 0.7093)
    """
    _check_counts(k, n)
    assert_open_unit_interval("conf_level", conf_level)
    assert_in("method", method, _METHODS)
    alpha = 1.0 - conf_level
    p_hat = k / n
    if method == "clopper-pearson":
        lower = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
        upper = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
        name = "Clopper-Pearson exact"
    elif method == "jeffreys":
        lower = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k + 0.5, n - k + 0.5))
        upper = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 0.5, n - k + 0.5))
        name = "Jeffreys"
    else:
        lower, upper = _wilson(k, n, alpha, correct=correct)
        name = "Wilson score, continuity-corrected" if correct else "Wilson score"
    return BinomialCI(k, n, p_hat, lower, upper, conf_level, name)


def _wilson(k: int, n: int, alpha: float, *, correct: bool) -> tuple[float, float]:
    """Wilson limits as R ``prop.test`` (stats/R/prop.test.R) computes them for one sample."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    z2 = z * z
    p_hat = k / n
    yates = 0.5 if correct else 0.0
    yates = min(yates, abs(k - n * 0.5))  # R: YATES <- min(YATES, abs(x - n * p)) with p = 0.5
    p_c = p_hat + yates / n
    upper = 1.0
    if p_c < 1:
        upper = (p_c + z2 / (2 * n) + z * math.sqrt(p_c * (1 - p_c) / n + z2 / (4 * n * n))) / (
            1 + z2 / n
        )
    p_c = p_hat - yates / n
    lower = 0.0
    if p_c > 0:
        lower = (p_c + z2 / (2 * n) - z * math.sqrt(p_c * (1 - p_c) / n + z2 / (4 * n * n))) / (
            1 + z2 / n
        )
    return max(lower, 0.0), min(upper, 1.0)


@dataclass(frozen=True)
class BinomialTest:
    """Exact binomial test of ``H0: p = p0``."""

    k: int
    n: int
    p0: float
    alternative: str
    p_value: float

    def to_ard(self, *, parameter: str = "proportion", group: str = "") -> pl.DataFrame:
        """ARD row with the p-value."""
        method = f"Exact binomial test, p0 = {self.p0:g}, {self.alternative}"
        return ard_frame(
            [ArdRow("binomial_test", parameter, "p_value", self.p_value, method, group)]
        )


def binomial_test(
    k: int, n: int, p: float = 0.5, *, alternative: Alternative = "two-sided"
) -> BinomialTest:
    """Exact binomial test, p-values as R ``binom.test`` (see the module docstring)."""
    _check_counts(k, n)
    assert_open_unit_interval("p", p)
    assert_in("alternative", alternative, _ALTERNATIVES)
    if alternative == "less":
        pv = float(stats.binom.cdf(k, n, p))
    elif alternative == "greater":
        pv = float(stats.binom.sf(k - 1, n, p))
    else:
        pv = _two_sided_binomial_p(k, n, p)
    return BinomialTest(k, n, p, alternative, min(1.0, pv))


def _two_sided_binomial_p(k: int, n: int, p: float) -> float:
    """Two-sided p-value by R ``binom.test``'s algorithm (stats/R/binom.test.R).

    The observed tail is taken whole; on the other side of the mean ``n*p`` the outcomes whose
    probability is at most ``d * (1 + 1e-7)`` are counted.
    """
    rel = 1 + R_RELATIVE_TOLERANCE
    d = float(stats.binom.pmf(k, n, p))
    m = n * p
    if k == m:
        return 1.0
    if k < m:
        other = np.arange(math.ceil(m), n + 1)
        y = int(np.sum(stats.binom.pmf(other, n, p) <= d * rel))
        pv = stats.binom.cdf(k, n, p) + stats.binom.sf(n - y, n, p)
    else:
        other = np.arange(0, math.floor(m) + 1)
        y = int(np.sum(stats.binom.pmf(other, n, p) <= d * rel))
        pv = stats.binom.cdf(y - 1, n, p) + stats.binom.sf(k - 1, n, p)
    return float(min(1.0, pv))
