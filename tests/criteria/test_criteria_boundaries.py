"""Thresholds hit exactly, profile validation, given calls, and hypothesis properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from criteria_scenario import SCHEMA, L, at, day, lesions, reference, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnsrwe.criteria import (
    CriteriaProfile,
    combine_timepoints,
    derive_timepoint_responses,
    get_profile,
    list_profiles,
    timepoints_from_given,
)
from cnsrwe.errors import CriteriaError, SchemaError


@pytest.mark.parametrize(
    ("nadir_then_now", "expected"),
    [((25.0, 30.0), "PD"),   # exactly +20 % and exactly +5 mm
     ((25.0, 29.9), "SD"),   # +4.9 mm
     ((30.0, 35.9), "SD"),   # +5.9 mm but +19.67 %
     ((30.0, 36.0), "PD")],  # exactly +20 %, +6 mm
)
def test_pd_boundaries(nadir_then_now, expected) -> None:
    nadir, now = nadir_then_now
    rows = [L("P", 0, "T", "liver", "target", 40), L("P", 56, "T", "liver", "target", nadir),
            L("P", 112, "T", "liver", "target", now)]
    assert at(run(rows), 112)["target_response"] == expected


@pytest.mark.parametrize(("mm", "expected"), [(7.0, "PR"), (7.1, "SD")])
def test_pr_boundary_exact(mm, expected) -> None:
    rows = [L("P", 0, "T", "liver", "target", 10), L("P", 56, "T", "liver", "target", mm)]
    assert at(run(rows), 56)["target_response"] == expected


@pytest.mark.parametrize(("mm", "is_target"), [(10.0, True), (9.9, False)])
def test_measurability_exactly_10mm(mm, is_target) -> None:
    rows = [L("P", 0, "T", "liver", "non_target", mm), L("P", 56, "T", "liver", "non_target", mm)]
    assert at(run(rows, "recist11_extracranial"), 56)["n_targets"] == int(is_target)


@pytest.mark.parametrize(("mm", "role"), [(15.0, "target"), (14.9, "non_target"),
                                          (10.0, "non_target"), (9.9, "normal_node")])
def test_node_thresholds(mm, role) -> None:
    df = lesions([L("P", 0, "N", "lymph_node", "non_target", mm),
                  L("P", 56, "N", "lymph_node", "non_target", mm)])
    res = derive_timepoint_responses(df, reference(df), profile="recist11_extracranial")
    assert res.lesions.filter(pl.col("is_baseline"))["role"].to_list() == [role]


@pytest.mark.parametrize(("days_before", "assessed"), [(28, True), (29, False)])
def test_baseline_window_exactly_28_days(days_before, assessed) -> None:
    df = lesions([L("P", -days_before, "T", "liver", "target", 20),
                  L("P", 56, "T", "liver", "target", 10)])
    res = derive_timepoint_responses(df, reference(df), profile="recist11")
    assert res.timepoints.height == int(assessed)
    assert res.issues.height == int(not assessed)


def test_decimal_input_equals_float_input() -> None:
    rows = [L("P", 0, "T", "liver", "target", 12.5), L("P", 56, "T", "liver", "target", 8.7)]
    df = lesions(rows)
    dec = df.with_columns(pl.col("diameter_mm").cast(pl.Decimal(9, 1)))
    a = derive_timepoint_responses(df, reference(df)).timepoints
    b = derive_timepoint_responses(dec, reference(df)).timepoints
    assert a.equals(b)
    assert a["target_sum_tenths"].to_list() == [87]
    assert Decimal("8.7") * 10 == 87


def test_lines_rebaseline_and_end_date() -> None:
    rows = [L("P", 0, "T", "liver", "target", 40), L("P", 56, "T", "liver", "target", 20),
            L("P", 112, "T", "liver", "target", 30), L("P", 168, "T", "liver", "target", 20)]
    df = lesions(rows)
    ref = pl.DataFrame({"patient_id": ["P", "P"], "line": [1, 2],
                        "reference_date": [day(0), day(112)], "end_date": [day(112), None]})
    tp = derive_timepoint_responses(df, ref).timepoints.sort("line", "assessment_date")
    assert tp.select("line", "response").rows() == [(1, "PR"), (1, "PD"), (2, "PR")]
    assert tp["baseline_sum_tenths"].to_list() == [400, 400, 300]


def test_bad_inputs_raise_clear_errors() -> None:
    df = lesions([L("P", 0, "T", "liver", "target", 12.55)])
    with pytest.raises(SchemaError, match="at most one decimal"):
        derive_timepoint_responses(df, reference(df))
    with pytest.raises(SchemaError, match="lacks required column `reference_date`"):
        derive_timepoint_responses(df, pl.DataFrame({"patient_id": ["P"], "line": [1]}))
    with pytest.raises(CriteriaError, match="`name` must be one of"):
        get_profile("recist12")


def test_profile_validation_and_round_trip() -> None:
    assert set(list_profiles()) == {"recist11", "recist11_intracranial",
                                    "recist11_extracranial", "cns_mrecist", "rano_bm"}
    for name in list_profiles():
        p = get_profile(name)
        assert CriteriaProfile.from_dict(p.to_dict()) == p
        assert p.name in p.describe()
    with pytest.raises(CriteriaError, match=r"`pr_decrease_pct` must be an integer in \(0, 100\)"):
        get_profile("recist11").with_options(pr_decrease_pct=130)
    with pytest.raises(CriteriaError, match="`scope` must be distinct values"):
        CriteriaProfile.from_dict({"base": "recist11", "scope": ["brain"]})
    with pytest.raises(CriteriaError, match="`pd_percent` is not a CriteriaProfile field"):
        CriteriaProfile.from_dict({"base": "recist11", "pd_percent": 25})
    custom = CriteriaProfile.from_dict({"base": "cns_mrecist", "name": "cns5",
                                        "cns_min_measurable_tenths": 50})
    assert custom.cns_min_measurable_tenths == 50
    assert custom.criteria == "cns_mrecist"


def test_given_calls_mapped_and_derived_wins() -> None:
    df = lesions([L("P", 0, "T", "liver", "target", 40), L("P", 56, "T", "liver", "target", 20)])
    ref = reference(["P", "Q"])
    derived = derive_timepoint_responses(df, ref).timepoints
    calls = pl.DataFrame({
        "patient_id": ["P", "Q", "Q"], "assessment_date": [day(56), day(56), day(56)],
        "compartment": ["overall", "overall", "intracranial"], "response": ["SD", "PR", "CR"],
        "criteria": ["recist11", "recist11", "rano_bm"]})
    given_tp = timepoints_from_given(calls, ref)
    assert given_tp.select("profile", "rule").rows() == [
        ("recist11", "given:recist11"), ("recist11", "given:recist11"),
        ("rano_bm", "given:rano_bm")]
    both, issues = combine_timepoints(derived, given_tp)
    assert both.select("patient_id", "profile", "response").sort("patient_id", "profile").rows() \
        == [("P", "recist11", "PR"), ("Q", "rano_bm", "CR"), ("Q", "recist11", "PR")]
    assert issues["code"].to_list() == ["given_overridden"]
    assert "given:recist11 call SD" in issues["message"][0]


# ---- properties -------------------------------------------------------------------------

LOCS = ["liver", "lung", "lymph_node", "brain_parenchyma", "bone"]


@st.composite
def patient_rows(draw: st.DrawFn, pid: str) -> list[dict]:
    n = draw(st.integers(1, 4))
    locs = draw(st.lists(st.sampled_from(LOCS), min_size=n, max_size=n))
    roles = draw(st.lists(st.sampled_from(["target", "non_target"]), min_size=n, max_size=n))
    n_visits = draw(st.integers(1, 3))
    rows = []
    for i in range(n):
        sizes = draw(st.lists(st.integers(0, 400), min_size=n_visits + 1, max_size=n_visits + 1))
        for v, tenths in enumerate(sizes):
            drop = v > 0 and draw(st.booleans()) and draw(st.booleans())
            if not drop:
                rows.append(L(pid, -3 if v == 0 else 42 * v, f"L{i}", locs[i], roles[i],
                              tenths / 10))
    return rows


def _derive(rows: list[dict], profiles: list[str]) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema=SCHEMA) if rows else lesions([])
    tp = derive_timepoint_responses(df, reference(df), profile=profiles).timepoints
    return tp.sort("patient_id", "profile", "compartment", "line", "assessment_date")


PROPS = ["recist11", "cns_mrecist"]
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(rows=patient_rows("A"), other=patient_rows("B"), seed=st.randoms())
def test_row_order_and_other_patients_change_nothing(rows, other, seed) -> None:
    alone = _derive(rows, PROPS)
    shuffled = rows + other
    seed.shuffle(shuffled)
    together = _derive(shuffled, PROPS).filter(pl.col("patient_id") == "A")
    assert together.equals(alone)


@FAST
@given(rows=patient_rows("A"), factor=st.integers(2, 4))
def test_scaling_changes_only_via_absolute_rule(rows, factor) -> None:
    """Scaling every diameter by k: relative rules are invariant; with the absolute
    increment scaled by k too, every response is unchanged (the 5 mm rule is the only
    scale-dependent part). Measurability thresholds scale with it."""
    prof = get_profile("recist11")
    scaled_prof = prof.with_options(
        name="recist11_scaled", pd_absolute_tenths=prof.pd_absolute_tenths * factor,
        min_measurable_tenths=prof.min_measurable_tenths * factor,
        node_measurable_tenths=prof.node_measurable_tenths * factor,
        node_normal_tenths=prof.node_normal_tenths * factor,
        cns_min_measurable_tenths=prof.cns_min_measurable_tenths * factor,
    )
    scaled = [dict(r, diameter_mm=r["diameter_mm"] * factor) for r in rows]
    a = _derive(rows, [prof]).select("target_response", "nontarget_response", "response")
    b = _derive(scaled, [scaled_prof]).select("target_response", "nontarget_response", "response")
    assert a.equals(b)


@FAST
@given(rows=patient_rows("A"))
def test_tenths_match_millimetre_arithmetic(rows) -> None:
    """Sums in tenths equal 10 x the sums in mm computed with exact decimals."""
    tp = _derive(rows, ["recist11"])
    les = derive_timepoint_responses(lesions(rows), reference(["A"])).lesions
    t = les.filter(~pl.col("is_baseline") & (pl.col("role") == "target") & (
        pl.col("flag") == "measured"))
    for r in t.iter_rows(named=True):
        mm = next(x["diameter_mm"] for x in rows if x["lesion_id"] == r["lesion_id"]
                  and x["assessment_date"] == r["assessment_date"])
        assert Decimal(str(mm)) * 10 == r["used_tenths"]
    assert tp["target_sum_tenths"].dtype == pl.Int64
    assert isinstance(day(1), dt.date)
