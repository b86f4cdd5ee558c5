"""Fine-Gray proportional subdistribution hazards regression, as ``cmprsk::crr``.

Rule (Fine & Gray 1999, JASA 94:496-509)
----------------------------------------
Subjects who failed from a competing cause stay in the risk set after their event time ``t_j``
with weight ``G(t-)/G(t_j-)``, where ``G`` is the Kaplan-Meier estimate of the censoring
distribution evaluated just before each time (cmprsk: ``survfit`` of the censoring indicator,
read at ``t * (1 - 100 eps)``). The coefficients maximise the weighted partial likelihood
``sum_failures [x_i b - log S0(t_i)]``; ties are handled as by Breslow. The variance is crr's
sandwich ``I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1``, in which ``eta_i`` is subject i's
score residual and ``psi_i`` the correction for estimating ``G`` (Fine & Gray 1999, section 3,
the ``q(u)/pi(u)`` integral against the censoring martingale).

This module transcribes the Fortran of cmprsk 2.2-12 (src/crr.f: ``crrf``, ``crrfsv``, ``crrvv``)
into cumulative sums over the time-sorted data, so it runs in O(n p^2). The Newton iteration,
step halving and convergence test follow ``crr`` (R/cmprsk.R): converged when
``max(|score| * max(|b|, 1)) < max(|loglik|, 1) * gtol``. Supported: fixed numeric covariates and
one censoring distribution (crr's default ``cengroup``); crr's time-varying ``cov2``/``tf`` are not.
Wald p-values and CIs: ``2 (1 - Phi(|b| / se))`` and ``exp(b +- z se)`` as ``summary.crr`` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from cnsrwe._checks import assert_open_unit_interval
from cnsrwe.errors import ConvergenceError
from cnsrwe.stats._survdata import column
from cnsrwe.stats.ard import ArdRow, ard_frame
from cnsrwe.stats.cuminc import competing_input

_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class FineGrayResult:
    """Fitted Fine-Gray model: coefficients with crr's sandwich standard errors."""

    covariates: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    hr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_value: np.ndarray
    conf_level: float
    loglik: float
    loglik_null: float
    n: int
    n_events: int
    iterations: int
    cause: int
    variance: np.ndarray = field(repr=False)

    @property
    def table(self) -> pl.DataFrame:
        """One row per covariate: coef, se, hr, lower, upper, z, p_value."""
        return pl.DataFrame(
            {
                "covariate": list(self.covariates),
                "coef": self.coef,
                "se": self.se,
                "hr": self.hr,
                "lower": self.lower,
                "upper": self.upper,
                "z": self.coef / self.se,
                "p_value": self.p_value,
            }
        )

    def to_ard(self, *, group: str = "") -> pl.DataFrame:
        """ARD rows per covariate: coef, se, hr, lower, upper, p_value."""
        method = (
            f"Fine-Gray subdistribution hazards (cause {self.cause}), crr sandwich SE, "
            f"Wald {self.conf_level:.0%} CI"
        )
        rows = []
        for i, name in enumerate(self.covariates):
            for stat, arr in (
                ("coef", self.coef),
                ("se", self.se),
                ("hr", self.hr),
                ("lower", self.lower),
                ("upper", self.upper),
                ("p_value", self.p_value),
            ):
                rows.append(ArdRow("fine_gray", name, stat, float(arr[i]), method, group))
        return ard_frame(rows)


