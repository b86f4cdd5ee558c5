"""Gray's K-sample test for equality of cumulative incidence functions.

Rule (Gray 1988, Ann Stat 16:1141-1154, with the variance estimator of its section 2)
---------------------------------------------------------------------------------------
For the cause of interest, group ``i``'s score accumulates, over distinct event times,
``w(t) [d_1i - d_1 R_i / sum_r R_r]``, where ``R_i = n_i (1 - F_1i(t-)) / S_i(t-)`` uses the
group's all-cause Kaplan-Meier ``S_i`` and cumulative incidence ``F_1i``, and the weight is
``w(t) = (1 - F_1(t-))^rho`` with ``F_1`` the pooled estimate (``rho = 0``: weight 1). The scores of
the first K - 1 groups and their estimated covariance ``V`` give ``X = s' V^-1 s``, approximately
chi-square with K - 1 degrees of freedom. With ``strata``, scores and covariances are computed
within each stratum and summed (cmprsk's stratified test).

This is a vectorised transcription of the computation in ``cmprsk::cuminc`` (R package cmprsk
2.2-12, Fortran routines ``crstm``/``crst`` in src/crstm.f), so statistic and p-value equal the
"Tests" table ``cuminc`` prints. As in cmprsk, a singular ``V`` gives no statistic (here NaN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from cnsrwe.stats._survdata import as_labels
from cnsrwe.stats.ard import ArdRow, ard_frame
from cnsrwe.stats.cuminc import competing_input


@dataclass(frozen=True)
class GrayTest:
    """Gray's test for one cause: statistic, degrees of freedom, p-value, scores."""

    cause: int
    statistic: float
    df: int
    p_value: float
    rho: float
    groups: tuple[str, ...]
    score: tuple[float, ...]

    def to_ard(self, *, group: str = "") -> pl.DataFrame:
        """ARD rows: statistic, df, p_value (parameter ``"cause <k>"``)."""
        method = f"Gray's test, rho = {self.rho:g}, groups: {', '.join(self.groups)}"
        parameter = f"cause {self.cause}"
        return ard_frame(
            ArdRow("gray_test", parameter, s, v, method, group)
            for s, v in (
                ("statistic", self.statistic),
                ("df", float(self.df)),
                ("p_value", self.p_value),
            )
        )


