"""Data-quality signals: offending rows, check_type behaviour, last-issues accessor."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.errors import DataQualityError, DataQualityWarning
from cnsrwe.response.signals import (
    DataQualityMessage,
    get_last_issues,
    signal_baseline_too_early,
    signal_crpr,
    signal_new_lesion_inconsistent,
    signal_pd_then_response,
    signal_target_missing,
)

from ._scenarios import day, frames


def test_signal_crpr_like_admiralonco() -> None:
    # admiralonco test data: subjects 6 and 7 (PR, CR, PR / PR, CR, NE); only 6 has CR -> PR
    a, _ = frames({"6": "d36 PR, d46 CR, d89 PR", "7": "d36 PR, d46 CR, d91 NE", "1": "d56 PR"})
    with pytest.warns(DataQualityWarning, match="CR records followed by PR: 2 row") as rec:
        rows = signal_crpr(a)
    assert rows.select("patient_id", "assessment_date", "response").rows() == [
        ("6", day(46), "CR"),
        ("6", day(89), "PR"),
    ]
    assert rec[0].message.rows.equals(rows)  # type: ignore[union-attr]
    assert get_last_issues("crpr").equals(rows)
    with pytest.raises(DataQualityError) as err:
        signal_crpr(a, check_type="error")
    assert err.value.rows.height == 2
    with pytest.warns(DataQualityMessage):
        signal_crpr(a, check_type="message")
    assert signal_crpr(a, check_type="none").height == 2
    with pytest.raises(ValueError, match="`check_type` must be one of"):
        signal_crpr(a, check_type="loud")  # type: ignore[arg-type]
    clean, _ = frames({"1": "d56 PR, d112 CR"})
    assert signal_crpr(clean).height == 0


def test_signal_pd_then_response_respects_next_line() -> None:
    a, r = frames({"A": "d56 PD, d112 PR", "B": "d56 PD, d112 PR", "C": "d56 PR, d112 PD"})
    nxt = pl.DataFrame({"patient_id": ["B"], "next_therapy_date": [day(80)]})
    with pytest.warns(DataQualityWarning, match="PD followed by a response"):
        rows = signal_pd_then_response(a, r, nxt)
    assert rows.rows() == [("A", day(56), "PD"), ("A", day(112), "PR")]


def _lesions(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    cols = ["patient_id", "assessment_date", "lesion_id", "location", "lesion_role",
            "diameter_mm", "too_small_to_measure", "non_target_status", "equivocal"]  # fmt: skip
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], orient="row")


LESIONS = _lesions([
    ("P1", day(-5), "T1", "lung", "target", 30.0, False, None, None),
    ("P1", day(-5), "T2", "brain_parenchyma", "target", 12.0, False, None, None),
    ("P1", day(56), "T1", "lung", "target", 25.0, False, None, None),  # body CT
    ("P1", day(60), "T2", "brain_parenchyma", "target", None, True, None, None),  # small = ok
    ("P1", day(112), "T1", "lung", "target", None, False, None, None),  # missing value
    ("P1", day(112), "N1", "liver", "new", 11.0, False, None, False),
    ("P1", day(112), "NT1", "bone", "non_target", None, False, "absent", None),
    ("P2", day(-60), "T1", "lung", "target", 30.0, False, None, None),
    ("P2", day(56), "N1", "adrenal", "new", 9.0, False, None, True),  # equivocal: not definite
])  # fmt: skip


def test_signal_target_missing() -> None:
    with pytest.warns(DataQualityWarning):
        rows = signal_target_missing(LESIONS)
    # P1: T1 has no value at d112; P2: the d56 scan recorded only a new lesion, T1 unrecorded.
    # P1's brain target at d60 is "too small to measure", which counts as measured.
    assert rows.rows() == [
        ("P1", "T1", "extracranial", day(112), day(56)),
        ("P2", "T1", "extracranial", day(56), day(-60)),
    ]


def test_signal_baseline_too_early() -> None:
    ref = pl.DataFrame({"patient_id": ["P1", "P2"], "line": [1, 1],
                        "reference_date": [day(0), day(0)]})  # fmt: skip
    rows = signal_baseline_too_early(LESIONS, ref, check_type="none")
    assert rows.select("patient_id", "compartment", "baseline_date", "days_before").rows() == [
        ("P2", "extracranial", day(-60), 60),
    ]
    assert signal_baseline_too_early(LESIONS, ref, max_days=60, check_type="none").height == 0
    with pytest.raises(ValueError, match="`max_days` must be"):
        signal_baseline_too_early(LESIONS, ref, max_days=-1)


def test_signal_new_lesion_inconsistent() -> None:
    calls = pl.DataFrame({
        "patient_id": ["P1", "P1", "P2"],
        "assessment_date": [day(112), day(112), day(56)],
        "compartment": ["extracranial", "intracranial", "extracranial"],
        "response": ["CR", "CR", "SD"],
    })  # fmt: skip
    with pytest.warns(DataQualityWarning):
        rows = signal_new_lesion_inconsistent(LESIONS, calls)
    # intracranial call has no intracranial new lesion; P2's new lesion is equivocal
    assert rows.rows() == [("P1", day(112), "extracranial", "CR", 1, True)]
