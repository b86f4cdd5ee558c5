"""t-test and Wilcoxon-Mann-Whitney against R's printed outputs."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cnsrwe.stats.location import mann_whitney, t_test

REF = Path(__file__).parents[1] / "reference" / "stats_exact"
R = json.loads((REF / "r_stats_examples.json").read_text())
SLEEP = pl.read_csv(REF / "sleep.csv")
MTCARS = pl.read_csv(REF / "mtcars_mpg_am.csv")


def _half_unit(printed: float, sig: int = 4) -> float:
    return 0.5 * 10 ** (math.floor(math.log10(abs(printed))) - sig + 1)


def _sleep(group: int) -> np.ndarray:
    return SLEEP.filter(pl.col("group") == group)["extra"].to_numpy()


def test_sleep_transcription_matches_r_one_sample_t() -> None:
    ref = R["sleep_one_sample"]
    res = t_test(SLEEP["extra"])
    assert res.statistic == pytest.approx(ref["statistic"], abs=5e-4)
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    assert res.estimate == pytest.approx(ref["mean"])


def test_sleep_welch_and_student_match_oneway_test() -> None:
    welch = t_test(_sleep(1), _sleep(2))
    ref = R["sleep_oneway_welch"]
    assert welch.statistic**2 == pytest.approx(ref["F"], abs=5e-5)
    assert welch.df == pytest.approx(ref["df"], abs=5e-4)
    assert welch.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    student = t_test(_sleep(1), _sleep(2), equal_var=True)
    ref = R["sleep_oneway_equal_var"]
    assert student.df == ref["df"]
    assert student.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))


@pytest.mark.parametrize(
    ("name", "x", "y"),
    [
        ("t_test_welch_1_10", np.arange(1, 11), np.arange(7, 21)),
        ("t_test_welch_outlier", np.arange(1, 11), np.r_[np.arange(7, 21), 200]),
        ("t_test_mtcars", None, None),
    ],
)
def test_welch_matches_r(name: str, x: np.ndarray | None, y: np.ndarray | None) -> None:
    ref = R[name]
    if x is None:
        x = MTCARS.filter(pl.col("am") == 0)["mpg"].to_numpy()
        y = MTCARS.filter(pl.col("am") == 1)["mpg"].to_numpy()
        assert x.mean() == pytest.approx(ref["mean_x"], abs=5e-6)
        assert y.mean() == pytest.approx(ref["mean_y"], abs=5e-6)
    res = t_test(x, y)
    assert res.statistic == pytest.approx(ref["statistic"], abs=_half_unit(ref["statistic"], 5))
    assert res.df == pytest.approx(ref["df"], abs=_half_unit(ref["df"], 5))
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    assert res.lower == pytest.approx(ref["lower"], abs=_half_unit(ref["lower"], 7))
    assert res.upper == pytest.approx(ref["upper"], abs=_half_unit(ref["upper"], 7))


def test_one_sided_t_limits() -> None:
    res = t_test(_sleep(1), _sleep(2), alternative="less")
    assert res.lower == -math.inf
    two = t_test(_sleep(1), _sleep(2))
    assert res.p_value == pytest.approx(two.p_value / 2)


def test_wilcox_exact_and_normal_match_r() -> None:
    ref = R["wilcox_exact_greater"]
    exact = mann_whitney(ref["x"], ref["y"], alternative="greater")
    assert exact.statistic == ref["W"]
    assert exact.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    assert "exact" in exact.method
    normal = R["wilcox_normal_greater"]
    approx = mann_whitney(ref["x"], ref["y"], alternative="greater", exact=False, correction=False)
    assert approx.p_value == pytest.approx(normal["p_value"], abs=_half_unit(normal["p_value"]))


@pytest.mark.parametrize("name", ["wilcox_ties_endmemo_1", "wilcox_ties_endmemo_2"])
def test_wilcox_ties_use_corrected_normal(name: str) -> None:
    ref = R[name]
    res = mann_whitney(ref["x"], ref["y"])
    assert res.statistic == ref["W"]
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    assert "exact p not available with ties" in res.method


def test_wilcox_mtcars() -> None:
    ref = R["wilcox_mtcars"]
    res = mann_whitney(
        MTCARS.filter(pl.col("am") == 0)["mpg"], MTCARS.filter(pl.col("am") == 1)["mpg"]
    )
    assert res.statistic == ref["W"]
    assert res.p_value == pytest.approx(ref["p_value"], abs=5e-10)


def test_exact_two_sided_equals_full_enumeration() -> None:
    x, y = [1.1, 2.5, 7.0, 9.2], [3.3, 4.4, 5.5, 6.6, 8.8]
    pooled = np.array(x + y)
    w_obs = mann_whitney(x, y).statistic
    ws = []
    for idx in itertools.combinations(range(9), 4):
        ranks = np.argsort(np.argsort(pooled))[list(idx)] + 1
        ws.append(ranks.sum() - 10)
    ws = np.array(ws)
    lower, upper = np.mean(ws <= w_obs), np.mean(ws >= w_obs)
    expected = min(1.0, 2 * (upper if w_obs > 10 else lower))
    assert mann_whitney(x, y).p_value == pytest.approx(expected, rel=1e-12)


def test_single_observations_and_errors() -> None:
    assert mann_whitney([1.0], [2.0]).p_value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="`x` must have at least 2 values"):
        t_test([1.0], [2.0, 3.0])
    with pytest.raises(ValueError, match="`y` must be finite"):
        mann_whitney([1.0, 2.0], [np.nan, 3.0])
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        t_test([1, 2], [3, 4], alternative="both")


def test_ard() -> None:
    ard = t_test(_sleep(1), _sleep(2)).to_ard(parameter="extra sleep")
    assert ard["statistic"].to_list() == [
        "statistic",
        "p_value",
        "df",
        "estimate",
        "lower",
        "upper",
    ]
    assert mann_whitney([1, 2, 3], [4, 5, 6]).to_ard().height == 2
