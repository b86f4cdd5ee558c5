"""The lesion table comes in its canonical order, in one run and in patient batches."""

from __future__ import annotations

import polars as pl
import pytest
from example_study import example_inputs, whole_study_packer
from polars.testing import assert_frame_equal

from cnsrwe import _packed_keys
from cnsrwe.criteria import derive_timepoint_responses

PROFILES = ("recist11_extracranial", "recist11", "rano_bm", "recist11_intracranial")
ORDER = ["patient_id", "line", "assessment_date", "compartment", "profile", "lesion_id"]


def _lesions() -> pl.DataFrame:
    lesions, ref, clinical = example_inputs()
    # shuffled input rows: the order of the output must not depend on it
    lesions = lesions.sample(fraction=1.0, shuffle=True, seed=7)
    res = derive_timepoint_responses(lesions, ref, profile=PROFILES, dataset_clinical=clinical)
    return res.lesions


def _check_sorted(df: pl.DataFrame) -> None:
    assert df.height > 100
    assert df["compartment"].n_unique() == 3
    assert_frame_equal(df, df.sort(ORDER, maintain_order=True), check_exact=True)
    # the key is unique, so that order is the only one
    assert df.select(ORDER).is_duplicated().sum() == 0


def test_lesion_table_in_canonical_order() -> None:
    _check_sorted(_lesions())


def test_lesion_table_in_canonical_order_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _lesions()
    study = whole_study_packer(example_inputs()[0])
    assert study.widths[0] > 1
    # two bits less than the whole study needs: forces a split into patient batches
    monkeypatch.setattr(_packed_keys, "_MAX_BITS", sum(study.widths) - 2)
    batched = _lesions()
    _check_sorted(batched)
    assert_frame_equal(batched, whole, check_exact=True)
