"""Firth Cox regression against R-printed coxphf output (tests/reference/coxphf/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from cnsrwe.stats.cox import cox_ph
from cnsrwe.stats.firth import FirthCoxResult, firth_cox

REF: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "coxphf" / "test1_firth.json").read_text()
)


def half_unit(printed: str) -> float:
    """Half a unit of the last printed digit."""
    return 0.5 * 10.0 ** (-len(printed.split(".")[1])) if "." in printed else 0.5


def close(actual: float, printed: str) -> bool:
    return abs(actual - float(printed)) <= half_unit(printed) + 1e-12


def design() -> pl.DataFrame:
    d = REF["data"]
    x = np.asarray(d["x"])
    return pl.DataFrame(
        {
            "time": d["time"],
            "status": d["status"],
            "x1": (x == 1).astype(float),
            "x2": (x == 2).astype(float),
            "sex": np.asarray(d["sex"], dtype=float),
        }
    )


@pytest.fixture(scope="module")
def fit() -> FirthCoxResult:
    return firth_cox(design(), duration="time", event="status", covariates=["x1", "x2", "sex"])


# coxphf stops iterating when the largest change of the standardised estimates is <= epsilon
# (1e-6, its default) and the largest modified score is <= 1e-4; the profile bounds come from
# the same iteration.  Its printed coefficients, se, HR and limits therefore carry an error of
# about epsilon * se (R prints 7-8 significant digits, finer than that).  They are compared
# within epsilon * se on the log scale (+ half a printed unit).  The penalised LR statistics
# and p-values are flat at the optimum (second order in that error) and are compared to half a
# unit of the printed digit.  That cnsrwe's estimate solves the modified score equations to
# machine precision is tested in test_firth.py.
COXPHF_EPSILON = 1e-6


@pytest.mark.parametrize("k", range(3), ids=["x1", "x2", "sex"])
def test_coefficients_profile_ci_and_tests(fit: FirthCoxResult, k: int) -> None:
    ref = REF["coefficients"][k]
    term = ref["term"]
    slack = COXPHF_EPSILON * float(ref["se"])
    assert abs(fit.coef[k] - float(ref["coef"])) <= slack + half_unit(ref["coef"]), term
    assert abs(fit.se[k] / float(ref["se"]) - 1) <= COXPHF_EPSILON, term
    for name, value in (("exp_coef", fit.hazard_ratio[k]), ("lower", fit.ci_lower[k]),
                        ("upper", fit.ci_upper[k])):
        printed = float(ref[name])
        tol = slack + half_unit(ref[name]) / printed
        assert abs(np.log(value) - np.log(printed)) <= tol, f"{term} {name}: {value} vs {printed}"
    assert close(float(fit.chisq[k]), ref["chisq"]), f"{term} chisq {fit.chisq[k]}"
    assert close(float(fit.p_value[k]), ref["p"]), f"{term} p {fit.p_value[k]}"


def test_global_penalised_lr(fit: FirthCoxResult) -> None:
    stat, df, p = fit.lr_test
    assert df == REF["lr_test"]["df"]
    assert close(stat, REF["lr_test"]["statistic"])
    assert close(p, REF["lr_test"]["p"])
    assert fit.n == REF["n"]


def test_unpenalised_stratified_fit_printed_on_same_page() -> None:
    """The same page prints coxph with strata(sex) as real strata: a check on the design."""
    ref = REF["coxph_same_design"]
    res = cox_ph(design(), duration="time", event="status", covariates=["x1", "x2"],
                 strata="sex", ties="efron")
    tab = {r["covariate"]: r for r in res.table.iter_rows(named=True)}
    for term in ("x1", "x2"):
        assert close(tab[term]["coef"], ref["coef"][term])
        assert close(tab[term]["se"], ref["se"][term])
    assert close(res.lr_test.statistic, ref["lr"])
