"""Best overall response: external references, spec cases, scenarios, boundaries, inputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsrwe.errors import CriteriaError, DataQualityWarning, SchemaError
from cnsrwe.response import BorRule, best_overall_response

from ._scenarios import DAY0, day, frames

REF = Path(__file__).parents[1] / "reference" / "bor"

# --- admiralonco's own test data and expected values (tests/reference/bor/README.md) -------

ADMIRALONCO_RULES = {
    # derive_param_confirmed_bor Test 1: ref_start_window = 28, ref_confirm = 28, source_pd
    "confirmed_t1": BorRule(confirm=True, sd_min_days=28),
    # Test 4: as Test 1 without source_pd (no truncation after PD)
    "confirmed_t4_no_pd_truncation": BorRule(confirm=True, sd_min_days=28, truncate_after_pd=False),
    # Test 2: ref_confirm = 14, max_nr_ne = 0, accept_sd = TRUE (one SD allowed)
    "confirmed_t2_accept_sd": BorRule(
        confirm=True, sd_min_days=28, confirm_min_days=14, max_ne_between=0, max_sd_between=1
    ),
    # derive_param_bor Test 1: ref_start_window = 28, no source_pd
    "unconfirmed_t1": BorRule(confirm=False, sd_min_days=28, truncate_after_pd=False),
}


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(
        REF / name, schema_overrides={"patient_id": pl.String}, try_parse_dates=True
    )


@pytest.mark.parametrize("test", list(ADMIRALONCO_RULES))
def test_admiralonco_reference(test: str) -> None:
    a = _read("admiralonco_assessments.csv")
    r = _read("admiralonco_reference_dates.csv")
    exp = _read("admiralonco_expected.csv").filter(pl.col("test") == test).drop("test")
    if test == "unconfirmed_t1":  # that test has no patient 9
        a = a.filter(pl.col("patient_id") != "9")
        r = r.filter(pl.col("patient_id") != "9")
    got = best_overall_response(a, r, rule=ADMIRALONCO_RULES[test])
    got = got.join(exp.select("patient_id"), on="patient_id", how="semi")
    assert got.to_dicts() == exp.sort("patient_id").to_dicts()


# --- response-criteria.md section 1.11, cases BOR-01 .. BOR-11 ------------------------------

SPEC_CASES = [
    # id, sequence, extra rule fields, unconfirmed BOR, confirmed BOR, confirmed date (day)
    ("BOR-01", "d56 SD, d112 PR, d168 PR, d224 PD", {}, "PR", "PR", 112),
    ("BOR-02", "d56 PR, d112 SD, d168 PD", {}, "PR", "SD", 56),
    ("BOR-03", "d35 SD, d70 PD", {}, "PD", "PD", 70),
    ("BOR-04", "d56 CR, d112 CR", {}, "CR", "CR", 56),
    ("BOR-05", "d56 CR, d112 PR", {"first_cr_reliable": False}, "CR", "PR", 56),
    ("BOR-06", "d56 CR, d112 PR", {"first_cr_reliable": True}, "CR", "SD", 56),
    ("BOR-07", "d56 PR, d112 NE", {}, "PR", "SD", 56),
    ("BOR-08", "d28 PR, d49 NE", {}, "PR", "NE", 28),
    ("BOR-09", "d56 PR, d77 PR, d112 PR", {}, "PR", "PR", 56),
    ("BOR-10", "d56 PD", {}, "PD", "PD", 56),
    ("BOR-11", "d56 PR, d112 SD, d168 PR", {"max_sd_between": 0}, "PR", "SD", 56),
]


@pytest.mark.parametrize(("case", "seq", "extra", "unconf", "conf", "conf_day"), SPEC_CASES)
def test_spec_bor_cases(
    case: str, seq: str, extra: dict[str, object], unconf: str, conf: str, conf_day: int
) -> None:
    a, r = frames({case: seq})
    got_u = best_overall_response(a, r, rule=BorRule(confirm=False, **extra))  # type: ignore[arg-type]
    assert got_u["bor"].to_list() == [unconf]
    rule_c = BorRule(confirm=True, **extra)  # type: ignore[arg-type]
    if extra.get("first_cr_reliable") is False:
        with pytest.warns(DataQualityWarning, match="relabelled PR") as rec:
            got_c = best_overall_response(a, r, rule=rule_c)
        rows = rec[0].message.rows  # type: ignore[union-attr]
        assert rows["assessment_date"].to_list() == [day(56)]
    else:
        got_c = best_overall_response(a, r, rule=rule_c)
    assert got_c["bor"].to_list() == [conf]
    assert got_c["bor_date"].to_list() == [day(conf_day)]


# --- admiral-style scenario table: one row per rule -----------------------------------------

SCENARIOS = [
    # id, sequence, rule fields, expected BOR, expected date (day) or None
    ("cr-1ne-confirms", "d56 CR, d70 NE, d112 CR", {"confirm": True}, "CR", 56),
    ("cr-2ne-fails", "d56 CR, d70 NE, d84 NE, d112 CR", {"confirm": True}, "SD", 56),
    ("cr-2ne-allowed", "d56 CR, d70 NE, d84 NE, d112 CR",
     {"confirm": True, "max_ne_between": 2}, "CR", 56),
    ("cr-sd-between", "d56 CR, d84 SD, d112 CR", {"confirm": True, "max_sd_between": 3}, "SD", 56),
    ("pr-then-cr-confirms-pr", "d56 PR, d112 CR", {"confirm": True}, "PR", 56),
    ("pr-cr-pr-no-pr-after-cr", "d56 PR, d70 CR, d112 PR", {"confirm": True}, "SD", 56),
    ("pr-ne-ne-pr", "d56 PR, d70 NE, d84 NE, d112 PR", {"confirm": True}, "SD", 56),
    ("pr-sd-pr-accept-sd", "d56 PR, d84 SD, d112 PR", {"confirm": True, "max_sd_between": 1},
     "PR", 56),
    ("pr-ncnpd-between", "d56 PR, d84 NON-CR/NON-PD, d112 PR", {"confirm": True}, "SD", 56),
    ("confirm-exactly-28", "d42 PR, d70 PR", {"confirm": True}, "PR", 42),
    ("confirm-27-days", "d42 PR, d69 PR", {"confirm": True}, "SD", 42),
    ("confirm-max-days", "d56 PR, d140 PR", {"confirm": True, "confirm_max_days": 56}, "SD", 56),
    ("confirm-max-days-ok", "d56 PR, d112 PR", {"confirm": True, "confirm_max_days": 56}, "PR", 56),
    ("sd-exactly-42", "d42 SD", {}, "SD", 42),
    ("sd-day-41", "d41 SD", {}, "NE", 41),
    ("sd-41-then-sd-43", "d41 SD, d43 SD", {}, "SD", 43),
    ("ncnpd-exactly-42", "d42 NON-CR/NON-PD", {}, "NON-CR/NON-PD", 42),
    ("ncnpd-day-41", "d41 NON-CR/NON-PD", {}, "NE", 41),
    ("sd-beats-ncnpd", "d50 NON-CR/NON-PD, d90 SD", {}, "SD", 90),
    ("early-sd-then-pd", "d35 SD, d70 PD", {}, "PD", 70),
    ("only-ne", "d56 NE, d112 NE", {}, "NE", 56),
    ("unconfirmed-cr-ncnpd", "d56 CR, d112 NON-CR/NON-PD", {"confirm": True}, "SD", 56),
    ("no-assessment", "", {}, "MISSING", None),
    ("only-nd", "d56 ND", {}, "MISSING", None),
    ("nd-not-counted-as-ne", "d56 PR, d70 ND, d84 NE, d112 PR", {"confirm": True}, "PR", 56),
    ("pd-then-pr-truncated", "d56 PD, d112 PR", {}, "PD", 56),
    ("pd-then-pr-not-truncated", "d56 PD, d112 PR", {"truncate_after_pd": False}, "PR", 112),
    ("before-reference-dropped", "d-10 PR, d56 SD", {}, "SD", 56),
    ("before-reference-kept", "d-10 PR, d56 SD", {"exclude_before_reference": False}, "PR", -10),
    ("on-reference-kept", "d0 PR, d56 SD", {}, "PR", 0),
    ("same-day-worst-wins", "d56 PR, d56 PD", {}, "PD", 56),
    ("same-day-ne-loses", "d56 NE, d56 SD", {}, "SD", 56),
    ("best-unconfirmed-cr", "d56 PR, d112 CR, d168 PD", {}, "CR", 112),
]  # fmt: skip


@pytest.mark.parametrize(("case", "seq", "fields", "bor", "bor_day"), SCENARIOS)
def test_scenarios(
    case: str, seq: str, fields: dict[str, object], bor: str, bor_day: int | None
) -> None:
    a, r = frames({case: seq})
    got = best_overall_response(a, r, rule=BorRule(**fields))  # type: ignore[arg-type]
    assert got.select("patient_id", "bor").row(0) == (case, bor)
    assert got["bor_date"][0] == (None if bor_day is None else day(bor_day))


def test_next_therapy_column_and_third_input_agree() -> None:
    a, r = frames({"P1": "d56 PR, d112 PR, d140 PR"})
    rule = BorRule(confirm=True)
    assert best_overall_response(a, r, rule=rule)["bor"].to_list() == ["PR"]
    cut = r.with_columns(pl.lit(day(100)).alias("next_therapy_date"))
    assert best_overall_response(a, cut, rule=rule)["bor"].to_list() == ["SD"]
    nxt = pl.DataFrame({"patient_id": ["P1", "P1"], "next_therapy_date": [day(300), day(100)]})
    assert best_overall_response(a, r, nxt, rule=rule)["bor"].to_list() == ["SD"]
    # on the next-therapy date itself the assessment is already excluded (ADT < NACTDT)
    nxt_on = pl.DataFrame({"patient_id": ["P1"], "next_therapy_date": [day(112)]})
    assert best_overall_response(a, r, nxt_on, rule=rule)["bor"].to_list() == ["SD"]
    keep = BorRule(confirm=True, exclude_after_next_therapy=False)
    assert best_overall_response(a, cut, rule=keep)["bor"].to_list() == ["PR"]


def test_by_line_and_compartment() -> None:
    rows = [
        ("P1", 1, "intracranial", 56, "PR"), ("P1", 1, "intracranial", 112, "PR"),
        ("P1", 1, "extracranial", 56, "SD"), ("P1", 2, "intracranial", 300, "PD"),
        ("P2", 1, "extracranial", 60, "CR"),
    ]  # fmt: skip
    a = pl.DataFrame(
        [{"patient_id": p, "line": ln, "compartment": c, "assessment_date": day(d), "response": x}
         for p, ln, c, d, x in rows]
    )  # fmt: skip
    r = pl.DataFrame({"patient_id": ["P1", "P1", "P2"], "line": [1, 2, 1],
                      "reference_date": [DAY0, day(250), DAY0]})  # fmt: skip
    got = best_overall_response(a, r, rule=BorRule(confirm=True), by=["line", "compartment"])
    assert got.columns == ["patient_id", "line", "compartment", "bor", "bor_date"]
    assert got.select("patient_id", "line", "compartment", "bor").rows() == [
        ("P1", 1, "extracranial", "SD"),
        ("P1", 1, "intracranial", "PR"),
        ("P1", 2, "extracranial", "MISSING"),
        ("P1", 2, "intracranial", "PD"),
        ("P2", 1, "extracranial", "SD"),
        ("P2", 1, "intracranial", "MISSING"),
    ]


def test_default_return_shape_and_explain() -> None:
    a, r = frames({"P1": "d56 PR, d112 PR", "P2": ""})
    got = best_overall_response(a, r, rule=BorRule(confirm=True))
    assert got.columns == ["patient_id", "bor", "bor_date"]
    assert got.schema["bor_date"] == pl.Date
    ex = best_overall_response(a, r, rule=BorRule(confirm=True), explain=True)
    assert ex.columns == [
        "patient_id", "bor", "bor_date", "bor_reason", "bor_confirmation_date",
        "n_assessments", "bor_rule",
    ]  # fmt: skip
    p1 = ex.row(0, named=True)
    assert p1["bor_reason"] == "PR on 2020-02-26 confirmed by PR on 2020-04-22"
    assert p1["bor_confirmation_date"] == day(112)
    assert p1["n_assessments"] == 2
    assert ex.row(1, named=True)["bor_reason"] == "no assessment in the analysis window"
    assert "28 days" in p1["bor_rule"]


def test_invalid_response_names_patient_date_value() -> None:
    a, r = frames({"P7": "d56 PR, d70 iCR"})
    with pytest.raises(CriteriaError, match=r"got 'iCR' for patient 'P7' on 2020-03-11"):
        best_overall_response(a, r)
    a2 = a.with_columns(pl.when(pl.col("response") == "iCR").then(None)
                        .otherwise(pl.col("response")).alias("response"))  # fmt: skip
    with pytest.raises(CriteriaError, match="got None for patient 'P7'"):
        best_overall_response(a2, r)


def test_input_errors() -> None:
    a, r = frames({"P1": "d56 PR"})
    with pytest.raises(SchemaError, match="`assessments` must have column"):
        best_overall_response(a.drop("response"), r)
    with pytest.raises(SchemaError, match="got none for"):
        best_overall_response(a, r.filter(pl.col("patient_id") == "X"))
    with pytest.raises(SchemaError, match="one row per"):
        best_overall_response(a, pl.concat([r, r]))
    with pytest.raises(SchemaError, match="must be dates"):
        best_overall_response(a.with_columns(pl.lit("2020-13-01").alias("assessment_date")), r)
    with pytest.raises(TypeError, match="`rule` must be a BorRule"):
        best_overall_response(a, r, rule="confirmed")  # type: ignore[arg-type]


def test_input_not_modified() -> None:
    a, r = frames({"P1": "d56 PR, d112 PR"})
    before = a.clone()
    best_overall_response(a, r, rule=BorRule(confirm=True))
    assert a.equals(before)


def test_pandas_and_arrow_inputs() -> None:
    a, r = frames({"P1": "d56 PR, d112 PR", "P2": "d35 SD, d70 PD"})
    rule = BorRule(confirm=True)
    expected = best_overall_response(a, r, rule=rule)
    assert best_overall_response(a.to_pandas(), r.to_pandas(), rule=rule).equals(expected)
    assert best_overall_response(a.to_arrow(), r.to_arrow(), rule=rule).equals(expected)
    text = a.with_columns(pl.col("assessment_date").cast(pl.String))
    assert best_overall_response(text, r, rule=rule).equals(expected)


def test_bor_rule_validation_and_printing() -> None:
    rule = BorRule(confirm=True, confirm_min_days=28, max_ne_between=1, max_sd_between=0,
                   sd_min_days=42, truncate_after_pd=True)  # fmt: skip
    assert "at least 28 days later" in rule.description
    assert str(rule).startswith("BorRule[confirmed]")
    assert rule.as_dict()["sd_min_days"] == 42
    with pytest.raises(AttributeError):
        rule.sd_min_days = 10  # type: ignore[misc]
    for bad in ({"confirm_min_days": -1}, {"sd_min_days": -5}, {"max_ne_between": -1},
                {"max_sd_between": 1.5}, {"confirm_max_days": 10}, {"confirm": "yes"}):  # fmt: skip
        with pytest.raises(CriteriaError, match="must be"):
            BorRule(**bad)  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------

_CODES = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "ND"]
_patient = st.lists(
    st.tuples(st.integers(-20, 400), st.sampled_from(_CODES)), min_size=0, max_size=8
)
_rules = st.builds(
    BorRule,
    confirm=st.booleans(),
    max_ne_between=st.integers(0, 2),
    max_sd_between=st.integers(0, 2),
    truncate_after_pd=st.booleans(),
)


def _cohort(data: list[list[tuple[int, str]]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = [
        {"patient_id": f"P{i}", "assessment_date": day(d), "response": c}
        for i, seq in enumerate(data)
        for d, c in seq
    ]
    schema = {"patient_id": pl.String, "assessment_date": pl.Date, "response": pl.String}
    a = pl.DataFrame(rows, schema=schema)
    r = pl.DataFrame({"patient_id": [f"P{i}" for i in range(len(data))],
                      "reference_date": [DAY0] * len(data)})  # fmt: skip
    return a, r


@settings(max_examples=60, deadline=None)
@given(data=st.lists(_patient, min_size=1, max_size=6), rule=_rules, seed=st.randoms())
def test_row_permutation_invariance(data, rule, seed) -> None:  # type: ignore[no-untyped-def]
    a, r = _cohort(data)
    order = list(range(a.height))
    seed.shuffle(order)
    shuffled = a[order] if order else a
    assert best_overall_response(shuffled, r, rule=rule).equals(
        best_overall_response(a, r, rule=rule)
    )


@settings(max_examples=60, deadline=None)
@given(data=st.lists(_patient, min_size=1, max_size=5), extra=_patient, rule=_rules)
def test_adding_a_patient_changes_no_other(data, extra, rule) -> None:  # type: ignore[no-untyped-def]
    a, r = _cohort(data)
    a2, r2 = _cohort([*data, extra])
    before = best_overall_response(a, r, rule=rule)
    after = best_overall_response(a2, r2, rule=rule)
    assert after.filter(pl.col("patient_id") != f"P{len(data)}").equals(before)


def test_date_types_are_dates_not_datetimes() -> None:
    a, r = frames({"P1": "d56 PR"})
    a = a.with_columns(pl.col("assessment_date").cast(pl.Datetime))
    got = best_overall_response(a, r)
    assert got["bor_date"].to_list() == [dt.date(2020, 2, 26)]
