"""Cox partial likelihood, its derivatives and the Newton-Raphson fit (R ``coxph.fit`` rules).

The likelihood is evaluated without any Python loop over subjects or event times (Breslow and
Efron ties): rows are sorted once by (stratum, time); risk-set sums at every event time are
differences of cumulative sums located with ``searchsorted``; tied deaths are summed with
``np.add.reduceat``.  Counting-process rows ``(start, stop]`` leave the risk set through a
second cumulative sum in entry-time order.

Ties (Therneau & Grambsch 2000, *Modeling Survival Data*, section 3.3):

* Breslow: each of the d tied deaths sees the whole risk set.
* Efron: the k-th of d tied deaths (k = 0..d-1) sees the risk set with k/d of every tied death
  removed; weights enter as the mean weight of the tied deaths (as R's ``coxfit6``/``agfit4``).
* Exact: the exact partial likelihood of the discrete (conditional logistic) model, i.e. the
  probability that exactly the observed d subjects die among all d-subsets of the risk set;
  the denominator is the elementary symmetric polynomial of the risk scores, computed with the
  recursion of Gail, Lubin & Rubinstein (1981, *Biometrika* 68:703-707), as R's ``coxexact``.

Newton-Raphson follows R's ``coxfit6.c``: start at beta = 0, converge when
``|1 - loglik_old / loglik_new| <= eps`` (eps = 1e-9), at most ``max_iter`` (20) iterations,
and step-halving ``beta_new = (beta_new + h * beta_old) / (h + 1)`` when the loglik falls.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cnsrwe.errors import ConvergenceError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TIES = ("efron", "breslow", "exact")


@dataclass(frozen=True)
class RiskSets:
    """Beta-free bookkeeping of strata, event blocks and risk sets, built once per fit."""

    n: int
    m: int  # number of distinct times + 1 (the base of the composite keys)
    x: FloatArray  # (n, p) centred covariates
    weight: FloatArray
    event: BoolArray
    stop: FloatArray
    start: FloatArray | None
    strata: IntArray
    order_stop: IntArray  # rows by (stratum, stop descending, events first within a time)
    xs_t: FloatArray  # (p, n) covariates in order_stop, transposed for contiguous cumsums
    ws: FloatArray  # weights in order_stop
    seg_bounds: IntArray  # stratum segment boundaries in order_stop (length n_strata + 1)
    group_start: IntArray  # per event block: first position of its (stratum, time) in order_stop
    dead_wx: FloatArray  # (p,) sum over deaths of w * x (beta-free)
    order_start: IntArray | None  # rows by (stratum, start descending)
    block_begin: IntArray  # per event block: first position of its stratum in order_stop
    block_end: IntArray  # per event block: end of the stop >= t prefix in order_stop
    block_begin_start: IntArray | None
    block_end_start: IntArray | None  # end of the start >= t prefix in order_start
    block_time: FloatArray  # event time of each block
    block_stratum: IntArray
    death_order: IntArray  # event rows grouped by block (block order)
    death_block_start: IntArray  # reduceat offsets into death_order
    n_dead: IntArray  # number of deaths per block
    dead_weight: FloatArray  # sum of weights of the deaths per block
    block_key: IntArray  # sortable key (stratum, time rank) per block
    row_key_stop: IntArray  # same key for each row's stop time
    row_key_start: IntArray | None  # same key for each row's start time


def build_risk_sets(
    x: FloatArray,
    stop: FloatArray,
    event: BoolArray,
    weight: FloatArray,
    strata: IntArray,
    start: FloatArray | None = None,
) -> RiskSets:
    """Sort once and locate every event block's risk set (no loop over subjects or times)."""
    n = stop.shape[0]
    times = stop if start is None else np.concatenate([stop, start])
    utimes, inv = np.unique(times, return_inverse=True)
    m = utimes.shape[0] + 1
    rank_stop = inv[:n].astype(np.int64)
    rank_start = None if start is None else inv[n:].astype(np.int64)
    s64 = strata.astype(np.int64)

    # rows by stratum then descending stop: key ascending
    key_stop = s64 * m + (m - 1 - rank_stop)
    order_stop = np.argsort(key_stop * 2 + (~event).astype(np.int64), kind="stable")
    key_stop_sorted = key_stop[order_stop]
    seg_bounds = np.searchsorted(s64[order_stop], np.arange(int(s64.max()) + 2), side="left")

    ev_rows = np.flatnonzero(event)
    block_id_key = s64[ev_rows] * m + rank_stop[ev_rows]  # ascending = time order within stratum
    ukeys, block_of_death = np.unique(block_id_key, return_inverse=True)
    block_of_death = block_of_death.reshape(-1)
    b_str = ukeys // m
    b_rank = ukeys % m
    death_order = ev_rows[np.argsort(block_of_death, kind="stable")]
    n_dead = np.bincount(block_of_death, minlength=ukeys.shape[0]).astype(np.int64)
    death_block_start = np.concatenate([[0], np.cumsum(n_dead)[:-1]]).astype(np.int64)
    dead_weight = np.bincount(block_of_death, weights=weight[ev_rows], minlength=ukeys.shape[0])

    probe = b_str * m + (m - 1 - b_rank)
    block_end = np.searchsorted(key_stop_sorted, probe, side="right").astype(np.int64)
    block_begin = np.searchsorted(key_stop_sorted, b_str * m, side="left").astype(np.int64)
    group_start = np.searchsorted(key_stop_sorted, probe, side="left").astype(np.int64)

    order_start = bb_start = be_start = None
    if start is not None and rank_start is not None:
        key_start = s64 * m + (m - 1 - rank_start)
        order_start = np.argsort(key_start, kind="stable")
        key_start_sorted = key_start[order_start]
        be_start = np.searchsorted(key_start_sorted, probe, side="right").astype(np.int64)
        bb_start = np.searchsorted(key_start_sorted, b_str * m, side="left").astype(np.int64)

    return RiskSets(
        n=n,
        m=m,
        x=x,
        weight=weight,
        event=event,
        stop=stop,
        start=start,
        strata=strata,
        order_stop=order_stop,
        xs_t=np.ascontiguousarray(x[order_stop].T),
        ws=weight[order_stop],
        seg_bounds=seg_bounds.astype(np.int64),
        group_start=group_start,
        dead_wx=weight[event] @ x[event],
        order_start=order_start,
        block_begin=block_begin,
        block_end=block_end,
        block_begin_start=bb_start,
        block_end_start=be_start,
        block_time=utimes[b_rank],
        block_stratum=b_str,
        death_order=death_order,
        death_block_start=death_block_start,
        n_dead=n_dead,
        dead_weight=dead_weight,
        block_key=ukeys,
        row_key_stop=s64 * m + rank_stop,
        row_key_start=None if rank_start is None else s64 * m + rank_start,
    )


