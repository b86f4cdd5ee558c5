"""Cox proportional-hazards regression: ``cox_ph`` and its frozen result ``CoxResult``.

Matches R ``survival::coxph`` (Therneau, survival >= 3.0): Efron, Breslow or exact ties,
strata, case weights, counting-process ``(start, stop]`` rows, robust (sandwich) variance with
``cluster``, likelihood-ratio / Wald / score tests, and Harrell's concordance with its standard
error.  The likelihood and the Newton-Raphson iteration live in :mod:`cnsrwe.stats.cox_fit`.

Covariates must be numeric columns; a factor must be dummy-coded (one 0/1 column per non-reference
level) before the call, as R's ``model.matrix`` does with treatment contrasts.

References
----------
Therneau TM, Grambsch PM. *Modeling Survival Data: Extending the Cox Model*. Springer, 2000.
Lin DY, Wei LJ. The robust inference for the Cox proportional hazards model. JASA 1989.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

from cnsrwe._checks import assert_in, assert_open_unit_interval
from cnsrwe.errors import StatisticalWarning
from cnsrwe.stats._coef_table import chisq_test_ard, coefficient_ard, coefficient_table
from cnsrwe.stats._cox_input import CoxInput, check_collinearity, read_cox_input
from cnsrwe.stats.ard import ArdRow, ard_frame
from cnsrwe.stats.concordance import Concordance, compute_concordance
from cnsrwe.stats.cox_fit import TIES, RiskSets, build_risk_sets, newton_raphson
from cnsrwe.stats.cox_resid import robust_score_test, robust_variance

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TestResult:
    """A chi-square test: statistic, degrees of freedom and p-value."""

    statistic: float
    df: int
    p_value: float


def _chisq(stat: float, df: int) -> TestResult:
    return TestResult(float(stat), int(df), float(stats.chi2.sf(stat, df)))


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model; arrays are per covariate, in the order of ``covariates``."""

    covariates: tuple[str, ...]
    coef: FloatArray
    se: FloatArray
    robust_se: FloatArray | None
    hazard_ratio: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray
    z: FloatArray
    p_value: FloatArray
    conf_level: float
    ties: str
    var: FloatArray
    naive_var: FloatArray
    loglik: tuple[float, float]
    lr_test: TestResult
    wald_test: TestResult
    score_test: TestResult
    robust_score_test: TestResult | None
    n: int
    n_events: int
    iterations: int
    converged: bool
    monotone_likelihood: bool
    strata: tuple[str, ...]
    _risk_sets: RiskSets = field(repr=False, compare=False)
    _input: CoxInput = field(repr=False, compare=False)

    @cached_property
    def concordance(self) -> Concordance:
        """Harrell's C and its standard error, as R's ``fit$concordance`` (computed on demand)."""
        inp = self._input
        lp = inp.x @ self.coef
        return compute_concordance(
            lp, inp.stop, inp.event, inp.weight, inp.strata, inp.start, inp.cluster
        )

    def _stats(self, *, ard: bool) -> list[tuple[str, FloatArray | None]]:
        head = [("coef", self.coef), ("hazard_ratio", self.hazard_ratio), ("se", self.se),
                ("robust_se", self.robust_se)]  # fmt: skip
        ci = [("lower" if ard else "ci_lower", self.ci_lower),
              ("upper" if ard else "ci_upper", self.ci_upper)]  # fmt: skip
        tests = [("z", self.z), ("p_value", self.p_value)]
        return head + ci + tests if ard else head + tests + ci

    @property
    def table(self) -> pl.DataFrame:
        """One row per covariate: coef, HR, se (and robust se), z, p, CI."""
        return coefficient_table(self.covariates, self._stats(ard=False))

    def to_ard(self) -> pl.DataFrame:
        """Long analysis-results rows (see :mod:`cnsrwe.stats.ard`)."""
        pct = round(self.conf_level * 100, 6)
        var_kind = "robust" if self.robust_se is not None else "model-based"
        method = f"Cox PH, {self.ties} ties, Wald {pct:g}% CI ({var_kind} variance)"
        rows = coefficient_ard("cox_ph", self.covariates, self._stats(ard=True), method)
        for tname, t in [
            ("lr_test", self.lr_test),
            ("wald_test", self.wald_test),
            ("score_test", self.score_test),
            ("robust_score_test", self.robust_score_test),
        ]:
            if t is not None:
                rows += chisq_test_ard("cox_ph", tname, t.statistic, t.df, t.p_value, method)
        rows.append(ArdRow("cox_ph", "model", "loglik_null", self.loglik[0], method))
        rows.append(ArdRow("cox_ph", "model", "loglik", self.loglik[1], method))
        rows.append(ArdRow("cox_ph", "model", "n", float(self.n), method))
        rows.append(ArdRow("cox_ph", "model", "n_events", float(self.n_events), method))
        c = self.concordance
        rows.append(ArdRow("cox_ph", "model", "concordance", c.concordance, method))
        rows.append(ArdRow("cox_ph", "model", "concordance_se", c.std_err, method))
        return ard_frame(rows)


