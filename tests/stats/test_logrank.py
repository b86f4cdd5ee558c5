"""Log-rank / G-rho tests against R survdiff transcripts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cnsrwe.stats.logrank import logrank_test, p_adjust, pairwise_logrank

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = REF / "datasets"
SURVDIFF = REF / "survdiff"


def half_unit(printed: str) -> float:
    if "." not in printed:
        return 0.5
    return 0.5 * 10.0 ** (-len(printed.split(".")[1]))


def close(actual: float, printed: str) -> bool:
    return abs(actual - float(printed)) <= half_unit(printed) + 1e-12


def check_table(res_table: pl.DataFrame, ref: pl.DataFrame) -> None:
    for a, r in zip(res_table.iter_rows(named=True), ref.iter_rows(named=True), strict=True):
        assert a["group"] == r["group"]
        assert a["n"] == int(r["n"])
        for c in ("observed", "expected", "oe2_e", "oe2_v"):
            assert close(a[c], r[c]), f"{r['group']} {c}: {a[c]} vs {r[c]}"


def lung() -> pl.DataFrame:
    return pl.read_csv(DATA / "lung.csv", null_values="NA").with_columns(
        (pl.col("status") - 1).alias("event")
    )


def test_aml_logrank() -> None:
    aml = pl.read_csv(DATA / "aml.csv")
    res = logrank_test(aml["time"], aml["status"], aml["x"])
    check_table(res.table, pl.read_csv(SURVDIFF / "aml_logrank.csv", infer_schema=False))
    assert close(res.statistic, "3.4")
    assert res.df == 1
    assert close(res.p_value, "0.07")


def test_dummy_group_without_expected_events_is_dropped() -> None:
    aml3 = pl.read_csv(SURVDIFF / "aml3_dummy.csv")
    res = logrank_test(aml3["time"], aml3["status"], aml3["x"])
    assert res.groups == ("Dummy", "Maintained", "Nonmaintained")
    assert res.df == 1
    assert close(res.statistic, "3.4")
    tab = res.table
    assert tab["expected"][0] == 0.0
    assert tab["oe2_e"][0] is None  # R prints NaN
    ref = logrank_test(*(pl.read_csv(DATA / "aml.csv")[c] for c in ("time", "status", "x")))
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)


def test_lung_inst_rho_half() -> None:
    d = lung().drop_nulls("inst").with_columns(pl.col("inst").cast(pl.Int64))
    res = logrank_test(d["time"], d["event"], d["inst"], rho=0.5)
    check_table(res.table, pl.read_csv(SURVDIFF / "lung_inst_rho05.csv", infer_schema=False))
    assert close(res.statistic, "15.1")
    assert res.df == 17
    assert close(res.p_value, "0.5904")


def test_stratified_observed_counts() -> None:
    # survival tests/doublecolon.R: rowSums(survdiff(... ~ sex + strata(inst), lung)$obs)
    d = lung().drop_nulls("inst")
    res = logrank_test(d["time"], d["event"], d["sex"], strata=d["inst"])
    assert res.observed == (111.0, 53.0)
    assert res.stratified


def test_stratified_equals_sum_of_strata() -> None:
    d = lung().drop_nulls("inst")
    res = logrank_test(d["time"], d["event"], d["sex"], strata=d["inst"])
    o = np.zeros(2)
    e = np.zeros(2)
    v = 0.0
    for _, sub in d.group_by("inst"):
        if sub["sex"].n_unique() < 2:
            # a stratum with one group contributes O = E and no variance
            o[sub["sex"][0] - 1] += sub["event"].sum()
            e[sub["sex"][0] - 1] += sub["event"].sum()
            continue
        r = logrank_test(sub["time"], sub["event"], sub["sex"])
        o += r.observed
        e += r.expected
        v += r.variance[1][1]
    np.testing.assert_allclose(res.observed, o)
    np.testing.assert_allclose(res.expected, e)
    assert res.statistic == pytest.approx((o[1] - e[1]) ** 2 / v, rel=1e-10)


def test_single_stratum_equals_unstratified() -> None:
    aml = pl.read_csv(DATA / "aml.csv")
    a = logrank_test(aml["time"], aml["status"], aml["x"])
    b = logrank_test(aml["time"], aml["status"], aml["x"], strata=np.ones(aml.height))
    assert a.statistic == pytest.approx(b.statistic, rel=1e-13)


def test_pairwise_and_p_adjust() -> None:
    d = lung().drop_nulls("ph.ecog").filter(pl.col("ph.ecog") < 3)
    pw = pairwise_logrank(d["time"], d["event"], d["ph.ecog"], p_adjust_method="bonferroni")
    tab = pw.table
    assert tab.height == 3
    for rec in tab.iter_rows(named=True):
        mask = d["ph.ecog"].cast(pl.String).is_in([rec["group1"], rec["group2"]])
        sub = d.filter(mask)
        r = logrank_test(sub["time"], sub["event"], sub["ph.ecog"])
        assert rec["p_value"] == pytest.approx(r.p_value)
        assert rec["p_adjusted"] == pytest.approx(min(1.0, 3 * r.p_value))
    assert pw.to_ard().height == 9


def test_p_adjust_holm_and_bh_match_r_p_adjust() -> None:
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "holm") = 0.04 0.09 0.09 0.20
    #    p.adjust(c(0.01, 0.04, 0.03, 0.2), "BH")   = 0.04 0.05333333 0.05333333 0.20
    p = np.array([0.01, 0.04, 0.03, 0.2])
    np.testing.assert_allclose(p_adjust(p, "holm"), [0.04, 0.09, 0.09, 0.2])
    np.testing.assert_allclose(p_adjust(p, "BH"), [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    np.testing.assert_allclose(p_adjust(p, "none"), p)


def test_errors() -> None:
    with pytest.raises(ValueError, match="`group` must have at least two distinct values"):
        logrank_test([1, 2], [1, 1], ["a", "a"])
    with pytest.raises(ValueError, match="`rho` must be a finite number >= 0, got -1"):
        logrank_test([1, 2], [1, 1], ["a", "b"], rho=-1)
    with pytest.raises(ValueError, match="`group` must not contain missing values"):
        logrank_test([1, 2, 3], [1, 1, 0], ["a", None, "b"])
    with pytest.raises(ValueError, match="`p_adjust_method` must be one of"):
        pairwise_logrank([1, 2], [1, 1], ["a", "b"], p_adjust_method="fdr")  # type: ignore[arg-type]


def test_to_ard() -> None:
    aml = pl.read_csv(DATA / "aml.csv")
    ard = logrank_test(aml["time"], aml["status"], aml["x"]).to_ard()
    assert ard.filter(pl.col("statistic") == "df")["value"][0] == 1.0
    assert set(ard["group"].to_list()) == {"", "Maintained", "Nonmaintained"}
