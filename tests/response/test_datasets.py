"""Analysis datasets: one call, every table carrying profile and rule."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.response import derive_response_datasets

from ._scenarios import DAY0, day


def test_given_calls_to_datasets() -> None:
    # radiologist-given calls in the format's timepoint_responses layout (no line column)
    calls = pl.DataFrame({
        "patient_id": ["P1"] * 4 + ["P2"] * 2,
        "assessment_date": [day(56), day(112), day(56), day(112), day(35), day(70)],
        "compartment": ["intracranial", "intracranial", "extracranial", "extracranial",
                        "intracranial", "intracranial"],
        "response": ["PR", "PR", "SD", "PD", "SD", "PD"],
        "criteria": ["recist11"] * 6,
    })  # fmt: skip
    ref = pl.DataFrame({"patient_id": ["P1", "P2"], "reference_date": [DAY0, DAY0]})
    out = derive_response_datasets(calls, ref)
    assert out.timepoints["profile"].unique().to_list() == ["recist11"]
    assert out.timepoints["rule"].unique().to_list() == ["given"]
    best = out.best_responses
    assert {"profile", "bor_rule_name", "bor_rule", "bor_reason", "objective_response"} <= set(
        best.columns
    )
    got = best.filter(pl.col("patient_id") == "P1").select(
        "compartment", "bor_rule_name", "bor"
    ).sort("bor_rule_name", "compartment").rows()
    assert got == [
        ("extracranial", "confirmed", "SD"),
        ("intracranial", "confirmed", "PR"),
        ("extracranial", "unconfirmed", "SD"),
        ("intracranial", "unconfirmed", "PR"),
    ]
    p2 = best.filter((pl.col("patient_id") == "P2") & (pl.col("compartment") == "intracranial"))
    assert p2["bor"].unique().to_list() == ["PD"]  # EP-06 / BOR-03
    assert out.shrinkage is None
    prog = out.progression.filter(pl.col("patient_id") == "P1").row(0, named=True)
    assert (prog["first_pd_date"], prog["site"], prog["extent"]) == (
        day(112), "EXTRACRANIAL_ONLY", "UNCLASSIFIED"
    )


def test_rules_must_be_bor_rules() -> None:
    with pytest.raises(TypeError, match="`rules` must be"):
        derive_response_datasets(pl.DataFrame(), pl.DataFrame(), rules=())
