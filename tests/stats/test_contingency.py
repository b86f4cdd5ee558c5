"""Fisher, chi-square, McNemar and Bowker against R's printed examples and the 2022/2024 papers."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from cnsrwe.stats.contingency import bowker, chi_square, fisher_exact, mcnemar

REF = Path(__file__).parents[1] / "reference"
R = json.loads((REF / "stats_exact" / "r_stats_examples.json").read_text())


def _half_unit(printed: float, digits: int = 4) -> float:
    """Half a unit of the last of ``digits`` significant digits of a printed number."""
    exponent = math.floor(math.log10(abs(printed)))
    return 0.5 * 10 ** (exponent - digits + 1)


def _uniroot_close(r_value: float, ours: float) -> bool:
    """R's uniroot tolerance (~1.2e-4) on the odds ratio or on its reciprocal."""
    return abs(r_value - ours) <= 1.5e-4 * max(1.0, ours * ours)


# ------------------------------------------------------------------ Fisher 2x2


def test_fisher_tea_tasting_greater() -> None:
    ref = R["fisher_tea_tasting"]
    res = fisher_exact(ref["table"], alternative="greater")
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    assert res.upper == math.inf
    assert _uniroot_close(ref["odds_ratio"], res.odds_ratio)
    assert _uniroot_close(ref["lower"], res.lower)


def test_fisher_convictions() -> None:
    less = R["fisher_convictions_less"]
    res = fisher_exact(less["table"], alternative="less")
    assert res.p_value == pytest.approx(less["p_value"], abs=_half_unit(less["p_value"]))
    assert res.lower == 0.0
    assert _uniroot_close(less["upper"], res.upper)
    two = R["fisher_convictions_two_sided"]
    res2 = fisher_exact(two["table"])
    assert res2.p_value == pytest.approx(two["p_value"], abs=_half_unit(two["p_value"]))
    assert res2.odds_ratio == pytest.approx(two["odds_ratio"], rel=1e-5)
    assert _uniroot_close(two["lower_95"], res2.lower)
    assert _uniroot_close(two["upper_95"], res2.upper)
    res99 = fisher_exact(two["table"], conf_level=0.99)
    assert _uniroot_close(two["lower_99"], res99.lower)
    assert _uniroot_close(two["upper_99"], res99.upper)


def test_fisher_limits_solve_their_equations_exactly() -> None:
    # a = 2, margins: row1 17, col1 12, n 30; noncentral hypergeometric tails at the limits
    table = np.array([[2, 15], [10, 3]])
    lo_s, hi_s = max(0, 17 - 18), min(17, 12)
    support = np.arange(lo_s, hi_s + 1)
    logdc = stats.hypergeom.logpmf(support, 30, 12, 17)

    def pmf(odds: float) -> np.ndarray:
        d = np.exp(logdc + math.log(odds) * support - np.max(logdc + math.log(odds) * support))
        return d / d.sum()

    res = fisher_exact(table)
    assert pmf(res.lower)[support >= 2].sum() == pytest.approx(0.025, abs=1e-10)
    assert pmf(res.upper)[support <= 2].sum() == pytest.approx(0.025, abs=1e-10)
    assert float(np.sum(support * pmf(res.odds_ratio))) == pytest.approx(2.0, abs=1e-10)


def test_fisher_2x2_zero_cells() -> None:
    res = fisher_exact([[0, 5], [5, 0]])
    assert res.odds_ratio == 0.0
    assert res.lower == 0.0
    assert res.p_value == pytest.approx(2 / math.comb(10, 5), rel=1e-12)
    assert fisher_exact([[5, 0], [0, 5]]).odds_ratio == math.inf
    degenerate = fisher_exact([[0, 0], [3, 4]])  # one margin zero: a single possible table
    assert degenerate.p_value == pytest.approx(1.0)
    assert math.isnan(degenerate.odds_ratio)


# ------------------------------------------------------------------ Fisher r x c


