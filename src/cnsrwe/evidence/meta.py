"""Random-effects pooling of study estimates, and of proportions on the logit scale.

Model (DerSimonian & Laird 1986, Control Clin Trials 7:177): study ``i`` reports an estimate
``y_i`` with known sampling variance ``v_i``; ``y_i = mu + u_i + e_i`` with ``u_i ~ N(0, tau2)``
and ``e_i ~ N(0, v_i)``. With weights ``w_i = 1 / (v_i + tau2)`` the pooled estimate is
``mu = sum(w y) / sum(w)`` with variance ``1 / sum(w)``.

Estimators of the between-study variance ``tau2`` (all truncated at 0):

``"DL"``    DerSimonian-Laird method of moments, from Cochran's ``Q`` with fixed-effect weights.
``"REML"``  restricted maximum likelihood (Viechtbauer 2005, J Educ Behav Stat 30:261): the root of
            the REML score, found here with Brent's method on a bracket (metafor uses Fisher
            scoring; both solve the same equation).
``"PM"``    Paule-Mandel (1982): ``tau2`` such that the generalised ``Q`` equals ``k - 1``.

Confidence interval of ``mu``: ``test="z"`` uses the normal quantile (metafor ``rma`` default);
``test="knha"`` the Hartung-Knapp / Sidik-Jonkman adjustment (Hartung & Knapp 2001, Stat Med
20:3875): ``se^2 = sum(w (y - mu)^2) / ((k - 1) sum(w))`` with a t quantile on ``k - 1`` df, no
truncation of the adjustment factor (metafor's default). The prediction interval follows metafor
``predict.rma``: ``mu +/- q * sqrt(tau2 + se^2)`` with the same quantile ``q``.

Heterogeneity: Cochran's ``Q`` (fixed-effect weights) with its chi-square p-value; ``I2`` and ``H2``
as metafor prints them, ``I2 = tau2 / (tau2 + s2)`` with the "typical" within-study variance
``s2 = (k - 1) sum(w0) / (sum(w0)^2 - sum(w0^2))`` (Higgins & Thompson 2002, Stat Med 21:1539);
for DL this equals ``(Q - df) / Q``. ``i2_q`` gives that Q-based value for every method.

Proportions (metafor ``escalc(measure="PLO")``): ``y = log(x / (n - x))``, ``v = 1/x + 1/(n - x)``;
a study with ``x = 0`` or ``x = n`` gets 0.5 added to both cells (``add=1/2, to="only0"``).
Pooled logits are back-transformed with the inverse logit.

The references are R metafor outputs and the published tables metafor's tests check (see
``tests/reference/meta/README.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl
from scipy import optimize, stats

from cnsrwe._checks import assert_in, assert_open_unit_interval
from cnsrwe.stats.ard import ArdRow, ard_frame

Tau2Method = Literal["DL", "REML", "PM"]
CiTest = Literal["z", "knha"]

_METHODS = ("DL", "REML", "PM")
_TESTS = ("z", "knha")
_METHOD_NAMES = {
    "DL": "DerSimonian-Laird",
    "REML": "restricted maximum likelihood",
    "PM": "Paule-Mandel",
}


@dataclass(frozen=True)
class PooledEstimate:
    """A random-effects pooled estimate with its heterogeneity statistics."""

    k: int
    estimate: float
    se: float
    lower: float
    upper: float
    pi_lower: float
    pi_upper: float
    tau2: float
    q: float
    q_p_value: float
    i2: float
    i2_q: float
    h2: float
    conf_level: float
    method: str
    test: str
    yi: np.ndarray = field(repr=False)
    vi: np.ndarray = field(repr=False)

    @property
    def tau(self) -> float:
        """Between-study standard deviation."""
        return float(np.sqrt(self.tau2))

    @property
    def label(self) -> str:
        """Method text for tables and ARD rows."""
        ci = "Hartung-Knapp CI" if self.test == "knha" else "Wald CI"
        return f"random effects, {_METHOD_NAMES[self.method]} tau2, {ci}, {self.conf_level:.0%}"

    def to_ard(self, *, parameter: str = "pooled", group: str = "") -> pl.DataFrame:
        """ARD rows of the pooled estimate (on the analysis scale) and heterogeneity."""
        values = {
            "k": float(self.k),
            "estimate": self.estimate,
            "se": self.se,
            "lower": self.lower,
            "upper": self.upper,
            "pi_lower": self.pi_lower,
            "pi_upper": self.pi_upper,
            "tau2": self.tau2,
            "q": self.q,
            "q_p_value": self.q_p_value,
            "i2": self.i2,
            "h2": self.h2,
        }
        return ard_frame(
            ArdRow("random_effects", parameter, s, v, self.label, group=group)
            for s, v in values.items()
        )


def _as_arrays(yi: Sequence[float] | np.ndarray, vi: Sequence[float] | np.ndarray) -> tuple:
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if y.ndim != 1 or v.shape != y.shape:
        msg = f"`yi` and `vi` must be 1-D of equal length, got shapes {y.shape} and {v.shape}"
        raise ValueError(msg)
    if y.size < 2:
        msg = f"`yi` must hold at least 2 studies to pool, got {y.size}"
        raise ValueError(msg)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        msg = "`yi` and `vi` must be finite numbers, got a missing or infinite value"
        raise ValueError(msg)
    if np.any(v <= 0):
        msg = f"`vi` must be > 0 for every study, got {v.tolist()!r}"
        raise ValueError(msg)
    return y, v


def _q_stat(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    q = _q_stat(y, v, 0.0)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return max(0.0, (q - (y.size - 1)) / c)


def _tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    df = y.size - 1
    if _q_stat(y, v, 0.0) <= df:
        return 0.0
    hi = max(1.0, float(np.var(y, ddof=1)))
    while _q_stat(y, v, hi) > df:
        hi *= 2.0
    return float(optimize.brentq(lambda t: _q_stat(y, v, t) - df, 0.0, hi, xtol=1e-12))


def _reml_score(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(-np.sum(w) + np.sum(w**2 * (y - mu) ** 2) + np.sum(w**2) / np.sum(w))


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    if _reml_score(y, v, 0.0) <= 0:
        return 0.0
    hi = max(1.0, float(np.var(y, ddof=1)))
    while _reml_score(y, v, hi) > 0:
        hi *= 2.0
    return float(optimize.brentq(lambda t: _reml_score(y, v, t), 0.0, hi, xtol=1e-12))


_ESTIMATORS = {"DL": _tau2_dl, "REML": _tau2_reml, "PM": _tau2_pm}


def pool_random_effects(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    *,
    method: Tau2Method = "REML",
    test: CiTest = "z",
    conf_level: float = 0.95,
) -> PooledEstimate:
    """Pool study estimates ``yi`` with sampling variances ``vi`` (rules in the module docstring).

    Examples
    --------
    >>> res = pool_random_effects([0.1, 0.3, 0.5], [0.01, 0.02, 0.04], method="DL")
    >>> round(res.estimate, 4)
    0.2286
    """
    y, v = _as_arrays(yi, vi)
    assert_in("method", method, _METHODS)
    assert_in("test", test, _TESTS)
    assert_open_unit_interval("conf_level", conf_level)
    k = y.size
    tau2 = _ESTIMATORS[method](y, v)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    alpha = 1.0 - conf_level
    if test == "knha":
        se = float(np.sqrt(np.sum(w * (y - mu) ** 2) / ((k - 1) * np.sum(w))))
        crit = float(stats.t.ppf(1 - alpha / 2, k - 1))
    else:
        se = float(np.sqrt(1.0 / np.sum(w)))
        crit = float(stats.norm.ppf(1 - alpha / 2))
    w0 = 1.0 / v
    q = _q_stat(y, v, 0.0)
    s2 = (k - 1) * np.sum(w0) / (np.sum(w0) ** 2 - np.sum(w0**2))
    i2 = float(tau2 / (tau2 + s2))
    pi_half = crit * float(np.sqrt(tau2 + se**2))
    return PooledEstimate(
        k=k,
        estimate=mu,
        se=se,
        lower=mu - crit * se,
        upper=mu + crit * se,
        pi_lower=mu - pi_half,
        pi_upper=mu + pi_half,
        tau2=float(tau2),
        q=q,
        q_p_value=float(stats.chi2.sf(q, k - 1)),
        i2=i2,
        i2_q=max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0,
        h2=float((tau2 + s2) / s2),
        conf_level=conf_level,
        method=method,
        test=test,
        yi=y,
        vi=v,
    )


def logit_proportions(
    events: Sequence[int] | np.ndarray, totals: Sequence[int] | np.ndarray, *, add: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Logit of ``events / totals`` and its variance, as metafor ``escalc(measure="PLO")``.

    Studies with 0 events or all events get ``add`` added to both cells (``to="only0"``).
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    if x.shape != n.shape or x.ndim != 1:
        msg = f"`events` and `totals` must be 1-D of equal length, got {x.shape} and {n.shape}"
        raise ValueError(msg)
    bad = (n < 1) | (x < 0) | (x > n) | (x != np.round(x)) | (n != np.round(n))
    if np.any(bad):
        i = int(np.argmax(bad))
        msg = f"`events` must be whole numbers in 0..totals, got {x[i]:g} of {n[i]:g} (study {i})"
        raise ValueError(msg)
    if add < 0:
        msg = f"`add` must be >= 0, got {add!r}"
        raise ValueError(msg)
    corr = np.where((x == 0) | (x == n), add, 0.0)
    a = x + corr
    b = n - x + corr
    if np.any((a == 0) | (b == 0)):
        msg = "`add` must be > 0 when a study has 0 or all events, got 0"
        raise ValueError(msg)
    return np.log(a / b), 1.0 / a + 1.0 / b


def inverse_logit(x: float) -> float:
    """``1 / (1 + exp(-x))``."""
    return float(1.0 / (1.0 + np.exp(-x)))


@dataclass(frozen=True)
class PooledProportion:
    """A pooled proportion: the logit-scale fit and its back-transformed estimate and limits."""

    logit: PooledEstimate

    @property
    def estimate(self) -> float:
        """Pooled proportion (inverse logit of the pooled logit)."""
        return float(inverse_logit(self.logit.estimate))

    @property
    def lower(self) -> float:
        """Lower confidence limit on the proportion scale."""
        return float(inverse_logit(self.logit.lower))

    @property
    def upper(self) -> float:
        """Upper confidence limit on the proportion scale."""
        return float(inverse_logit(self.logit.upper))

    @property
    def pi_lower(self) -> float:
        """Lower prediction limit on the proportion scale."""
        return float(inverse_logit(self.logit.pi_lower))

    @property
    def pi_upper(self) -> float:
        """Upper prediction limit on the proportion scale."""
        return float(inverse_logit(self.logit.pi_upper))

    def to_ard(self, *, parameter: str = "pooled proportion", group: str = "") -> pl.DataFrame:
        """ARD rows: proportion-scale estimate and limits plus the logit-scale heterogeneity."""
        label = f"logit, {self.logit.label}"
        values = {
            "k": float(self.logit.k),
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "pi_lower": self.pi_lower,
            "pi_upper": self.pi_upper,
            "tau2": self.logit.tau2,
            "q": self.logit.q,
            "q_p_value": self.logit.q_p_value,
            "i2": self.logit.i2,
        }
        return ard_frame(
            ArdRow("random_effects_proportion", parameter, s, v, label, group=group)
            for s, v in values.items()
        )


def pool_proportions(
    events: Sequence[int] | np.ndarray,
    totals: Sequence[int] | np.ndarray,
    *,
    method: Tau2Method = "REML",
    test: CiTest = "knha",
    conf_level: float = 0.95,
) -> PooledProportion:
    """Random-effects pooled proportion on the logit scale (REML with Hartung-Knapp by default).

    REML with the Hartung-Knapp interval is the default because with the few, small trials
    that report CNS response the Wald interval of DerSimonian-Laird is too narrow (IntHout et al.
    2014, BMC Med Res Methodol 14:25; Cochrane Handbook v6.4, section 10.10.4.2).
    """
    y, v = logit_proportions(events, totals)
    return PooledProportion(
        pool_random_effects(y, v, method=method, test=test, conf_level=conf_level)
    )
