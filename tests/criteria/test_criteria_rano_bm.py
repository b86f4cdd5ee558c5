"""RANO-BM cases RB-* (response-criteria spec §3.7), checked against Lin et al. 2015 as
reproduced in PMC7251532 Table 2 / PMC6499019 Table 4 (see tests/reference/rano_bm)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from criteria_scenario import L, at, day, lesions, reference, run

from cnsrwe.criteria import derive_timepoint_responses, get_profile


def clinical(visits: list[tuple[int, float | None, str | None]]) -> pl.DataFrame:
    """(study day, dexamethasone mg, symptom_change) visits of patient P."""
    return pl.DataFrame(
        {"patient_id": ["P"] * len(visits), "visit_date": [day(d) for d, _, _ in visits],
         "corticosteroid_mg_dexamethasone_eq": [x for _, x, _ in visits],
         "symptom_change": [s for _, _, s in visits]},
        schema={"patient_id": pl.String, "visit_date": pl.Date,
                "corticosteroid_mg_dexamethasone_eq": pl.Float64, "symptom_change": pl.String},
    )  # fmt: skip


def brain(d: int, sizes: list[float], role: str = "target") -> list[dict]:
    return [L("P", d, f"B{i}", "brain_parenchyma", role, mm) for i, mm in enumerate(sizes, 1)]


def rb(rows: list[dict], visits: list[tuple[int, float | None, str | None]]) -> pl.DataFrame:
    return run(rows, "rano_bm", dataset_clinical=clinical(visits))


STABLE = "no_improvement"


def test_rb04_five_cns_targets_vs_two_under_recist() -> None:
    rows = brain(0, [30, 25, 22, 18, 15, 12, 11], role="non_target") + brain(56, [30])
    df = lesions(rows)
    for name, expected in (("rano_bm", 1100), ("recist11_intracranial", 1100)):
        res = derive_timepoint_responses(df, reference(df), profile=name)
        assert res.timepoints["baseline_sum_tenths"][0] == expected
    whole = get_profile("recist11").with_options(target_selection="auto")
    res = derive_timepoint_responses(df, reference(df), profile=whole)
    assert res.timepoints["baseline_sum_tenths"][0] == 550  # 2 brain targets: 30 + 25


def test_rb05_no_single_lesion_plus_5mm_is_sd_but_recist_pd() -> None:
    rows = brain(0, [10, 10, 10, 10, 10]) + brain(56, [13, 13, 13, 13, 10])
    visits = [(0, 0.0, STABLE), (56, 0.0, STABLE)]
    row = at(rb(rows, visits), 56)
    assert (row["target_sum_tenths"], row["target_response"]) == (620, "SD")
    recist = at(run(rows, "recist11_intracranial"), 56)
    assert recist["target_response"] == "PD"


def test_rb06_one_lesion_plus_6mm_is_pd() -> None:
    rows = brain(0, [20, 10]) + brain(56, [26, 11])
    row = at(rb(rows, [(0, 0.0, STABLE), (56, 0.0, STABLE)]), 56)
    assert (row["response"], row["rule"]) == ("PD", "PD:target_sum_+20%_and_lesion_+5mm")


def test_rb06_single_lesion_rule_uses_the_nadir_timepoint() -> None:
    # nadir at d56 (15+10=25); d112: 18+12=30 (+20 %), lesion 1 +3, lesion 2 +2 -> SD;
    # lesion 1 compared with its baseline 30 would not matter either way.
    rows = brain(0, [30, 10]) + brain(56, [15, 10]) + brain(112, [18, 12])
    visits = [(0, 0.0, STABLE), (56, 0.0, STABLE), (112, 0.0, STABLE)]
    assert at(rb(rows, visits), 112)["target_response"] == "SD"


def test_rb07_pr_with_decreasing_steroids() -> None:
    rows = brain(0, [30, 20]) + brain(56, [18, 12])
    row = at(rb(rows, [(0, 4.0, None), (56, 2.0, STABLE)]), 56)
    assert (row["response"], row["corticosteroid_mg"], row["baseline_corticosteroid_mg"]) == (
        "PR", 2.0, 4.0)


def test_rb08_rb12_steroid_increase_is_ne_not_pd() -> None:
    pr_rows = brain(0, [30, 20]) + brain(56, [18, 12])
    row = at(rb(pr_rows, [(0, 2.0, None), (56, 8.0, STABLE)]), 56)
    assert (row["response"], row["rule"]) == ("NE", "NE:corticosteroid_increase")
    sd_rows = brain(0, [30, 20]) + brain(56, [30, 20])
    row = at(rb(sd_rows, [(0, 2.0, None), (56, 8.0, STABLE)]), 56)
    assert (row["response"], row["rule"]) == ("NE", "NE:corticosteroid_increase")


def test_rb09_targets_gone_on_steroids_is_pr() -> None:
    rows = brain(0, [30, 20]) + brain(56, [0, 0])
    row = at(rb(rows, [(0, 4.0, None), (56, 4.0, STABLE)]), 56)
    assert (row["target_response"], row["response"]) == ("CR", "PR")
    assert row["rule"] == "PR:imaging_CR_on_corticosteroids"


def test_rb10_targets_gone_without_steroids_is_cr() -> None:
    rows = brain(0, [30, 20]) + brain(56, [0, 0])
    row = at(rb(rows, [(0, 4.0, None), (56, 0.0, "moderate_improvement")]), 56)
    assert row["response"] == "CR"


def test_physiologic_replacement_dose_setting() -> None:
    rows = brain(0, [30, 20]) + brain(56, [0, 0])
    prof = get_profile("rano_bm").with_options(name="rano_bm_phys", physiologic_dex_mg=0.75)
    df = lesions(rows)
    res = derive_timepoint_responses(df, reference(df), profile=prof, dataset_clinical=clinical(
        [(0, 4.0, None), (56, 0.5, STABLE)]))
    assert res.timepoints["response"][0] == "CR"


def test_rb11_clinical_deterioration_is_pd() -> None:
    rows = brain(0, [30, 20]) + brain(56, [30, 20])
    row = at(rb(rows, [(0, 0.0, None), (56, 0.0, "deterioration")]), 56)
    assert (row["response"], row["rule"]) == ("PD", "PD:clinical_deterioration")


def test_rb13_equivocal_then_definite_new_lesion_dated_at_first_scan() -> None:
    rows = (brain(0, [30]) + brain(56, [20]) + brain(112, [20])
            + [L("P", 56, "N", "brain_parenchyma", "new", 3, eq=True),
               L("P", 112, "N", "brain_parenchyma", "new", 6)])
    tp = rb(rows, [(0, 0.0, None), (56, 0.0, STABLE), (112, 0.0, STABLE)])
    assert (at(tp, 56)["response"], at(tp, 56)["rule"]) == ("PD", "PD:new_lesion_confirmed_later")


def test_rb14_timepoint_level_pr_then_sd() -> None:
    # -35 % at d56, -20 % at d84: +23 % over the nadir but every lesion only +3 mm -> SD
    # (with two lesions the +15 mm would put one lesion >= +5 mm, which is RANO-BM PD)
    rows = brain(0, [20] * 5) + brain(56, [13] * 5) + brain(84, [16] * 5)
    tp = rb(rows, [(0, 0.0, None), (56, 0.0, STABLE), (84, 0.0, STABLE)])
    assert [at(tp, 56)["response"], at(tp, 84)["response"]] == ["PR", "SD"]


def test_missing_clinical_data_makes_response_ne_by_default() -> None:
    rows = brain(0, [30, 20]) + brain(56, [18, 12])
    row = at(rb(rows, [(0, 4.0, None)]), 56)
    assert (row["response"], row["rule"]) == ("NE", "NE:clinical_data_missing")
    prof = get_profile("rano_bm").with_options(name="rano_bm_lenient", missing_clinical="ignore")
    df = lesions(rows)
    res = derive_timepoint_responses(df, reference(df), profile=prof)
    assert res.timepoints["response"][0] == "PR"


def test_clinical_visit_outside_window_is_not_matched() -> None:
    rows = brain(0, [30, 20]) + brain(56, [18, 12])
    row = at(rb(rows, [(0, 4.0, None), (71, 2.0, STABLE)]), 56)  # 15 days > 14
    assert row["corticosteroid_mg"] is None
    assert isinstance(day(0), dt.date)
