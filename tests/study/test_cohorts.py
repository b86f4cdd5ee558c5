"""Index-line selection and cohort assignment on hand-built treatment histories.

The scenario table follows admiral's practice: one row per patient with the history in
words, the rows that encode it, and the cohort a clinician reading the 2022 study's
Methods would assign (Zou et al., BMC Med 2022;20:12: cohort 1 ALK-TKI-naive; cohort 2
intracranial progression on crizotinib; cohort 3 CNS-only progression on another
second-generation ALK TKI). The rules come from examples/alectinib-2022/study.toml.
"""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.errors import SchemaError
from cnsrwe.study import (
    CohortRule,
    IndexRule,
    LineMatch,
    PriorLinesCondition,
    assign_cohorts,
    load_study,
    select_index_lines,
)

from ._tables import EXAMPLE, d, line, progression, treatments

ALEC = "alectinib"

# patient, history in words, expected cohort or unassigned reason
SCENARIOS: list[tuple[str, str, str]] = [
    ("N01", "alectinib first line", "tki_naive"),
    ("N02", "chemotherapy, then alectinib", "tki_naive"),
    ("N03", "brain SRS before any line, then alectinib", "tki_naive"),
    ("C01", "crizotinib, CNS-only progression", "post_crizotinib_cns"),
    ("C02", "crizotinib, CNS + extracranial progression", "post_crizotinib_cns"),
    ("C03", "crizotinib, extracranial-only progression", "no_cohort"),
    ("C04", "crizotinib, progression site not recorded", "undetermined"),
    ("C05", "crizotinib (CNS PD), chemotherapy, then alectinib", "post_crizotinib_cns"),
    ("C06", "crizotinib written only as regimen 'Crizotinib', CNS PD", "post_crizotinib_cns"),
    ("S01", "ceritinib, CNS-only progression", "post_2g_cns_only"),
    ("S02", "crizotinib (both), ceritinib (CNS only)", "post_2g_cns_only"),
    ("S03", "ceritinib, CNS + extracranial progression", "no_cohort"),
    ("S04", "crizotinib (CNS only), ceritinib (extracranial only)", "no_cohort"),
    ("S05", "'CT707' in upper case, CNS-only progression", "post_2g_cns_only"),
]

ROWS = [
    line("N01", 1, ALEC, "2018-01-10"),
    line("N02", 1, "pemetrexed-cisplatin", "2016-05-01", "2017-11-30", "progression",
         cls="chemotherapy", agents=["pemetrexed", "cisplatin"]),
    line("N02", 2, ALEC, "2017-12-15"),
    line("N03", None, "srs", "2017-12-01", "2017-12-01", "completed", cls="radiotherapy",
         agents=[], site="brain", rt="srs"),
    line("N03", 1, ALEC, "2018-01-05"),
    line("C01", 1, "crizotinib", "2016-01-01", "2017-10-01", "progression"),
    line("C01", 2, ALEC, "2017-10-10"),
    line("C02", 1, "crizotinib", "2016-01-01", "2017-10-01", "progression"),
    line("C02", 2, ALEC, "2017-10-10"),
    line("C03", 1, "crizotinib", "2016-01-01", "2017-10-01", "progression"),
    line("C03", 2, ALEC, "2017-10-10"),
    line("C04", 1, "crizotinib", "2016-01-01", "2017-10-01", "progression"),
    line("C04", 2, ALEC, "2017-10-10"),
    line("C05", 1, "crizotinib", "2015-01-01", "2016-10-01", "progression"),
    line("C05", 2, "docetaxel", "2016-11-01", "2017-09-01", "progression", cls="chemotherapy"),
    line("C05", 3, ALEC, "2017-10-10"),
    line("C06", 1, "Crizotinib", "2016-01-01", "2017-10-01", "progression", agents=[]),
    line("C06", 2, ALEC, "2017-10-10"),
    line("S01", 1, "ceritinib", "2016-01-01", "2017-10-01", "progression"),
    line("S01", 2, ALEC, "2017-10-10"),
    line("S02", 1, "crizotinib", "2015-01-01", "2016-10-01", "progression"),
    line("S02", 2, "ceritinib", "2016-11-01", "2017-09-01", "progression"),
    line("S02", 3, ALEC, "2017-10-10"),
    line("S03", 1, "ceritinib", "2016-01-01", "2017-10-01", "progression"),
    line("S03", 2, ALEC, "2017-10-10"),
    line("S04", 1, "crizotinib", "2015-01-01", "2016-10-01", "progression"),
    line("S04", 2, "ceritinib", "2016-11-01", "2017-09-01", "progression"),
    line("S04", 3, ALEC, "2017-10-10"),
    line("S05", 1, "CT707", "2016-01-01", "2017-10-01", "progression"),
    line("S05", 2, ALEC, "2017-10-10"),
]
SITES = progression([
    ("C01", 1, "CNS_ONLY"), ("C02", 1, "BOTH"), ("C03", 1, "EXTRACRANIAL_ONLY"),
    ("C05", 1, "CNS_ONLY"), ("C05", 2, "EXTRACRANIAL_ONLY"), ("C06", 1, "CNS_ONLY"),
    ("S01", 1, "CNS_ONLY"), ("S02", 1, "BOTH"), ("S02", 2, "CNS_ONLY"), ("S03", 1, "BOTH"),
    ("S04", 1, "CNS_ONLY"), ("S04", 2, "EXTRACRANIAL_ONLY"), ("S05", 1, "CNS_ONLY"),
])  # fmt: skip


