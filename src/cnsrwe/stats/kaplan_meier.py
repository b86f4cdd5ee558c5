"""Kaplan-Meier (and exp(-Nelson-Aalen)) survival curves with R-identical CIs and quantiles.

Public API
----------
``kaplan_meier(time, event, *, weights=None, conf_level=0.95, conf_type="log-log",
estimator="kaplan-meier", median_ci_method="r", variance="auto")``
    one curve -> :class:`KaplanMeierResult`.
``kaplan_meier_by(data, *, time, event, group, weights=None, ...)``
    one curve per level of ``group`` in a polars/pandas table -> :class:`KaplanMeierByResult`.
``median_follow_up(time, event, *, ...)``
    reverse Kaplan-Meier median follow-up -> :class:`FollowUpResult`.

Conventions (R survival 3.x, ``survfit``/``summary.survfit``/``quantile.survfit``)
-------------------------------------------------------------------------------
* ``conf_type`` default is ``"log-log"`` (the issue's choice, common in oncology reports and
  SAS PROC LIFETEST's default); **R's default is "log"** - pass ``conf_type="log"`` to
  reproduce an unqualified R ``survfit`` print.
* ``table.std_err`` is the standard error of S (what ``summary.survfit`` prints), i.e.
  S * se(log S).  It is NaN where S = 0 after a Greenwood variance of +inf (R prints NaN).
* The median and other quantiles follow ``quantile.survfit``: the first time where S <= 1 - p;
  on a flat stretch exactly at 1 - p, the midpoint of the stretch.  Confidence limits are the
  same rule applied to the lower and upper pointwise curves (Brookmeyer-Crowley style).
* Weights: case weights, as R ``survfit(weights=)``.  With ``variance="auto"`` integer weights
  use the (weighted) Greenwood/Aalen formula and non-integer weights the infinitesimal
  jackknife, which is what R's ``survfitKM`` chooses by default (``robust`` when any weight is
  not a whole number).
* ``median_ci_method="r"`` (default): the limits above.  ``"spss"``: the symmetric interval
  IBM SPSS ``KM`` prints, estimate -/+ 1.96 se (at 95%), with SPSS's standard error of a percentile
  (Greenwood se of S at the percentile divided by a uniform-kernel density between the
  1 - p +/- 0.05 points; :func:`cnsrwe.stats._km_core.spss_percentile_se`).  Reproduces SPSS 31
  to 12 digits (tests/reference/spss_km/).  The lower limit is not truncated at 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from cnsrwe._checks import assert_in, assert_open_unit_interval
from cnsrwe.stats import _km_core as core
from cnsrwe.stats._survdata import (
    FloatArray,
    SurvInput,
    as_labels,
    column,
    surv_input,
)
from cnsrwe.stats.ard import ArdRow, ard_frame, concat_ard

ConfType = Literal["log", "log-log", "plain"]
Estimator = Literal["kaplan-meier", "fleming-harrington"]
Variance = Literal["auto", "greenwood", "robust"]

CONF_TYPES = ("log", "log-log", "plain")
ESTIMATORS = ("kaplan-meier", "fleming-harrington")
VARIANCES = ("auto", "greenwood", "robust")
MEDIAN_CI_METHODS = ("r", "spss")
QUANTILE_TOL = float(np.sqrt(np.finfo(float).eps))  # R quantile.survfit's default tolerance


def _spss_z(conf_level: float) -> float:
    """SPSS multiplies by 1.96 for its (fixed) 95% interval, not by the exact normal quantile
    (reproduces SPSS 31's printed limits); other levels, which SPSS KM does not offer, use the
    normal quantile."""
    if abs(conf_level - 0.95) < 1e-12:
        return 1.96
    return float(stats.norm.ppf(1.0 - (1.0 - conf_level) / 2.0))


def _opt(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


@dataclass(frozen=True)
class Quantile:
    """A survival-time quantile (R ``quantile.survfit``) with its confidence limits.

    ``p`` is the cumulative probability (0.5 = median: the time by which half had the event).
    ``None`` means "not reached".
    """

    p: float
    estimate: float | None
    lower: float | None
    upper: float | None
    std_err: float | None = None  # only with median_ci_method="spss" (SPSS's "Std. Error")


@dataclass(frozen=True)
class KaplanMeierResult:
    """One survival curve; arrays hold every distinct observed time (events and censorings)."""

    curve: core.Curve = field(repr=False)
    n: int
    n_events: float
    conf_level: float
    conf_type: str
    estimator: str
    variance: str
    label: str = ""
    median_ci_method: str = "r"

    @property
    def table(self) -> pl.DataFrame:
        """time, n_risk, n_event, n_censor, survival, std_err (of S), lower, upper.

        Rows with ``n_event > 0`` are what ``summary(fit)`` prints; the other rows are
        censoring-only times (``summary(fit, censored=TRUE)``).
        """
        c = self.curve
        with np.errstate(invalid="ignore"):
            se_s = c.se_log * c.survival
        return pl.DataFrame(
            {
                "time": c.time,
                "n_risk": c.n_risk,
                "n_event": c.n_event,
                "n_censor": c.n_censor,
                "survival": c.survival,
                "std_err": se_s,
                "lower": c.lower,
                "upper": c.upper,
            }
        ).with_columns(pl.col("std_err", "lower", "upper").fill_nan(None))

    def quantile(self, p: float | Iterable[float]) -> Quantile | list[Quantile]:
        """Quantile(s) of the survival time with CI, under R's ``quantile.survfit`` rules."""
        scalar = isinstance(p, int | float)
        probs = np.atleast_1d(np.asarray(p, dtype=np.float64))
        if probs.ndim != 1 or np.any(~np.isfinite(probs)) or np.any((probs < 0) | (probs > 1)):
            msg = f"`p` must be probabilities in [0, 1], got {p!r}"
            raise ValueError(msg)
        c = self.curve
        x = np.concatenate([[0.0], c.time])

        def q(curve: FloatArray) -> FloatArray:
            return core.findq(x, np.concatenate([[0.0], 1.0 - curve]), probs, QUANTILE_TOL)

        est = q(c.survival)
        se = np.full(probs.shape, np.nan)
        if self.median_ci_method == "spss":
            with np.errstate(invalid="ignore"):
                se_s = c.se_log * c.survival
            se = core.spss_percentile_se(c.time, c.n_event, c.survival, se_s, probs,
                                         QUANTILE_TOL)
            lo, up = est - _spss_z(self.conf_level) * se, est + _spss_z(self.conf_level) * se
        else:
            lo, up = q(c.lower), q(c.upper)
        out = [
            Quantile(float(pp), _opt(e), _opt(lw), _opt(u), _opt(s))
            for pp, e, lw, u, s in zip(probs, est, lo, up, se, strict=True)
        ]
        return out[0] if scalar else out

    @property
    def median(self) -> float | None:
        """Median survival time (``None`` if not reached)."""
        q = self.quantile(0.5)
        assert isinstance(q, Quantile)
        return q.estimate

    @property
    def median_ci(self) -> tuple[float | None, float | None]:
        """(lower, upper) confidence limits of the median; ``None`` where not reached."""
        q = self.quantile(0.5)
        assert isinstance(q, Quantile)
        return (q.lower, q.upper)

    def survival_at(self, times: float | Iterable[float]) -> pl.DataFrame:
        """Step-function value of S with std_err and CI at ``times`` (R ``summary(fit, times=)``).

        Before the first observed time S = 1 (limits 1, 1).  Times after the last follow-up
        time give nulls: the curve is not estimated there (R drops them unless
        ``extend=TRUE``).
        """
        t = _check_times(times)
        c = self.curve
        idx = np.searchsorted(c.time, t, side="right") - 1
        before = idx < 0
        beyond = t > c.time[-1]
        j = np.maximum(idx, 0)
        with np.errstate(invalid="ignore"):
            se_s = c.se_log * c.survival

        def pick(a: FloatArray, start: float) -> FloatArray:
            v = np.where(before, start, a[j])
            return np.where(beyond, np.nan, v)

        return pl.DataFrame(
            {
                "time": t,
                "survival": pick(c.survival, 1.0),
                "std_err": pick(se_s, 0.0),
                "lower": pick(c.lower, 1.0),
                "upper": pick(c.upper, 1.0),
            }
        ).with_columns(pl.col("survival", "std_err", "lower", "upper").fill_nan(None))

    def at_risk(self, times: float | Iterable[float]) -> pl.DataFrame:
        """Numbers at risk, events and censorings as ``summary(fit, times=)`` reports them.

        ``n_risk`` at t counts subjects with follow-up time >= t (weighted when weights were
        given); ``n_event``/``n_censor`` count those in (previous requested time, t], the
        first interval starting at time 0 inclusive.  ``times`` must be increasing.
        """
        t = _check_times(times)
        if np.any(np.diff(t) <= 0):
            msg = f"`times` must be strictly increasing, got {list(t)!r}"
            raise ValueError(msg)
        c = self.curve
        first = np.searchsorted(c.time, t, side="left")
        tot = c.n_risk[0] if c.n_risk.shape[0] else 0.0
        last = len(c.time) - 1
        n_risk = np.where(first <= last, c.n_risk[np.minimum(first, last)], 0.0)
        n_risk = np.where(first == 0, tot, n_risk)
        upto = np.searchsorted(c.time, t, side="right")
        cum_e = np.concatenate([[0.0], np.cumsum(c.n_event)])[upto]
        cum_c = np.concatenate([[0.0], np.cumsum(c.n_censor)])[upto]
        return pl.DataFrame(
            {
                "time": t,
                "n_risk": n_risk,
                "n_event": np.diff(np.concatenate([[0.0], cum_e])),
                "n_censor": np.diff(np.concatenate([[0.0], cum_c])),
            }
        )

    def method(self) -> str:
        """Plain-language description for tables and the ARD ``method`` column."""
        est = "Kaplan-Meier" if self.estimator == "kaplan-meier" else "exp(-Nelson-Aalen)"
        var = {"greenwood": "Greenwood", "aalen": "Aalen", "robust": "infinitesimal jackknife"}
        text = (
            f"{est}; {var[self.variance]} variance; {self.conf_type} CI "
            f"{round(self.conf_level * 100, 6):g}%"
        )
        if self.median_ci_method == "spss":
            text += "; median CI symmetric, SPSS percentile standard error"
        return text

    def to_ard(self, *, times: Iterable[float] | None = None) -> pl.DataFrame:
        """ARD rows: n, events, median with CI, and (optionally) survival at ``times``."""
        m = self.method()
        rows = [
            ArdRow("kaplan_meier", "subjects", "n", float(self.n), m, group=self.label),
            ArdRow("kaplan_meier", "events", "n", float(self.n_events), m, group=self.label),
        ]
        q = self.quantile(0.5)
        assert isinstance(q, Quantile)
        for stat, val in (("estimate", q.estimate), ("lower", q.lower), ("upper", q.upper)):
            rows.append(ArdRow("kaplan_meier", "median", stat, val, m, group=self.label))
        if self.median_ci_method == "spss":
            rows.append(ArdRow("kaplan_meier", "median", "std_err", q.std_err, m,
                               group=self.label))
        if times is not None:
            tab = self.survival_at(times)
            risk = self.at_risk(times)
            for rec, nr in zip(tab.iter_rows(named=True), risk["n_risk"], strict=True):
                par = f"time={rec['time']:g}"
                for stat in ("survival", "std_err", "lower", "upper"):
                    rows.append(ArdRow("kaplan_meier", par, stat, rec[stat], m, group=self.label))
                rows.append(ArdRow("kaplan_meier", par, "n_risk", float(nr), m, group=self.label))
        return ard_frame(rows)


@dataclass(frozen=True)
class KaplanMeierByResult:
    """One :class:`KaplanMeierResult` per group level (levels in sorted order, as R)."""

    fits: Mapping[str, KaplanMeierResult]

    @property
    def table(self) -> pl.DataFrame:
        """All curves stacked, with a leading ``group`` column."""
        return pl.concat(
            [f.table.select(pl.lit(g).alias("group"), pl.all()) for g, f in self.fits.items()]
        )

    def medians(self) -> pl.DataFrame:
        """group, n, events, median, lower, upper (the ``print(survfit)`` table)."""
        recs = []
        for g, f in self.fits.items():
            q = f.quantile(0.5)
            assert isinstance(q, Quantile)
            recs.append(
                {"group": g, "n": f.n, "events": f.n_events, "median": q.estimate,
                 "lower": q.lower, "upper": q.upper}
            )
        schema = {"group": pl.String, "n": pl.Int64, "events": pl.Float64,
                  "median": pl.Float64, "lower": pl.Float64, "upper": pl.Float64}
        return pl.DataFrame(recs, schema=schema)

    def to_ard(self, *, times: Iterable[float] | None = None) -> pl.DataFrame:
        """Stacked ARD of every group's curve."""
        return concat_ard([f.to_ard(times=times) for f in self.fits.values()])


@dataclass(frozen=True)
class FollowUpResult:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996)."""

    reverse_fit: KaplanMeierResult
    tie_convention: str

    @property
    def median(self) -> float | None:
        return self.reverse_fit.median

    @property
    def median_ci(self) -> tuple[float | None, float | None]:
        return self.reverse_fit.median_ci

    def to_ard(self) -> pl.DataFrame:
        q = self.reverse_fit.quantile(0.5)
        assert isinstance(q, Quantile)
        m = f"reverse Kaplan-Meier ({self.tie_convention} ties); " + self.reverse_fit.method()
        rows = [
            ArdRow("median_follow_up", "median_follow_up", s, v, m)
            for s, v in (("estimate", q.estimate), ("lower", q.lower), ("upper", q.upper))
        ]
        return ard_frame(rows)


def _check_times(times: float | Iterable[float]) -> FloatArray:
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if t.ndim != 1 or t.shape[0] == 0 or np.any(~np.isfinite(t)):
        msg = f"`times` must be finite numbers, got {times!r}"
        raise ValueError(msg)
    return t


def _check_options(conf_level: float, conf_type: str, estimator: str, median_ci_method: str,
                   variance: str) -> None:
    assert_open_unit_interval("conf_level", conf_level)
    assert_in("conf_type", conf_type, CONF_TYPES)
    assert_in("estimator", estimator, ESTIMATORS)
    assert_in("variance", variance, VARIANCES)
    assert_in("median_ci_method", median_ci_method, MEDIAN_CI_METHODS)


def _fit(data: SurvInput, *, conf_level: float, conf_type: str, estimator: str, variance: str,
         label: str = "", reverse: bool = False, median_ci_method: str = "r"
         ) -> KaplanMeierResult:
    utime, n_risk, d, c, inv = core.counts(data, reverse=reverse)
    fractional = data.weights is not None and bool(np.any(data.weights != np.floor(data.weights)))
    use_robust = variance == "robust" or (variance == "auto" and fractional)
    if estimator == "kaplan-meier":
        surv, se_log = core.product_limit(n_risk, d)
        var_name = "greenwood"
        if use_robust:
            if reverse:
                msg = "`variance` 'robust' is not available for the reverse Kaplan-Meier"
                raise ValueError(msg)
            se_log = core.ij_se_log(data, utime, n_risk, d, inv, surv)
            var_name = "robust"
    else:
        if use_robust:
            msg = (
                "`variance` 'robust' (the default for non-integer weights) is not implemented "
                "for `estimator` 'fleming-harrington', got non-integer weights; "
                "use estimator='kaplan-meier' or variance='greenwood'"
            )
            raise ValueError(msg)
        surv, se_log = core.nelson_aalen_survival(n_risk, d)
        var_name = "aalen"
    lower, upper = core.confint(surv, se_log, conf_level, conf_type)
    curve = core.Curve(utime, n_risk, d, c, surv, se_log, lower, upper)
    n_events = float(d.sum())
    return KaplanMeierResult(curve, data.n, n_events, float(conf_level), conf_type, estimator,
                             var_name, label, median_ci_method)


def kaplan_meier(
    time: Any,
    event: Any,
    *,
    weights: Any = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    estimator: Estimator = "kaplan-meier",
    median_ci_method: str = "r",
    variance: Variance = "auto",
) -> KaplanMeierResult:
    """Kaplan-Meier estimate of the survival function, as R ``survfit(Surv(time, event) ~ 1)``.

    Parameters
    ----------
    time
        Follow-up times, >= 0, no missing values.
    event
        1/True = event, 0/False = censored.
    weights
        Optional positive case weights (e.g. IPTW weights).
    conf_level
        Confidence level in (0, 1).
    conf_type
        Permitted values: "log-log" (default here), "log" (R's default), "plain".
    estimator
        "kaplan-meier" or "fleming-harrington" (exp(-Nelson-Aalen), R ``stype=2, ctype=1``).
    median_ci_method
        "r" (limits where the pointwise CI crosses 1 - p, as R) or "spss" (symmetric
        estimate -/+ z se with SPSS's percentile standard error; see the module notes).
    variance
        "auto" (R's choice), "greenwood" (Greenwood / Aalen), "robust" (infinitesimal
        jackknife, Kaplan-Meier only).

    Examples
    --------
    >>> fit = kaplan_meier([9, 13, 13, 18, 23], [1, 1, 0, 1, 1], conf_type="log")
    >>> fit.median
    18.0

    References
    ----------
    Kaplan & Meier (1958) JASA 53:457-481; Greenwood (1926); Brookmeyer & Crowley (1982)
    Biometrics 38:29-41; R survival 3.8 ``survfit``, ``quantile.survfit``.
    """
    _check_options(conf_level, conf_type, estimator, median_ci_method, variance)
    data = surv_input(time, event, weights)
    return _fit(data, conf_level=conf_level, conf_type=conf_type, estimator=estimator,
                variance=variance, median_ci_method=median_ci_method)


def kaplan_meier_by(
    data: Any,
    *,
    time: str,
    event: str,
    group: str,
    weights: str | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    estimator: Estimator = "kaplan-meier",
    median_ci_method: str = "r",
    variance: Variance = "auto",
) -> KaplanMeierByResult:
    """One Kaplan-Meier curve per level of column ``group`` (R ``survfit(... ~ group)``).

    ``data`` is a polars or pandas table; ``time``, ``event``, ``group`` and ``weights`` name
    its columns.  Levels are sorted; a level is present only if it has rows, so an empty group
    cannot occur.  Other options as :func:`kaplan_meier`.
    """
    _check_options(conf_level, conf_type, estimator, median_ci_method, variance)
    sd = surv_input(column(data, time, "time"), column(data, event, "event"),
                    column(data, weights, "weights"))
    codes, labels = as_labels("group", column(data, group, "group"), sd.n)
    fits = {
        lab: _fit(sd.subset(codes == k), conf_level=conf_level, conf_type=conf_type,
                  estimator=estimator, variance=variance, label=lab,
                  median_ci_method=median_ci_method)
        for k, lab in enumerate(labels)
    }
    return KaplanMeierByResult(fits)


def median_follow_up(
    time: Any,
    event: Any,
    *,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    tie_convention: Literal["survfit", "prodlim"] = "survfit",
    median_ci_method: str = "r",
) -> FollowUpResult:
    """Median follow-up by the reverse Kaplan-Meier (censoring treated as the event).

    ``tie_convention="survfit"`` (default) is exactly R ``survfit(Surv(time, 1 - status) ~ 1)``:
    a subject with an event at t counts as "censored for follow-up" at t and stays in the risk
    set at t.  ``"prodlim"`` is ``prodlim(Hist(time, status) ~ 1, reverse=TRUE)`` and
    survival's internal reverse mode (``survfitkm.c``, ``reverse == 1``): events at t leave the
    risk set before the censorings at t.  The two differ only when an event and a censoring
    share a time.  ``median_ci_method="spss"`` gives SPSS's symmetric interval (as for
    :func:`kaplan_meier`).

    References
    ----------
    Schemper & Smith (1996) Control Clin Trials 17:343-346.
    """
    assert_in("tie_convention", tie_convention, ("survfit", "prodlim"))
    _check_options(conf_level, conf_type, "kaplan-meier", median_ci_method, "auto")
    data = surv_input(time, event, None)
    if tie_convention == "survfit":
        flipped = SurvInput(data.time, ~data.event, None)
        fit = _fit(flipped, conf_level=conf_level, conf_type=conf_type,
                   estimator="kaplan-meier", variance="greenwood", label="follow-up",
                   median_ci_method=median_ci_method)
    else:
        fit = _fit(data, conf_level=conf_level, conf_type=conf_type, estimator="kaplan-meier",
                   variance="greenwood", label="follow-up", reverse=True,
                   median_ci_method=median_ci_method)
    return FollowUpResult(fit, tie_convention)
