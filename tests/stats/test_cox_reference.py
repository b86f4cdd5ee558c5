"""cox_ph and cox_zph against numbers printed by R survival (see tests/reference/coxph/README.md).

Tolerance: half a unit of the last printed digit of each R value.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cnsrwe.stats.cox import cox_ph
from cnsrwe.stats.cox_resid import score_residuals
from cnsrwe.stats.cox_zph import cox_zph

REF = Path(__file__).parents[1] / "reference" / "coxph"
EXPECTED = json.loads((REF / "expected.json").read_text())


def half_unit(printed: str) -> float:
    """Half a unit of the last printed digit of an R number such as '0.04974' or '1.56e-07'."""
    mant, _, exp = printed.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    return 0.5 * 10.0 ** (-decimals) * (10.0 ** int(exp) if exp else 1.0)


def check(actual: float, printed: str) -> None:
    assert actual == pytest.approx(float(printed), abs=half_unit(printed)), printed


def check_all(actual: np.ndarray, printed: list[str]) -> None:
    assert len(actual) == len(printed)
    for a, p in zip(actual, printed, strict=True):
        check(float(a), p)


def ovarian() -> pl.DataFrame:
    return pl.read_csv(REF / "data" / "ovarian.csv")


@pytest.mark.parametrize("model", EXPECTED["ovarian_single"]["models"])
def test_ovarian_models(model: dict) -> None:
    fit = cox_ph(ovarian(), duration="futime", event="fustat", covariates=model["covariates"])
    check_all(fit.coef, model["coef"])
    check_all(fit.hazard_ratio, model["hazard_ratio"])
    check_all(fit.se, model["se"])
    check_all(fit.z, model["z"])
    check_all(fit.p_value, model["p"])
    check(fit.lr_test.statistic, model["lr"])
    check(fit.lr_test.p_value, model["lr_p"])
    assert (fit.n, fit.n_events) == (26, 12)


def test_ovarian_score_residuals() -> None:
    ref = EXPECTED["ovarian_score_residuals"]
    fit = cox_ph(ovarian(), duration="futime", event="fustat", covariates=ref["covariates"])
    # residuals are computed on centred covariates, which leaves them unchanged
    res = score_residuals(fit._risk_sets, fit.coef, "efron")
    np.testing.assert_allclose(res, np.array(ref["values"]), rtol=0, atol=0.5e-8 + 1e-12)


def test_lung_summary() -> None:
    ref = EXPECTED["lung_summary"]
    data = pl.read_csv(REF / "data" / "lung.csv", null_values="NA").with_columns(
        event=(pl.col("status") == 2).cast(pl.Int8)
    )
    fit = cox_ph(data, duration="time", event="event", covariates=ref["covariates"])
    check_all(fit.coef, ref["coef"])
    check_all(fit.hazard_ratio, ref["hazard_ratio"])
    check_all(fit.se, ref["se"])
    check_all(fit.z, ref["z"])
    check_all(fit.p_value, ref["p"])
    check_all(fit.ci_lower, ref["ci_lower"])
    check_all(fit.ci_upper, ref["ci_upper"])
    check(fit.lr_test.statistic, ref["lr"])
    check(fit.wald_test.statistic, ref["wald"])
    check(fit.score_test.statistic, ref["score"])
    check(fit.concordance.concordance, ref["concordance"])
    check(fit.concordance.std_err, ref["concordance_se"])
    assert (fit.n, fit.n_events) == (ref["n"], ref["n_events"])


def test_counting_process_and_concordance() -> None:
    ref = EXPECTED["counting_process_test2"]
    fit = cox_ph(ref["data"], duration="stop", event="event", covariates=["x"], start="start")
    check(fit.coef[0], ref["coef"])
    check(fit.hazard_ratio[0], ref["hazard_ratio"])
    check(fit.se[0], ref["se"])
    check(fit.z[0], ref["z"])
    check(fit.p_value[0], ref["p"])
    check(fit.ci_lower[0], ref["ci_lower"])
    check(fit.ci_upper[0], ref["ci_upper"])
    check(fit.concordance.concordance, ref["concordance"])
    check(fit.concordance.std_err, ref["concordance_se"])


def test_stratified() -> None:
    ref = EXPECTED["stratified_test1"]
    fit = cox_ph(ref["data"], duration="time", event="status", covariates=["x"], strata="sex")
    for attr in ("coef", "hazard_ratio", "se", "z"):
        check(getattr(fit, attr)[0], ref[attr])
    check(fit.p_value[0], ref["p"])
    check(fit.lr_test.statistic, ref["lr"])
    check(fit.lr_test.p_value, ref["lr_p"])


def test_bladder2_andersen_gill_cluster() -> None:
    ref = EXPECTED["bladder2_andersen_gill"]
    data = pl.read_csv(REF / "data" / "bladder2.csv")
    fit = cox_ph(
        data, duration="stop", start="start", event="event", covariates=ref["covariates"],
        cluster="id", ties="breslow",
    )
    check_all(fit.coef, ref["coef"])
    check_all(fit.se, ref["se"])
    assert fit.robust_se is not None
    check_all(fit.robust_se, ref["robust_se"])
    check_all(fit.z, ref["z"])
    check_all(fit.p_value, ref["p"])
    check_all(fit.ci_lower, ref["ci_lower"])
    check_all(fit.ci_upper, ref["ci_upper"])
    check(fit.lr_test.statistic, ref["lr"])
    check(fit.wald_test.statistic, ref["wald"])
    check(fit.score_test.statistic, ref["score"])
    assert fit.robust_score_test is not None
    check(fit.robust_score_test.statistic, ref["robust_score"])
    check(fit.concordance.concordance, ref["concordance"])
    check(fit.concordance.std_err, ref["concordance_se"])
    assert (fit.n, fit.n_events) == (ref["n"], ref["n_events"])


def test_retinopathy_cluster_robust() -> None:
    ref = EXPECTED["retinopathy_cluster"]
    data = pl.read_csv(REF / "data" / "retinopathy.csv").with_columns(
        typeadult=(pl.col("type") == "adult").cast(pl.Int8)
    )
    fit = cox_ph(data, duration="futime", event="status", covariates=ref["covariates"],
                 cluster="id")
    check_all(fit.coef, ref["coef"])
    check_all(fit.hazard_ratio, ref["hazard_ratio"])
    check_all(fit.se, ref["se"])
    assert fit.robust_se is not None
    check_all(fit.robust_se, ref["robust_se"])
    check_all(fit.z, ref["z"])
    check_all(fit.p_value, ref["p"])
    check(fit.lr_test.statistic, ref["lr"])
    check(fit.lr_test.p_value, ref["lr_p"])


def test_cox_zph_ovarian() -> None:
    ref = EXPECTED["zph_ovarian"]
    fit = cox_ph(ovarian(), duration="futime", event="fustat", covariates=ref["covariates"])
    z = cox_zph(fit, transform=ref["transform"])
    check_all(z.chisq, ref["chisq"])
    assert list(z.df) == ref["df"]
    check_all(z.p_value, ref["p"])
    assert z.terms == ("age", "ecog.ps", "GLOBAL")
    assert z.to_ard().height == 9