@pytest.fixture(scope="module")
def study():
    return load_study(EXAMPLE).spec


def test_scenarios_of_the_2022_cohorts(study) -> None:
    t = treatments(ROWS)
    index = select_index_lines(t, study.index)
    assert index.height == len(SCENARIOS)
    result = assign_cohorts(t, index, study.cohorts, prior_line_progression=SITES)
    got = dict(zip(result.cohorts["patient_id"], result.cohorts["cohort"], strict=True))
    got |= dict(zip(result.unassigned["patient_id"], result.unassigned["reason"], strict=True))
    expected = {pid: outcome for pid, _, outcome in SCENARIOS}
    assert got == expected
    # nobody is lost: assigned + unassigned = patients with an index line
    assert result.cohorts.height + result.unassigned.height == index.height


def test_unassigned_rows_carry_a_readable_detail(study) -> None:
    t = treatments(ROWS)
    index = select_index_lines(t, study.index)
    un = assign_cohorts(t, index, study.cohorts, prior_line_progression=SITES).unassigned
    detail = dict(zip(un["patient_id"], un["detail"], strict=True))
    assert detail["C03"] == "matches no cohort rule"
    assert "post_crizotinib_cns" in detail["C04"]
    assert detail["C04"].startswith("missing data")


def test_index_line_is_the_first_alectinib_line_in_the_window(study) -> None:
    t = treatments([
        line("A", 1, ALEC, "2016-03-01", "2016-09-01", "toxicity"),  # before 2017-07-01
        line("A", 2, "crizotinib", "2016-10-01", "2017-12-01", "progression"),
        line("A", 3, "alectinib+bevacizumab", "2018-01-01", cls="alk_tki",
             agents=["Alectinib", "bevacizumab"]),
        line("A", 4, ALEC, "2019-06-01"),
        line("B", None, ALEC, "2018-01-01"),  # no line number: not a systemic line
        line("C", 1, ALEC, "2020-10-01"),  # after 2020-09-30
    ])  # fmt: skip
    index = select_index_lines(t, study.index)
    assert index.rows() == [("A", 3, d("2018-01-01"), "alectinib+bevacizumab")]


@pytest.mark.parametrize(("occurrence", "n", "expected_line"),
                         [("first", None, 1), ("last", None, 3), ("nth", 2, 2), ("nth", 4, None)])
def test_index_occurrence(occurrence: str, n: int | None, expected_line: int | None) -> None:
    t = treatments([line("A", k, "lorlatinib", f"201{k}-01-01") for k in (1, 2, 3)])
    rule = IndexRule(match=LineMatch(agents_any=("lorlatinib",)),
                     occurrence=occurrence, n=n)  # type: ignore[arg-type]
    index = select_index_lines(t, rule)
    assert index["index_line"].to_list() == ([] if expected_line is None else [expected_line])


