"""Firth's penalised Cox regression, as R ``coxphf`` (Heinze & Schemper 2001).

Rule (Heinze G, Schemper M. A solution to the problem of monotone likelihood in Cox regression.
*Biometrics* 2001;57:114-119; Firth D. *Biometrika* 1993;80:27-38): maximise the penalised log
partial likelihood ``l*(beta) = l(beta) + 0.5 * log det I(beta)`` with Breslow ties (as coxphf).
The modified score is ``U*_r = U_r + 0.5 * trace(I^{-1} dI/dbeta_r)``.  The estimate is finite
even under monotone likelihood (e.g. no events in one arm of a subgroup).

* Confidence intervals: profile penalised likelihood, i.e. the values of ``beta_k`` where
  ``2 (l*(beta_hat) - max_{others} l*(beta_k, others)) = chi2_{1, conf_level}``.
* Per-coefficient p-value: penalised likelihood-ratio test of ``beta_k = 0``.
* Global test: ``2 (l*(beta_hat) - l*(0))`` on p df (coxphf's "penalized likelihood ratio").

Iteration follows coxphf's Newton scheme: direction ``I^{-1} U*``, steps capped at ``max_step``
(0.5), step-halving (at most 5) when ``l*`` falls, convergence when ``max|step| <= 1e-6`` and
``max|U*| <= 1e-4``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import optimize, stats

from cnsrwe._checks import assert_open_unit_interval
from cnsrwe.errors import ConvergenceError
from cnsrwe.stats._coef_table import chisq_test_ard, coefficient_ard, coefficient_table
from cnsrwe.stats._cox_input import check_collinearity, read_cox_input
from cnsrwe.stats.ard import ArdRow, ard_frame
from cnsrwe.stats.cox_fit import RiskSets, build_risk_sets, risk_set_sums

FloatArray = npt.NDArray[np.float64]


def penalised_derivs(rs: RiskSets, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """Penalised loglik ``l + 0.5 log|I|``, modified score U* and information I (Breslow)."""
    x = rs.x
    n, p = x.shape
    eta = x @ beta
    r = rs.weight * np.exp(eta)
    xx = x[:, :, None] * x[:, None, :]
    xxx = xx[:, :, :, None] * x[:, None, None, :]
    packed = np.concatenate(
        [r[:, None], r[:, None] * x, (r[:, None, None] * xx).reshape(n, p * p),
         (r[:, None, None, None] * xxx).reshape(n, p * p * p)],
        axis=1,
    )
    s = risk_set_sums(rs, packed)
    s0 = s[:, 0]
    m1 = s[:, 1 : 1 + p] / s0[:, None]
    m2 = s[:, 1 + p : 1 + p + p * p].reshape(-1, p, p) / s0[:, None, None]
    m3 = s[:, 1 + p + p * p :].reshape(-1, p, p, p) / s0[:, None, None, None]
    wd = rs.dead_weight
    ev = rs.event
    loglik = float(np.sum(rs.weight[ev] * eta[ev]) - wd @ np.log(s0))
    u = rs.weight[ev] @ x[ev] - wd @ m1
    cov = m2 - m1[:, :, None] * m1[:, None, :]
    imat = np.einsum("b,bij->ij", wd, cov)
    # dI/dbeta_r = sum wd [M3_r - M2 m_r - (c_r m' + m c_r')], c_r = M2[:, r] - m m_r
    c = m2 - m1[:, :, None] * m1[:, None, :]  # c[b, i, r]
    d_i = (
        m3
        - m2[:, :, :, None] * m1[:, None, None, :]
        - c[:, :, None, :] * m1[:, None, :, None]
        - m1[:, :, None, None] * c[:, None, :, :]
    )
    d_imat = np.einsum("b,bijr->rij", wd, d_i)
    sign, logdet = np.linalg.slogdet(imat)
    if sign <= 0:
        return -np.inf, u, imat
    inv = np.linalg.inv(imat)
    ustar = u + 0.5 * np.einsum("ij,rji->r", inv, d_imat)
    return loglik + 0.5 * logdet, ustar, imat


def _maximise(
    rs: RiskSets,
    beta0: FloatArray,
    free: npt.NDArray[np.bool_],
    *,
    max_iter: int = 50,
    max_halving: int = 5,
    max_step: float = 0.5,
    eps: float = 1e-6,
    gconv: float = 1e-4,
) -> tuple[FloatArray, float, int]:
    """Maximise the penalised likelihood over the ``free`` coordinates (others held fixed)."""
    beta = beta0.copy()
    pl_cur, ustar, imat = penalised_derivs(rs, beta)
    if not np.isfinite(pl_cur):
        msg = "penalised likelihood is not finite at the starting values, got -inf"
        raise ConvergenceError(msg)
    idx = np.flatnonzero(free)
    for it in range(1, max_iter + 1):
        if idx.size == 0:
            return beta, pl_cur, it
        delta = np.zeros_like(beta)
        delta[idx] = np.linalg.solve(imat[np.ix_(idx, idx)], ustar[idx])
        big = np.max(np.abs(delta))
        if big > max_step:
            delta *= max_step / big
        new = beta + delta
        pl_new, u_new, i_new = penalised_derivs(rs, new)
        h = 0
        while (not np.isfinite(pl_new) or pl_new < pl_cur) and h < max_halving:
            delta /= 2.0
            new = beta + delta
            pl_new, u_new, i_new = penalised_derivs(rs, new)
            h += 1
        beta, pl_cur, ustar, imat = new, pl_new, u_new, i_new
        if np.max(np.abs(delta)) <= eps and np.max(np.abs(ustar[idx])) <= gconv:
            return beta, pl_cur, it
    msg = f"Firth Cox fit did not converge, got {max_iter} iterations"
    raise ConvergenceError(msg)


@dataclass(frozen=True)
class FirthCoxResult:
    """A Firth-penalised Cox fit (R ``coxphf``): estimates, profile CIs, penalised LR tests."""

    covariates: tuple[str, ...]
    coef: FloatArray
    se: FloatArray
    hazard_ratio: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray
    chisq: FloatArray  # penalised LR statistic per coefficient
    p_value: FloatArray
    loglik: tuple[float, float]  # penalised loglik at beta = 0 and at the estimate
    lr_test: tuple[float, int, float]  # global penalised LR: statistic, df, p
    conf_level: float
    n: int
    n_events: int
    iterations: int

    def _stats(self, *, ard: bool) -> list[tuple[str, FloatArray | None]]:
        return [("coef", self.coef), ("hazard_ratio", self.hazard_ratio), ("se", self.se),
                ("lower" if ard else "ci_lower", self.ci_lower),
                ("upper" if ard else "ci_upper", self.ci_upper),
                ("chisq", self.chisq), ("p_value", self.p_value)]  # fmt: skip

    @property
    def table(self) -> pl.DataFrame:
        """One row per covariate: coef, HR, se, profile CI, penalised LR chisq and p."""
        return coefficient_table(self.covariates, self._stats(ard=False))

    def to_ard(self) -> pl.DataFrame:
        """Long analysis-results rows (see :mod:`cnsrwe.stats.ard`)."""
        pct = round(self.conf_level * 100, 6)
        method = f"Firth penalised Cox (Breslow ties), profile penalised-likelihood {pct:g}% CI"
        rows = coefficient_ard("firth_cox", self.covariates, self._stats(ard=True), method)
        rows += chisq_test_ard("firth_cox", "lr_test", *self.lr_test, method)
        rows.append(ArdRow("firth_cox", "model", "loglik_null", self.loglik[0], method))
        rows.append(ArdRow("firth_cox", "model", "loglik", self.loglik[1], method))
        return ard_frame(rows)


def _profile_bound(
    rs: RiskSets, beta_hat: FloatArray, pl_max: float, k: int, q: float, se: float, side: int
) -> float:
    """Solve ``2 (pl_max - profile(beta_k)) = q`` on one side of the estimate."""
    free = np.ones(beta_hat.shape[0], dtype=bool)
    free[k] = False
    warm = [beta_hat.copy()]

    def f(bk: float) -> float:
        b0 = warm[0].copy()
        b0[k] = bk
        b, plv, _ = _maximise(rs, b0, free, max_iter=200)
        warm[0] = b
        return 2.0 * (pl_max - plv) - q

    step = max(se, 0.1)
    lo = beta_hat[k]
    hi = lo + side * step
    for _ in range(60):
        if f(hi) > 0:
            break
        lo, hi = hi, hi + side * step
        step *= 2.0
    else:
        msg = f"profile likelihood bound for covariate {k} not found, got no sign change"
        raise ConvergenceError(msg)
    warm[0] = beta_hat.copy()
    a, b = (lo, hi) if side > 0 else (hi, lo)
    return float(optimize.brentq(f, a, b, xtol=1e-10))


def firth_cox(
    data: Any,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    conf_level: float = 0.95,
    start: str | None = None,
) -> FirthCoxResult:
    """Fit a Firth-penalised Cox model with profile-likelihood CIs (R ``coxphf``, ``pl=TRUE``).

    Parameters
    ----------
    data
        polars or pandas DataFrame, or a dict of equal-length arrays.
    duration, event
        Column names of the follow-up (stop) time and the 0/1 event indicator.
    covariates
        Numeric column names (dummy-code factors first).
    conf_level
        Level of the profile penalised-likelihood intervals, in (0, 1).
    start
        Entry-time column for counting-process ``(start, stop]`` rows.

    Returns
    -------
    FirthCoxResult
        ``se`` is the Wald standard error from the inverse information at the estimate; the
        intervals and p-values are profile penalised-likelihood based, as coxphf's default.
    """
    assert_open_unit_interval("conf_level", conf_level)
    inp = read_cox_input(data, duration=duration, event=event, covariates=covariates, start=start)
    n_events = int(inp.event.sum())
    if n_events == 0:
        msg = f"`event` column {event!r} must contain at least one event, got 0 events"
        raise ValueError(msg)
    check_collinearity(inp.x, inp.weight, inp.covariates)
    means = inp.x.mean(axis=0)
    rs = build_risk_sets(inp.x - means, inp.stop, inp.event, inp.weight, inp.strata, inp.start)
    p = inp.x.shape[1]
    all_free = np.ones(p, dtype=bool)
    beta, pl_max, iters = _maximise(rs, np.zeros(p), all_free)
    pl_null, _, _ = penalised_derivs(rs, np.zeros(p))
    _, _, imat = penalised_derivs(rs, beta)
    se = np.sqrt(np.diag(np.linalg.inv(imat)))
    q = float(stats.chi2.ppf(conf_level, 1))
    lower = np.empty(p)
    upper = np.empty(p)
    chisq = np.empty(p)
    for k in range(p):
        lower[k] = _profile_bound(rs, beta, pl_max, k, q, se[k], -1)
        upper[k] = _profile_bound(rs, beta, pl_max, k, q, se[k], +1)
        free = all_free.copy()
        free[k] = False
        b0 = beta.copy()
        b0[k] = 0.0
        _, pl_k, _ = _maximise(rs, b0, free, max_iter=200)
        chisq[k] = max(2.0 * (pl_max - pl_k), 0.0)
    glob = 2.0 * (pl_max - pl_null)
    return FirthCoxResult(
        covariates=inp.covariates,
        coef=beta,
        se=se,
        hazard_ratio=np.exp(beta),
        ci_lower=np.exp(lower),
        ci_upper=np.exp(upper),
        chisq=chisq,
        p_value=stats.chi2.sf(chisq, 1),
        loglik=(pl_null, pl_max),
        lr_test=(float(glob), p, float(stats.chi2.sf(glob, p))),
        conf_level=float(conf_level),
        n=rs.n,
        n_events=n_events,
        iterations=iters,
    )
