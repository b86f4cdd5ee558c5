"""Edge cases, input errors and independent brute-force checks for cox_ph and concordance."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsrwe.errors import StatisticalWarning
from cnsrwe.stats.concordance import compute_concordance
from cnsrwe.stats.cox import cox_ph
from cnsrwe.stats.cox_fit import build_risk_sets, loglik_derivs


def small(seed: int = 0, n: int = 40) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "t": rng.integers(1, 8, n).astype(float),
        "e": (rng.random(n) < 0.7).astype(int),
        "a": rng.normal(size=n),
        "b": rng.integers(0, 2, n).astype(float),
    }


def test_no_events_is_an_error() -> None:
    d = small()
    d["e"] = np.zeros_like(d["e"])
    with pytest.raises(ValueError, match="at least one event, got 0 events"):
        cox_ph(d, duration="t", event="e", covariates=["a"])


def test_nan_names_column_and_row() -> None:
    d = small()
    d["a"] = d["a"].copy()
    d["a"][5] = np.nan
    with pytest.raises(ValueError, match=r"column 'a' \(`covariates`\).*at row 5"):
        cox_ph(d, duration="t", event="e", covariates=["a"])


def test_collinear_and_constant_covariates() -> None:
    d = small()
    d["c"] = 2 * d["a"] - d["b"]
    with pytest.raises(ValueError, match="'c' is collinear"):
        cox_ph(d, duration="t", event="e", covariates=["a", "b", "c"])
    d["k"] = np.ones(40)
    with pytest.raises(ValueError, match="'k' is constant"):
        cox_ph(d, duration="t", event="e", covariates=["k"])


def test_single_subject_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="is constant"):
        cox_ph({"t": [3.0], "e": [1], "a": [1.0]}, duration="t", event="e", covariates=["a"])


def test_bad_arguments() -> None:
    d = small()
    with pytest.raises(ValueError, match="`ties` must be one of"):
        cox_ph(d, duration="t", event="e", covariates=["a"], ties="discrete")
    with pytest.raises(ValueError, match=r"`conf_level` must be in \(0, 1\), got 1.5"):
        cox_ph(d, duration="t", event="e", covariates=["a"], conf_level=1.5)
    with pytest.raises(ValueError, match="not in `data`"):
        cox_ph(d, duration="t", event="e", covariates=["zz"])
    with pytest.raises(ValueError, match="must be 0/1"):
        cox_ph({**d, "e": d["e"] * 2}, duration="t", event="e", covariates=["a"])
    with pytest.raises(ValueError, match="must be > 0"):
        cox_ph({**d, "w": np.zeros(40)}, duration="t", event="e", covariates=["a"], weights="w")


def test_polars_pandas_dict_agree_and_input_not_modified() -> None:
    d = small()
    before = {k: v.copy() for k, v in d.items()}
    a = cox_ph(d, duration="t", event="e", covariates=["a", "b"])
    b = cox_ph(pl.DataFrame(d), duration="t", event="e", covariates=["a", "b"])
    c = cox_ph(pd.DataFrame(d), duration="t", event="e", covariates=["a", "b"])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-13)
    np.testing.assert_allclose(a.coef, c.coef, rtol=1e-13)
    for k in d:
        np.testing.assert_array_equal(d[k], before[k])


def test_time_zero_events_and_time_shift_invariance() -> None:
    d = small()
    d["t"] = d["t"] - 1.0  # some events at time 0
    assert np.any((d["t"] == 0) & (d["e"] == 1))
    a = cox_ph(d, duration="t", event="e", covariates=["a", "b"])
    b = cox_ph({**d, "t": d["t"] + 10}, duration="t", event="e", covariates=["a", "b"])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)


def test_non_integer_weights_scale_invariance() -> None:
    d = small()
    rng = np.random.default_rng(3)
    d["w"] = rng.uniform(0.2, 3.0, 40)
    a = cox_ph(d, duration="t", event="e", covariates=["a", "b"], weights="w")
    b = cox_ph({**d, "w": d["w"] * 7.3}, duration="t", event="e", covariates=["a", "b"],
               weights="w")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9)
    np.testing.assert_allclose(a.se**2, 7.3 * b.se**2, rtol=1e-8)


def test_ties_everywhere_exact_equals_brute_force_conditional_logistic() -> None:
    """Exact partial likelihood = sum over events of log P(observed death set | risk set)."""
    d = small(seed=5, n=14)
    beta = np.array([0.7, -0.4])
    x = np.column_stack([d["a"], d["b"]])
    ev = d["e"] == 1
    rs = build_risk_sets(x, d["t"], ev, np.ones(14), np.zeros(14, dtype=np.int64))
    lk, _, _ = loglik_derivs(rs, beta, "exact")
    eta = x @ beta
    brute = 0.0
    for t in np.unique(d["t"][ev]):
        risk = np.flatnonzero(d["t"] >= t)
        dead = np.flatnonzero((d["t"] == t) & ev)
        denom = sum(np.exp(eta[list(s)].sum()) for s in itertools.combinations(risk, len(dead)))
        brute += eta[dead].sum() - np.log(denom)
    assert lk == pytest.approx(brute, rel=1e-12)
    # and the exact fit converges with finite results
    fit = cox_ph(d, duration="t", event="e", covariates=["a", "b"], ties="exact")
    assert fit.converged
    assert np.all(np.isfinite(fit.se))


def test_all_tied_same_time() -> None:
    d = small(n=20)
    d["t"] = np.ones(20)
    for ties in ("efron", "breslow", "exact"):
        fit = cox_ph(d, duration="t", event="e", covariates=["a"], ties=ties)
        assert np.isfinite(fit.coef[0])


def test_monotone_likelihood_warns_and_flags() -> None:
    d = {"t": [1.0, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 1, 0, 0, 0, 0],
         "g": [1.0, 1, 1, 1, 0, 0, 0, 0]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cox_ph(d, duration="t", event="e", covariates=["g"])
    assert fit.monotone_likelihood
    msgs = [str(w.message) for w in caught if issubclass(w.category, StatisticalWarning)]
    assert any("monotone likelihood" in m and "firth_cox" in m for m in msgs)
    assert len(msgs) == len(caught)  # nothing else (no overflow RuntimeWarning)


def test_regular_fit_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = cox_ph(small(), duration="t", event="e", covariates=["a", "b"])
    assert not fit.monotone_likelihood
    assert fit.converged


def test_table_and_ard() -> None:
    fit = cox_ph(small(), duration="t", event="e", covariates=["a", "b"], robust=True)
    assert fit.table.columns[:4] == ["covariate", "coef", "hazard_ratio", "se"]
    assert "robust_se" in fit.table.columns
    ard = fit.to_ard()
    row = ard.filter((pl.col("parameter") == "b") & (pl.col("statistic") == "hazard_ratio"))
    assert row["value"][0] == pytest.approx(fit.hazard_ratio[1])
    assert set(ard["analysis"]) == {"cox_ph"}


def naive_concordance(lp, stop, event, w, strata, start):
    n = len(lp)
    c = d = tx = 0.0
    infl = np.zeros((n, 3))
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i or strata[j] != strata[i]:
                continue
            at_risk = (stop[j] > stop[i] or (stop[j] == stop[i] and not event[j])) and (
                start[j] < stop[i]
            )
            if not at_risk:
                continue
            k = 0 if lp[i] > lp[j] else (1 if lp[i] < lp[j] else 2)
            ww = w[i] * w[j]
            if k == 0:
                c += ww
            elif k == 1:
                d += ww
            else:
                tx += ww
            infl[i, k] += w[j]
            infl[j, k] += w[i]
    npair = c + d + tx
    if npair == 0:
        return np.nan, np.nan, c, d, tx
    somer = (c - d) / npair
    dfb = w * ((infl[:, 0] - infl[:, 1]) - infl.sum(axis=1) * somer) / (2 * npair)
    return (somer + 1) / 2, np.sqrt(np.sum(dfb**2)), c, d, tx


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), counting=st.booleans(), strat=st.booleans())
def test_concordance_matches_brute_force(seed: int, counting: bool, strat: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    stop = rng.integers(1, 6, n).astype(float)
    start = stop - rng.integers(1, 4, n) if counting else np.full(n, -np.inf)
    event = rng.random(n) < 0.6
    lp = rng.integers(0, 4, n).astype(float) * 0.5
    w = rng.uniform(0.5, 2.0, n)
    strata = rng.integers(0, 2 if strat else 1, n).astype(np.int64)
    ref = naive_concordance(lp, stop, event, w, strata, start)
    got = compute_concordance(lp, stop, event, w, strata, start if counting else None)
    if not ref[2] + ref[3] + ref[4] > 0:
        return
    assert got.concordant == pytest.approx(ref[2])
    assert got.discordant == pytest.approx(ref[3])
    assert got.tied_x == pytest.approx(ref[4])
    assert got.concordance == pytest.approx(ref[0])
    assert got.std_err == pytest.approx(ref[1], rel=1e-9, abs=1e-12)
