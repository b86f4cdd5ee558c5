"""Vectorised product-limit arithmetic shared by :mod:`cnsrwe.stats.kaplan_meier`.

Everything here works on whole arrays (``np.unique`` + ``np.bincount`` + cumulative sums);
there is no Python loop over times or subjects.

Rules follow R survival 3.x (``survfitKM.R``, ``survfitkm.c``, ``survfit_confint`` in
``survfit.R``, ``findq`` in ``quantile.survfit.R``):

* risk set at time t = subjects with follow-up time >= t (events and censorings at t are at risk);
* Kaplan-Meier: S(t) = prod (1 - d_j / n_j); Greenwood variance of log S:
  sum d_j / (n_j (n_j - d_j)), with weighted d and n when case weights are given;
* Fleming-Harrington (R ``stype=2, ctype=1``; old ``type="fleming-harrington"``):
  S(t) = exp(-H(t)) with the Nelson-Aalen H(t) = sum d_j / n_j, and the variance of log S is
  the Aalen variance of H, sum d_j / n_j^2 (``survfitkm.c``: ``std[0] = std[1]``);
* infinitesimal-jackknife ("robust") variance of the KM for non-integer weights, the default
  of R's survfit for such weights (each observation its own cluster).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from cnsrwe.stats._survdata import FloatArray, SurvInput


@dataclass(frozen=True)
class Curve:
    """One survival curve at every distinct observed time (events and censorings)."""

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    survival: FloatArray
    se_log: FloatArray  # standard error of log S (R's fit$std.err when logse is TRUE)
    lower: FloatArray
    upper: FloatArray


def counts(
    data: SurvInput, *, reverse: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, np.ndarray]:
    """Distinct times, weighted risk set, weighted events and censorings, inverse index."""
    w = np.ones(data.n) if data.weights is None else data.weights
    utime, inv = np.unique(data.time, return_inverse=True)
    k = utime.shape[0]
    ev = data.event.astype(np.float64)
    d = np.bincount(inv, weights=w * ev, minlength=k)
    c = np.bincount(inv, weights=w * (1.0 - ev), minlength=k)
    tot = d + c
    n_risk = np.cumsum(tot[::-1])[::-1]
    if reverse:
        # censoring is the "event"; subjects with an event at t leave the risk set first
        return utime, n_risk - d, c, d, inv
    return utime, n_risk, d, c, inv


def product_limit(n_risk: FloatArray, n_event: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Kaplan-Meier survival and the Greenwood standard error of log S."""
    has = n_event > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(has, 1.0 - n_event / n_risk, 1.0)
        surv = np.cumprod(factor)
        inc = np.where(has, n_event / (n_risk * (n_risk - n_event)), 0.0)
    var = np.cumsum(inc)  # becomes +inf once d == n (S reaches 0), as in R
    return surv, np.sqrt(var)


def nelson_aalen_survival(n_risk: FloatArray, n_event: FloatArray) -> tuple[FloatArray, FloatArray]:
    """exp(-Nelson-Aalen) survival and the Aalen standard error of H (= se of log S)."""
    has = n_event > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        haz = np.where(has, n_event / n_risk, 0.0)
        var = np.where(has, n_event / (n_risk * n_risk), 0.0)
    return np.exp(-np.cumsum(haz)), np.sqrt(np.cumsum(var))


def ij_se_log(
    data: SurvInput, utime: FloatArray, n_risk: FloatArray, n_event: FloatArray, inv: np.ndarray,
    surv: FloatArray,
) -> FloatArray:
    """Infinitesimal-jackknife standard error of log S for the Kaplan-Meier curve.

    The influence of subject i on S(t) is -S(t) * w_i * sum_{t_j <= t}
    (dN_i(t_j) - Y_i(t_j) h_j) / (n_j - d_j) (R ``survfitkm.c``, robust branch, and the
    ``byhand`` check in survival's ``tests/survfit1.R``).  The variance sums the squared
    influences; it splits into subjects still at risk (common term) and subjects whose
    follow-up has ended (fixed term), so two cumulative sums give it at every time.
    """
    w = np.ones(data.n) if data.weights is None else data.weights
    has = n_event > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(has, n_event / n_risk, 0.0)
        denom = n_risk - n_event
        cinc = np.where(has & (denom > 0), h / denom, 0.0)
        jump = np.where(denom > 0, 1.0 / denom, 0.0)
    cum_c = np.cumsum(cinc)
    # a_i = -C(T_i) + delta_i / (n - d at T_i): influence/(-S w_i) once i has left
    a = -cum_c[inv] + np.where(data.event, jump[inv], 0.0)
    k = utime.shape[0]
    w2 = w * w
    left = np.cumsum(np.bincount(inv, weights=w2 * a * a, minlength=k))
    at_risk_after = np.cumsum(np.bincount(inv, weights=w2, minlength=k)[::-1])[::-1]
    still = np.concatenate([at_risk_after[1:], [0.0]])  # subjects with T_i > t
    var_rel = cum_c * cum_c * still + left  # Var(S)/S^2
    return np.sqrt(np.maximum(var_rel, 0.0))