def _stratum_score(
    time: np.ndarray, status: np.ndarray, grp: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score (ng-1) and covariance (ng-1, ng-1) of one stratum; status 0/1/2 = cens/cause/other."""
    uniq, inv = np.unique(time, return_inverse=True)
    nt = uniq.size
    d1 = np.zeros((nt, ng))
    d2 = np.zeros((nt, ng))
    tot = np.zeros((nt, ng))
    np.add.at(d1, (inv, grp), status == 1)
    np.add.at(d2, (inv, grp), status == 2)
    np.add.at(tot, (inv, grp), 1.0)
    rs = tot[::-1].cumsum(axis=0)[::-1]  # at risk at each distinct time, per group
    ev = (d1 + d2).sum(axis=1) > 0
    d1, d2, rs = d1[ev], d2[ev], rs[ev]
    pos = rs > 0
    rs_safe = np.where(pos, rs, 1.0)
    skm = np.cumprod(np.where(pos, (rs - d1 - d2) / rs_safe, 1.0), axis=0)
    skmm = np.vstack([np.ones((1, ng)), skm[:-1]])
    f1 = np.cumsum(np.where(pos, skmm * d1 / rs_safe, 0.0), axis=0)
    f1m = np.vstack([np.zeros((1, ng)), f1[:-1]])
    skmm_safe = np.where(skmm > 0, skmm, 1.0)
    t1 = np.where(pos, rs / skmm_safe, 0.0)  # n_i / S_i(t-)
    tr = t1.sum(axis=1)
    tq = np.where(pos, rs * (1 - f1m) / skmm_safe, 0.0).sum(axis=1)
    nd1 = d1.sum(axis=1)
    f = np.cumsum(nd1 / tr)
    fm = np.concatenate([[0.0], f[:-1]])
    fb = (1 - fm) ** rho
    a = fb[:, None, None] * (
        np.einsum("ti,ij->tij", t1, np.eye(ng))
        - t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
    )
    one_minus_fm = np.where(1 - fm > 0, 1 - fm, 1.0)
    c = np.cumsum(a * (nd1 / (tr * one_minus_fm))[:, None, None], axis=0)
    score = np.sum(
        np.where(
            pos, fb[:, None] * (d1 - nd1[:, None] * rs * (1 - f1m) / (skmm_safe * tq[:, None])), 0.0
        ),
        axis=0,
    )[: ng - 1]
    # variance pieces from events of the cause of interest
    skm_safe = np.where(skm > 0, skm, 1.0)
    t4 = np.where(skm > 0, 1 - (1 - f)[:, None] / skm_safe, 1.0)
    t5 = np.where(nd1[:, None] > 1, 1 - (nd1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
    t3 = np.where(pos & (nd1[:, None] > 0), t5 * skmm * nd1[:, None] / (tr[:, None] * rs_safe), 0.0)
    m1 = a[:, : ng - 1, :] - t4[:, None, :] * c[:, : ng - 1, :]  # (t, i, k)
    v3 = np.sum(t4 * t4 * t3, axis=0)
    v2 = np.sum(m1 * (t4 * t3)[:, None, :], axis=0)
    v = np.einsum("tik,tjk,tk->ij", m1, m1, t3)
    # variance pieces from competing events
    use = (skm > 0) & (d2 > 0)
    t4 = np.where(use, (1 - f)[:, None] / skm_safe, 0.0)
    t5 = np.where(d2 > 1, 1 - (d2 - 1) / np.where(rs > 1, rs - 1, 1.0), 1.0)
    t3 = np.where(use, t5 * skmm**2 * d2 / rs_safe**2, 0.0)
    m2 = t4[:, None, :] * c[:, : ng - 1, :]
    v3 = v3 + np.sum(t4 * t4 * t3, axis=0)
    v2 = v2 - np.sum(m2 * (t4 * t3)[:, None, :], axis=0)
    v = v + np.einsum("tik,tjk,tk->ij", m2, m2, t3)
    cf = c[-1, : ng - 1, :]
    v = v + (cf * v3) @ cf.T + cf @ v2.T + v2 @ cf.T
    return score, v


def gray_test(
    time: Any,
    event: Any,
    group: Any,
    *,
    cause: int = 1,
    strata: Any = None,
    rho: float = 0.0,
) -> GrayTest:
    """Gray's test that cause ``cause`` has the same cumulative incidence in every group.

    ``event``: 0 = censored, 1..k = causes; ``group`` needs at least two levels.
    """
    t, e = competing_input(time, event)
    codes, labels = as_labels("group", group, t.size)
    ng = len(labels)
    if ng < 2:
        msg = f"`group` must have at least 2 levels, got {labels!r}"
        raise ValueError(msg)
    if not np.any(e == cause):
        msg = f"`cause` must be an event code present in `event`, got {cause!r}"
        raise ValueError(msg)
    if not np.isfinite(rho):
        msg = f"`rho` must be a finite number, got {rho!r}"
        raise ValueError(msg)
    status = np.where(e == 0, 0, np.where(e == cause, 1, 2))
    s_codes = (
        np.zeros(t.size, np.int64) if strata is None else as_labels("strata", strata, t.size)[0]
    )
    score = np.zeros(ng - 1)
    var = np.zeros((ng - 1, ng - 1))
    for k in np.unique(s_codes):  # one pass per stratum (few), vectorised inside
        m = s_codes == k
        # masked divisions (empty groups, last failures) are discarded by np.where
        with np.errstate(divide="ignore", invalid="ignore"):
            s, v = _stratum_score(t[m], status[m], codes[m], ng, rho)
        score += s
        var += v
    stat = float("nan")
    sv = np.linalg.svd(var, compute_uv=False)
    if sv.size and sv[-1] > 1e-7 * sv[0]:
        stat = float(score @ np.linalg.solve(var, score))
    pv = float(stats.chi2.sf(stat, ng - 1)) if np.isfinite(stat) else float("nan")
    return GrayTest(int(cause), stat, ng - 1, pv, float(rho), tuple(labels), tuple(score.tolist()))
