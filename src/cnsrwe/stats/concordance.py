"""Harrell's concordance for a Cox model, with the standard error R's ``concordance()`` reports.

Rule (R survival >= 3.0, ``concordancefit(..., reverse = TRUE, timewt = "n")``, which ``coxph``
stores in ``fit$concordance``): a pair (i, j) is comparable when i has an event at time t and j
is in i's risk set at t in the same stratum (j's follow-up ends after t, or j is censored at t;
for ``(start, stop]`` rows also ``start_j < t``).  Two deaths at the same time are tied on y
and are not comparable.  The pair is *concordant* when the subject who died first has the higher
linear predictor, *discordant* when lower, *tied on x* when equal; each pair counts with weight
``w_i * w_j``.  ``C = (concordant + tied.x / 2) / (concordant + discordant + tied.x)``.

Standard error: the infinitesimal-jackknife of Therneau & Atkinson ("The concordance statistic",
survival package vignette, section on variance): with per-observation influence counts
``c_i, d_i, t_i`` (weighted number of concordant, discordant and tied-on-x pairs that
observation i is part of), ``dfbeta_i = w_i ((c_i - d_i) - (c_i + d_i + t_i) * somers_d) /
(2 * npair)``, summed within clusters, and ``var = sum(dfbeta^2)``.

All counts are computed without a loop over subjects: each risk-set count is a difference of
prefix counts, and a prefix count "weight of the first k points with value < q" is answered for
all queries at once by a dyadic (merge-sort-tree) decomposition: O(n log^2 n) numpy work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Concordance:
    """Harrell's C for a fitted Cox model (R ``fit$concordance``)."""

    concordance: float
    std_err: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float


def _prefix_counts(
    val_rank: IntArray, weight: FloatArray, k: IntArray, q_rank: IntArray, n_rank: int
) -> tuple[FloatArray, FloatArray]:
    """For each query (k, q): weight of points[:k] with rank < q, and with rank <= q."""
    npts = val_rank.shape[0]
    less = np.zeros(k.shape[0])
    leq = np.zeros(k.shape[0])
    if npts == 0 or k.shape[0] == 0:
        return less, leq
    pos = np.arange(npts, dtype=np.int64)
    base = np.int64(n_rank + 1)
    level = 0
    while (1 << level) <= npts:
        block = pos >> level
        keys = block * base + val_rank
        order = np.argsort(keys, kind="stable")
        ks = keys[order]
        cw = np.concatenate([[0.0], np.cumsum(weight[order])])
        kb = k >> level
        use = (kb & 1) == 1
        if use.any():
            qb = (kb[use] - 1) * base
            lo = np.searchsorted(ks, qb, side="left")
            lt = np.searchsorted(ks, qb + q_rank[use], side="left")
            le = np.searchsorted(ks, qb + q_rank[use], side="right")
            less[use] += cw[lt] - cw[lo]
            leq[use] += cw[le] - cw[lo]
        level += 1
    return less, leq