def _censoring_km_before(time: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Kaplan-Meier of the censoring distribution at ``t-`` for each (sorted) time."""
    uniq, inv = np.unique(time, return_inverse=True)
    at_risk = time.size - np.concatenate([[0], np.cumsum(np.bincount(inv))[:-1]])
    n_cens = np.bincount(inv, weights=censored.astype(float), minlength=uniq.size)
    after = np.cumprod(1 - n_cens / at_risk)
    before = np.concatenate([[1.0], after[:-1]])
    return before[inv]


class _Problem:
    """Time-sorted data and the pieces of crr's likelihood that do not depend on ``b``."""

    def __init__(self, time: np.ndarray, status: np.ndarray, x: np.ndarray) -> None:
        order = np.argsort(time, kind="stable")
        self.t, self.status, self.x = time[order], status[order], x[order]
        self.n = self.t.size
        self.g = _censoring_km_before(self.t, self.status == 0)
        self.fail = self.status == 1
        self.comp = self.status == 2
        # first index of each subject's tie block: "t_j >= t" sums start there
        self.block_start = np.searchsorted(self.t, self.t, side="left")
        self.block_end = np.searchsorted(self.t, self.t, side="right")

    def risk_sums(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """S0, S1, S2 of the weighted risk set at each subject's time (used at failures)."""
        e = np.exp(self.x @ b)
        ex = e[:, None] * self.x
        exx = ex[:, :, None] * self.x[:, None, :]

        def tail(a: np.ndarray) -> np.ndarray:  # sum over t_j >= t_i
            c = np.cumsum(a[::-1], axis=0)[::-1]
            return np.concatenate([c, np.zeros((1, *a.shape[1:]))])[self.block_start]

        def head_comp(a: np.ndarray) -> np.ndarray:  # sum over competing j with t_j < t_i
            w = np.where(self.comp, 1 / np.where(self.g > 0, self.g, 1.0), 0.0)
            a = a * w.reshape(-1, *([1] * (a.ndim - 1)))
            c = np.concatenate([np.zeros((1, *a.shape[1:])), np.cumsum(a, axis=0)])
            return c[self.block_start]

        gsh = self.g.reshape(-1, 1)
        s0 = tail(e) + self.g * head_comp(e)
        s1 = tail(ex) + gsh * head_comp(ex)
        s2 = tail(exx) + gsh[:, :, None] * head_comp(exx)
        return s0, s1, s2

    def fit_terms(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Negative log pseudo-likelihood, its gradient and Hessian (crr's ``crrfsv``)."""
        s0, s1, s2 = self.risk_sums(b)
        f = self.fail
        xbar = s1[f] / s0[f, None]
        lik = float(-np.sum(self.x[f] @ b) + np.sum(np.log(s0[f])))
        grad = -self.x[f].sum(axis=0) + xbar.sum(axis=0)
        hess = np.sum(s2[f] / s0[f, None, None] - xbar[:, :, None] * xbar[:, None, :], axis=0)
        return lik, grad, hess

    def neg_loglik(self, b: np.ndarray) -> float:
        s0 = self.risk_sums(b)[0]
        return float(-np.sum(self.x[self.fail] @ b) + np.sum(np.log(s0[self.fail])))

    def sandwich_middle(self, b: np.ndarray) -> np.ndarray:
        """``sum_i (eta_i + psi_i)(eta_i + psi_i)'`` (crr's ``crrvv``, one censoring group)."""
        s0, s1, _ = self.risk_sums(b)
        f = self.fail
        e = np.exp(self.x @ b)
        inv_s0 = np.where(f, 1 / s0, 0.0)
        xbar = s1 / s0[:, None]
        xbar_w = np.where(f[:, None], xbar * inv_s0[:, None], 0.0)
        # cumulative over failures with t_j <= t_i (block end) and t_j > t_i
        c0 = np.concatenate([[0.0], np.cumsum(inv_s0)])
        c1 = np.concatenate([np.zeros((1, xbar.shape[1])), np.cumsum(xbar_w, axis=0)])
        upto0, upto1 = c0[self.block_end], c1[self.block_end]
        gf = self.g * inv_s0
        gxf = self.g[:, None] * xbar_w
        d0 = np.concatenate([[0.0], np.cumsum(gf)])
        d1 = np.concatenate([np.zeros((1, xbar.shape[1])), np.cumsum(gxf, axis=0)])
        after0 = d0[-1] - d0[self.block_end]
        after1 = d1[-1] - d1[self.block_end]
        x = self.x
        eta = np.where(f[:, None], x - xbar, 0.0)
        eta -= e[:, None] * (x * upto0[:, None] - upto1)
        gi = np.where(self.g > 0, self.g, 1.0)
        eta -= np.where(self.comp[:, None], (e / gi)[:, None] * (x * after0[:, None] - after1), 0.0)
        # psi: censoring-weight correction; q(u) at each subject's time u
        wc = np.where(self.comp, e / gi, 0.0)
        a0 = np.concatenate([[0.0], np.cumsum(wc)])[self.block_start]
        a1 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(wc[:, None] * x, axis=0)])[
            self.block_start
        ]
        b0 = d0[-1] - d0[self.block_start]
        b1 = d1[-1] - d1[self.block_start]
        q = a1 * b0[:, None] - a0[:, None] * b1
        at_risk = (self.n - self.block_start).astype(float)
        cens = self.status == 0
        jump = np.where(cens[:, None], q / at_risk[:, None] ** 2, 0.0)
        cum = np.cumsum(jump, axis=0)[self.block_end - 1]  # censorings at times <= t_i
        psi = np.where(cens[:, None], q / at_risk[:, None], 0.0) - cum
        u = eta + psi
        return u.T @ u


def fine_gray(
    data: Any,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    cause: int = 1,
    conf_level: float = 0.95,
    max_iter: int = 10,
    gtol: float = 1e-6,
) -> FineGrayResult:
    """Fit a Fine-Gray model for ``cause`` (rules in the module docstring).

    ``data`` is a polars or pandas table; ``event`` codes 0 = censored, 1..k = causes; every
    covariate must be a numeric column without missing values (code factors as 0/1 first).
    """
    assert_open_unit_interval("conf_level", conf_level)
    if isinstance(covariates, str) or len(covariates) == 0:
        msg = f"`covariates` must be a non-empty list of column names, got {covariates!r}"
        raise ValueError(msg)
    t, e = competing_input(column(data, duration, "duration"), column(data, event, "event"))
    cols = []
    for name in covariates:
        arr = np.asarray(column(data, name, "covariates").to_numpy())
        if arr.dtype.kind not in "iufb":
            msg = f"covariate {name!r} must be numeric (code categories as 0/1), got {arr.dtype}"
            raise ValueError(msg)
        arr = arr.astype(float)
        if not np.all(np.isfinite(arr)):
            n_bad = int((~np.isfinite(arr)).sum())
            msg = f"covariate {name!r} must not have missing values, got {n_bad} missing"
            raise ValueError(msg)
        cols.append(arr)
    x = np.column_stack(cols)
    if not np.any(e == cause):
        msg = f"`cause` must be an event code present in `event`, got {cause!r}"
        raise ValueError(msg)
    status = np.where(e == 0, 0, np.where(e == cause, 1, 2))
    prob = _Problem(t, status, x)
    b = np.zeros(x.shape[1])
    converged = False
    iterations = 0
    for iterations in range(max_iter + 1):
        lik, grad, hess = prob.fit_terms(b)
        if np.max(np.abs(grad) * np.maximum(np.abs(b), 1)) < max(abs(lik), 1) * gtol:
            converged = True
            break
        if iterations == max_iter:
            break
        step = -np.linalg.solve(hess, grad)
        for _ in range(21):  # crr's backtracking: halve until sufficient decrease
            new_lik = prob.neg_loglik(b + step)
            if np.isfinite(new_lik) and new_lik <= lik + 1e-4 * float(step @ grad):
                break
            step = step / 2
        else:
            break
        b = b + step
    if not converged:
        msg = f"Fine-Gray fit did not converge in `max_iter` = {max_iter} Newton steps"
        raise ConvergenceError(msg)
    _, _, hess = prob.fit_terms(b)
    h_inv = np.linalg.inv(hess)
    var = h_inv @ prob.sandwich_middle(b) @ h_inv.T
    se = np.sqrt(np.diag(var))
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    return FineGrayResult(
        covariates=tuple(covariates),
        coef=b,
        se=se,
        hr=np.exp(b),
        lower=np.exp(b - z * se),
        upper=np.exp(b + z * se),
        p_value=2 * stats.norm.sf(np.abs(b) / se),
        conf_level=conf_level,
        loglik=-prob.neg_loglik(b),
        loglik_null=-prob.neg_loglik(np.zeros_like(b)),
        n=int(t.size),
        n_events=int(np.sum(status == 1)),
        iterations=iterations,
        cause=int(cause),
        variance=var,
    )
