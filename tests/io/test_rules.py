"""Every validation rule: a failing example (with its file, row and column) and passing ones.

The valid fixture study (``io_study_fixture.valid_tables``) is the passing example of every
rule at once; each case below breaks one thing and checks that exactly the expected rule fires
at the expected place. Row numbers are spreadsheet rows (list index + 2).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from io_study_fixture import Tables, lesion, row

from cnsrwe.io import RULES, validate_study
from cnsrwe.io.schema import TABLES

Mutation = Callable[[Tables], None]


def _set(table: str, index: int, **values: str) -> Mutation:
    def mutate(t: Tables) -> None:
        t[table][index].update(values)

    return mutate


def _append(table: str, new: dict[str, str]) -> Mutation:
    def mutate(t: Tables) -> None:
        t[table].append(new)

    return mutate


def _chain(*steps: Mutation) -> Mutation:
    def mutate(t: Tables) -> None:
        for step in steps:
            step(t)

    return mutate


def _drop_column(table: str, column: str) -> Mutation:
    def mutate(t: Tables) -> None:
        for r in t[table]:
            del r[column]

    return mutate


def _drop_table(table: str) -> Mutation:
    def mutate(t: Tables) -> None:
        del t[table]

    return mutate


def _copy_row(table: str, index: int, **changes: str) -> Mutation:
    def mutate(t: Tables) -> None:
        t[table].append({**t[table][index], **changes})

    return mutate


_BASE = "2018-03-20"  # P001's first assessment

# (rule code, mutation, table, row, column)
CASES: list[tuple[str, Mutation, str, int | None, str | None]] = [
    ("missing_table", _drop_table("treatments"), "treatments", None, None),
    ("missing_column", _drop_column("patients", "sex"), "patients", None, "sex"),
    ("bad_date", _set("patients", 0, diagnosis_date="2018-02-30"), "patients", 2,
     "diagnosis_date"),
    ("bad_date", _set("patients", 1, diagnosis_date="01/06/2019"), "patients", 3,
     "diagnosis_date"),
    ("bad_integer", _set("patients", 0, ecog_at_index="2.5"), "patients", 2, "ecog_at_index"),
    ("bad_integer", _set("treatments", 1, line="two"), "treatments", 3, "line"),
    ("bad_decimal1", _set("lesions", 0, diameter_mm="12.34"), "lesions", 2, "diameter_mm"),
    ("bad_decimal1", _set("lesions", 1, diameter_mm="3,5"), "lesions", 3, "diameter_mm"),
    ("bad_number", _set("clinical", 0, corticosteroid_mg_dexamethasone_eq="four"), "clinical",
     2, "corticosteroid_mg_dexamethasone_eq"),
    ("bad_bool", _set("clinical", 0, mannitol="maybe"), "clinical", 2, "mannitol"),
    ("unknown_code", _set("patients", 0, sex="Female"), "patients", 2, "sex"),
    ("unknown_code", _set("lesions", 2, location="lymph node"), "lesions", 4, "location"),
    ("out_of_range", _set("patients", 0, ecog_at_index="7"), "patients", 2, "ecog_at_index"),
    ("out_of_range", _set("lesions", 1, diameter_mm="500.1"), "lesions", 3, "diameter_mm"),
    ("null_not_allowed", _set("patients", 2, site_id=""), "patients", 4, "site_id"),
    ("duplicate_row", _copy_row("treatments", 0), "treatments", 7, None),
    ("duplicate_key", _copy_row("lesions", 0, diameter_mm="13"), "lesions", 17, None),
    ("duplicate_key", _copy_row("patients", 2, sex="male"), "patients", 5, None),
    ("unknown_patient", _set("clinical", 0, patient_id="P999"), "clinical", 2, "patient_id"),
    ("no_age", _set("patients", 0, birth_year=""), "patients", 2, "birth_year"),
    ("no_vital_status", _set("patients", 1, last_known_alive_date=""), "patients", 3,
     "last_known_alive_date"),
    ("alive_after_death", _set("patients", 0, last_known_alive_date="2021-03-01"), "patients",
     2, "last_known_alive_date"),
    ("event_after_last_alive", _set("clinical", 1, visit_date="2022-05-01"), "clinical", 3,
     "visit_date"),
    ("end_before_start", _set("treatments", 0, end_date="2018-03-01"), "treatments", 2,
     "end_date"),
    ("ongoing_with_end_date", _set("treatments", 3, end_date="2020-01-01"), "treatments", 5,
     "end_date"),
    ("after_death", _set("biopsies", 0, biopsy_date="2021-03-01"), "biopsies", 2,
     "biopsy_date"),
    ("after_death", _set("treatments", 2, end_date="2021-02-02"), "treatments", 4, "end_date"),
    ("after_death", _append("timepoint_responses", row(
        "timepoint_responses", patient_id="P001", assessment_date="2021-02-05",
        compartment="overall", response="PD", criteria="recist11")),
     "timepoint_responses", 4, "assessment_date"),
    ("before_birth", _set("patients", 2, diagnosis_date="1970-01-10"), "patients", 4,
     "diagnosis_date"),
    ("long_before_diagnosis", _append("clinical", row(
        "clinical", patient_id="P001", visit_date="2017-01-01")), "clinical", 4, "visit_date"),
    ("rt_technique_not_rt", _set("treatments", 0, rt_technique="srs"), "treatments", 2,
     "rt_technique"),
    ("progression_site_without_progression",
     _set("treatments", 3, progression_site="intracranial"), "treatments", 5,
     "progression_site"),
    ("non_target_status_missing", _set("lesions", 2, non_target_status=""), "lesions", 4,
     "non_target_status"),
    ("non_target_status_on_target", _set("lesions", 1, non_target_status="present"), "lesions",
     3, "non_target_status"),
    ("diameter_missing", _set("lesions", 4, diameter_mm=""), "lesions", 6, "diameter_mm"),
    ("target_not_measurable", _set("lesions", 1, diameter_mm="9.9"), "lesions", 3,
     "diameter_mm"),
    ("target_not_measurable", _set("lesions", 13, diameter_mm="14.9"), "lesions", 15,
     "diameter_mm"),
    ("target_not_measurable", _set("lesions", 0, diameter_mm="", too_small_to_measure="true"),
     "lesions", 2, "diameter_mm"),
    ("too_many_targets_organ", _chain(
        _append("lesions", lesion("P001", _BASE, "B4", "brain_parenchyma", "target",
                                  diameter_mm="11")),
        _append("lesions", lesion("P001", _BASE, "B5", "brain_parenchyma", "target",
                                  diameter_mm="20"))),
     "lesions", 2, "lesion_role"),
    ("too_many_targets_compartment", _chain(*[
        _append("lesions", lesion("P001", _BASE, f"E{i}", loc, "target", diameter_mm="25",
                                  modality="ct"))
        for i, loc in enumerate(["liver", "liver", "adrenal", "adrenal", "bone"])]),
     "lesions", 3, "lesion_role"),
    ("too_many_targets_total", _chain(*[
        _append("lesions", lesion("P001", _BASE, f"X{i}", loc, "target", diameter_mm="25"))
        for i, loc in enumerate(["brain_parenchyma", "spinal_cord", "lung", "liver"])]),
     "lesions", 2, "lesion_role"),
    ("lesion_first_seen_on_follow_up", _append("lesions", lesion(
        "P001", "2018-06-20", "X1", "lung", "target", diameter_mm="20", modality="ct")),
     "lesions", 17, "lesion_role"),
    ("lesion_first_seen_on_follow_up", _append("lesions", lesion(
        "P001", "2019-10-01", "X2", "liver", "non_target", non_target_status="present",
        modality="ct")), "lesions", 17, "lesion_role"),
    ("role_changed", _set("lesions", 4, lesion_role="non_target", non_target_status="present"),
     "lesions", 6, "lesion_role"),
    ("unknown_lesion_ref", _set("lesions", 12, split_from="L9"), "lesions", 14, "split_from"),
    ("unknown_lesion_ref", _set("lesions", 12, merged_into="B2x"), "lesions", 14,
     "merged_into"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "mutate", "table", "row_number", "column"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_fires_where_expected(
    code: str, mutate: Mutation, table: str, row_number: int | None, column: str | None,
    tables: Tables, make_study: Callable[[Tables], Path],
) -> None:  # fmt: skip
    mutate(tables)
    report = validate_study(make_study(tables))
    hits = [p for p in report.problems if p.code == code]
    assert hits, [p.code for p in report.problems]
    p = hits[0]
    assert (p.table, p.row, p.column) == (table, row_number, column), p
    assert p.severity == RULES[code].severity
    assert p.message
    assert p.fix
    if table != "treatments" or code != "missing_table":
        assert p.source == f"{table}.csv"
    # The broken thing is the only kind of problem (no cascade of unrelated findings).
    others = {q.code for q in report.problems} - {code}
    assert others <= _ALLOWED_COMPANIONS.get(code, set()), others
    assert (report.study is None) == (RULES[code].severity == "error")


_ALLOWED_COMPANIONS: dict[str, set[str]] = {
    "missing_column": set(),
    "too_many_targets_compartment": {"too_many_targets_total"},
    "role_changed": set(),
}


def test_every_rule_has_a_failing_case_or_a_reader_test() -> None:
    tested_here = {c[0] for c in CASES}
    reader_rules = {
        "input_not_found", "unknown_file", "duplicate_table", "not_utf8", "empty_file",
        "bad_header", "malformed_csv", "unreadable_file", "parquet_type", "cell_outside_header",
    }  # fmt: skip
    tested_separately = {"no_patients"}
    assert set(RULES) == tested_here | reader_rules | tested_separately


def test_header_only_study_is_an_error_not_an_empty_import(tmp_path: Path) -> None:
    for name in ("patients", "treatments"):
        (tmp_path / f"{name}.csv").write_text(",".join(TABLES[name].column_names) + "\n")
    report = validate_study(tmp_path)
    assert [(p.code, p.source, p.severity) for p in report.problems] == [
        ("no_patients", "patients.csv", "error")
    ]
    assert report.study is None


def test_unknown_code_suggests_the_closest_allowed_value(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    tables["patients"][0]["sex"] = "Female"
    tables["lesions"][2]["location"] = "lymph node"
    tables["treatments"][0]["agent_class"] = "xyz"
    report = validate_study(make_study(tables))
    by_col = {p.column: p for p in report.problems}
    assert "did you mean 'female'?" in by_col["sex"].message
    assert "female, male, other, unknown" in by_col["sex"].message
    assert "'lymph_node'" in by_col["location"].fix
    assert "did you mean" not in by_col["agent_class"].message
    assert "alk_tki" in by_col["agent_class"].fix


def test_measurability_thresholds_are_inclusive(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    # RECIST 1.1 §3.1.1: a non-nodal target of exactly 10 mm and a node of exactly 15 mm short
    # axis are measurable; the fixture's node N2 is 15 mm.
    tables["lesions"][1]["diameter_mm"] = "10.0"
    assert tables["lesions"][13]["diameter_mm"] == "15"
    report = validate_study(make_study(tables))
    assert report.problems == ()


def test_two_targets_per_organ_and_five_per_compartment_pass(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    extra = [("B4", "brain_parenchyma"), ("S1", "spinal_cord"), ("S2", "spinal_cord"),
             ("M1", "leptomeninges"), ("L2", "lung"), ("H1", "liver"), ("H2", "liver"),
             ("A1", "adrenal")]  # fmt: skip
    for lid, loc in extra:
        tables["lesions"].append(lesion("P001", _BASE, lid, loc, "target", diameter_mm="22"))
    report = validate_study(make_study(tables))
    # 5 intracranial (2 brain, 2 spinal cord, 1 leptomeningeal) + 5 extracranial targets:
    # valid for compartment-split RECIST, a warning for whole-body RECIST.
    assert [p.code for p in report.problems] == ["too_many_targets_total"]
    assert report.study is not None


def test_nodal_regions_count_as_separate_organs(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    for lid, region in (("N3", "hilar"), ("N4", "axillary"), ("N5", "axillary")):
        tables["lesions"].append(lesion("P002", "2019-06-25", lid, "lymph_node", "target",
                                        diameter_mm="16", organ=region, modality="ct"))
    report = validate_study(make_study(tables))
    organ = [p for p in report.problems if p.code == "too_many_targets_organ"]
    assert len(organ) == 0
    tables["lesions"].append(lesion("P002", "2019-06-25", "N6", "lymph_node", "target",
                                    diameter_mm="16", organ="Hilar ", modality="ct"))
    report = validate_study(make_study(tables))
    organ = [p for p in report.problems if p.code == "too_many_targets_organ"]
    assert len(organ) == 1
    assert organ[0].value == "3"
    assert "lymph_node: hilar" in organ[0].message


def test_line_start_baseline_accepts_new_targets_within_window(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    # P001's second line starts 2020-02-01; the assessment of 2020-01-05 (27 days before) is
    # that line's baseline, so a target first recorded then is valid.
    tables["lesions"].append(lesion("P001", "2020-01-05", "H1", "liver", "target",
                                    diameter_mm="20", modality="ct"))
    assert validate_study(make_study(tables)).problems == ()


def test_line_start_baseline_window_is_60_days(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    # Move P003's only assessments: 61 days before the line start is not a baseline any more
    # once an earlier first assessment exists.
    for date, ok in (("2019-12-03", True), ("2019-12-02", False)):  # 60 and 61 days before
        t = {k: [dict(r) for r in v] for k, v in tables.items()}
        t["lesions"] += [
            lesion("P003", "2019-06-01", "T1", "lung", "target", diameter_mm="20", modality="ct"),
            lesion("P003", date, "T1", "lung", "target", diameter_mm="20", modality="ct"),
            lesion("P003", date, "T2", "liver", "target", diameter_mm="20", modality="ct"),
        ]
        t["patients"][2]["diagnosis_date"] = "2019-05-20"
        report = validate_study(make_study(t))
        codes = [p.code for p in report.problems]
        assert (codes == []) is ok, (date, codes)
        if not ok:
            assert codes == ["lesion_first_seen_on_follow_up"]


def test_local_therapy_start_is_not_a_baseline(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    # SRS on 2019-05-01 (a local therapy) does not re-baseline: a target first seen on
    # 2019-04-20 is still a follow-up finding.
    tables["lesions"].append(lesion("P001", "2019-04-20", "B9", "brain_parenchyma", "target",
                                    diameter_mm="12"))
    codes = [p.code for p in validate_study(make_study(tables)).problems]
    assert codes == ["lesion_first_seen_on_follow_up"]


def test_new_lesions_may_appear_on_follow_up_and_be_small(study_dir: Path) -> None:
    # The fixture has new lesions B2 (4 mm, equivocal), B3 and a split fragment L1a.
    assert validate_study(study_dir).problems == ()


def test_every_problem_is_reported_at_once(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    tables["patients"][0]["sex"] = "F"
    tables["treatments"][0]["end_date"] = "2018-01-01"
    tables["lesions"][0]["diameter_mm"] = "12.34"
    tables["biopsies"][0]["specimen"] = "blood"
    report = validate_study(make_study(tables))
    assert {p.code for p in report.errors} == {"unknown_code", "end_before_start",
                                               "bad_decimal1"}  # fmt: skip
    assert {p.source for p in report.errors} == {"patients.csv", "treatments.csv",
                                                 "lesions.csv", "biopsies.csv"}  # fmt: skip