def _history() -> pl.DataFrame:
    return treatments([
        line("Q", 1, "crizotinib", "2015-01-01", "2015-12-01", "progression"),
        line("Q", 2, "ceritinib", "2016-01-01", "2016-12-01", "toxicity"),
        line("Q", 3, "carboplatin", "2017-01-01", "2017-06-01", "progression",
             cls="chemotherapy"),
        line("Q", 4, ALEC, "2017-07-01"),
        line("R", 1, ALEC, "2017-07-01"),
    ])  # fmt: skip


def _value(cond: PriorLinesCondition) -> dict[str, str]:
    t = _history()
    index = select_index_lines(t, IndexRule(match=LineMatch(agents_any=(ALEC,))))
    res = assign_cohorts(t, index, [CohortRule("c", "C", (cond,))])
    return {p: "in" for p in res.cohorts["patient_id"]} | {
        p: r for p, r in zip(res.unassigned["patient_id"], res.unassigned["reason"], strict=True)
    }


TKI = LineMatch(agent_class_in=("alk_tki",))


@pytest.mark.parametrize(("cond", "q", "r"), [
    (PriorLinesCondition("any", match=TKI, min_count=2), "in", "no_cohort"),
    (PriorLinesCondition("any", match=TKI, min_count=3), "no_cohort", "no_cohort"),
    (PriorLinesCondition("none", match=TKI), "no_cohort", "in"),
    (PriorLinesCondition("all", match=TKI), "no_cohort", "no_cohort"),  # chemo line 3
    (PriorLinesCondition("all", among=TKI, match=LineMatch(end_reason_in=("progression",))),
     "no_cohort", "no_cohort"),  # ceritinib ended for toxicity
    (PriorLinesCondition("first", among=TKI, match=LineMatch(agents_any=("crizotinib",))),
     "in", "no_cohort"),
    (PriorLinesCondition("last", among=TKI, match=LineMatch(agents_any=("crizotinib",))),
     "no_cohort", "no_cohort"),
    (PriorLinesCondition("last", match=LineMatch(agent_class_in=("chemotherapy",))),
     "in", "no_cohort"),
])  # fmt: skip
def test_quantifiers(cond: PriorLinesCondition, q: str, r: str) -> None:
    assert _value(cond) == {"Q": q, "R": r}


def test_several_cohorts_reported_or_first_listed() -> None:
    t = _history()
    index = select_index_lines(t, IndexRule(match=LineMatch(agents_any=(ALEC,))))
    rules = [CohortRule("any_tki", "Any TKI", (PriorLinesCondition("any", match=TKI),)),
             CohortRule("had_chemo", "Chemo", (PriorLinesCondition(
                 "any", match=LineMatch(agent_class_in=("chemotherapy",))),))]
    res = assign_cohorts(t, index, rules)
    row = res.unassigned.filter(pl.col("patient_id") == "Q").row(0, named=True)
    assert row["reason"] == "multiple_cohorts"
    assert row["detail"] == "matches cohorts any_tki, had_chemo"
    res = assign_cohorts(t, index, rules, on_multiple="first_listed")
    row = res.cohorts.filter(pl.col("patient_id") == "Q").row(0, named=True)
    assert (row["cohort"], row["also_matched"]) == ("any_tki", ["had_chemo"])
    assert res.unassigned["patient_id"].to_list() == ["R"]


def test_progression_site_rules_need_the_table(study) -> None:
    t = treatments(ROWS)
    index = select_index_lines(t, study.index)
    with pytest.raises(SchemaError, match=r"`prior_line_progression` .* is needed because cohort"):
        assign_cohorts(t, index, study.cohorts)
    dup = pl.concat([SITES, SITES.head(1)])
    with pytest.raises(SchemaError, match="one row per patient and line"):
        assign_cohorts(t, index, study.cohorts, prior_line_progression=dup)


