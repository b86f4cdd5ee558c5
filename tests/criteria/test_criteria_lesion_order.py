"""The lesion table comes in its canonical order, in one run and in patient batches."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cnsrwe import _packed_keys
from cnsrwe.criteria import derive_timepoint_responses
from cnsrwe.derive.reference import derive_reference_dates
from cnsrwe.io import load_study

DATA = Path(__file__).resolve().parents[2] / "examples" / "alectinib-2022" / "data"
PROFILES = ("recist11_extracranial", "recist11", "rano_bm", "recist11_intracranial")
ORDER = ["patient_id", "line", "assessment_date", "compartment", "profile", "lesion_id"]


def _lesions() -> pl.DataFrame:
    tables = load_study(DATA).tables
    lines = derive_reference_dates(tables["treatments"]).lines
    ref = lines.select("patient_id", "line", "reference_date",
                       pl.col("assessment_end_date").alias("end_date"))  # fmt: skip
    # shuffled input rows: the order of the output must not depend on it
    lesions = tables["lesions"].sample(fraction=1.0, shuffle=True, seed=7)
    res = derive_timepoint_responses(lesions, ref, profile=PROFILES,
                                     dataset_clinical=tables.get("clinical"))
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
    lesions = load_study(DATA).tables["lesions"]
    study = _packed_keys.KeyPacker.build(
        patients=[lesions["patient_id"]], lines=[pl.Series([1, 3])],
        dates=[lesions["assessment_date"]], lesions=[lesions["lesion_id"]],
    )  # fmt: skip
    assert study is not None
    assert study.widths[0] > 1
    # two bits less than the whole study needs: forces a split into patient batches
    monkeypatch.setattr(_packed_keys, "_MAX_BITS", sum(study.widths) - 2)
    batched = _lesions()
    _check_sorted(batched)
    assert_frame_equal(batched, whole, check_exact=True)
