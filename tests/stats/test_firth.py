"""firth_cox: checks against independent derivations (coxphf ships no printed outputs).

See tests/reference/coxphf/README.md: none of these numbers are R-printed; they are closed-form
or numerical properties of the penalised likelihood that do not use cnsrwe's Firth code.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from cnsrwe.errors import StatisticalWarning
from cnsrwe.stats.cox import cox_ph
from cnsrwe.stats.cox_fit import build_risk_sets, loglik_derivs
from cnsrwe.stats.firth import firth_cox

SIM = {"time": [1.0, 2, 3], "cens": [1, 1, 1], "x": [1.0, 1, 0]}  # coxphf help-page example


def sim_pl(b: float) -> float:
    """Hand-derived penalised loglik of the 3-subject example (Breslow, no ties)."""
    r = np.exp(b)
    loglik = 2 * b - np.log(2 * r + 1) - np.log(r + 1)
    info = 2 * r / (2 * r + 1) ** 2 + r / (r + 1) ** 2
    return loglik + 0.5 * np.log(info)


def test_coxphf_help_example_closed_form() -> None:
    fit = firth_cox(SIM, duration="time", event="cens", covariates=["x"])
    bh = optimize.minimize_scalar(
        lambda b: -sim_pl(b), bounds=(-5, 10), method="bounded", options={"xatol": 1e-12}
    ).x
    assert fit.coef[0] == pytest.approx(bh, abs=1e-6)
    q = stats.chi2.ppf(0.95, 1)
    lo = optimize.brentq(lambda b: 2 * (sim_pl(bh) - sim_pl(b)) - q, -20, bh)
    hi = optimize.brentq(lambda b: 2 * (sim_pl(bh) - sim_pl(b)) - q, bh, 30)
    assert np.log(fit.ci_lower[0]) == pytest.approx(lo, abs=1e-6)
    assert np.log(fit.ci_upper[0]) == pytest.approx(hi, abs=1e-6)
    assert fit.loglik[0] == pytest.approx(sim_pl(0.0), abs=1e-10)
    assert fit.loglik[1] == pytest.approx(sim_pl(bh), abs=1e-10)
    assert fit.chisq[0] == pytest.approx(2 * (sim_pl(bh) - sim_pl(0.0)), abs=1e-8)
    assert fit.lr_test[0] == pytest.approx(fit.chisq[0], abs=1e-8)


def subgroup(seed: int = 2, n: int = 50) -> dict:
    """Two arms; no events at all in arm 1 (monotone likelihood for the arm effect)."""
    rng = np.random.default_rng(seed)
    arm = (np.arange(n) % 2).astype(float)
    age = rng.normal(60, 10, n)
    time = rng.exponential(10, n)
    event = ((rng.random(n) < 0.8) & (arm == 0)).astype(int)
    return {"time": time, "event": event, "arm": arm, "age": (age - 60) / 10}


def numerical_penalised(data: dict, beta: np.ndarray) -> float:
    """l(beta) + 0.5 log det I(beta) from the (R-verified) Breslow likelihood, no Firth code."""
    x = np.column_stack([data["arm"], data["age"]])
    x = x - x.mean(axis=0)
    ev = np.asarray(data["event"]) == 1
    rs = build_risk_sets(x, np.asarray(data["time"]), ev, np.ones(len(ev)),
                         np.zeros(len(ev), dtype=np.int64))
    lk, _, imat = loglik_derivs(rs, beta, "breslow")
    return lk + 0.5 * np.linalg.slogdet(imat)[1]


def test_no_events_in_one_arm_gives_finite_hr_and_ci() -> None:
    d = subgroup()
    with pytest.warns(StatisticalWarning, match="monotone likelihood"):
        plain = cox_ph(d, duration="time", event="event", covariates=["arm", "age"],
                       ties="breslow")
    assert plain.monotone_likelihood
    fit = firth_cox(d, duration="time", event="event", covariates=["arm", "age"])
    assert np.all(np.isfinite(fit.coef))
    assert np.all(np.isfinite(fit.ci_lower))
    assert np.all(np.isfinite(fit.ci_upper))
    assert fit.hazard_ratio[0] < 0.1
    assert fit.ci_lower[0] < fit.hazard_ratio[0] < fit.ci_upper[0]


def test_estimate_solves_modified_score_numerically() -> None:
    """The gradient of l + 0.5 log|I| (central differences) is 0 at the Firth estimate."""
    d = subgroup()
    fit = firth_cox(d, duration="time", event="event", covariates=["arm", "age"])
    h = 1e-5
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        grad = (numerical_penalised(d, fit.coef + e) - numerical_penalised(d, fit.coef - e)) / (
            2 * h
        )
        assert abs(grad) < 1e-4
    assert fit.loglik[1] == pytest.approx(numerical_penalised(d, fit.coef), abs=1e-10)


def test_profile_bounds_and_lr_pvalues_are_consistent() -> None:
    """At each CI bound the profile penalised LR statistic equals the chi-square quantile."""
    d = subgroup()
    fit = firth_cox(d, duration="time", event="event", covariates=["arm", "age"],
                    conf_level=0.9)
    q = stats.chi2.ppf(0.9, 1)
    for k in range(2):
        other = 1 - k
        for bound in (np.log(fit.ci_lower[k]), np.log(fit.ci_upper[k])):
            def neg(b_other: float, bound: float = bound, k: int = k, other: int = other) -> float:
                beta = np.zeros(2)
                beta[k], beta[other] = bound, b_other
                return -numerical_penalised(d, beta)

            prof = -optimize.minimize_scalar(neg, bounds=(-10, 10), method="bounded",
                                             options={"xatol": 1e-10}).fun
            assert 2 * (fit.loglik[1] - prof) == pytest.approx(q, abs=1e-5)
    assert np.all((fit.p_value > 0) & (fit.p_value <= 1))


def test_firth_close_to_cox_on_large_regular_data() -> None:
    """The penalty is O(1) while the loglik is O(n): estimates agree closely on large data."""
    rng = np.random.default_rng(4)
    n = 400
    a = rng.normal(size=n)
    t = rng.exponential(np.exp(-0.5 * a))
    d = {"t": t, "e": np.ones(n, dtype=int), "a": a}
    f = firth_cox(d, duration="t", event="e", covariates=["a"])
    c = cox_ph(d, duration="t", event="e", covariates=["a"], ties="breslow")
    assert f.coef[0] == pytest.approx(c.coef[0], abs=0.02)


def test_errors_and_ard() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        firth_cox({"t": [1.0, 2], "e": [0, 0], "x": [0.0, 1]}, duration="t", event="e",
                  covariates=["x"])
    with pytest.raises(ValueError, match="conf_level"):
        firth_cox(SIM, duration="time", event="cens", covariates=["x"], conf_level=0)
    fit = firth_cox(SIM, duration="time", event="cens", covariates=["x"])
    assert fit.to_ard().height == 7 + 5
    assert fit.table.height == 1
