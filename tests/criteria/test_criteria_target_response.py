"""RECIST 1.1 target-response cases TR-* of the response-criteria spec §1.11.

Each scenario is a small lesion table; expected responses were derived by hand from
Eisenhauer et al. 2009 §4.3.1 (see tests/reference/recist11/README.md).
"""

from __future__ import annotations

import pytest
from criteria_scenario import L, at, run


def _series(b: list[float], *visits: list[float | None]) -> list[dict]:
    """Non-nodal lung/liver targets T1.. with baseline ``b`` and follow-ups every 56 days."""
    rows = [L("P", -7, f"T{i}", "liver" if i % 2 else "lung", "target", mm)
            for i, mm in enumerate(b, 1)]
    for k, v in enumerate(visits, 1):
        rows += [L("P", 56 * k, f"T{i}", "liver" if i % 2 else "lung", "target", mm)
                 for i, mm in enumerate(v, 1) if mm is not None]
    return rows


@pytest.mark.parametrize(
    ("case", "baseline", "visits", "expected"),
    [
        ("TR-01 exactly -30%", [60, 40], [[42, 28]], "PR"),
        ("TR-01b 63 of 90 (float trap)", [50, 40], [[35, 28]], "PR"),
        ("TR-02 -29%", [60, 40], [[43, 28]], "SD"),
        ("TR-03 +20%/+10 mm vs nadir 50", [60, 40], [[30, 20], [36, 24]], "PD"),
        ("TR-04 +20% but +4 mm", [15, 10], [[12, 8], [14.4, 9.6]], "SD"),
        ("TR-04b +20%/+4 mm, -40% vs baseline", [25, 15], [[12, 8], [14.4, 9.6]], "PR"),
        ("TR-05 +25%/+5 mm", [25, 15], [[12, 8], [15, 10]], "PD"),
        ("TR-06 -25% vs baseline, +25% vs nadir", [60, 40], [[36, 24], [45, 30]], "PD"),
    ],
)
def test_target_response_cases(case: str, baseline, visits, expected) -> None:
    tp = run(_series(baseline, *visits))
    last = at(tp, 56 * len(visits))
    assert last["target_response"] == expected, case
    assert last["response"] == expected, case


def test_tr01b_sums_are_exact_tenths() -> None:
    row = at(run(_series([50, 40], [35, 28])), 56)
    assert (row["baseline_sum_tenths"], row["target_sum_tenths"]) == (900, 630)
    assert row["rule"] == "PR:-30%_from_baseline"


def test_tr03_rule_and_nadir() -> None:
    tp = run(_series([60, 40], [30, 20], [36, 24]))
    row = at(tp, 112)
    assert row["nadir_sum_tenths"] == 500
    assert row["rule"] == "PD:target_sum_+20%_and_5mm"
    assert row["pct_change_nadir"] == pytest.approx(20.0)


def test_tr07_nodes_below_10_give_cr_with_positive_sum() -> None:
    rows = [L("P", 0, "T1", "liver", "target", 25), L("P", 0, "N1", "lymph_node", "target", 20),
            L("P", 56, "T1", "liver", "target", 0), L("P", 56, "N1", "lymph_node", "target", 8)]
    row = at(run(rows), 56)
    assert row["target_sum_tenths"] == 80
    assert row["target_response"] == "CR"
    assert row["response"] == "CR"


def test_tr08_node_11mm_is_not_cr() -> None:
    rows = [L("P", 0, "T1", "liver", "target", 25), L("P", 0, "N1", "lymph_node", "target", 20),
            L("P", 56, "T1", "liver", "target", 0), L("P", 56, "N1", "lymph_node", "target", 11)]
    row = at(run(rows), 56)
    assert row["target_response"] == "PR"  # 11 of 45 = -75.6 %


def test_tr09_too_small_counts_5mm_and_zero_counts_0() -> None:
    rows = [L("P", 0, "T1", "liver", "target", 20), L("P", 0, "T2", "lung", "target", 15),
            L("P", 0, "T3", "adrenal", "target", 10),
            L("P", 56, "T1", "liver", "target", 12), L("P", 56, "T2", "lung", "target", small=True),
            L("P", 56, "T3", "adrenal", "target", 0)]
    row = at(run(rows), 56)
    assert row["target_sum_tenths"] == 170
    assert row["target_response"] == "PR"


