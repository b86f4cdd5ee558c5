"""Consistency checker on the shipped examples (2022 and 2024 papers) and on hand cases.

Expected findings come from the papers' printed tables and the recomputations recorded in
tests/reference/published_2022/README.md and published_2024/README.md (R: binom.test(17, 32)
gives 0.3469-0.7093; 3/7 = 42.857 %; Fisher p-values of the 2024 Table 2).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from cnsrwe.evidence.checker import check_frame, check_table, parse_printed

EXAMPLES = resources.files("cnsrwe") / "data" / "examples"


def _example(name: str) -> Path:
    return Path(str(EXAMPLES / name))


@pytest.fixture(scope="module")
def result_2022():
    return check_table(_example("check_2022.csv"))


@pytest.fixture(scope="module")
def result_2024():
    return check_table(_example("check_2024.csv"))


def test_2022_finds_exactly_the_ci_typo_and_the_truncated_percent(result_2022) -> None:
    problems = result_2022.problems
    assert problems.height == 2
    ci = problems.filter(pl.col("check") == "ci_upper").row(0, named=True)
    assert (ci["table"], ci["group"], ci["reported"]) == ("Table 2", "cohort 2", "74.9")
    assert ci["status"] == "typo"
    assert ci["recomputed"] == "70.9"
    assert ci["explained_by"] == ""
    assert ci["message"].startswith("typo: no common method gives this")
    pct = problems.filter(pl.col("check") == "percent").row(0, named=True)
    assert (pct["group"], pct["reported"], pct["recomputed"]) == ("cohort 3", "42.8", "42.9")
    assert pct["status"] == "mismatch"
    assert pct["explained_by"] == "truncation"


def test_2022_lower_limit_of_17_32_and_all_other_cis_are_exact(result_2022) -> None:
    cis = result_2022.findings.filter(pl.col("check").is_in(["ci_lower", "ci_upper"]))
    ok = cis.filter(pl.col("status") == "ok")
    assert ok.height == 23
    assert all("clopper-pearson" in e.split(",") for e in ok["explained_by"])


def test_2022_fisher_p_values_pass(result_2022) -> None:
    p = result_2022.findings.filter(pl.col("check") == "p_value")
    assert p["status"].to_list() == ["ok", "ok"]
    assert p["reported"].to_list() == ["<0.001", "0.003"]


def test_2024_p_values_follow_fisher_although_pearson_is_named(result_2024) -> None:
    summary = result_2024.summary.row(0, named=True)
    assert summary["table"] == "Table 2"
    assert (summary["p_values"], summary["fisher"], summary["best_test"]) == (10, 10, "fisher")
    assert summary["test_named"] == "pearson"
    assert summary["pearson"] == 1  # only the printed "1" is also Pearson's at that precision
    assert "follow Fisher's exact test, not the test named" in summary["message"]
    p = result_2024.findings.filter(pl.col("check") == "p_value")
    assert p.filter(pl.col("status") == "mismatch").height == 9
    assert all("fisher" in e.split(",") for e in p["explained_by"])


def test_2024_percentages_round_except_the_truncated_36_9(result_2024) -> None:
    pct = result_2024.findings.filter(pl.col("check") == "percent")
    assert pct.height == 20
    bad = pct.filter(pl.col("status") != "ok")
    assert bad.rows() == [
        (
            "Table 2",
            "Symptomatic progression in all populations",
            "other 2G ALK-TKI",
            "percent",
            "36.9",
            "37.0",
            "mismatch",
            "truncation",
            bad["message"][0],
        ),
    ]


def test_named_method_that_does_not_match_is_a_mismatch_naming_the_alternative() -> None:
    # Wilson limits of 17/32 (36.4-69.1) printed but Clopper-Pearson named
    frame = pl.DataFrame(
        {
            "table": ["T"],
            "row": ["r"],
            "k": ["17"],
            "n": ["32"],
            "reported_ci_lower": ["36.4"],
            "reported_ci_upper": ["69.1"],
            "ci_method_named": ["clopper-pearson"],
        }
    )
    res = check_frame(frame)
    assert res.findings["status"].to_list() == ["mismatch", "mismatch"]
    assert all("wilson" in e.split(",") for e in res.findings["explained_by"])


def test_yates_named_and_matching_is_ok() -> None:
    frame = pl.DataFrame(
        {
            "table": ["T"],
            "row": ["r"],
            "counts": ["3,17;30,23"],
            "reported_p": ["0.003"],
            "test_named": ["yates"],
        }
    )
    res = check_frame(frame)
    assert res.findings["status"].to_list() == ["ok"]


def test_rxc_table_uses_fisher_and_pearson() -> None:
    frame = pl.DataFrame(
        {
            "table": ["T"],
            "row": ["r"],
            "counts": ["5,1,0;1,5,6"],
            "reported_p": ["0.5"],
            "test_named": ["yates"],
        }
    )
    res = check_frame(frame)
    assert res.findings["status"].to_list() == ["typo"]
    assert "does not apply" in res.findings["message"][0]


def test_parse_printed_keeps_precision() -> None:
    p = parse_printed("42.80%")
    assert p is not None
    assert (p.value, p.decimals, p.less_than) == (42.8, 2, False)
    lt = parse_printed("p < 0.001")
    assert lt is not None
    assert lt.less_than
    assert lt.matches(0.0009)
    assert not lt.matches(0.0011)
    assert parse_printed("") is None


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("k", "3.5", "`k` must be a whole number"),
        ("reported_percent", "abc", "`reported_percent` must be a printed number"),
        ("ci_method_named", "bayes", "`ci_method_named` must be one of"),
        ("counts", "3,17;30", "`counts` must have >= 2 rows of equal length"),
    ],
)
def test_bad_input_names_the_row_and_column(column: str, value: str, match: str) -> None:
    base = {
        "table": "T",
        "row": "r",
        "k": "3",
        "n": "7",
        "reported_percent": "42.9",
        "counts": "1,2;3,4",
        "reported_p": "0.5",
    }
    base[column] = value
    with pytest.raises(ValueError, match=match) as info:
        check_frame(pl.DataFrame({k: [v] for k, v in base.items()}))
    assert "input row 2 (T, r)" in str(info.value)


def test_k_greater_than_n_is_refused() -> None:
    with pytest.raises(ValueError, match="0 <= k <= n"):
        check_frame(pl.DataFrame({"table": ["T"], "row": ["r"], "k": ["8"], "n": ["7"]}))


def test_missing_file_and_wrong_suffix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="`path` must be an existing"):
        check_table(tmp_path / "nope.csv")
    bad = tmp_path / "x.txt"
    bad.write_text("a")
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        check_table(bad)
