"""Competing risks (EP-18) and reverse-KM follow-up (EP-19), hand-computed in endpoints.md
section 8, plus the ADTTE -> analysis path."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cnsrwe.endpoints.competing import cns_progression_competing
from cnsrwe.endpoints.followup import follow_up
from cnsrwe.stats import kaplan_meier


def test_ep18_aalen_johansen_vs_naive_km():
    # A: d2 death (cause 3); B: d4 CNS PD; C: d5 censored; D: d6 CNS PD
    data = pl.DataFrame({"aval_months": [2.0, 4.0, 5.0, 6.0], "cause": [3, 1, 0, 1]})
    res = cns_progression_competing(data, times_months=[4.0, 6.0])
    at = res.cif.at([4.0, 6.0]).filter(pl.col("cause") == 1)
    # hand: S = 3/4 after d2; + 3/4 * 1/3 = 0.25 at d4; S = 1/2; + 1/2 * 1/1 at d6
    assert at["estimate"].to_list() == pytest.approx([0.25, 0.75], abs=1e-12)
    naive = kaplan_meier(data["aval_months"], (data["cause"] == 1).cast(int))
    assert 1 - naive.survival_at(6.0)["survival"].item() == pytest.approx(1.0, abs=1e-12)
    assert res.gray is None
    ard = res.to_ard()
    assert ard.filter((pl.col("parameter") == "cause 1 at 6")
                      & (pl.col("statistic") == "estimate"))["value"].item() == pytest.approx(0.75)


def test_groups_gray_and_cause_specific_hr():
    rng = np.random.default_rng(7)
    n = 60
    grp = np.repeat(["a", "b"], n // 2)
    t = np.round(rng.exponential(np.where(grp == "a", 10.0, 20.0)), 2) + 0.01
    cause = rng.choice([0, 1, 1, 3], size=n)
    data = pl.DataFrame({"aval_months": t, "cause": cause, "cohort": grp})
    res = cns_progression_competing(data, by="cohort")
    assert res.gray is not None
    assert res.gray.groups == ("a", "b")
    # the cause-specific HR is the Cox fit with causes 2/3 recoded as censored
    from cnsrwe.stats import cox_ph

    direct = cox_ph(pl.DataFrame({"t": t, "e": (cause == 1).astype(float),
                                  "b": (grp == "b").astype(float)}),
                    duration="t", event="e", covariates=["b"])
    assert res.cause_specific_hr["hazard_ratio"].item() == pytest.approx(
        float(direct.hazard_ratio[0]), rel=1e-12)
    ard = res.to_ard()
    assert set(ard["analysis"].unique()) >= {"cumulative_incidence", "cause_specific_cox"}


def test_ep19_reverse_km_median_follow_up():
    # (6, died), (8, died), (12, alive), (18, alive), (30, alive)
    data = pl.DataFrame({"aval_months": [6.0, 8.0, 12.0, 18.0, 30.0], "cnsr": [0, 0, 1, 1, 1],
                         "cohort": ["x"] * 5})
    res = follow_up(data, by="cohort")
    tab = res.table()
    # hand: deaths are censorings; d12: 3 at risk -> 2/3; d18: 2 at risk -> 1/3 <= 0.5
    assert tab["median"].item() == 18.0
    assert tab["crude_median"].item() == 12.0
    ard = res.to_ard()
    groups = ard.filter(pl.col("parameter") == "median_follow_up")["group"].unique()
    assert groups.to_list() == ["x"]


def test_bad_input():
    with pytest.raises(ValueError, match="`dataset` must have column 'cause'"):
        cns_progression_competing(pl.DataFrame({"aval_months": [1.0]}))
    with pytest.raises(ValueError, match="must hold one endpoint"):
        cns_progression_competing(pl.DataFrame({"aval_months": [1.0, 2.0], "cause": [1, 0],
                                                "paramcd": ["OS", "PFS"]}))
    with pytest.raises(ValueError, match="`dataset` must have column 'cnsr'"):
        follow_up(pl.DataFrame({"aval_months": [1.0]}))
