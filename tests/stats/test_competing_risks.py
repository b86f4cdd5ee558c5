"""Aalen-Johansen, Gray's test and Fine-Gray against cmprsk's recorded test output."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cnsrwe.errors import ConvergenceError
from cnsrwe.stats.competing_risks import cumulative_incidence, fine_gray, gray_test

REF = Path(__file__).parents[1] / "reference" / "cmprsk"
EXPECTED = json.loads((REF / "test_Rout_expected.json").read_text())
DATA = pl.read_csv(REF / "test_R_data.csv")


def _half_unit(printed: float, sig: int) -> float:
    return 0.5 * 10 ** (math.floor(math.log10(abs(printed))) - sig + 1)


def test_committed_data_equal_the_regenerated_r_stream() -> None:
    spec = importlib.util.spec_from_file_location("r_rng", REF / "r_rng.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    d = mod.cmprsk_test_data()
    np.testing.assert_allclose(d["ss"], DATA["ss"].to_numpy(), rtol=1e-14)
    np.testing.assert_array_equal(d["cc"], DATA["cc"].to_numpy())
    np.testing.assert_allclose(d["dd_ss"], DATA["dd_ss"].to_numpy(), rtol=1e-14)
    np.testing.assert_array_equal(d["cv"], DATA.select("cv1", "cv2", "cv3").to_numpy())


@pytest.mark.parametrize("name", ["cuminc_dd_gg_strt", "cuminc_ss", "cuminc_ss_gg_strt"])
def test_cuminc_estimates_and_variances_match_cmprsk(name: str) -> None:
    ref = EXPECTED[name]
    group = None if ref["group"] is None else DATA[ref["group"]]
    res = cumulative_incidence(DATA[ref["time"]], DATA["cc"], group=group)
    at = res.at(ref["times"])
    checked = 0
    for key, est in ref["est"].items():
        g, cause = key.rsplit(" ", 1)
        rows = at.filter((pl.col("group") == g.strip()) & (pl.col("cause") == int(cause)))
        for i, (e_ref, v_ref) in enumerate(zip(est, ref["var"][key], strict=True)):
            if e_ref is None:
                assert rows["estimate"][i] is None
                continue
            assert rows["estimate"][i] == pytest.approx(e_ref, abs=_half_unit(e_ref, 7))
            assert rows["variance"][i] == pytest.approx(v_ref, abs=_half_unit(v_ref, 7))
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("name", ["cuminc_dd_gg_strt", "cuminc_ss_gg_strt"])
def test_gray_stratified_matches_cmprsk(name: str) -> None:
    ref = EXPECTED[name]
    for cause, (stat, pv, df) in ref["tests"].items():
        res = gray_test(
            DATA[ref["time"]], DATA["cc"], DATA["gg"], cause=int(cause), strata=DATA["strt"]
        )
        assert res.statistic == pytest.approx(stat, abs=_half_unit(stat, 7))
        assert res.p_value == pytest.approx(pv, abs=_half_unit(pv, 7))
        assert res.df == df


def test_gray_two_groups_matches_cmprsk() -> None:
    ref = EXPECTED["gray_ss_gg_not_b"]
    sub = DATA.filter(pl.col("gg") != "b")
    for cause, (stat, pv, df) in ref["tests"].items():
        res = gray_test(sub["ss"], sub["cc"], sub["gg"], cause=int(cause), strata=sub["strt"])
        assert res.statistic == pytest.approx(stat, abs=5e-8)  # R printed 7 decimals
        assert res.p_value == pytest.approx(pv, abs=_half_unit(pv, 7))
        assert res.df == df


@pytest.mark.parametrize("name", ["crr_cv", "crr_cv1"])
def test_fine_gray_matches_crr(name: str) -> None:
    ref = EXPECTED[name]
    data = DATA.filter(~pl.col("cv1").is_nan())  # crr's na.omit of the three NA rows
    res = fine_gray(data, duration="ss", event="cc", covariates=ref["covariates"])
    assert res.n == 97
    for i in range(len(ref["covariates"])):
        assert res.coef[i] == pytest.approx(ref["coef"][i], abs=_half_unit(ref["coef"][i], 4))
        assert res.se[i] == pytest.approx(ref["se"][i], abs=_half_unit(ref["se"][i], 4))
        assert res.p_value[i] == pytest.approx(ref["p_value"][i], abs=0.005)
    assert res.hr == pytest.approx(np.exp(res.coef))
    assert res.table.height == len(ref["covariates"])
    assert set(res.to_ard()["statistic"]) == {"coef", "se", "hr", "lower", "upper", "p_value"}


# ------------------------------------------------------------------ hand-checked small cases


def test_aalen_johansen_by_hand_with_ties_and_time_zero() -> None:
    # t: 0(c1) 1(c1) 2(c2) 2(c1) 2(cens) 3(c1) 5(cens); n = 7
    time = [0, 1, 2, 2, 2, 3, 5]
    event = [1, 1, 2, 1, 0, 1, 0]
    res = cumulative_incidence(time, event)
    c1 = res.table.filter(pl.col("cause") == 1)
    # S(t-) and F1 by hand: t=0: 1*1/7; t=1: S=6/7, +6/7*1/6; t=2: S=5/7, n=5, +5/7*1/5;
    # S after 2 = 5/7*3/5 = 3/7; t=3: n=2, +3/7*1/2
    expected = np.cumsum([1 / 7, 1 / 7, 1 / 7, 3 / 14])
    np.testing.assert_allclose(c1["estimate"].to_numpy(), expected, rtol=1e-14)
    c2 = res.table.filter(pl.col("cause") == 2)
    np.testing.assert_allclose(c2["estimate"].to_numpy(), [1 / 7], rtol=1e-14)
    # at(): right-continuous, None after the largest follow-up time (cmprsk::timepoints)
    at = res.at([2, 4.9, 5, 6]).filter(pl.col("cause") == 1)
    assert at["estimate"].to_list()[:3] == pytest.approx([3 / 7, 3 / 7 + 3 / 14, 3 / 7 + 3 / 14])
    assert at["estimate"][3] is None
    # cmprsk's variance after the first jump, by hand from cinc's sums: with S(t-) = 1, n = 7,
    # d = 1, S(t) = 6/7, F = 1/7: t6 = 1/49, t3 = 7/6, t4 = 1 + t3 F = 7/6, so
    # v1 = v2 = v3 = 1/36 and var = v1 + F^2 v3 - 2 F v2 = (1 + 1/49 - 2/7) / 36 = 1/49
    assert c1["variance"][0] == pytest.approx(1 / 49, rel=1e-12)


def test_single_event_and_all_censored() -> None:
    one = cumulative_incidence([4.0], [1])
    assert one.table["estimate"].to_list() == [1.0]
    # cinc with n = 1: the KM drops to 0, so t3 = 0, t4 = 1, t6 = 1 and var = v1 = 1
    assert one.table["variance"].to_list() == [1.0]
    assert one.table["lower"].to_list() == [1.0]
    none = cumulative_incidence([1, 2, 3], [0, 0, 0])
    assert none.table.height == 0
    assert none.causes == ()


def test_group_without_events_has_zero_curve() -> None:
    res = cumulative_incidence([1, 2, 3, 4], [1, 0, 0, 0], group=["x", "x", "y", "y"])
    at = res.at([3.5]).filter(pl.col("group") == "y")
    assert at["estimate"].to_list() == [0.0]


def test_confidence_intervals() -> None:
    res = cumulative_incidence(DATA["ss"], DATA["cc"])
    row = res.table.row(10, named=True)
    est, se = row["estimate"], math.sqrt(row["variance"])
    z = 1.959963984540054
    assert row["lower"] == pytest.approx(est ** math.exp(z * se / abs(est * math.log(est))))
    assert row["upper"] == pytest.approx(est ** math.exp(-z * se / abs(est * math.log(est))))
    plain = cumulative_incidence(DATA["ss"], DATA["cc"], conf_type="plain").table.row(
        10, named=True
    )
    assert plain["lower"] == pytest.approx(est - z * se)
    assert (res.table["lower"] <= res.table["estimate"]).all()
    assert (res.table["upper"] >= res.table["estimate"]).all()


def test_cuminc_ard() -> None:
    ard = cumulative_incidence(DATA["ss"], DATA["cc"]).to_ard(times=[1, 2])
    assert ard.height == 2 * 2 * 4
    assert "cause 1 at 1" in set(ard["parameter"])


def test_gray_rho_and_errors() -> None:
    res = gray_test(DATA["ss"], DATA["cc"], DATA["gg"], rho=1.0)
    assert np.isfinite(res.statistic)
    with pytest.raises(ValueError, match="`group` must have at least 2 levels"):
        gray_test([1, 2], [1, 0], ["a", "a"])
    with pytest.raises(ValueError, match="`cause` must be an event code present"):
        gray_test([1, 2], [1, 0], ["a", "b"], cause=3)


@pytest.mark.parametrize(
    ("time", "event", "match"),
    [
        ([1, -2], [1, 0], "`time`"),
        ([1, 2], [1, -1], "`event` must hold whole numbers >= 0"),
        ([1, 2], [1, 0.5], "`event` must hold whole numbers >= 0"),
        ([1, 2], [1], "`event` must have the same length"),
        ([], [], "at least one subject"),
    ],
)
def test_bad_input(time: list, event: list, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cumulative_incidence(time, event)


def test_fine_gray_input_errors() -> None:
    data = DATA.filter(~pl.col("cv1").is_nan())
    with pytest.raises(ValueError, match="must not have missing values"):
        fine_gray(DATA, duration="ss", event="cc", covariates=["cv1"])
    with pytest.raises(ValueError, match="must be numeric"):
        fine_gray(data, duration="ss", event="cc", covariates=["gg"])
    with pytest.raises(ValueError, match="`covariates` must be a non-empty list"):
        fine_gray(data, duration="ss", event="cc", covariates="cv1")
    with pytest.raises(ConvergenceError):
        fine_gray(data, duration="ss", event="cc", covariates=["cv1"], max_iter=0)
