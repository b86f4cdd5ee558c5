"""Layout of the Cox and Firth coefficient tables and ARD rows (built by stats._coef_table)."""

from __future__ import annotations

import numpy as np
import polars as pl

from cnsrwe.stats import cox_ph, firth_cox

RNG = np.random.default_rng(7)
DATA = pl.DataFrame({
    "t": RNG.exponential(5.0, 60), "e": RNG.integers(0, 2, 60), "x": RNG.normal(size=60),
    "g": RNG.integers(0, 2, 60).astype(float), "cl": np.repeat(np.arange(30), 2),
})  # fmt: skip


def _stats_of(ard: pl.DataFrame, parameter: str) -> list[str]:
    return ard.filter(pl.col("parameter") == parameter)["statistic"].to_list()


def test_cox_table_and_ard_layout() -> None:
    plain = cox_ph(DATA, duration="t", event="e", covariates=["x", "g"])
    assert plain.table.columns == ["covariate", "coef", "hazard_ratio", "se", "z", "p_value",
                                   "ci_lower", "ci_upper"]  # fmt: skip
    assert plain.table["covariate"].to_list() == ["x", "g"]
    assert plain.table["coef"].to_list() == plain.coef.tolist()
    ard = plain.to_ard()
    assert _stats_of(ard, "x") == ["coef", "hazard_ratio", "se", "lower", "upper", "z",
                                   "p_value"]  # fmt: skip
    assert _stats_of(ard, "lr_test") == ["statistic", "df", "p_value"]
    assert "robust_score_test" not in ard["parameter"].to_list()
    robust = cox_ph(DATA, duration="t", event="e", covariates=["x", "g"], cluster="cl")
    assert robust.table.columns[4] == "robust_se"
    ard = robust.to_ard()
    assert _stats_of(ard, "g")[3] == "robust_se"
    assert ard.filter((pl.col("parameter") == "g") & (pl.col("statistic") == "robust_se"))[
        "value"].item() == robust.robust_se[1]  # fmt: skip
    assert _stats_of(ard, "robust_score_test") == ["statistic", "df", "p_value"]


def test_firth_table_and_ard_layout() -> None:
    fit = firth_cox(DATA, duration="t", event="e", covariates=["x", "g"])
    assert fit.table.columns == ["covariate", "coef", "hazard_ratio", "se", "ci_lower",
                                 "ci_upper", "chisq", "p_value"]  # fmt: skip
    ard = fit.to_ard()
    assert _stats_of(ard, "g") == ["coef", "hazard_ratio", "se", "lower", "upper", "chisq",
                                   "p_value"]  # fmt: skip
    lr = ard.filter(pl.col("parameter") == "lr_test")["value"].to_list()
    assert lr == [fit.lr_test[0], float(fit.lr_test[1]), fit.lr_test[2]]
    assert _stats_of(ard, "model") == ["loglik_null", "loglik"]