@pytest.mark.parametrize("name", ["fisher_job_satisfaction", "fisher_mehta_patel_6"])
def test_fisher_rxc_matches_r(name: str) -> None:
    ref = R[name]
    res = fisher_exact(ref["table"])
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    assert res.odds_ratio is None
    # transposing the table cannot change the exact p-value
    assert fisher_exact(np.array(ref["table"]).T).p_value == pytest.approx(res.p_value, rel=1e-9)


def test_fisher_rxc_equals_full_enumeration_on_small_table() -> None:
    table = np.array([[3, 0, 2], [1, 4, 1]])
    rows, cols, n = table.sum(1), table.sum(0), table.sum()

    def logp(t: np.ndarray) -> float:
        return float(
            np.sum([math.lgamma(v + 1) for v in rows])
            + np.sum([math.lgamma(v + 1) for v in cols])
            - math.lgamma(n + 1)
            - np.sum([math.lgamma(v + 1) for v in t.ravel()])
        )

    obs = logp(table)
    total, p = 0.0, 0.0
    for a in range(cols[0] + 1):
        for b in range(cols[1] + 1):
            c = rows[0] - a - b
            if not 0 <= c <= cols[2]:
                continue
            t = np.array([[a, b, c], [cols[0] - a, cols[1] - b, cols[2] - c]])
            pr = math.exp(logp(t))
            total += pr
            if logp(t) <= obs + 1e-7:
                p += pr
    assert total == pytest.approx(1.0)
    assert fisher_exact(table).p_value == pytest.approx(p, rel=1e-12)


def test_fisher_rxc_rejects_one_sided() -> None:
    with pytest.raises(ValueError, match="`alternative` must be 'two-sided'"):
        fisher_exact([[1, 2, 3], [3, 2, 1]], alternative="less")


# ------------------------------------------------------------------ published papers


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_fisher_reproduces_2022_tables_5_and_7() -> None:
    rows = {r["table"]: r for r in _rows(REF / "published_2022" / "fisher_tables_5_7.csv")}
    t5, t7 = rows["5"], rows["7"]

    def table(r: dict[str, str]) -> list[list[int]]:
        return [
            [int(r["before_yes"]), int(r["before_no"])],
            [int(r["after_yes"]), int(r["after_no"])],
        ]

    assert fisher_exact(table(t5)).p_value < float(t5["printed_p"])
    assert fisher_exact(table(t7)).p_value == pytest.approx(float(t7["printed_p"]), abs=5e-4)


PUBLISHED_2024 = _rows(REF / "published_2024" / "fisher_table_2.csv")


@pytest.mark.parametrize("row", PUBLISHED_2024, ids=lambda r: f"{r['comparison']}-{r['row'][:24]}")
def test_2024_table_2_p_values_are_fisher(row: dict[str, str]) -> None:
    a, n1, b, n2 = (int(row[k]) for k in ("events_1", "n_1", "events_2", "n_2"))
    table = [[a, n1 - a], [b, n2 - b]]
    printed = row["printed_p"]
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    tol = 0.5 * 10**-decimals
    assert round(100 * a / n1, 1) == pytest.approx(float(row["printed_pct_1"]), abs=0.05)
    fisher = fisher_exact(table).p_value
    assert fisher == pytest.approx(float(printed), abs=tol)
    pearson = chi_square(table, correction=False).p_value
    yates = chi_square(table).p_value
    if abs(pearson - fisher) > 2 * tol and abs(yates - fisher) > 2 * tol:
        assert abs(pearson - float(printed)) > tol
        assert abs(yates - float(printed)) > tol


# ------------------------------------------------------------------ chi-square


def test_chisq_independence_agresti() -> None:
    ref = R["chisq_agresti_party"]
    res = chi_square(ref["table"])
    assert res.statistic == pytest.approx(ref["statistic"], abs=0.005)
    assert res.df == ref["df"]
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    np.testing.assert_allclose(res.expected, ref["expected"], atol=5e-5)
    assert res.small_expected is False


