"""Baseline facts, subgroup and eligibility rules, and the patient flow on hand-built data.

Expected values are worked out by hand from the rows (baseline = latest record of each
lesion within 28 days on or before day 0, RECIST 1.1 section 3.2; measurable CNS = a CNS
target >= 10 mm; "uncontrolled" as defined in the 2022 study's Results).
"""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.study import (
    BaselineSpec,
    FactCondition,
    SubgroupRule,
    baseline_facts,
    derive_study_population,
    evaluate_subgroups,
    load_study,
)

from ._tables import EXAMPLE, clinical, d, lesions, line, progression, treatments

DAY0 = "2018-01-10"
INDEX = pl.DataFrame({
    "patient_id": ["F1", "F2", "F3", "F4", "F5", "F6"],
    "index_line": [1, 2, 1, 2, 2, 1],
    "index_date": [d(DAY0)] * 6,
})  # fmt: skip

LESIONS = lesions([
    ("F1", "2017-10-01", "T9", "brain_parenchyma", "target", 30),  # outside the window
    ("F1", "2018-01-01", "T1", "brain_parenchyma", "target", 12),
    ("F1", "2018-01-01", "T2", "brain_parenchyma", "target", 8),
    ("F1", "2018-01-01", "N3", "brain_parenchyma", "non_target", None),
    ("F1", "2017-12-20", "T4", "lung", "target", 25),
    ("F1", "2018-01-05", "T4", "lung", "target", 24),  # latest record of T4 counts
    ("F1", "2018-01-05", "X1", "liver", "new", 7),  # a "new" lesion is not baseline
    ("F2", "2018-01-02", "L1", "leptomeninges", "non_target", None),
    ("F2", "2018-01-02", "T1", "brain_parenchyma", "target", 9.5),
    ("F3", "2017-09-01", "T1", "brain_parenchyma", "target", 15),  # not imaged in window
    ("F4", "2018-01-03", "T1", "brain_parenchyma", "target", 11),
    ("F5", "2018-01-03", "T1", "brain_parenchyma", "non_target", None),
    ("F6", "2018-01-10", "T1", "brain_parenchyma", "target", 10),  # on day 0, exactly 10 mm
])  # fmt: skip

CLINICAL = clinical([
    ("F1", "2018-01-01", 2, True, 4.0, False),
    ("F1", "2018-01-08", None, True, 0.0, None),
    ("F1", "2018-01-20", 0, False, 0.0, False),  # after day 0: not baseline
    ("F2", "2017-12-01", 3, True, 8.0, True),  # 40 days before: outside 14-day window
    ("F6", "2018-01-09", 1, False, None, True),
])  # fmt: skip

TREATMENTS = treatments([
    line("F1", 1, "alectinib", DAY0),
    line("F2", None, "wbrt", "2017-06-01", "2017-06-14", "completed", cls="radiotherapy",
         agents=[], site="brain", rt="wbrt"),
    line("F2", 1, "crizotinib", "2017-01-01", "2017-12-01", "progression"),
    line("F2", 2, "alectinib", DAY0),
    line("F3", 1, "alectinib", DAY0),
    line("F4", 1, "crizotinib", "2016-01-01", "2017-11-01", "progression"),
    line("F4", 1, "srs", "2017-12-15", "2017-12-15", "completed", cls="radiotherapy",
         agents=[], site="brain", rt="srs"),
    line("F4", 2, "alectinib", DAY0),
    line("F5", None, "resection", "2017-06-01", "2017-06-01", "completed", cls="surgery",
         agents=[], site="brain"),
    line("F5", 1, "crizotinib", "2017-07-01", "2017-12-01", "progression"),
    line("F5", 2, "alectinib", DAY0),
    line("F6", None, "srs", "2018-01-10", "2018-01-10", "completed", cls="radiotherapy",
         agents=[], site="brain", rt="srs"),  # on day 0: not prior
    line("F6", 1, "alectinib", DAY0),
])  # fmt: skip

SITES = progression([("F2", 1, "CNS_ONLY"), ("F4", 1, "CNS_ONLY")])
PATIENTS = pl.DataFrame({
    "patient_id": ["F1", "F2", "F3", "F4", "F5", "F6"],
    "sex": ["female", "male", "female", "male", "female", "male"],
    "birth_year": [1960, 1970, None, 1980, 1990, 1950],
    "age_at_index": [None, 47.5, 60.0, None, None, None],
    "ecog_at_index": [0, 1, 1, 0, 0, 0],
})  # fmt: skip

