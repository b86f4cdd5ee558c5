"""Random-effects pooling against R metafor outputs (tests/reference/meta/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cnsrwe.evidence.meta import (
    logit_proportions,
    pool_proportions,
    pool_random_effects,
)

REF = Path(__file__).parents[1] / "reference" / "meta"
EXPECTED = json.loads((REF / "expected.json").read_text())
TOL4 = 5e-5  # half a unit of the 4th printed decimal
# metafor's REML Fisher scoring stops once a step changes tau2 by less than 1e-5 (rma.uni
# control `threshold`), so its printed tau2-dependent numbers may sit up to ~1e-5 in tau2 away
# from the exact root solved here. Where a printed number is that sensitive, the tolerance adds
# the effect of a 1e-5 shift of tau2 (computed, not guessed).
METAFOR_REML_THRESHOLD = 1e-5


def _sensitivity(fun, tau2: float) -> float:
    """Change of ``fun(tau2)`` for a tau2 shift of the metafor convergence threshold."""
    return abs(fun(tau2 + METAFOR_REML_THRESHOLD) - fun(tau2))


def _raudenbush() -> pl.DataFrame:
    return pl.read_csv(REF / "raudenbush1985.csv")


def test_pritz1997_logit_reml_matches_metafor() -> None:
    exp = EXPECTED["pritz1997_plo_reml_z"]
    d = pl.read_csv(REF / "pritz1997.csv")
    res = pool_proportions(d["xi"].to_numpy(), d["ni"].to_numpy(), method="REML", test="z")
    got = [res.estimate, res.lower, res.upper, res.pi_lower, res.pi_upper]
    want = [exp["pred"], exp["ci_lb"], exp["ci_ub"], exp["pi_lb"], exp["pi_ub"]]
    assert got == pytest.approx(want, abs=TOL4)


def test_raudenbush_reml_print_matches_metafor() -> None:
    exp = EXPECTED["raudenbush1985_reml"]
    d = _raudenbush()
    res = pool_random_effects(d["yi"], d["vi"], method="REML")
    assert res.tau2 == pytest.approx(exp["tau2"], abs=TOL4)
    assert res.tau == pytest.approx(exp["tau"], abs=TOL4)
    s2 = res.tau2 * (1 - res.i2) / res.i2  # typical within-study variance
    slack = _sensitivity(lambda t: 100 * t / (t + s2), res.tau2)
    assert 100 * res.i2 == pytest.approx(exp["i2_percent"], abs=0.005 + slack)
    assert res.h2 == pytest.approx(exp["h2"], abs=0.005)
    assert res.q == pytest.approx(exp["q"], abs=TOL4)
    assert res.q_p_value == pytest.approx(exp["q_p"], abs=TOL4)
    assert res.estimate / res.se == pytest.approx(exp["z"], abs=TOL4)
    got = [res.estimate, res.se, res.lower, res.upper]
    assert got == pytest.approx([exp["estimate"], exp["se"], exp["ci_lb"], exp["ci_ub"]], abs=TOL4)


@pytest.mark.parametrize("test", ["z", "knha"])
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_raudenbush_table_16_3(method: str, test: str) -> None:
    exp = EXPECTED["raudenbush1985_table16_3"][test][method]
    d = _raudenbush()
    res = pool_random_effects(d["yi"], d["vi"], method=method, test=test)  # type: ignore[arg-type]
    got = [res.tau2, res.estimate, res.se, res.lower, res.upper]
    want = [exp["tau2"], exp["mu"], exp["se"], exp["ci_lb"], exp["ci_ub"]]
    assert got == pytest.approx(want, abs=TOL4)
    y, v = d["yi"].to_numpy(), d["vi"].to_numpy()

    def z_at(tau2: float) -> float:
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        if test == "knha":
            return mu / np.sqrt(np.sum(w * (y - mu) ** 2) / ((y.size - 1) * np.sum(w)))
        return mu * np.sqrt(np.sum(w))

    assert z_at(res.tau2) == pytest.approx(res.estimate / res.se, abs=1e-12)
    slack = _sensitivity(z_at, res.tau2) if method == "REML" else 0.0
    assert res.estimate / res.se == pytest.approx(exp["z"], abs=TOL4 + slack)


def test_bcg_log_rr_reml_matches_metafor() -> None:
    exp = EXPECTED["bcg_rr_reml"]
    d = pl.read_csv(REF / "bcg.csv")
    a, b, c, dd = (d[k].to_numpy().astype(float) for k in ("tpos", "tneg", "cpos", "cneg"))
    yi = np.log(a / (a + b)) - np.log(c / (c + dd))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + dd)
    res = pool_random_effects(yi, vi)
    want = [exp["tau2"], exp["tau"], exp["q"]]
    assert [res.tau2, res.tau, res.q] == pytest.approx(want, abs=TOL4)
    assert 100 * res.i2 == pytest.approx(exp["i2_percent"], abs=0.005)
    assert res.h2 == pytest.approx(exp["h2"], abs=0.005)
    got = [res.estimate, res.se, res.lower, res.upper]
    assert got == pytest.approx([exp["estimate"], exp["se"], exp["ci_lb"], exp["ci_ub"]], abs=TOL4)
    pi = np.exp([res.pi_lower, res.pi_upper])
    assert pi.tolist() == pytest.approx([exp["exp_pi_lb"], exp["exp_pi_ub"]], abs=TOL4)


@pytest.mark.parametrize("method", ["PM", "DL", "REML"])
def test_clasp_tau_estimators(method: str) -> None:
    exp = EXPECTED["clasp_or"]
    data = {k: np.asarray(v, dtype=float) for k, v in exp["data"].items()}
    ai, ci, n1i, n2i = data["ai"], data["ci"], data["n1i"], data["n2i"]
    yi = np.log(ai * (n2i - ci) / ((n1i - ai) * ci))
    vi = 1 / ai + 1 / (n1i - ai) + 1 / ci + 1 / (n2i - ci)
    res = pool_random_effects(yi, vi, method=method)  # type: ignore[arg-type]
    want = exp[method]
    got = [res.tau, res.estimate, res.se]
    assert got == pytest.approx([want["tau"], want["mu"], want["se"]], abs=TOL4)


@pytest.mark.parametrize(
    ("arm", "events", "totals"), [("control", "ci", "n2i"), ("treated", "ai", "n1i")]
)
def test_nielweise_logit_reml_with_zero_cells(arm: str, events: str, totals: str) -> None:
    exp = EXPECTED["nielweise2007_plo_reml"][arm]
    d = pl.read_csv(REF / "nielweise2007.csv")
    res = pool_proportions(d[events].to_numpy(), d[totals].to_numpy(), test="z")
    got = [res.logit.estimate, res.logit.se, res.logit.tau2, res.estimate, res.lower, res.upper]
    want = [exp["coef"], exp["se"], exp["tau2"], exp["pred"], exp["ci_lb"], exp["ci_ub"]]
    assert got == pytest.approx(want, abs=TOL4)


def test_dl_i2_equals_q_based_i2() -> None:
    d = _raudenbush()
    res = pool_random_effects(d["yi"], d["vi"], method="DL")
    assert res.i2 == pytest.approx(res.i2_q, abs=1e-12)


def test_homogeneous_studies_give_zero_tau2_for_every_method() -> None:
    for method in ("DL", "REML", "PM"):
        res = pool_random_effects([0.1, 0.1, 0.1], [0.02, 0.03, 0.05], method=method)
        assert res.tau2 == 0.0
        assert res.i2 == 0.0


def test_logit_correction_only_for_zero_or_all_events() -> None:
    y, v = logit_proportions([0, 3, 5], [5, 6, 5])
    assert y.tolist() == pytest.approx([np.log(0.5 / 5.5), 0.0, np.log(5.5 / 0.5)])
    assert v[1] == pytest.approx(1 / 3 + 1 / 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"yi": [0.1], "vi": [0.1]}, "at least 2"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.0]}, "`vi` must be > 0"),
        ({"yi": [0.1, 0.2], "vi": [0.1]}, "equal length"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "HS"}, "`method`"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "conf_level": 1.5}, "`conf_level`"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pool_random_effects(**kwargs)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="`events` must be whole numbers"):
        logit_proportions([4, 7], [5, 6])


def test_to_ard_has_one_row_per_statistic() -> None:
    res = pool_proportions([3, 5, 9], [10, 12, 11])
    ard = res.to_ard(group="trials")
    assert set(ard["statistic"]) >= {"estimate", "lower", "upper", "tau2", "i2", "q"}
    assert ard.filter(pl.col("statistic") == "estimate")["value"][0] == pytest.approx(res.estimate)
