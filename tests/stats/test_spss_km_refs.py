"""SPSS's symmetric median CI against IBM SPSS Statistics 31 output
(tests/reference/spss_km/README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from cnsrwe.stats import _km_core as core
from cnsrwe.stats.kaplan_meier import Quantile, kaplan_meier, median_follow_up

REF = Path(__file__).resolve().parents[1] / "reference" / "spss_km"
DATA = pl.read_csv(REF / "survival_validation.csv")
MEDIANS = pl.read_csv(REF / "spss31_km_expected.csv", schema_overrides={"group": pl.String})
SURVIVAL = pl.read_csv(REF / "spss31_km_survival.csv", schema_overrides={"group": pl.String})
# SPSS's OXML stores 14 significant digits; 1e-10 relative covers that rounding.
RTOL = 1e-10


def subset(group: str) -> pl.DataFrame:
    return DATA if group == "Overall" else DATA.filter(pl.col("sex") == int(group))


def test_data_match_spss_case_summary() -> None:
    assert DATA.height == 72
    assert int(DATA["status"].sum()) == 50
    for g, n, ev in (("1", 36, 21), ("2", 36, 29)):
        sub = subset(g)
        assert sub.height == n
        assert int(sub["status"].sum()) == ev


@pytest.mark.parametrize("group", ["1", "2"])
def test_km_curve_and_greenwood_se_equal_spss(group: str) -> None:
    ref = SURVIVAL.filter(pl.col("group") == group)
    sub = subset(group)
    fit = kaplan_meier(sub["time"], sub["status"], conf_type="plain")
    got = fit.table.filter(pl.col("n_event") > 0)
    np.testing.assert_array_equal(got["time"].to_numpy(), ref["time"].to_numpy())
    np.testing.assert_allclose(got["survival"].to_numpy(), ref["estimate"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(got["std_err"].to_numpy(), ref["std_error"].to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("row", list(MEDIANS.iter_rows(named=True)), ids=lambda r: r["group"])
def test_spss_median_se_and_symmetric_ci(row: dict) -> None:
    sub = subset(row["group"])
    fit = kaplan_meier(sub["time"], sub["status"], median_ci_method="spss")
    q = fit.quantile(0.5)
    assert isinstance(q, Quantile)
    assert q.estimate == row["estimate"]
    assert q.std_err == pytest.approx(row["std_error"], rel=RTOL)
    assert q.lower == pytest.approx(row["lower"], rel=RTOL)
    assert q.upper == pytest.approx(row["upper"], rel=RTOL)
    assert fit.median_ci == (q.lower, q.upper)


def test_spss_rule_uses_event_times_only() -> None:
    """Overall: a censoring at 297 (S = 0.5506 there) must not be taken as the 55% point;
    using it would move the SE away from SPSS's 27.277143171126."""
    fit = kaplan_meier(DATA["time"], DATA["status"], median_ci_method="spss")
    tab = fit.table
    s297 = tab.filter(pl.col("time") == 297)
    assert s297["n_event"][0] == 0
    assert s297["survival"][0] >= 0.55
    q = fit.quantile(0.5)
    assert isinstance(q, Quantile)
    assert q.std_err == pytest.approx(27.277143171126, rel=RTOL)


def test_paper_scale_sanity() -> None:
    """The 2022 study prints SPSS medians with symmetric limits (e.g. 33.0, 15.8-50.2): the
    interval is estimate -/+ 1.96 se, so its half-widths are equal; same here."""
    fit = kaplan_meier(DATA["time"], DATA["status"], median_ci_method="spss")
    q = fit.quantile(0.5)
    assert isinstance(q, Quantile)
    assert q.lower is not None
    assert q.upper is not None
    assert q.estimate is not None
    assert q.std_err is not None
    assert q.upper - q.estimate == pytest.approx(q.estimate - q.lower, rel=1e-12)
    # SPSS multiplies by 1.96, not by qnorm(0.975) = 1.959964 (that would miss its printed
    # limits by 1e-3)
    assert (q.upper - q.lower) / 2 == pytest.approx(1.96 * q.std_err, rel=1e-12)


def test_other_levels_and_percentiles() -> None:
    sub = subset("1")
    f95 = kaplan_meier(sub["time"], sub["status"], median_ci_method="spss")
    f90 = kaplan_meier(sub["time"], sub["status"], median_ci_method="spss", conf_level=0.9)
    q95, q90 = f95.quantile(0.5), f90.quantile(0.5)
    assert isinstance(q95, Quantile)
    assert isinstance(q90, Quantile)
    assert q90.std_err == q95.std_err
    assert q90.upper is not None
    assert q95.upper is not None
    ratio = (q90.upper - 353) / (q95.upper - 353)
    assert ratio == pytest.approx(stats.norm.ppf(0.95) / 1.96, rel=1e-12)
    # 25th percentile (S <= 0.75 first at 205): u = max event time with S >= 0.80 (131,
    # S = 0.823), l = min event time with S <= 0.70 (223, S = 0.686), computed by hand from
    # SPSS's own survival table: se = se(S(205)) / ((S(131) - S(223)) / (223 - 131))
    q25 = f95.quantile(0.25)
    assert isinstance(q25, Quantile)
    ref = SURVIVAL.filter(pl.col("group") == "1")
    s = dict(zip(ref["time"].to_list(), ref["estimate"].to_list(), strict=True))
    se = dict(zip(ref["time"].to_list(), ref["std_error"].to_list(), strict=True))
    expected = se[205] / ((s[131] - s[223]) / (223 - 131))
    assert q25.estimate == 205
    assert q25.std_err == pytest.approx(expected, rel=RTOL)


def test_not_estimable_cases_give_none() -> None:
    # median not reached
    fit = kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0], median_ci_method="spss")
    q = fit.quantile(0.5)
    assert isinstance(q, Quantile)
    assert (q.estimate, q.std_err, q.lower, q.upper) == (None, None, None, None)
    # first event already takes S below 0.55: no upper density point
    fit = kaplan_meier([1, 1, 1, 2, 3], [1, 1, 1, 1, 0], median_ci_method="spss")
    q = fit.quantile(0.5)
    assert isinstance(q, Quantile)
    assert q.estimate == 1.0
    assert q.std_err is None
    assert q.lower is None
    # the core rule directly: no event at all
    out = core.spss_percentile_se(np.array([1.0]), np.array([0.0]), np.array([1.0]),
                                  np.array([0.0]), np.array([0.5]), 1e-8)
    assert np.isnan(out).all()


def test_default_r_rule_unchanged_and_ard_rows() -> None:
    sub = subset("1")
    r_fit = kaplan_meier(sub["time"], sub["status"], conf_type="log")
    assert r_fit.quantile(0.5) == Quantile(0.5, 353.0, 315.0, 481.0)  # survival's limits
    spss = kaplan_meier(sub["time"], sub["status"], median_ci_method="spss")
    ard = spss.to_ard().filter(pl.col("parameter") == "median")
    assert set(ard["statistic"].to_list()) == {"estimate", "lower", "upper", "std_err"}
    assert "SPSS" in spss.method()


def test_follow_up_accepts_spss_and_bad_method_is_rejected() -> None:
    fu = median_follow_up(DATA["time"], DATA["status"], median_ci_method="spss")
    lo, up = fu.median_ci
    assert fu.median is not None
    assert lo is not None
    assert up is not None
    assert up - fu.median == pytest.approx(fu.median - lo)
    with pytest.raises(ValueError, match=r"`median_ci_method` must be one of"):
        kaplan_meier([1, 2], [1, 0], median_ci_method="sas")
