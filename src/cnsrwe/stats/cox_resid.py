"""Score residuals of a Cox fit and the robust (sandwich) variance built from them.

Score residual of row i (Therneau & Grambsch 2000, section 4.6; R ``residuals.coxph(type =
"score")``, C routines ``coxscore2``/``agscore3``), with ``h_s`` the hazard increment and
``xbar_s`` the risk-set mean of each death slot s:

``L_i = delta_i (x_i - xbar(t_i)) - exp(eta_i) * sum_{s: i at risk} h_s (x_i - xbar_s)``.

With Efron ties, a tied death in a block of d deaths takes ``(x_i - xbar_k)/d`` from each of
the d slots and is at risk in slot k only for the fraction ``1 - k/d``.  The robust variance is
``D'D`` with ``D`` the weighted dfbeta residuals ``w_i L_i V`` summed within clusters (Lin & Wei
1989, *JASA* 84:1074-1078; R ``coxph(robust = TRUE)`` / ``cluster =``).  Vectorised: cumulative
sums over event blocks, looked up per row with ``searchsorted``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cnsrwe.stats.cox_fit import RiskSets, tie_terms

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def score_residuals(rs: RiskSets, beta: FloatArray, ties: str) -> FloatArray:
    """Unweighted score residuals (n, p) at ``beta`` for Breslow or Efron ties."""
    if ties == "exact":
        msg = "`ties` must be 'efron' or 'breslow' for score residuals, got 'exact'"
        raise ValueError(msg)
    tt = tie_terms(rs, beta, ties)
    x = rs.x
    eta = x @ beta
    p = x.shape[1]
    nb = rs.block_key.shape[0]
    h = tt.wt / tt.den
    hb = np.bincount(tt.block, weights=h, minlength=nb)
    hxb = np.stack(
        [np.bincount(tt.block, weights=h * tt.xbar[:, j], minlength=nb) for j in range(p)], axis=1
    ) if p else np.zeros((nb, 0))
    ch = np.concatenate([[0.0], np.cumsum(hb)])
    chx = np.concatenate([np.zeros((1, p)), np.cumsum(hxb, axis=0)], axis=0)
    hi = np.searchsorted(rs.block_key, rs.row_key_stop, side="right")
    if rs.row_key_start is not None:
        lo = np.searchsorted(rs.block_key, rs.row_key_start, side="right")
    else:
        lo = np.searchsorted(rs.block_key, rs.strata.astype(np.int64) * rs.m, side="left")
    risk = np.exp(eta)
    cum_h = ch[hi] - ch[lo]
    cum_hx = chx[hi] - chx[lo]
    resid = -risk[:, None] * (x * cum_h[:, None] - cum_hx)

    dead = rs.death_order
    if dead.shape[0]:
        if ties == "breslow":
            blk = np.repeat(np.arange(nb), rs.n_dead)
            resid[dead] += x[dead] - tt.xbar[blk]
        else:
            # slot-level sums per block: mean of xbar, and the pre-charge sum_k h frac (x - xbar)
            d = rs.n_dead[tt.block].astype(float)
            mean_xbar = np.stack(
                [np.bincount(tt.block, weights=tt.xbar[:, j] / d, minlength=nb) for j in range(p)],
                axis=1,
            )
            hf = np.bincount(tt.block, weights=h * tt.frac, minlength=nb)
            hfx = np.stack(
                [np.bincount(tt.block, weights=h * tt.frac * tt.xbar[:, j], minlength=nb)
                 for j in range(p)],
                axis=1,
            )
            blk = np.repeat(np.arange(nb), rs.n_dead)
            xd = x[dead]
            resid[dead] += (xd - mean_xbar[blk]) + risk[dead, None] * (
                xd * hf[blk, None] - hfx[blk]
            )
    return resid


def robust_variance(
    rs: RiskSets,
    beta: FloatArray,
    ties: str,
    var: FloatArray,
    cluster: IntArray | None,
) -> FloatArray:
    """Sandwich variance ``D'D`` from weighted dfbeta residuals, collapsed by ``cluster``."""
    dfb = (rs.weight[:, None] * score_residuals(rs, beta, ties)) @ var
    if cluster is not None:
        dfb = np.stack(
            [np.bincount(cluster, weights=dfb[:, j]) for j in range(dfb.shape[1])], axis=1
        )
    return dfb.T @ dfb


def robust_score_test(
    rs: RiskSets, beta0: FloatArray, ties: str, cluster: IntArray | None
) -> float:
    """Robust score test at ``beta0`` (R's ``fit$rscore``): ``u' (L'L)^{-1} u``."""
    res = rs.weight[:, None] * score_residuals(rs, beta0, ties)
    if cluster is not None:
        res = np.stack(
            [np.bincount(cluster, weights=res[:, j]) for j in range(res.shape[1])], axis=1
        )
    u = res.sum(axis=0)
    return float(u @ np.linalg.solve(res.T @ res, u))