def test_chisq_yates_2x2() -> None:
    ref = R["chisq_yates_2x2"]
    res = chi_square(ref["table"])
    assert res.p_value == pytest.approx(ref["p_value"], abs=5e-8)
    assert "Yates" in res.method


@pytest.mark.parametrize(
    "name", ["chisq_gof_equal", "chisq_gof_rescale", "chisq_gof_small_expected"]
)
def test_chisq_goodness_of_fit(name: str) -> None:
    ref = R[name]
    res = chi_square(ref["x"], p=ref.get("p"), rescale_p=name == "chisq_gof_rescale")
    assert res.statistic == pytest.approx(ref["statistic"], abs=_half_unit(ref["statistic"], 5))
    assert res.df == ref["df"]
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))
    assert res.small_expected is bool(ref.get("warns", False))


def test_chisq_gof_probabilities_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="`p` must sum to 1"):
        chi_square([89, 37, 30, 28, 2], p=[40, 20, 20, 15, 5])


# ------------------------------------------------------------------ McNemar / Bowker


def test_mcnemar_performance() -> None:
    ref = R["mcnemar_performance"]
    res = mcnemar(ref["table"])
    assert res.statistic == pytest.approx(ref["statistic"], abs=5e-4)
    assert res.p_value == pytest.approx(ref["p_value"], abs=_half_unit(ref["p_value"]))


def test_mcnemar_exact_and_uncorrected() -> None:
    # exact: binomial test of 150 vs 86 discordant pairs; uncorrected: (b - c)^2 / (b + c)
    table = [[794, 150], [86, 570]]
    assert mcnemar(table, correction=False).statistic == pytest.approx(64**2 / 236)
    exact = mcnemar(table, exact=True)
    assert exact.statistic is None
    assert exact.p_value == pytest.approx(2 * stats.binom.cdf(86, 236, 0.5), rel=1e-9)


def test_bowker_equals_uncorrected_mcnemar_on_2x2_and_handles_k_by_k() -> None:
    table = [[794, 150], [86, 570]]
    assert bowker(table).statistic == pytest.approx(mcnemar(table, correction=False).statistic)
    shift = np.array([[10, 4, 1], [2, 8, 6], [0, 1, 5]])
    res = bowker(shift)
    by_hand = (4 - 2) ** 2 / 6 + (1 - 0) ** 2 / 1 + (6 - 1) ** 2 / 7
    assert res.statistic == pytest.approx(by_hand)
    assert res.df == 3
    assert mcnemar(shift).statistic == pytest.approx(by_hand)  # R: mcnemar.test on k x k
    sparse = bowker([[3, 2, 0], [1, 4, 0], [0, 0, 2]])  # two empty pairs left out
    assert sparse.df == 1
    assert sparse.n_pairs_dropped == 2


# ------------------------------------------------------------------ input checks


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ([[1, 2, 3]], "must be a 2-D table of at least 2 rows"),
        ([[1, -2], [3, 4]], "non-negative whole counts"),
        ([[1.5, 2], [3, 4]], "non-negative whole counts"),
        ([[0, 0], [0, 0]], "at least one observation"),
    ],
)
def test_bad_tables(table: list, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fisher_exact(table)


def test_mcnemar_needs_square_table() -> None:
    with pytest.raises(ValueError, match="must be square"):
        mcnemar([[1, 2, 3], [3, 4, 5]])


def test_ard() -> None:
    ard = fisher_exact([[2, 15], [10, 3]]).to_ard(parameter="twins")
    assert ard["statistic"].to_list() == ["p_value", "odds_ratio", "lower", "upper"]
    assert chi_square([[12, 7], [5, 7]]).to_ard()["statistic"].to_list() == [
        "statistic",
        "df",
        "p_value",
    ]
    assert mcnemar([[794, 150], [86, 570]], exact=True).to_ard().height == 1
