"""Passes fused into one stacked run give the same tables as the passes run one by one."""

from __future__ import annotations

import polars as pl
import pytest
from example_study import example_inputs
from polars.testing import assert_frame_equal

from cnsrwe import _packed_keys
from cnsrwe.criteria import derive_timepoint_responses, timepoint

# RANO-BM runs alone (gates); the others fuse: the order of the listing is kept
PROFILES = ("recist11", "rano_bm", "recist11_intracranial", "cns_mrecist",
            "recist11_extracranial")  # fmt: skip


def _one_by_one() -> timepoint.TimepointResponses:
    lesions, ref, clinical = example_inputs()
    parts = [derive_timepoint_responses(lesions, ref, profile=p, dataset_clinical=clinical)
             for p in PROFILES]  # fmt: skip
    return timepoint.TimepointResponses(*(
        pl.concat([getattr(r, name) for r in parts])
        for name in ("timepoints", "lesions", "issues")
    ))  # fmt: skip


def _check(res: timepoint.TimepointResponses, ref: timepoint.TimepointResponses) -> None:
    # timepoints come per pass, in the order the profiles and their compartments are listed
    assert_frame_equal(res.timepoints, ref.timepoints, check_exact=True)
    assert_frame_equal(res.issues, ref.issues, check_exact=True)
    order = ["patient_id", "line", "assessment_date", "compartment", "profile", "lesion_id"]
    assert_frame_equal(res.lesions, ref.lesions.sort(order), check_exact=True)


def test_fused_passes_equal_separate_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = _one_by_one()
    assert ref.timepoints["profile"].n_unique() == len(PROFILES)
    calls: list[int] = []
    real = timepoint._fused_passes

    def counting(group: list[timepoint._Pass], *a: object, **k: object) -> object:
        calls.append(len(group))
        return real(group, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(timepoint, "_fused_passes", counting)
    lesions, reference, clinical = example_inputs()
    res = derive_timepoint_responses(lesions, reference, profile=PROFILES,
                                     dataset_clinical=clinical)  # fmt: skip
    assert sorted(calls) == [1, 5]  # rano_bm alone; four profiles' five passes fused
    _check(res, ref)


def test_group_too_wide_runs_pass_by_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = _one_by_one()
    lesions, reference, clinical = example_inputs()
    calls: list[int] = []
    real_fused = timepoint._fused_passes

    def counting(group: list[timepoint._Pass], *a: object, **k: object) -> object:
        calls.append(len(group))
        return real_fused(group, *a, **k)  # type: ignore[arg-type]

    real_build = _packed_keys.KeyPacker.build.__func__  # type: ignore[attr-defined]

    def build(cls: type, **kw: object) -> object:
        out = real_build(cls, **kw)
        if out is not None:  # no room above the patient field for a pass code
            monkeypatch.setattr(timepoint, "_KEY_BITS", sum(out.widths))
        return out

    monkeypatch.setattr(timepoint, "_fused_passes", counting)
    monkeypatch.setattr(_packed_keys.KeyPacker, "build", classmethod(build))
    res = derive_timepoint_responses(lesions, reference, profile=PROFILES,
                                     dataset_clinical=clinical)  # fmt: skip
    assert calls == [1] * 6  # every pass alone
    _check(res, ref)