def _range_counts(
    val_rank: IntArray,
    weight: FloatArray,
    lo: IntArray,
    hi: IntArray,
    q_rank: IntArray,
    n_rank: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weight of points[lo:hi] with rank < q, <= q, and in total (points in position order)."""
    kk = np.concatenate([hi, lo])
    qq = np.concatenate([q_rank, q_rank])
    less, leq = _prefix_counts(val_rank, weight, kk, qq, n_rank)
    m = hi.shape[0]
    cw = np.concatenate([[0.0], np.cumsum(weight)])
    return less[:m] - less[m:], leq[:m] - leq[m:], cw[hi] - cw[lo]


def compute_concordance(
    lp: FloatArray,
    stop: FloatArray,
    event: BoolArray,
    weight: FloatArray,
    strata: IntArray,
    start: FloatArray | None = None,
    cluster: IntArray | None = None,
) -> Concordance:
    """Concordance and its standard error (see module docstring for the rule and source)."""
    n = lp.shape[0]
    _, lp_rank = np.unique(lp, return_inverse=True)
    lp_rank = lp_rank.reshape(-1).astype(np.int64)
    n_rank = int(lp_rank.max()) + 1 if n else 0
    s64 = strata.astype(np.int64)
    ev_idx = np.flatnonzero(event)

    # order A: stratum, stop descending, censored before events at the same time
    order_a = np.lexsort((event.astype(np.int8), -stop, s64))
    pos_a = np.empty(n, dtype=np.int64)
    pos_a[order_a] = np.arange(n)
    sa = s64[order_a]
    seg_lo_a = np.searchsorted(sa, s64, side="left")
    seg_hi_a = np.searchsorted(sa, s64, side="right")
    # risk-set end for an event at t: everyone with stop > t, plus censored at stop == t
    ta = stop[order_a]
    ea = event[order_a]
    # position of the first event row with the same (stratum, stop) in A
    first_ev = np.empty(n, dtype=np.int64)
    same = np.ones(n, dtype=bool)
    same[1:] = (sa[1:] != sa[:-1]) | (ta[1:] != ta[:-1]) | (ea[1:] != ea[:-1])
    group_start = np.maximum.accumulate(np.where(same, np.arange(n), 0))
    first_ev[order_a] = group_start
    a_hi = first_ev[ev_idx]
    a_lo = seg_lo_a[ev_idx]

    v_a = lp_rank[order_a]
    w_a = weight[order_a]
    q = lp_rank[ev_idx]
    less, leq, tot = _range_counts(v_a, w_a, a_lo, a_hi, q, n_rank)

    # partner side, A part: events k with a_hi_k in (pos_a(j), seg_hi(j)] count row j
    # (events with an empty risk set are left out: they pair with nobody)
    keep = np.flatnonzero(a_hi > a_lo)
    pt_coord = a_hi[keep] - 1
    ord_p = keep[np.argsort(pt_coord, kind="stable")]
    pc = a_hi[ord_p] - 1
    pv = lp_rank[ev_idx][ord_p]
    pw = weight[ev_idx][ord_p]
    p_lo = np.searchsorted(pc, pos_a, side="left")
    p_hi = np.searchsorted(pc, seg_hi_a - 1, side="right")
    p_less, p_leq, p_tot = _range_counts(pv, pw, p_lo, p_hi, lp_rank, n_rank)

    if start is not None:
        # order B: stratum, start descending; rows with start >= t leave the risk set
        order_b = np.lexsort((-start, s64))
        pos_b = np.empty(n, dtype=np.int64)
        pos_b[order_b] = np.arange(n)
        sb = s64[order_b]
        _, rk = np.unique(np.concatenate([start, stop]), return_inverse=True)
        rk = rk.reshape(-1).astype(np.int64)
        big = np.int64(rk.max() + 2)
        key_b = (s64 * big + (big - 1 - rk[:n]))[order_b]  # ascending = start descending
        probe = s64[ev_idx] * big + (big - 1 - rk[n:][ev_idx])
        b_hi = np.searchsorted(key_b, probe, side="right").astype(np.int64)
        b_lo = np.searchsorted(sb, s64[ev_idx], side="left").astype(np.int64)
        l2, e2, t2 = _range_counts(lp_rank[order_b], weight[order_b], b_lo, b_hi, q, n_rank)
        less, leq, tot = less - l2, leq - e2, tot - t2
        seg_hi_b = np.searchsorted(sb, s64, side="right")
        keep2 = np.flatnonzero(b_hi > b_lo)
        ord2 = keep2[np.argsort(b_hi[keep2] - 1, kind="stable")]
        pc2 = b_hi[ord2] - 1
        lo2 = np.searchsorted(pc2, pos_b, side="left")
        hi2 = np.searchsorted(pc2, seg_hi_b - 1, side="right")
        l3, e3, t3 = _range_counts(
            lp_rank[ev_idx][ord2], weight[ev_idx][ord2], lo2, hi2, lp_rank, n_rank
        )
        p_less, p_leq, p_tot = p_less - l3, p_leq - e3, p_tot - t3

    w_ev = weight[ev_idx]
    conc_ev, tie_ev, disc_ev = less, leq - less, tot - leq
    conc = float(w_ev @ conc_ev)
    disc = float(w_ev @ disc_ev)
    tiex = float(w_ev @ tie_ev)

    inf_c = p_tot - p_leq  # events with higher lp than row j: concordant pairs
    inf_d = p_less.copy()
    inf_t = p_leq - p_less
    inf_c[ev_idx] += conc_ev
    inf_d[ev_idx] += disc_ev
    inf_t[ev_idx] += tie_ev

    # tied on y (deaths at the same time and stratum), and tied on x and y
    dk = np.lexsort((lp_rank[ev_idx], stop[ev_idx], s64[ev_idx]))
    e_s, e_t, e_v, e_w = s64[ev_idx][dk], stop[ev_idx][dk], lp_rank[ev_idx][dk], w_ev[dk]
    tied_y = _tied_pairs(e_w, (e_s, e_t))
    tied_xy = _tied_pairs(e_w, (e_s, e_t, e_v))

    npair = conc + disc + tiex
    if npair <= 0:
        return Concordance(np.nan, np.nan, conc, disc, tiex, tied_y, tied_xy)
    somer = (conc - disc) / npair
    dfbeta = weight * ((inf_c - inf_d) - (inf_c + inf_d + inf_t) * somer) / (2.0 * npair)
    if cluster is not None:
        dfbeta = np.bincount(cluster, weights=dfbeta)
    var = float(dfbeta @ dfbeta)
    return Concordance((somer + 1.0) / 2.0, float(np.sqrt(var)), conc, disc, tiex, tied_y, tied_xy)


def _tied_pairs(w: FloatArray, keys: tuple[np.ndarray, ...]) -> float:
    """Weighted number of pairs (w_i w_j, i < j) sharing every key; rows are sorted by keys."""
    if w.shape[0] < 2:
        return 0.0
    diff = np.zeros(w.shape[0], dtype=bool)
    diff[0] = True
    for k in keys:
        diff[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(diff)
    s1 = np.add.reduceat(w, starts)
    s2 = np.add.reduceat(w * w, starts)
    return float(np.sum((s1 * s1 - s2) / 2.0))