def test_real_value_below_5mm_wins_over_default() -> None:
    rows = [L("P", 0, "T1", "liver", "target", 20),
            L("P", 56, "T1", "liver", "target", 3, small=True)]
    assert at(run(rows), 56)["target_sum_tenths"] == 30


def test_tr10_split_lesion_is_sum_of_fragments() -> None:
    rows = [L("P", 0, "A", "liver", "target", 30),
            L("P", 56, "A1", "liver", "target", 12, split="A"),
            L("P", 56, "A2", "liver", "target", 10, split="A")]
    row = at(run(rows), 56)
    assert row["target_sum_tenths"] == 220
    assert row["target_response"] == "SD"


def test_tr11_merged_lesions_measured_once() -> None:
    rows = [L("P", 0, "L1", "liver", "target", 20), L("P", 0, "L2", "lung", "target", 15),
            L("P", 56, "L1", "liver", "target", 40),
            L("P", 56, "L2", "lung", "target", None, merged="L1")]
    row = at(run(rows), 56)
    assert row["target_sum_tenths"] == 400
    assert row["target_response"] == "SD"  # +14 %, +5 mm: relative rule not met


def test_tr12_missing_target_but_measured_subset_proves_pd() -> None:
    rows = [L("P", 0, "L1", "liver", "target", 25), L("P", 0, "L2", "lung", "target", 20),
            L("P", 0, "L3", "adrenal", "target", 15),
            L("P", 56, "L1", "liver", "target", 45), L("P", 56, "L2", "lung", "target", 35)]
    row = at(run(rows), 56)
    assert row["target_response"] == "PD"
    assert row["rule"].startswith("PD:measured_targets")


def test_tr13_missing_target_gives_ne() -> None:
    rows = [L("P", 0, "L1", "liver", "target", 25), L("P", 0, "L2", "lung", "target", 20),
            L("P", 0, "L3", "adrenal", "target", 15),
            L("P", 56, "L1", "liver", "target", 15), L("P", 56, "L2", "lung", "target", 10)]
    row = at(run(rows), 56)
    assert (row["target_response"], row["response"]) == ("NE", "NE")


def test_ne_timepoint_does_not_update_nadir() -> None:
    rows = [L("P", 0, "L1", "liver", "target", 30), L("P", 0, "L2", "lung", "target", 30),
            L("P", 56, "L1", "liver", "target", 5),  # L2 missing -> NE, subset sum 5
            L("P", 112, "L1", "liver", "target", 30), L("P", 112, "L2", "lung", "target", 30)]
    row = at(run(rows), 112)
    assert row["nadir_sum_tenths"] == 600
    assert row["target_response"] == "SD"


def test_tr14_reappearance_from_zero_nadir_is_pd() -> None:
    rows = [L("P", 0, "T1", "liver", "target", 20), L("P", 0, "NT", "pleura", "non_target"),
            L("P", 56, "T1", "liver", "target", 0),
            L("P", 56, "NT", "pleura", "non_target", status="present"),
            L("P", 112, "T1", "liver", "target", 6),
            L("P", 112, "NT", "pleura", "non_target", status="present")]
    tp = run(rows)
    assert at(tp, 56)["response"] == "PR"  # target CR, non-target persists
    assert at(tp, 112)["target_response"] == "PD"


def test_tr15_reappearance_after_overall_cr_is_pd() -> None:
    rows = [L("P", 0, "T1", "liver", "target", 20),
            L("P", 56, "T1", "liver", "target", 0),
            L("P", 112, "T1", "liver", "target", 3)]
    tp = run(rows)
    assert at(tp, 56)["response"] == "CR"
    row = at(tp, 112)
    assert row["target_response"] == "PR"  # 3 mm: -85 % vs baseline; +3 mm over nadir 0
    assert (row["response"], row["rule"]) == ("PD", "PD:reappearance_after_CR")