def _prefix(values: FloatArray, order: IntArray) -> FloatArray:
    """Cumulative sums of ``values`` rows in ``order``, with a leading zero row."""
    c = np.cumsum(values[order], axis=0)
    return np.concatenate([np.zeros((1, *values.shape[1:])), c], axis=0)


def risk_set_sums(rs: RiskSets, values: FloatArray) -> FloatArray:
    """Sum of ``values`` (rows, any trailing shape) over each event block's risk set."""
    c = _prefix(values, rs.order_stop)
    out = c[rs.block_end] - c[rs.block_begin]
    if rs.order_start is not None:
        assert rs.block_end_start is not None
        assert rs.block_begin_start is not None
        c2 = _prefix(values, rs.order_start)
        out = out - (c2[rs.block_end_start] - c2[rs.block_begin_start])
    return out


def death_sums(rs: RiskSets, values: FloatArray) -> FloatArray:
    """Sum of ``values`` over the tied deaths of each event block."""
    if rs.death_order.shape[0] == 0:
        return np.zeros((0, *values.shape[1:]))
    return np.add.reduceat(values[rs.death_order], rs.death_block_start, axis=0)


@dataclass(frozen=True)
class TieTerms:
    """Per death 'slot' quantities: one row per (block, k) pair (k-th of the tied deaths)."""

    block: IntArray  # block of each slot
    wt: FloatArray  # weight carried by the slot (Breslow: block death weight; Efron: mean)
    frac: FloatArray  # fraction of the tied deaths removed from the risk set (Efron k/d)
    den: FloatArray  # S0 of the slot
    xbar: FloatArray  # (slots, p) S1/S0
    cov: FloatArray  # (slots, p, p) S2/S0 - xbar xbar'