def cox_ph(
    data: Any,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None = None,
    weights: str | None = None,
    robust: bool = False,
    ties: str = "efron",
    start: str | None = None,
    cluster: str | None = None,
    conf_level: float = 0.95,
    max_iter: int = 20,
    eps: float = 1e-9,
) -> CoxResult:
    """Fit a Cox proportional-hazards model as R ``coxph`` does.

    Parameters
    ----------
    data
        polars or pandas DataFrame, or a dict of equal-length arrays.
    duration, event
        Column names of the follow-up (stop) time and the 0/1 event indicator.
    covariates
        Numeric column names; factors must be dummy-coded first.
    strata
        Column name(s): a separate baseline hazard per stratum (R ``strata()``).
    weights
        Column of positive case weights (need not be integers).
    robust
        Sandwich variance (R ``robust = TRUE``); implied by ``cluster``.
    ties
        Permitted values: ``"efron"`` (default, as R), ``"breslow"``, ``"exact"``.
    start
        Entry-time column for counting-process ``(start, stop]`` rows.
    cluster
        Column identifying correlated rows (e.g. a patient with several rows).
    conf_level
        Confidence level of the Wald intervals, in (0, 1).
    max_iter, eps
        Newton-Raphson controls, R's ``iter.max = 20`` and ``eps = 1e-9``.

    Returns
    -------
    CoxResult
        Frozen result; ``.table`` and ``.to_ard()`` export it.

    Raises
    ------
    ValueError
        Bad arguments, missing values (the column and row are named), no events, collinear or
        constant covariates.

    Warns
    -----
    StatisticalWarning
        When the likelihood is monotone (a coefficient diverges, as R's "Loglik converged before
        variable ...; coefficient may be infinite"); ``.monotone_likelihood`` is then True.  Use
        :func:`cnsrwe.stats.firth.firth_cox` for such data.
    """
    assert_in("ties", ties, TIES)
    assert_open_unit_interval("conf_level", conf_level)
    if not isinstance(max_iter, int) or max_iter < 0:
        msg = f"`max_iter` must be an integer >= 0, got {max_iter!r}"
        raise ValueError(msg)
    if not (isinstance(eps, float | int) and eps > 0):
        msg = f"`eps` must be > 0, got {eps!r}"
        raise ValueError(msg)
    if not isinstance(robust, bool):
        msg = f"`robust` must be True or False, got {robust!r}"
        raise TypeError(msg)
    inp = read_cox_input(
        data, duration=duration, event=event, covariates=covariates, strata=strata,
        weights=weights, start=start, cluster=cluster,
    )
    n_events = int(inp.event.sum())
    if n_events == 0:
        msg = f"`event` column {event!r} must contain at least one event, got 0 events"
        raise ValueError(msg)
    if ties == "exact" and not np.all(inp.weight == 1.0):
        msg = "`weights` are not supported with `ties='exact'`, got non-unit weights"
        raise ValueError(msg)
    use_robust = robust or cluster is not None
    if use_robust and ties == "exact":
        msg = "`robust`/`cluster` need `ties='efron'` or 'breslow', got 'exact'"
        raise ValueError(msg)
    check_collinearity(inp.x, inp.weight, inp.covariates)

    means = (inp.weight @ inp.x) / inp.weight.sum()
    xc = inp.x - means
    rs = build_risk_sets(xc, inp.stop, inp.event, inp.weight, inp.strata, inp.start)
    fit = newton_raphson(rs, ties, max_iter=max_iter, eps=eps)
    p = xc.shape[1]
    beta = fit.beta

    monotone = False
    if max_iter > 1:
        # R coxph.fit: the last Newton step u'V still large relative to the coefficient means the
        # loglik flattened while beta kept moving, i.e. an infinite estimate.
        with np.errstate(over="ignore", invalid="ignore"):
            step = np.abs(fit.u @ fit.var)
            infs = ~np.isfinite(step) | ((step > eps) & (step > np.sqrt(eps) * np.abs(beta)))
            big_lp = bool(np.max(np.abs(xc @ beta)) > 500)
        if not fit.converged:
            warnings.warn(
                f"Cox fit ran out of iterations and did not converge, got {max_iter} iterations",
                StatisticalWarning,
                stacklevel=2,
            )
        if infs.any() or big_lp:
            monotone = True
            names = [inp.covariates[i] for i in np.flatnonzero(infs)] or list(inp.covariates)
            warnings.warn(
                f"monotone likelihood: loglik converged before {names!r} converged; the "
                "coefficient may be infinite (events in one group only?)"
                "\n  i use cnsrwe.stats.firth_cox (Firth's penalised Cox) for these data",
                StatisticalWarning,
                stacklevel=2,
            )

    naive_var = fit.var
    var = naive_var
    rscore: TestResult | None = None
    robust_se = None
    if use_robust:
        var = robust_variance(rs, beta, ties, naive_var, inp.cluster)
        robust_se = np.sqrt(np.diag(var))
        rscore = _chisq(robust_score_test(rs, np.zeros(p), ties, inp.cluster), p)
    se = np.sqrt(np.diag(naive_var))
    use_se = robust_se if robust_se is not None else se
    z = beta / use_se
    zq = stats.norm.ppf(1 - (1 - conf_level) / 2)
    wald = float(beta @ np.linalg.solve(var, beta))
    with np.errstate(over="ignore"):
        hr = np.exp(beta)
        lower = np.exp(beta - zq * use_se)
        upper = np.exp(beta + zq * use_se)
    return CoxResult(
        covariates=inp.covariates,
        coef=beta,
        se=se,
        robust_se=robust_se,
        hazard_ratio=hr,
        ci_lower=lower,
        ci_upper=upper,
        z=z,
        p_value=2 * stats.norm.sf(np.abs(z)),
        conf_level=float(conf_level),
        ties=ties,
        var=var,
        naive_var=naive_var,
        loglik=(fit.loglik_init, fit.loglik),
        lr_test=_chisq(2 * (fit.loglik - fit.loglik_init), p),
        wald_test=_chisq(wald, p),
        score_test=_chisq(fit.score_test, p),
        robust_score_test=rscore,
        n=rs.n,
        n_events=n_events,
        iterations=fit.iterations,
        converged=fit.converged,
        monotone_likelihood=monotone,
        strata=inp.strata_labels,
        _risk_sets=rs,
        _input=inp,
    )
