"""Binomial CIs and the exact binomial test against R and the 2022 paper's Tables 2 and 3."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from cnsrwe.stats.proportions import binomial_ci, binomial_test

REF = Path(__file__).parents[1] / "reference"


def _r_examples() -> dict:
    return json.loads((REF / "stats_exact" / "r_stats_examples.json").read_text())


def _published_rows() -> list[dict[str, str]]:
    with (REF / "published_2022" / "binomial_ci_tables_2_3.csv").open() as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _published_rows(), ids=lambda r: f"T{r['table']}-{r['k']}/{r['n']}")
def test_clopper_pearson_reproduces_2022_tables_2_and_3(row: dict[str, str]) -> None:
    ci = binomial_ci(int(row["k"]), int(row["n"]))
    assert ci.lower * 100 == pytest.approx(float(row["exact_lower_pct"]), abs=0.05)
    assert ci.upper * 100 == pytest.approx(float(row["exact_upper_pct"]), abs=0.05)
    if row["note"]:  # the typo: printed value differs from the exact one
        assert abs(ci.upper * 100 - float(row["printed_upper_pct"])) > 1


def test_binom_test_matches_r_conover_example() -> None:
    ref = _r_examples()["binom_test_conover"]
    res = binomial_test(ref["k"], ref["n"], ref["p"])
    assert res.p_value == pytest.approx(ref["p_value"], abs=5e-5)
    ci = binomial_ci(ref["k"], ref["n"])
    assert ci.estimate == pytest.approx(ref["estimate"], abs=5e-8)
    assert ci.lower == pytest.approx(ref["lower"], abs=5e-8)
    assert ci.upper == pytest.approx(ref["upper"], abs=5e-8)


def test_wilson_matches_r_prop_test() -> None:
    ref = _r_examples()["prop_test_heads"]
    cc = binomial_ci(ref["k"], ref["n"], method="wilson")
    plain = binomial_ci(ref["k"], ref["n"], method="wilson", correct=False)
    assert (cc.lower, cc.upper) == pytest.approx(
        (ref["wilson_cc_lower"], ref["wilson_cc_upper"]), abs=5e-8
    )
    assert (plain.lower, plain.upper) == pytest.approx(
        (ref["wilson_lower"], ref["wilson_upper"]), abs=5e-8
    )


def test_jeffreys_is_equal_tailed_beta_interval() -> None:
    # Brown, Cai & DasGupta (2001) Table 5 style check: x = 0 has lower 0 and x = n upper 1.
    ci0 = binomial_ci(0, 10, method="jeffreys")
    assert ci0.lower == 0.0
    assert 0 < ci0.upper < binomial_ci(0, 10).upper  # narrower than exact
    cin = binomial_ci(10, 10, method="jeffreys")
    assert cin.upper == 1.0


def test_boundary_counts_clopper_pearson() -> None:
    # k = 0: upper = 1 - (alpha/2)^(1/n); k = n: lower = (alpha/2)^(1/n)  (closed forms)
    assert binomial_ci(0, 20).lower == 0.0
    assert binomial_ci(0, 20).upper == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)
    assert binomial_ci(20, 20).lower == pytest.approx(0.025 ** (1 / 20), rel=1e-12)
    assert binomial_ci(20, 20).upper == 1.0
    one = binomial_ci(1, 1)
    assert one.estimate == 1.0
    assert one.lower == pytest.approx(0.025, rel=1e-12)


def test_binomial_test_tails_and_extremes() -> None:
    assert binomial_test(0, 10).p_value == pytest.approx(2 * 0.5**10, rel=1e-12)
    assert binomial_test(10, 10, alternative="greater").p_value == pytest.approx(0.5**10)
    assert binomial_test(5, 10).p_value == 1.0
    cdf = sum(math.comb(10, i) * 0.3**i * 0.7 ** (10 - i) for i in range(4))
    assert binomial_test(3, 10, 0.3, alternative="less").p_value == pytest.approx(cdf, rel=1e-12)


def test_ard_rows() -> None:
    ard = binomial_ci(11, 20).to_ard(parameter="CNS ORR", group="cohort 1")
    assert ard["statistic"].to_list() == ["n", "k", "estimate", "lower", "upper"]
    assert ard["value"][2] == 11 / 20
    assert set(ard["group"]) == {"cohort 1"}


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"k": 3, "n": 0}, ValueError, "`n` must be at least 1, got 0"),
        ({"k": 5, "n": 4}, ValueError, "`k` must be between 0 and `n`"),
        ({"k": 1.5, "n": 4}, TypeError, "`k` must be a whole number, got 1.5"),
        ({"k": 1, "n": 4, "conf_level": 1.5}, ValueError, r"`conf_level` must be in \(0, 1\)"),
        ({"k": 1, "n": 4, "method": "wald"}, ValueError, "`method` must be one of"),
    ],
)
def test_bad_input(kwargs: dict, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        binomial_ci(**kwargs)