EXPECTED = {
    # fact: F1, F2, F3, F4, F5, F6
    "imaged_at_baseline": [True, True, False, True, True, True],
    "any_cns": [True, True, None, True, True, True],
    "n_brain_mets": [3, 1, None, 1, 1, 1],
    "measurable_cns": [True, False, None, True, False, True],
    "sum_cns_target_mm": [20.0, 9.5, None, 11.0, None, 10.0],
    "leptomeningeal": [False, True, None, False, False, False],
    "extracranial": [True, False, None, False, False, False],
    "measurable_extracranial": [True, False, None, False, False, False],
    "cns_symptoms": [True, None, None, None, None, False],
    "ecog": [2, 1, 1, 0, 0, 1],  # F2-F5: no visit in window -> patients.ecog_at_index
    "corticosteroids": [False, None, None, None, None, None],
    "mannitol": [False, None, None, None, None, True],
    "steroids_or_mannitol": [False, None, None, None, None, True],
    "prior_brain_radiotherapy": [False, True, False, True, False, False],
    "prior_brain_surgery": [False, False, False, False, True, False],
    "prior_brain_local": [False, True, False, True, True, False],
    "cns_progression_after_local": [False, True, False, False, None, False],
    "uncontrolled_cns": [True, True, None, False, None, True],
    "n_prior_lines": [0, 1, 0, 1, 1, 0],
    "n_prior_alk_tki": [0, 1, 0, 1, 1, 0],
    "age_at_index": [58.0, 47.5, 60.0, 38.0, 28.0, 68.0],
    "sex": ["female", "male", "female", "male", "female", "male"],
}


@pytest.fixture(scope="module")
def facts() -> pl.DataFrame:
    return baseline_facts(LESIONS, CLINICAL, TREATMENTS, INDEX, patients=PATIENTS,
                          prior_line_progression=SITES)


@pytest.mark.parametrize("fact", list(EXPECTED))
def test_baseline_fact(facts: pl.DataFrame, fact: str) -> None:
    got = facts.sort("patient_id")[fact].to_list()
    assert got == EXPECTED[fact]


def test_one_row_per_index_patient_with_every_fact(facts: pl.DataFrame) -> None:
    from cnsrwe.study import FACTS

    assert facts.columns == ["patient_id", *FACTS]
    assert facts.height == INDEX.height


def test_window_and_threshold_are_settings() -> None:
    wide = baseline_facts(LESIONS, CLINICAL, TREATMENTS, INDEX, patients=PATIENTS,
                          prior_line_progression=SITES,
                          baseline=BaselineSpec(imaging_window_days=200,
                                                clinical_window_days=60,
                                                measurable_cns_min_mm=9.5)).sort("patient_id")
    assert wide["any_cns"][2] is True  # F3's September scan now counts
    assert wide["measurable_cns"][1] is True  # 9.5 mm now measurable
    assert wide["ecog"][1] == 3  # F2's visit 40 days before now counts
    assert wide["n_brain_mets"][0] == 4  # T9 (October) now in the window


def test_a_lesion_recorded_absent_at_baseline_is_not_disease() -> None:
    # F5's only lesion, a brain non-target, resolved before the index line: its latest row in
    # the baseline window says 'absent' (RECIST 1.1 non-target status), so F5 has no CNS
    # disease at baseline; F1's lesions are present (status not given = present).
    with_status = LESIONS.with_columns(
        pl.when(pl.col("patient_id") == "F5").then(pl.lit("absent"))
        .otherwise(pl.lit(None, dtype=pl.String)).alias("non_target_status")
    )
    f = baseline_facts(with_status, CLINICAL, TREATMENTS, INDEX, patients=PATIENTS,
                       prior_line_progression=SITES).sort("patient_id")
    row = f.filter(pl.col("patient_id") == "F5").row(0, named=True)
    assert (row["imaged_at_baseline"], row["any_cns"], row["n_brain_mets"]) == (True, False, 0)
    assert f.filter(pl.col("patient_id") == "F1")["n_brain_mets"][0] == 3


def test_without_progression_table_progression_after_local_is_unknown() -> None:
    f = baseline_facts(LESIONS, CLINICAL, TREATMENTS, INDEX).sort("patient_id")
    # F2 and F4 had a prior line ending in progression after the local therapy? F2 yes
    # (unknown site now), F4 no (its line ended before the SRS).
    assert f["cns_progression_after_local"].to_list() == [False, None, False, False, None,
                                                          False]
    assert f["sex"].to_list() == [None] * 6  # no patients table: patient facts missing


def _cond(**kw: object) -> FactCondition:
    return FactCondition(**kw)  # type: ignore[arg-type]


