"""The > 64-bit fallback: patients run in batches give the same tables as one run."""

from __future__ import annotations

import polars as pl
import pytest
from example_study import example_inputs, whole_study_packer
from polars.testing import assert_frame_equal

from cnsrwe import _packed_keys
from cnsrwe.criteria import derive_timepoint_responses
from cnsrwe.errors import CriteriaError, SchemaError

PROFILES = ("recist11", "recist11_intracranial", "recist11_extracranial", "rano_bm")


def _run() -> dict[str, pl.DataFrame]:
    lesions, ref, clinical = example_inputs()
    res = derive_timepoint_responses(lesions, ref, profile=PROFILES, dataset_clinical=clinical)
    return {name: df.sort(df.columns, nulls_last=True) for name, df in
            (("timepoints", res.timepoints), ("lesions", res.lesions), ("issues", res.issues))}


def test_patient_batches_equal_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _run()
    assert whole["timepoints"].height > 0
    lesions, _, _ = example_inputs()
    n_patients = lesions["patient_id"].n_unique()
    assert n_patients > 2
    # allow one bit less than the whole study needs: forces a split into patient batches
    study = whole_study_packer(lesions)
    assert study.widths[0] > 0
    monkeypatch.setattr(_packed_keys, "_MAX_BITS", sum(study.widths) - 1)
    calls: list[int] = []
    real_build = _packed_keys.KeyPacker.build.__func__  # type: ignore[attr-defined]

    def counting_build(cls: type, **kw: object) -> object:
        out = real_build(cls, **kw)
        calls.append(out is None)
        return out

    monkeypatch.setattr(_packed_keys.KeyPacker, "build", classmethod(counting_build))
    batched = _run()
    assert calls[0]  # the whole study did not fit: split
    assert calls.count(False) >= 2  # at least two batches ran
    for name, df in whole.items():
        assert_frame_equal(batched[name], df, check_exact=True)


def test_one_patient_too_wide_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_packed_keys, "_MAX_BITS", 0)
    lesions, ref, _ = example_inputs()
    pid = lesions["patient_id"][0]
    with pytest.raises(CriteriaError, match="64-bit packed key"):
        derive_timepoint_responses(lesions.filter(pl.col("patient_id") == pid),
                                   ref.filter(pl.col("patient_id") == pid))


def test_empty_lesion_key_is_refused() -> None:
    lesions, ref, _ = example_inputs()
    bad = lesions.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("lesion_id"))
        .alias("lesion_id")
    )  # fmt: skip
    with pytest.raises(SchemaError, match=r"`lesions\.lesion_id` must not be empty"):
        derive_timepoint_responses(bad, ref)