def _segment_prefix(vals: FloatArray, bounds: IntArray) -> FloatArray:
    """Cumulative sums along axis 1 restarted at each stratum segment.

    Segment k (positions a..b-1) is stored in columns a+k .. b+k with a leading zero, so the sum
    of its positions a..j-1 is column ``j + k``.  Restarting per stratum keeps every risk-set sum
    a direct running sum (no subtraction of other strata's totals), as R's C code does.
    """
    n_seg = bounds.shape[0] - 1
    out = np.zeros((vals.shape[0], vals.shape[1] + n_seg))
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        if b > a:
            np.cumsum(vals[:, a:b], axis=1, out=out[:, a + k + 1 : b + k + 1])
    return out


def tie_terms(rs: RiskSets, beta: FloatArray, ties: str) -> TieTerms:
    """Slot terms at ``beta`` for Breslow or Efron ties (no loop over subjects or times)."""
    p = rs.xs_t.shape[0]
    iu, ju = np.triu_indices(p)
    eta = beta @ rs.xs_t
    r = rs.ws * np.exp(eta)
    rx = r * rs.xs_t
    packed = np.empty((1 + p + iu.shape[0], r.shape[0]))
    packed[0] = r
    packed[1 : 1 + p] = rx
    np.multiply(rx[iu], rs.xs_t[ju], out=packed[1 + p :])
    c = _segment_prefix(packed, rs.seg_bounds)
    k_str = rs.block_stratum
    s = (c[:, rs.block_end + k_str]).T
    if rs.order_start is not None:
        assert rs.block_end_start is not None
        assert rs.block_begin_start is not None
        xo = rs.x[rs.order_start]
        w_o = rs.weight[rs.order_start] * np.exp(xo @ beta)
        rxo = w_o[:, None] * xo
        po = np.concatenate([w_o[:, None], rxo, rxo[:, iu] * xo[:, ju]], axis=1)
        c2 = np.concatenate([np.zeros((1, po.shape[1])), np.cumsum(po, axis=0)], axis=0)
        s = s - (c2[rs.block_end_start] - c2[rs.block_begin_start])
    if ties == "breslow":
        nb = s.shape[0]
        block = np.arange(nb, dtype=np.int64)
        wt = rs.dead_weight
        frac = np.zeros(nb)
    else:
        g0 = rs.group_start + k_str
        d = (c[:, g0 + rs.n_dead] - c[:, g0]).T
        block = np.repeat(np.arange(rs.n_dead.shape[0], dtype=np.int64), rs.n_dead)
        k = np.arange(block.shape[0]) - rs.death_block_start[block]
        frac = k / rs.n_dead[block]
        wt = (rs.dead_weight / rs.n_dead)[block]
        s = s[block] - frac[:, None] * d[block]
    den = s[:, 0]
    xbar = s[:, 1 : 1 + p] / den[:, None]
    m2 = np.empty((s.shape[0], p, p))
    tri = s[:, 1 + p :] / den[:, None]
    m2[:, iu, ju] = tri
    m2[:, ju, iu] = tri
    cov = m2 - xbar[:, :, None] * xbar[:, None, :]
    return TieTerms(block=block, wt=wt, frac=frac, den=den, xbar=xbar, cov=cov)


def loglik_derivs(
    rs: RiskSets, beta: FloatArray, ties: str
) -> tuple[float, FloatArray, FloatArray]:
    """Log partial likelihood, score vector and information matrix at ``beta``."""
    if ties == "exact":
        return _exact_derivs(rs, beta)
    tt = tie_terms(rs, beta, ties)
    loglik = float(beta @ rs.dead_wx - np.sum(tt.wt * np.log(tt.den)))
    u = rs.dead_wx - tt.wt @ tt.xbar
    imat = np.einsum("s,sij->ij", tt.wt, tt.cov)
    return loglik, u, imat


