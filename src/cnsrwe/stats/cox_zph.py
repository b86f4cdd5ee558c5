"""Test of proportional hazards for a Cox fit, as R's ``cox.zph`` (survival >= 3.0).

Rule (Grambsch & Therneau 1994, *Biometrika* 81:515-526; algorithm of survival 3.0, C routine
``zph1``/``zph2``): add a term ``beta_j * g(t) * x_j`` to the model for each covariate and
compute the *score test* of its coefficient being 0 at the fitted beta, using the full
2p x 2p information matrix (not the older approximation through scaled Schoenfeld residuals).
``g`` is a transform of the event time, centred on its mean over the events:

* ``"km"``: 1 - the left-continuous Kaplan-Meier estimate (all rows, no weights, no strata),
* ``"rank"``: the rank of the time among all rows (average ranks for ties),
* ``"identity"``: the time itself; ``"log"``: its logarithm.

Each covariate gives a 1-df test; ``GLOBAL`` tests all of them together (p df).  Ties are handled
as in the fit (Efron, otherwise Breslow, as R does for an exact-ties fit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

from cnsrwe._checks import assert_in
from cnsrwe.stats.ard import ArdRow, ard_frame
from cnsrwe.stats.cox import CoxResult
from cnsrwe.stats.cox_fit import tie_terms

FloatArray = npt.NDArray[np.float64]

TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(frozen=True)
class ZphResult:
    """Per-covariate and GLOBAL score tests of proportional hazards."""

    terms: tuple[str, ...]  # covariates then "GLOBAL"
    chisq: FloatArray
    df: npt.NDArray[np.int64]
    p_value: FloatArray
    transform: str

    @property
    def table(self) -> pl.DataFrame:
        """One row per covariate plus GLOBAL: chisq, df, p."""
        return pl.DataFrame(
            {"term": list(self.terms), "chisq": self.chisq, "df": self.df, "p_value": self.p_value}
        )

    def to_ard(self) -> pl.DataFrame:
        """Long analysis-results rows (see :mod:`cnsrwe.stats.ard`)."""
        method = f"cox.zph score test, transform={self.transform}"
        rows = []
        for i, t in enumerate(self.terms):
            rows.append(ArdRow("cox_zph", t, "statistic", float(self.chisq[i]), method))
            rows.append(ArdRow("cox_zph", t, "df", float(self.df[i]), method))
            rows.append(ArdRow("cox_zph", t, "p_value", float(self.p_value[i]), method))
        return ard_frame(rows)


def _left_km_at(times: FloatArray, start: FloatArray | None, stop: FloatArray,
                event: npt.NDArray[np.bool_]) -> FloatArray:
    """1 - S(t-) of the unweighted Kaplan-Meier at each of ``times``."""
    et = np.unique(stop[event])
    n_event = np.bincount(np.searchsorted(et, stop[event]), minlength=et.shape[0])
    s_stop = np.sort(stop)
    at_risk = stop.shape[0] - np.searchsorted(s_stop, et, side="left")
    if start is not None:
        s_start = np.sort(start)
        at_risk = at_risk - (start.shape[0] - np.searchsorted(s_start, et, side="left"))
    surv = np.cumprod(1.0 - n_event / at_risk)
    idx = np.searchsorted(et, times, side="left")  # number of event times strictly before t
    left = np.concatenate([[1.0], surv])[idx]
    return 1.0 - left


def cox_zph(fit: CoxResult, *, transform: str = "km") -> ZphResult:
    """Score tests of proportional hazards for each covariate and globally (R ``cox.zph``).

    Parameters
    ----------
    fit
        A result of :func:`cnsrwe.stats.cox_ph`.
    transform
        Permitted values: ``"km"`` (default, as R), ``"rank"``, ``"identity"``, ``"log"``.
    """
    if not isinstance(fit, CoxResult):
        msg = f"`fit` must be a CoxResult from cox_ph(), got {type(fit).__name__}"
        raise TypeError(msg)
    assert_in("transform", transform, TRANSFORMS)
    rs = fit._risk_sets
    inp = fit._input
    ev = inp.event
    times = inp.stop
    if transform == "km":
        tt = _left_km_at(times, inp.start, inp.stop, ev)
    elif transform == "rank":
        tt = stats.rankdata(times)
    elif transform == "log":
        if np.any(times <= 0):
            msg = "`transform` 'log' needs positive times, got a time <= 0"
            raise ValueError(msg)
        tt = np.log(times)
    else:
        tt = times.astype(float)
    gtime = tt - tt[ev].mean()

    ties = "efron" if fit.ties == "efron" else "breslow"
    terms = tie_terms(rs, fit.coef, ties)
    g_block = gtime[rs.death_order[rs.death_block_start]] if rs.death_order.size else np.zeros(0)
    g = g_block[terms.block]
    p = rs.x.shape[1]
    x = rs.x
    w = rs.weight
    xd = x[rs.death_order] * w[rs.death_order, None]
    g_dead = gtime[rs.death_order]
    u2 = g_dead @ xd - (terms.wt * g) @ terms.xbar
    i11 = np.einsum("s,sij->ij", terms.wt, terms.cov)
    i12 = np.einsum("s,sij->ij", terms.wt * g, terms.cov)
    i22 = np.einsum("s,sij->ij", terms.wt * g * g, terms.cov)
    imat = np.block([[i11, i12], [i12, i22]])
    u = np.concatenate([np.zeros(p), u2])

    chisq = np.empty(p + 1)
    for j in range(p):
        kk = np.concatenate([np.arange(p), [p + j]])
        uk = u[kk]
        chisq[j] = float(uk @ np.linalg.solve(imat[np.ix_(kk, kk)], uk))
    chisq[p] = float(u @ np.linalg.solve(imat, u))
    df = np.array([1] * p + [p], dtype=np.int64)
    return ZphResult(
        terms=(*fit.covariates, "GLOBAL"),
        chisq=chisq,
        df=df,
        p_value=stats.chi2.sf(chisq, df),
        transform=transform,
    )
