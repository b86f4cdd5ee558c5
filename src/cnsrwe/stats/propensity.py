"""Propensity scores and inverse-probability-of-treatment weighting (IPTW).

* :func:`fit_propensity` - logistic regression by Newton-Raphson (iteratively reweighted least
  squares, as R ``glm(family = binomial)``), with optional prior weights.
* :func:`iptw_weights` - ATE weights 1/e and 1/(1-e); ATT weights 1 and e/(1-e); optional
  stabilisation (ATE: multiply by the marginal treated / untreated proportion, Robins et al.
  2000; Xu et al. 2010), optional truncation at percentiles of the weights (Cole & Hernan 2008).
* :func:`balance_table` - standardised mean differences before and after weighting.
  Continuous: (m1 - m0) / sqrt((s1^2 + s0^2) / 2); binary (0/1): the same with s^2 = p (1 - p),
  as R ``tableone`` (cobalt would report the raw difference in proportions for binaries).
  Weighted means are sum(w x) / sum(w); weighted variances use the unbiased "reliability
  weights" form sum(w (x - m)^2) * sum(w) / (sum(w)^2 - sum(w^2)), which is what R ``cobalt``
  uses (``col_w_sd``).  The denominator uses the *unweighted* variances in both the before and
  after rows, as cobalt's default (``s.d.denom`` from the unadjusted sample), so the change in
  SMD reflects only the change in means.
* Weighted Kaplan-Meier: pass the weights to :func:`cnsrwe.stats.kaplan_meier.kaplan_meier`;
  non-integer weights get the infinitesimal-jackknife variance, as R ``survfit(weights=)``.
* :func:`iptw_cox` - weighted Cox model with robust (sandwich) variance, a thin call to
  :func:`cnsrwe.stats.cox.cox_ph` (R ``coxph(..., weights = w, robust = TRUE)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats as sps

from cnsrwe._checks import assert_in
from cnsrwe.errors import ConvergenceError
from cnsrwe.stats._survdata import FloatArray, as_events, column
from cnsrwe.stats.ard import ArdRow, ard_frame

Estimand = Literal["ATE", "ATT"]
_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class PropensityModel:
    """Fitted logistic propensity model (coefficients in the order of ``names``)."""

    names: tuple[str, ...]
    coef: FloatArray
    vcov: FloatArray
    score: FloatArray
    iterations: int
    deviance: float

    @property
    def table(self) -> pl.DataFrame:
        """term, estimate, std_error, z, p_value (R ``summary(glm)$coefficients``)."""
        se = np.sqrt(np.diag(self.vcov))
        z = self.coef / se
        return pl.DataFrame({"term": list(self.names), "estimate": self.coef, "std_error": se,
                             "z": z, "p_value": 2 * sps.norm.sf(np.abs(z))})

    def to_ard(self) -> pl.DataFrame:
        m = "logistic regression (Newton-Raphson / IRLS)"
        rows = []
        for rec in self.table.iter_rows(named=True):
            for stat in ("estimate", "std_error", "z", "p_value"):
                rows.append(ArdRow("propensity_model", rec["term"], stat, rec[stat], m))
        return ard_frame(rows)


def _matrix(data: Any, covariates: Sequence[str]) -> FloatArray:
    if isinstance(covariates, str) or len(covariates) == 0:
        msg = f"`covariates` must be a non-empty list of column names, got {covariates!r}"
        raise ValueError(msg)
    cols = []
    for name in covariates:
        raw = column(data, name, "covariates")
        arr = np.asarray(raw.to_numpy() if hasattr(raw, "to_numpy") else raw, dtype=np.float64)
        bad = ~np.isfinite(arr)
        if bad.any():
            msg = (f"`covariates` column {name!r} must be finite and not missing, got "
                   f"{float(arr[bad][0])!r} at position {int(np.flatnonzero(bad)[0])}")
            raise ValueError(msg)
        cols.append(arr)
    return np.column_stack(cols)


def fit_propensity(
    data: Any,
    *,
    treatment: str,
    covariates: Sequence[str],
    weights: str | None = None,
    intercept: bool = True,
    max_iter: int = 25,
    tol: float = 1e-8,
) -> PropensityModel:
    """Logistic regression P(treatment = 1 | covariates) by Newton-Raphson.

    Convergence follows R ``glm.control``: stop when |dev - dev_old| / (|dev| + 0.1) < ``tol``
    (R's ``epsilon = 1e-8``, ``maxit = 25``).  ``weights`` are prior (case) weights, so grouped
    binomial data can be fitted as two weighted rows per group.  Factors must be dummy-coded.

    Raises ``ConvergenceError`` if the deviance has not converged within ``max_iter``
    iterations (e.g. complete separation).
    """
    x = _matrix(data, covariates)
    n = x.shape[0]
    y = as_events("treatment", column(data, treatment, "treatment"), n).astype(np.float64)
    w = np.ones(n) if weights is None else np.asarray(
        column(data, weights, "weights").to_numpy(), dtype=np.float64)
    if np.any(~np.isfinite(w) | (w < 0)):
        msg = "`weights` must be finite and >= 0, got a negative or missing weight"
        raise ValueError(msg)
    names = tuple(covariates)
    if intercept:
        x = np.column_stack([np.ones(n), x])
        names = ("(Intercept)", *names)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        msg = f"`covariates` must not be collinear or constant, got {list(covariates)!r}"
        raise ValueError(msg)
    # R's binomial()$initialize: mu = (w y + 0.5) / (w + 1)
    mu = (w * y + 0.5) / (w + 1.0)
    eta = np.log(mu / (1 - mu))
    dev_old = np.inf
    beta = np.zeros(x.shape[1])
    for it in range(1, max_iter + 1):
        var = mu * (1 - mu)
        zwork = eta + (y - mu) / var
        ww = w * var
        xtw = x.T * ww
        beta = np.linalg.solve(xtw @ x, xtw @ zwork)
        eta = x @ beta
        # R binomial()$linkinv keeps mu inside [eps, 1 - eps]
        with np.errstate(over="ignore"):
            mu = np.clip(1.0 / (1.0 + np.exp(-eta)), _EPS, 1.0 - _EPS)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = float(-2 * np.sum(w * (np.where(y > 0, y * np.log(mu), 0.0)
                                         + np.where(y < 1, (1 - y) * np.log(1 - mu), 0.0))))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            if np.any((w > 0) & ((mu < 10 * _EPS) | (mu > 1 - 10 * _EPS))):
                msg = ("`fit_propensity` fitted probabilities numerically 0 or 1 (complete "
                       "separation), got a fitted score at 0 or 1; IPTW weights would be infinite")
                raise ConvergenceError(msg)
            # inverse Fisher information at the final estimate (R glm.fit uses the working
            # weights of the last iteration instead; both agree to R's convergence tolerance)
            vcov = np.linalg.inv((x.T * (w * mu * (1 - mu))) @ x)
            return PropensityModel(names, beta, vcov, mu, it, dev)
        dev_old = dev
    msg = (f"`fit_propensity` did not converge in {max_iter} iterations, got deviance {dev:.6g}; "
           "check for complete separation")
    raise ConvergenceError(msg)


def iptw_weights(
    score: Any,
    treatment: Any,
    *,
    estimand: Estimand = "ATE",
    stabilize: bool = False,
    truncate: tuple[float, float] | None = None,
) -> FloatArray:
    """Inverse-probability-of-treatment weights from propensity scores.

    ATE: 1/e (treated), 1/(1-e) (untreated); stabilised: P(T=1)/e and P(T=0)/(1-e).
    ATT: 1 (treated), e/(1-e) (untreated); stabilisation is defined for ATE only and is refused
    for ATT.
    ``truncate=(lo, hi)`` caps the weights at their lo-th and hi-th percentiles (R
    ``quantile(type=7)``), e.g. (0.01, 0.99).
    """
    assert_in("estimand", estimand, ("ATE", "ATT"))
    e = np.asarray(score.to_numpy() if hasattr(score, "to_numpy") else score, dtype=np.float64)
    t = as_events("treatment", treatment, e.shape[0])
    bad = ~np.isfinite(e) | (e <= 0) | (e >= 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"`score` must be in (0, 1), got {float(e[i])!r} at position {i}"
        raise ValueError(msg)
    if estimand == "ATE":
        w = np.where(t, 1.0 / e, 1.0 / (1.0 - e))
        if stabilize:
            p1 = float(t.mean())
            w = w * np.where(t, p1, 1.0 - p1)
    else:
        if stabilize:
            msg = "`stabilize` applies to ATE weights only, got estimand='ATT'"
            raise ValueError(msg)
        w = np.where(t, 1.0, e / (1.0 - e))
    if truncate is not None:
        lo, hi = truncate
        if not (0.0 <= lo < hi <= 1.0):
            msg = f"`truncate` must be (lo, hi) with 0 <= lo < hi <= 1, got {truncate!r}"
            raise ValueError(msg)
        qlo, qhi = np.quantile(w, [lo, hi])  # numpy "linear" = R type 7
        w = np.clip(w, qlo, qhi)
    return w


def _wstats(x: FloatArray, w: FloatArray) -> tuple[float, float]:
    sw = w.sum()
    m = float((w * x).sum() / sw)
    denom = sw * sw - (w * w).sum()
    v = float((w * (x - m) ** 2).sum() * sw / denom) if denom > 0 else float("nan")
    return m, v


def balance_table(
    data: Any,
    *,
    treatment: str,
    covariates: Sequence[str],
    weights: Any = None,
) -> pl.DataFrame:
    """Standardised mean differences (treated - untreated) before and after weighting.

    Columns: covariate, type ("binary" for 0/1 columns else "continuous"), mean_treated,
    mean_control, smd_unweighted, and when ``weights`` (an array) is given
    mean_treated_w, mean_control_w, smd_weighted.  See the module notes for the formulas.
    """
    x = _matrix(data, covariates)
    n = x.shape[0]
    t = as_events("treatment", column(data, treatment, "treatment"), n)
    if t.all() or (~t).all():
        msg = "`treatment` must contain both treated (1) and untreated (0) subjects"
        raise ValueError(msg)
    w = None if weights is None else np.asarray(
        weights.to_numpy() if hasattr(weights, "to_numpy") else weights, dtype=np.float64)
    if w is not None and (w.shape[0] != n or np.any(~np.isfinite(w) | (w <= 0))):
        msg = f"`weights` must be {n} finite positive numbers, got {w.shape[0]} values"
        raise ValueError(msg)
    recs = []
    ones = np.ones(n)
    for j, name in enumerate(covariates):
        col = x[:, j]
        binary = bool(np.all((col == 0) | (col == 1)))
        m1, v1 = _wstats(col[t], ones[t])
        m0, v0 = _wstats(col[~t], ones[~t])
        if binary:
            v1, v0 = m1 * (1 - m1), m0 * (1 - m0)
        sd = np.sqrt((v1 + v0) / 2.0)
        rec: dict[str, Any] = {
            "covariate": name, "type": "binary" if binary else "continuous",
            "mean_treated": m1, "mean_control": m0,
            "smd_unweighted": (m1 - m0) / sd if sd > 0 else float("nan"),
        }
        if w is not None:
            mw1, _ = _wstats(col[t], w[t])
            mw0, _ = _wstats(col[~t], w[~t])
            rec.update(mean_treated_w=mw1, mean_control_w=mw0,
                       smd_weighted=(mw1 - mw0) / sd if sd > 0 else float("nan"))
        recs.append(rec)
    return pl.DataFrame(recs)


def iptw_cox(
    data: Any,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    weights: str,
    **kwargs: Any,
) -> Any:
    """Weighted Cox model with robust variance (R ``coxph(..., weights=w, robust=TRUE)``).

    A thin wrapper of :func:`cnsrwe.stats.cox.cox_ph`; extra keyword arguments (``strata``,
    ``ties``, ``cluster`` ...) are passed through.
    """
    from cnsrwe.stats.cox import cox_ph

    return cox_ph(data, duration=duration, event=event, covariates=covariates, weights=weights,
                  robust=True, **kwargs)