def _exact_derivs(rs: RiskSets, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """Exact partial likelihood (discrete model), Gail et al. (1981) recursion per event block.

    For a block with d deaths in a risk set with scores r_1..r_m, the denominator is the
    elementary symmetric polynomial ``B(d, m) = B(d, m-1) + r_m B(d-1, m-1)``; its first and
    second derivatives follow the same recursion.  Scores are rescaled by the largest one in the
    risk set to avoid overflow.  Loops over blocks and risk-set members: meant for the moderate
    data sizes where exact ties are asked for.
    """
    x = rs.x
    p = x.shape[1]
    eta = x @ beta
    loglik = 0.0
    u = np.zeros(p)
    imat = np.zeros((p, p))
    for b in range(rs.block_key.shape[0]):
        rows = rs.order_stop[rs.block_begin[b] : rs.block_end[b]]
        if rs.start is not None:
            rows = rows[rs.start[rows] < rs.block_time[b]]
        dead = rs.death_order[rs.death_block_start[b] : rs.death_block_start[b] + rs.n_dead[b]]
        d = int(rs.n_dead[b])
        e = eta[rows]
        c = float(e.max())
        rr = np.exp(e - c)
        xr = x[rows]
        f0 = np.zeros(d + 1)
        f0[0] = 1.0
        f1 = np.zeros((d + 1, p))
        f2 = np.zeros((d + 1, p, p))
        for j in range(rows.shape[0]):
            rj, xj = rr[j], xr[j]
            xxj = np.outer(xj, xj)
            # update from high to low order so the right-hand side uses the old values
            g0, g1, g2 = f0[:-1], f1[:-1], f2[:-1]
            n2 = f2[1:] + rj * (
                g2 + xj[None, :, None] * g1[:, None, :] + g1[:, :, None] * xj[None, None, :]
                + xxj[None] * g0[:, None, None]
            )
            n1 = f1[1:] + rj * (g1 + xj[None, :] * g0[:, None])
            n0 = f0[1:] + rj * g0
            f0 = np.concatenate([f0[:1], n0])
            f1 = np.concatenate([f1[:1], n1])
            f2 = np.concatenate([f2[:1], n2])
        bd, bd1, bd2 = f0[d], f1[d], f2[d]
        loglik += float(eta[dead].sum() - (np.log(bd) + d * c))
        mean = bd1 / bd
        u += x[dead].sum(axis=0) - mean
        imat += bd2 / bd - np.outer(mean, mean)
    return loglik, u, imat


@dataclass(frozen=True)
class NewtonResult:
    """Output of :func:`newton_raphson` (R ``coxfit6`` conventions)."""

    beta: FloatArray
    loglik_init: float
    loglik: float
    score_init: FloatArray
    imat_init: FloatArray
    u: FloatArray
    imat: FloatArray
    var: FloatArray
    score_test: float
    iterations: int
    converged: bool


def _solve(imat: FloatArray, rhs: FloatArray) -> FloatArray:
    try:
        chol = np.linalg.cholesky(imat)
    except np.linalg.LinAlgError as exc:
        msg = (
            "the information matrix is singular, got a covariate with no information "
            "(constant within every stratum, or collinear with others)"
        )
        raise ConvergenceError(msg) from exc
    y = np.linalg.solve(chol, rhs)
    return np.linalg.solve(chol.T, y)


def newton_raphson(
    rs: RiskSets,
    ties: str,
    *,
    max_iter: int = 20,
    eps: float = 1e-9,
    init: FloatArray | None = None,
) -> NewtonResult:
    """Maximise the partial likelihood exactly as R's ``coxfit6.c`` iterates."""
    p = rs.x.shape[1]
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()
    lk0, u0, i0 = loglik_derivs(rs, beta, ties)
    step = _solve(i0, u0)
    sctest = float(u0 @ step)
    if max_iter == 0:
        return NewtonResult(beta, lk0, lk0, u0, i0, u0, i0, np.linalg.inv(i0), sctest, 0, True)
    best_lk = lk0
    u, imat = u0, i0
    newbeta = beta + step
    halving = 0
    for it in range(1, max_iter + 1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            newlk, nu, nimat = loglik_derivs(rs, newbeta, ties)
        finite = np.isfinite(newlk) and np.all(np.isfinite(nu)) and np.all(np.isfinite(nimat))
        if finite and abs(1.0 - best_lk / newlk) <= eps:
            var = np.linalg.inv(nimat)
            return NewtonResult(newbeta, lk0, newlk, u0, i0, nu, nimat, var, sctest, it, True)
        if not finite or newlk < best_lk:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best_lk = newlk
            u, imat = nu, nimat
            beta = newbeta
            newbeta = newbeta + _solve(nimat, nu)
    lk, u, imat = loglik_derivs(rs, beta, ties)
    return NewtonResult(
        beta, lk0, lk, u0, i0, u, imat, np.linalg.inv(imat), sctest, max_iter, False
    )