def confint(
    surv: FloatArray, se_log: FloatArray, conf_level: float, conf_type: str
) -> tuple[FloatArray, FloatArray]:
    """Pointwise limits exactly as R's ``survfit_confint`` (``ulimit=TRUE``).

    ``plain``: S -/+ z se(S), clipped to [0, 1] (Klein & Moeschberger eq. 4.3.1);
    ``log``: exp(log S -/+ z se(log S)), upper clipped at 1;
    ``log-log``: exp(-exp(log(-log S) -/+ z se(log S) / log S)).
    Where se = 0 both limits equal S; where S = 0 (and se > 0) the log and log-log limits are
    missing (NaN), as R prints NA.
    """
    z = float(sps.norm.ppf(1.0 - (1.0 - conf_level) / 2.0))
    zero_se = se_log == 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = z * se_log * surv
            lower = np.maximum(surv - se2, 0.0)
            upper = np.minimum(surv + se2, 1.0)
            bad = np.isnan(se2)
            lower = np.where(bad, np.nan, lower)
            upper = np.where(bad, np.nan, upper)
        elif conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            lower = np.exp(np.log(xx) - z * se_log)
            upper = np.minimum(np.exp(np.log(xx) + z * se_log), 1.0)
            upper = np.where(np.isnan(xx), np.nan, upper)
        else:  # log-log
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se_log / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
    lower = np.where(zero_se, surv, lower)
    upper = np.where(zero_se, surv, upper)
    return lower, upper


def findq(x: FloatArray, y: FloatArray, p: FloatArray, tol: float) -> FloatArray:
    """Times where the cumulative curve ``y`` (= 1 - S, starting with 0 at ``x[0]``) reaches p.

    Port of the rule in R ``quantile.survfit`` (``findq``): the first time with 1 - S >= p;
    when 1 - S equals p (within ``tol``) on a flat stretch, the midpoint of that stretch;
    a flat at the end of the curve uses the last follow-up time as the stretch end.
    Missing (NaN) curve points are ignored, as R's ``approx`` drops them.
    """
    out = np.full(p.shape, np.nan)
    if np.all(np.isnan(y)) or np.nanmax(y) < np.min(p):
        return out
    xmax = x[-1]
    _, first = np.unique(y, return_index=True)  # NaNs collapse to one, as duplicated() does
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    n = y.shape[0]
    idx = np.arange(n)
    ok = ~np.isnan(y)
    xs_idx = idx[ok]
    yv = y[ok]

    def constant_right(knots: FloatArray) -> FloatArray:
        order = np.argsort(knots, kind="stable")
        kk, ii = knots[order], xs_idx[order]
        pos = np.searchsorted(kk, p, side="left")
        inside = (p >= kk[0]) & (p <= kk[-1])
        res = np.full(p.shape, np.nan)
        res[inside] = ii[np.minimum(pos[inside], kk.shape[0] - 1)]
        return res

    i1 = constant_right(yv + tol)
    i2 = constant_right(yv - tol)
    both = ~np.isnan(i1) & ~np.isnan(i2)
    out[both] = (x[i1[both].astype(int)] + x[i2[both].astype(int)]) / 2.0
    out[p == 0] = x[0]
    if not np.isnan(y[-1]):
        last = (np.abs(p - y[-1]) < tol) & ~np.isnan(i1)
        out[last] = (x[i1[last].astype(int)] + xmax) / 2.0
    return out


SPSS_DENSITY_HALF_WIDTH = 0.05  # the +/- 5 percentage points of the uniform-kernel density


def spss_percentile_se(
    time: FloatArray,
    n_event: FloatArray,
    survival: FloatArray,
    se_surv: FloatArray,
    p: FloatArray,
    tol: float,
) -> FloatArray:
    """Standard error of the p-th survival-time percentile as IBM SPSS ``KM`` prints it.

    Rule (Klein & Moeschberger 2003, section 4.5, Practical Note 3: the large-sample variance of
    a percentile with a uniform-kernel estimate of the density; Collett 2015, section 2.4): with
    ``t_p`` the first event time where S <= 1 - p,

        se(t_p) = se(S(t_p)) / f,   f = (S(u) - S(l)) / (l - u),

    ``u`` the largest event time with S >= 1 - p + 0.05 and ``l`` the smallest event time with
    S <= 1 - p - 0.05; ``se(S)`` is Greenwood's.  Only event times enter (censoring times do
    not).  The SPSS Statistics Algorithms "KM" chapter is reported (stats.stackexchange answer
    "Kaplan-Meier using survfit: confidence interval of the median") to use this crude density
    between the 45th and 55th percentiles for the median; the rule reproduces SPSS 31's
    printed standard errors to 12 digits (tests/reference/spss_km/).

    NaN where t_p, u or l does not exist (percentile or either density point not reached) or
    where S(u) = S(l).
    """
    ev = n_event > 0
    t, s, se = time[ev], survival[ev], se_surv[ev]
    out = np.full(p.shape, np.nan)
    if t.shape[0] == 0:
        return out
    target = 1.0 - p
    below = s[None, :] <= target[:, None] + tol
    hit = below.any(axis=1)
    i_p = np.argmax(below, axis=1)
    upper_pts = s[None, :] >= target[:, None] + SPSS_DENSITY_HALF_WIDTH - tol
    lower_pts = s[None, :] <= target[:, None] - SPSS_DENSITY_HALF_WIDTH + tol
    has_u = upper_pts.any(axis=1)
    has_l = lower_pts.any(axis=1)
    i_u = t.shape[0] - 1 - np.argmax(upper_pts[:, ::-1], axis=1)
    i_l = np.argmax(lower_pts, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = (s[i_u] - s[i_l]) / (t[i_l] - t[i_u])
        val = se[i_p] / dens
    ok = hit & has_u & has_l & (dens > 0) & np.isfinite(val)
    out[ok] = val[ok]
    return out