def test_progression_site_recorded_in_treatments_is_used(study) -> None:
    # Same scenarios, but each prior line's site is recorded in the data format's
    # treatments.progression_site (intracranial / extracranial / both) instead of a side table.
    recorded = {"CNS_ONLY": "intracranial", "EXTRACRANIAL_ONLY": "extracranial",
                "BOTH": "both"}
    t = treatments(ROWS).join(
        SITES.with_columns(pl.col("progression_site").replace_strict(recorded)),
        on=["patient_id", "line"], how="left",
    )
    index = select_index_lines(t, study.index)
    result = assign_cohorts(t, index, study.cohorts)
    got = dict(zip(result.cohorts["patient_id"], result.cohorts["cohort"], strict=True))
    got |= dict(zip(result.unassigned["patient_id"], result.unassigned["reason"], strict=True))
    assert got == {pid: outcome for pid, _, outcome in SCENARIOS}
    # a site given in the side table wins over the recorded one for the same line
    override = SITES.filter(pl.col("patient_id") == "C01").with_columns(
        pl.lit("EXTRACRANIAL_ONLY").alias("progression_site"))
    result = assign_cohorts(t, index, study.cohorts, prior_line_progression=override)
    assert "C01" in result.unassigned["patient_id"].to_list()


def test_inputs_are_not_modified_and_missing_columns_are_named(study) -> None:
    t = treatments(ROWS)
    before = t.clone()
    index = select_index_lines(t, study.index)
    assign_cohorts(t, index, study.cohorts, prior_line_progression=SITES)
    assert t.equals(before)
    with pytest.raises(SchemaError, match=r"`treatments` must have columns .*missing \['agents'\]"):
        select_index_lines(t.drop("agents"), study.index)


def test_large_frame_with_empty_line_match() -> None:
    # regression: a literal-true predicate mis-broadcast on frames of ~60k rows (polars 2.1)
    n = 20_000
    t = pl.DataFrame({
        "patient_id": [f"P{i // 3}" for i in range(3 * n)],
        "line": [i % 3 + 1 for i in range(3 * n)],
        "regimen": ["crizotinib", "pemetrexed", ALEC] * n,
        "agent_class": ["alk_tki", "chemotherapy", "alk_tki"] * n,
        "agents": [["crizotinib"], ["pemetrexed"], [ALEC]] * n,
        "start_date": [d("2015-01-01"), d("2016-01-01"), d("2017-01-01")] * n,
        "end_reason": ["progression", "progression", None] * n,
    })  # fmt: skip
    index = select_index_lines(t, IndexRule(match=LineMatch(agents_any=(ALEC,))))
    rules = [CohortRule("after_tki", "After TKI", (PriorLinesCondition("any", match=TKI),)),
             CohortRule("everyone", "Everyone", ())]
    res = assign_cohorts(t, index, rules, on_multiple="first_listed")
    assert res.cohorts.height == n
    assert res.cohorts["also_matched"].list.len().sum() == n


def test_unknown_progression_site_is_rejected_without_patient_ids(study) -> None:
    t = treatments(ROWS)
    index = select_index_lines(t, study.index)
    bad = progression([("C01", 1, "CNS_ONLY"), ("C02", 1, "cns_only")])
    with pytest.raises(SchemaError, match=r"got 'cns_only' in 1 row\(s\) \(first at row 2\)"
                       ) as info:
        assign_cohorts(t, index, study.cohorts, prior_line_progression=bad)
    assert "C02" not in str(info.value)


def test_read_prior_line_progression_from_the_study_file(tmp_path) -> None:
    from cnsrwe.study import load_study_text, read_prior_line_progression, starter_text

    text = starter_text().replace(
        '# prior_line_progression = "data/prior_line_progression.csv"  # patient_id, line,'
        ' progression_site', 'prior_line_progression = "sites.csv"')
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    loaded = load_study(tmp_path / "study.toml")
    with pytest.raises(SchemaError, match="must name an existing file"):
        read_prior_line_progression(loaded)
    (tmp_path / "sites.csv").write_text("patient_id,line,progression_site\n007,1,BOTH\n",
                                        encoding="utf-8")
    frame = read_prior_line_progression(loaded)
    assert frame is not None
    assert frame.rows() == [("007", 1, "BOTH")]  # identifiers stay text (leading zeros kept)
    assert read_prior_line_progression(load_study_text(starter_text())) is None