def test_subgroups_three_valued(facts: pl.DataFrame) -> None:
    rules = [
        SubgroupRule("bm_1_3", "1-3 BM", _cond(fact="n_brain_mets", min=1, max=3),
                     within=_cond(fact="leptomeningeal", equals=False)),
        SubgroupRule("symptomatic", "Symptomatic", _cond(fact="cns_symptoms", equals=True)),
        SubgroupRule("not_imaged", "Not imaged", _cond(fact="any_cns", is_missing=True)),
        SubgroupRule("ecog_2plus_or_lm", "ECOG>=2 or LM", _cond(any_of=(
            _cond(fact="ecog", min=2), _cond(fact="leptomeningeal", equals=True)))),
        SubgroupRule("no_local", "No local therapy",
                     _cond(not_=_cond(fact="prior_brain_local", equals=True))),
        SubgroupRule("male", "Male", _cond(fact="sex", in_=("male",))),
    ]
    long = evaluate_subgroups(facts, rules)
    assert long.columns == ["patient_id", "subgroup", "in_scope", "member"]
    wide = {name: dict(zip(g["patient_id"], g["member"], strict=True))
            for (name,), g in long.group_by("subgroup")}
    assert wide["bm_1_3"] == {"F1": True, "F2": False, "F3": None, "F4": True, "F5": True,
                              "F6": True}
    assert wide["symptomatic"] == {"F1": True, "F2": None, "F3": None, "F4": None,
                                   "F5": None, "F6": False}
    assert wide["not_imaged"] == {"F1": False, "F2": False, "F3": True, "F4": False,
                                  "F5": False, "F6": False}
    assert wide["ecog_2plus_or_lm"] == {"F1": True, "F2": True, "F3": None, "F4": False,
                                        "F5": False, "F6": False}
    assert wide["no_local"] == {"F1": True, "F2": False, "F3": True, "F4": False,
                                "F5": False, "F6": True}
    assert wide["male"] == {"F1": False, "F2": True, "F3": False, "F4": True, "F5": False,
                            "F6": True}


def test_2022_subgroups_on_the_facts(facts: pl.DataFrame) -> None:
    study = load_study(EXAMPLE).spec
    long = evaluate_subgroups(facts, study.subgroups)
    members = (long.filter(pl.col("member").fill_null(False))
               .group_by("subgroup").agg(pl.col("patient_id").sort()))
    got = dict(zip(members["subgroup"], members["patient_id"].to_list(), strict=True))
    assert got["uncontrolled_cns"] == ["F1", "F2", "F6"]
    assert got["measurable_uncontrolled"] == ["F1", "F6"]
    assert got["lm"] == ["F2"]
    assert got["symptomatic_bm"] == ["F1"]  # F2 has LM: outside the population
    assert got["asymptomatic_bm"] == ["F6"]
    assert got["bm_1_3"] == ["F1", "F6"]  # 3 and 1 BM; F4 (1 BM) is controlled
    assert "bm_4_plus" not in got
    assert got["prior_brain_local"] == ["F2", "F4", "F5"]


def test_patient_flow_counts_add_up() -> None:
    study = load_study(EXAMPLE).spec
    extra = treatments([line("Z1", 1, "lorlatinib", DAY0)])  # no alectinib: no index line
    tables = {
        "patients": pl.concat([PATIENTS.select("patient_id"),
                               pl.DataFrame({"patient_id": ["Z1"]})]),
        "treatments": pl.concat([TREATMENTS, extra]),
        "lesions": LESIONS, "clinical": CLINICAL,
    }
    pop = derive_study_population(tables, study, prior_line_progression=SITES)
    flow = dict(zip(pop.flow["stage"], pop.flow["n"], strict=True))
    assert flow["screened"] == 7
    assert flow["no_index_line"] == 1
    assert flow["with_index_line"] == 6
    assert flow["unassessable_baseline_cns"] == 1  # F3 not imaged at baseline
    assert flow["excluded_baseline_cns"] == 0
    assert flow["eligible"] == 5
    # F1, F6: ALK-TKI-naive; F2, F4: crizotinib with CNS progression; F5: site unknown
    assert flow["cohort_tki_naive"] == 2
    assert flow["cohort_post_crizotinib_cns"] == 2
    assert flow["cohort_post_2g_cns_only"] == 0
    assert flow["unassigned_undetermined"] == 1
    included = flow["eligible"]
    assigned = sum(n for s, n in flow.items() if s.startswith("cohort_"))
    unassigned = sum(n for s, n in flow.items() if s.startswith("unassigned_"))
    assert assigned + unassigned == included
    assert pop.flow["step"].to_list() == list(range(1, pop.flow.height + 1))
