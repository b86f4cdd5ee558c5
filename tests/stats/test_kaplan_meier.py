"""Kaplan-Meier, quantiles, at-risk counts and reverse-KM follow-up against R survival."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cnsrwe.stats.kaplan_meier import (
    KaplanMeierResult,
    Quantile,
    kaplan_meier,
    kaplan_meier_by,
    median_follow_up,
)

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = REF / "datasets"
SURVFIT = REF / "survfit"


def half_unit(printed: str) -> float:
    """Half a unit of the last printed digit of an R number."""
    if "." not in printed:
        return 0.5
    return 0.5 * 10.0 ** (-len(printed.split(".")[1]))


def read_ref(name: str) -> pl.DataFrame:
    return pl.read_csv(SURVFIT / name, infer_schema=False)


def aml() -> pl.DataFrame:
    return pl.read_csv(DATA / "aml.csv")


def lung() -> pl.DataFrame:
    return pl.read_csv(DATA / "lung.csv", null_values="NA").with_columns(
        (pl.col("status") - 1).alias("event")
    )


def assert_printed(actual: float | None, printed: str, what: str) -> None:
    if printed in ("NA", "NaN"):
        assert actual is None or np.isnan(actual), f"{what}: expected {printed}, got {actual}"
        return
    assert actual is not None, f"{what}: expected {printed}, got None"
    assert abs(actual - float(printed)) <= half_unit(printed) + 1e-12, (
        f"{what}: expected {printed}, got {actual}"
    )


def check_rows(actual: pl.DataFrame, ref: pl.DataFrame, cols: list[str], key: str) -> None:
    assert actual.height == ref.height
    for a, r in zip(actual.iter_rows(named=True), ref.iter_rows(named=True), strict=True):
        for c in cols:
            assert_printed(a[c], r[c], f"{key} t={r['time']} {c}")


def test_aml_by_group_log_matches_summary_survfit() -> None:
    ref = read_ref("aml_km_log.csv")
    fit = kaplan_meier_by(aml(), time="time", event="status", group="x", conf_type="log")
    cols = ["time", "n_risk", "n_event", "survival", "std_err", "lower", "upper"]
    for g in ("Maintained", "Nonmaintained"):
        tab = fit.fits[g].table.filter(pl.col("n_event") > 0)
        check_rows(tab, ref.filter(pl.col("group") == g), cols, g)


@pytest.mark.parametrize(
    ("estimator", "ref_name"),
    [("kaplan-meier", "aml_medians.csv"), ("fleming-harrington", "aml_fh_medians.csv")],
)
def test_aml_medians_and_ci(estimator: str, ref_name: str) -> None:
    ref = read_ref(ref_name)
    fit = kaplan_meier_by(
        aml(), time="time", event="status", group="x", conf_type="log", estimator=estimator
    )
    got = fit.medians()
    for a, r in zip(got.iter_rows(named=True), ref.iter_rows(named=True), strict=True):
        assert a["group"] == r["group"]
        assert a["n"] == int(r["n"])
        assert a["events"] == float(r["events"])
        for c in ("median", "lower", "upper"):
            assert_printed(a[c], r[c], f"{r['group']} {c}")


def test_ovarian_table_with_censored_rows() -> None:
    ref = read_ref("ovarian_km_log.csv")
    ov = pl.read_csv(DATA / "ovarian.csv")
    fit = kaplan_meier(ov["futime"], ov["fustat"], conf_type="log")
    check_rows(fit.table, ref, ["time", "n_risk", "n_event", "survival", "std_err", "lower",
                                "upper"], "ovarian")


def test_lung_by_ecog_summary_times() -> None:
    ref = read_ref("lung_ecog_times.csv")
    d = lung().drop_nulls("ph.ecog").with_columns(pl.col("ph.ecog").cast(pl.Int64))
    fit = kaplan_meier_by(d, time="time", event="event", group="ph.ecog", conf_type="log")
    for g, sub in ref.group_by("group", maintain_order=True):
        label = str(g[0])
        times = [float(t) for t in sub["time"]]
        surv = fit.fits[label].survival_at(times)
        risk = fit.fits[label].at_risk(times)
        joined = surv.join(risk, on="time")
        check_rows(joined, sub, ["n_risk", "n_event", "survival", "std_err", "lower", "upper"],
                   f"ecog={label}")


def test_lung_by_ecog_medians() -> None:
    ref = read_ref("lung_ecog_medians.csv")
    d = lung().drop_nulls("ph.ecog").with_columns(pl.col("ph.ecog").cast(pl.Int64))
    med = kaplan_meier_by(d, time="time", event="event", group="ph.ecog",
                          conf_type="log").medians()
    for r in ref.iter_rows(named=True):
        a = med.filter(pl.col("group") == r["group"]).row(0, named=True)
        assert a["n"] == int(r["n"])
        assert a["events"] == float(r["events"])
        for c in ("median", "lower", "upper"):
            assert_printed(a[c], r[c], f"ecog={r['group']} {c}")


def test_lung_fleming_harrington_loglog_90() -> None:
    ref = read_ref("lung_fh_loglog90.csv")
    d = lung()
    fit = kaplan_meier(d["time"], d["event"], estimator="fleming-harrington", conf_level=0.9,
                       conf_type="log-log")
    times = [float(t) for t in ref["time"]]
    joined = fit.survival_at(times).join(fit.at_risk(times), on="time")
    check_rows(joined, ref, ["n_risk", "n_event", "survival", "std_err", "lower", "upper"],
               "lung FH")


def test_quantile_rules_match_r_quantile_test() -> None:
    spec = json.loads((SURVFIT / "quantile_test1.json").read_text())
    data = pl.DataFrame(spec["data"]).drop_nulls("status")
    qq = [Fraction(13, 14), Fraction(6, 7), Fraction(2, 3), Fraction(1, 2), Fraction(9, 35),
          Fraction(1, 10)]
    probs = [float(1 - q) for q in qq]
    fit = kaplan_meier(data["time"], data["status"], conf_type="log")
    got = fit.quantile(probs)
    assert isinstance(got, list)
    assert [q.estimate for q in got] == spec["overall"]["quantile"]
    assert [q.lower for q in got] == spec["overall"]["lower"]
    assert [q.upper for q in got] == spec["overall"]["upper"]
    by = kaplan_meier_by(data, time="time", event="status", group="x", conf_type="log")
    for g in ("0", "1"):
        got = by.fits[g].quantile(probs)
        assert isinstance(got, list)
        assert [q.estimate for q in got] == spec["by_x"][g]["quantile"]
        assert [q.lower for q in got] == spec["by_x"][g]["lower"]
        assert all(q.upper is None for q in got)


def test_conf_types_follow_r_formulas_on_aml() -> None:
    a = aml().filter(pl.col("x") == "Maintained")
    base = kaplan_meier(a["time"], a["status"], conf_type="log").table
    s = base["survival"].to_numpy()
    se_s = base["std_err"].to_numpy()
    z = 1.959963984540054
    plain = kaplan_meier(a["time"], a["status"], conf_type="plain").table
    np.testing.assert_allclose(plain["lower"], np.maximum(s - z * se_s, 0), rtol=1e-12)
    np.testing.assert_allclose(plain["upper"], np.minimum(s + z * se_s, 1), rtol=1e-12)
    ll = kaplan_meier(a["time"], a["status"], conf_type="log-log").table
    se_log = se_s / s
    inner = np.log(-np.log(s[s < 1]))
    shift = z * se_log[s < 1] / np.log(s[s < 1])
    np.testing.assert_allclose(ll["lower"].to_numpy()[s < 1], np.exp(-np.exp(inner - shift)))
    np.testing.assert_allclose(ll["upper"].to_numpy()[s < 1], np.exp(-np.exp(inner + shift)))


def test_default_conf_type_is_log_log() -> None:
    fit = kaplan_meier([1, 2, 3], [1, 0, 1])
    assert fit.conf_type == "log-log"
    assert "log-log CI 95%" in fit.method()


def test_integer_weights_equal_replication_halve_variance() -> None:
    # survival tests/doaml.R: weights=rep(2, 23) gives the same curve, half the variance
    a = aml()
    f1 = kaplan_meier(a["time"], a["status"], conf_type="log")
    f2 = kaplan_meier(a["time"], a["status"], weights=np.full(a.height, 2.0), conf_type="log")
    t1, t2 = f1.table, f2.table
    np.testing.assert_allclose(t1["survival"], t2["survival"])
    ok = t1["std_err"].is_not_null().to_numpy()
    np.testing.assert_allclose(t1["std_err"].to_numpy()[ok] ** 2,
                               2 * t2["std_err"].to_numpy()[ok] ** 2)
    assert f2.variance == "greenwood"


def test_robust_variance_equals_greenwood_for_unit_weights() -> None:
    # survival tests/survfit1.R: with weights 1 and one row per subject the infinitesimal
    # jackknife equals the Greenwood variance, except at a final S = 0 (IJ variance 0)
    a = aml().filter(pl.col("x") == "Nonmaintained")
    g = kaplan_meier(a["time"], a["status"], variance="greenwood").table
    r = kaplan_meier(a["time"], a["status"], variance="robust").table
    last = g.height - 1
    np.testing.assert_allclose(r["std_err"].to_numpy()[:last], g["std_err"].to_numpy()[:last],
                               rtol=1e-10)
    assert r["std_err"][last] == 0.0


def test_fractional_weights_choose_robust_and_keep_point_estimate() -> None:
    rng = np.random.default_rng(7)
    t = rng.exponential(10, 60).round(1)
    e = rng.integers(0, 2, 60)
    w = rng.uniform(0.2, 3.0, 60)
    fit = kaplan_meier(t, e, weights=w)
    assert fit.variance == "robust"
    # point estimate = weighted product-limit computed directly
    tab = fit.table
    ut = np.unique(t)
    surv = 1.0
    expected = []
    for u in ut:
        n = w[t >= u].sum()
        d = w[(t == u) & (e == 1)].sum()
        surv *= 1 - d / n
        expected.append(surv)
    np.testing.assert_allclose(tab["survival"], expected)


def test_robust_variance_matches_explicit_influence_sum() -> None:
    rng = np.random.default_rng(11)
    t = rng.integers(1, 15, 40).astype(float)
    e = rng.integers(0, 2, 40)
    w = rng.uniform(0.3, 2.5, 40)
    fit = kaplan_meier(t, e, weights=w, variance="robust")
    ut = np.unique(t)
    u = np.zeros(40)
    km = 1.0
    var = []
    for tt in ut:  # recursion of survival's byhand() in tests/survfit1.R
        atrisk = t >= tt
        deaths = (t == tt) & (e == 1)
        nr = w[atrisk].sum()
        haz = w[deaths].sum() / nr
        dhaz = (deaths.astype(float) - np.where(atrisk, haz, 0.0)) / nr
        u = u * (1 - haz) - km * dhaz * w
        km *= 1 - haz
        var.append((u**2).sum())
    np.testing.assert_allclose(fit.table["std_err"].to_numpy() ** 2, var, rtol=1e-9, atol=1e-15)


def test_all_censored_median_not_reached() -> None:
    fit = kaplan_meier([3, 5, 7], [0, 0, 0])
    assert fit.median is None
    assert fit.median_ci == (None, None)
    assert fit.table["survival"].to_list() == [1.0, 1.0, 1.0]
    assert fit.n_events == 0


def test_single_subject_event_and_time_zero_events() -> None:
    one = kaplan_meier([4], [1], conf_type="log")
    assert one.table["survival"].to_list() == [0.0]
    assert one.median == 4.0
    zero = kaplan_meier([0, 0, 2, 5], [1, 0, 1, 0], conf_type="log")
    tab = zero.table
    assert tab["time"][0] == 0.0
    assert tab["survival"][0] == pytest.approx(0.75)
    assert zero.survival_at([0.0])["survival"][0] == pytest.approx(0.75)


def test_ties_everywhere() -> None:
    fit = kaplan_meier([5] * 6, [1, 1, 1, 0, 0, 1], conf_type="log")
    tab = fit.table
    assert tab.height == 1
    assert tab["n_risk"][0] == 6
    assert tab["n_event"][0] == 4
    assert tab["n_censor"][0] == 2
    assert tab["survival"][0] == pytest.approx(2 / 6)


def test_median_on_flat_stretch_is_midpoint() -> None:
    # S drops to exactly 0.5 at t=2 and next drops at t=6: R quantile.survfit gives 4
    fit = kaplan_meier([1, 2, 6, 8], [1, 1, 1, 1], conf_type="log")
    assert fit.median == 4.0


def test_survival_at_before_first_and_after_last_time() -> None:
    fit = kaplan_meier([2, 4, 6], [1, 0, 1])
    res = fit.survival_at([0.5, 4.5, 7])
    assert res["survival"].to_list()[:2] == [1.0, pytest.approx(2 / 3)]
    assert res["survival"][2] is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time": [1, -2], "event": [1, 0]}, r"`time` must be >= 0, got -2.0 at position 1"),
        ({"time": [1, float("nan")], "event": [1, 0]}, r"`time` must be finite.*position 1"),
        ({"time": [1, 2], "event": [1, 2]}, r"`event` must be 0 \(censored\) or 1"),
        ({"time": [1, 2], "event": [1]}, r"same length"),
        ({"time": [1, 2], "event": [1, 0], "conf_level": 1.5},
         r"`conf_level` must be in \(0, 1\), got 1.5"),
        ({"time": [1, 2], "event": [1, 0], "conf_type": "logit"}, r"`conf_type` must be one of"),
        ({"time": [1, 2], "event": [1, 0], "weights": [1, 0]}, r"`weights` must be finite and > 0"),
        ({"time": [1, 2], "event": [1, 0], "median_ci_method": "sas"},
         r"`median_ci_method` must be one of"),
        ({"time": [], "event": []}, r"at least one subject"),
    ],
)
def test_bad_input_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kaplan_meier(**kwargs)


def test_input_not_mutated_and_result_frozen() -> None:
    t = np.array([3.0, 1.0, 2.0])
    e = np.array([1, 0, 1])
    fit = kaplan_meier(t, e)
    assert t.tolist() == [3.0, 1.0, 2.0]
    with pytest.raises(AttributeError):
        fit.n = 5  # type: ignore[misc]


def test_by_group_rejects_missing_column() -> None:
    with pytest.raises(ValueError, match="`group` names a column that is not in the table"):
        kaplan_meier_by(aml(), time="time", event="status", group="arm")


def test_to_ard_contains_median_and_times() -> None:
    a = aml()
    fit = kaplan_meier(a["time"], a["status"], conf_type="log")
    ard = fit.to_ard(times=[12.0])
    med = ard.filter((pl.col("parameter") == "median") & (pl.col("statistic") == "estimate"))
    assert med["value"][0] == fit.median
    assert "time=12" in ard["parameter"].to_list()
    # 10 + 8 subjects with time >= 12
    assert ard.filter(pl.col("statistic") == "n_risk")["value"][0] == 18.0


def test_quantile_scalar_and_validation() -> None:
    fit = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    q = fit.quantile(0.25)
    assert isinstance(q, Quantile)
    assert q.estimate == 1.5  # S = 0.75 exactly on [1, 2): midpoint
    with pytest.raises(ValueError, match="`p` must be probabilities"):
        fit.quantile(1.5)


def test_median_follow_up_reverse_km() -> None:
    a = aml()
    fu = median_follow_up(a["time"], a["status"], conf_type="log")
    rev = kaplan_meier(a["time"], 1 - a["status"], conf_type="log")
    assert fu.median == rev.median
    assert fu.median_ci == rev.median_ci
    assert isinstance(fu.reverse_fit, KaplanMeierResult)
    # prodlim convention: deaths at a tied time leave the risk set before censorings
    t = [2, 2, 3, 5, 5, 8]
    e = [1, 0, 1, 0, 1, 0]
    pr = median_follow_up(t, e, tie_convention="prodlim").reverse_fit.table
    first = pr.filter(pl.col("time") == 2).row(0, named=True)
    assert first["n_risk"] == 5
    assert first["n_event"] == 1
    sv = median_follow_up(t, e).reverse_fit.table.filter(pl.col("time") == 2).row(0, named=True)
    assert sv["n_risk"] == 6
    assert fu.to_ard().height == 3
