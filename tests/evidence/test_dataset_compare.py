"""Curated evidence dataset (provenance per row) and the cohort comparison."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.evidence.compare import compare_cohort, study_counts
from cnsrwe.evidence.dataset import (
    CRITERIA,
    DRUGS,
    LINES,
    POPULATIONS,
    VERIFICATION,
    filter_evidence,
    read_evidence,
)
from cnsrwe.evidence.meta import pool_proportions
from cnsrwe.stats.proportions import binomial_ci


@pytest.fixture(scope="module")
def evidence() -> pl.DataFrame:
    return read_evidence()


def test_every_row_has_source_verification_and_what_it_was_checked_against(evidence) -> None:
    assert evidence.height == 39
    assert evidence["row_id"].n_unique() == 39
    for col in ("source", "year", "verification", "checked_against"):
        assert evidence[col].is_not_null().all(), col
        assert (evidence[col].str.strip_chars() != "").all(), col
    assert set(evidence["verification"]) <= set(VERIFICATION)
    checked_here = evidence.filter(pl.col("checked_on").is_not_null())
    assert (checked_here["checked_on"].str.contains(r"^\d{4}-\d{2}-\d{2}$")).all()


def test_vocabularies_are_closed(evidence) -> None:
    assert set(evidence["drug"]) <= set(DRUGS)
    assert set(evidence["line"]) <= set(LINES)
    assert set(evidence["population"]) <= set(POPULATIONS)
    assert set(evidence["criteria"]) <= set(CRITERIA)


def test_counts_agree_with_printed_rates_where_both_exist(evidence) -> None:
    rows = evidence.filter(pl.col("responders").is_not_null() & pl.col("ic_orr_pct").is_not_null())
    assert rows.height > 20
    for rec in rows.iter_rows(named=True):
        pct = 100 * rec["responders"] / rec["n"]
        printed = float(rec["ic_orr_pct"])
        decimals = len(rec["ic_orr_pct"].split(".")[1]) if "." in rec["ic_orr_pct"] else 0
        # half a unit of the printed digit; 42.8 for 3/7 is the paper's truncation
        tol = 0.5 * 10**-decimals + (0.1 if rec["row_id"] == "TRL-039" else 0)
        assert abs(pct - printed) <= tol + 1e-9, rec["row_id"]


def test_known_unverified_rows_are_marked(evidence) -> None:
    status = dict(evidence.select("row_id", "verification").iter_rows())
    for row in ("TRL-008", "TRL-009", "TRL-021", "TRL-022", "TRL-029", "TRL-030"):
        assert status[row] == "unverified"
    assert status["TRL-012"] == "verified"  # ALUR 13/24 checked in this release


def test_unverified_rows_are_not_pooled_by_default(evidence) -> None:
    rows = filter_evidence(evidence, drug="lorlatinib", line="first_line", population="measurable")
    assert rows.height == 0
    rows = filter_evidence(
        evidence,
        drug="lorlatinib",
        line="first_line",
        population="measurable",
        include_unverified=True,
    )
    assert rows["row_id"].to_list() == ["TRL-025", "TRL-029"]


def test_filter_refuses_unknown_values(evidence) -> None:
    with pytest.raises(ValueError, match="`drug`"):
        filter_evidence(evidence, drug="osimertinib")


def test_compare_recomputes_exact_cis_and_pools_the_comparable_trials() -> None:
    cmp = compare_cohort(
        {"cohort 2": (13, 17)}, drug="alectinib", line="post_crizotinib", population="measurable"
    )
    study = cmp.forest.filter(pl.col("kind") == "study").row(0, named=True)
    ci = binomial_ci(13, 17)
    assert (study["lower"], study["upper"]) == (ci.lower, ci.upper)
    trials = cmp.forest.filter(pl.col("kind") == "trial")
    assert trials["row_id"].to_list() == ["TRL-010", "TRL-012", "TRL-038"]
    expected = pool_proportions([32, 13, 13], [50, 24, 17], method="REML", test="knha")
    assert cmp.pooled is not None
    assert cmp.pooled.estimate == pytest.approx(expected.estimate, abs=1e-12)
    pooled = cmp.forest.filter(pl.col("kind") == "pooled")
    assert pooled.height == 2
    assert pooled["estimate"][0] == pytest.approx(expected.estimate, abs=1e-12)
    ard = cmp.to_ard()
    assert {"study: cohort 2", "pooled (REML, HK)", "pooled (DL)"} <= set(ard["group"])


def test_compare_warns_about_criteria_review_rt_and_left_out_rows() -> None:
    cmp = compare_cohort(
        {"cohort 2": (13, 17)},
        drug="alectinib",
        line="post_crizotinib",
        population="measurable",
        study_criteria="rano_bm",
    )
    text = "\n".join(cmp.warnings)
    assert "TRL-010 NP28673 + NP28761 (pooled): criteria differ" in text
    assert "central review (IRC)" in text
    assert "prior brain radiotherapy 70%" in text
    assert "TRL-001 ALEX not comparable: line first_line (study: post_crizotinib)" in text
    assert "TRL-011 NP28673 + NP28761 (pooled) not comparable: population any" in text


def test_compare_with_one_trial_does_not_pool() -> None:
    cmp = compare_cohort(
        {"c": (3, 7)}, drug="alectinib", line="post_second_generation", population="measurable"
    )
    assert cmp.pooled is None
    assert any("no pooled estimate" in w for w in cmp.warnings)


def test_study_counts_from_ard_and_frame() -> None:
    ard = binomial_ci(9, 11).to_ard(group="cohort 1")
    assert study_counts(ard) == [("cohort 1", 9, 11)]
    frame = pl.DataFrame({"cohort": ["a"], "k": [3], "n": [7]})
    assert study_counts(frame) == [("a", 3, 7)]
    with pytest.raises(ValueError, match="columns cohort, k, n"):
        study_counts(pl.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="`study_criteria`"):
        compare_cohort(
            {"a": (1, 2)},
            drug="alectinib",
            line="first_line",
            population="measurable",
            study_criteria="who",
        )
