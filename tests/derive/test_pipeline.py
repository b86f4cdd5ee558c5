"""derive_study: hand-worked responses, the assessment-window convention, chunk invariance."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cnsrwe.derive.pipeline import derive_study
from cnsrwe.derive.schemas import AD_KEYS, AD_SCHEMAS

from ._studies import hand_built_study

D = dt.date


def _bor(ad_bor: pl.DataFrame, profile: str) -> dict[tuple[str, int, str], str]:
    rows = ad_bor.filter(pl.col("profile") == profile)
    return {(r["patient_id"], r["line"], r["bor_rule_name"]): r["bor"]
            for r in rows.iter_rows(named=True)}  # fmt: skip


def test_hand_built_study_gives_the_hand_worked_bor() -> None:
    ad = derive_study(hand_built_study())
    # P1: 60 -> 35 mm (-41.7 %) and 28 mm, 56 days apart: PR, confirmed (>= 28 days).
    # P2: day 49 SD (-6 %, day >= 42); day 105 new brain lesion -> PD; BOR SD.
    # P2 line 2 has its baseline (the 2020-04-15 scan) but no follow-up: MISSING.
    assert _bor(ad.bor, "recist11") == {
        ("P1", 1, "unconfirmed"): "PR", ("P1", 1, "confirmed"): "PR",
        ("P2", 1, "unconfirmed"): "SD", ("P2", 1, "confirmed"): "SD",
        ("P2", 2, "unconfirmed"): "MISSING", ("P2", 2, "confirmed"): "MISSING",
    }  # fmt: skip
    # intracranial: P1 brain target 20 -> 10 -> 8 mm (PR); P2 no baseline CNS disease, a new
    # brain lesion -> PD.
    ic = _bor(ad.bor, "recist11_intracranial")
    assert ic[("P1", 1, "confirmed")] == "PR"
    assert ic[("P2", 1, "confirmed")] == "PD"
    ec = _bor(ad.bor, "recist11_extracranial")
    assert ec[("P1", 1, "confirmed")] == "PR"
    assert ec[("P2", 1, "confirmed")] == "SD"
    p1 = ad.bor.filter((pl.col("patient_id") == "P1") & (pl.col("profile") == "recist11")
                       & (pl.col("bor_rule_name") == "confirmed")).row(0, named=True)  # fmt: skip
    assert p1["bor_date"] == D(2020, 2, 26)
    assert p1["bor_confirmation_date"] == D(2020, 4, 22)
    assert p1["objective_response"] is True


def test_hand_built_shrinkage_progression_and_issues() -> None:
    ad = derive_study(hand_built_study())
    shrink = {(r["patient_id"], r["profile"]): r["best_pct_change"]
              for r in ad.shrinkage.iter_rows(named=True)}  # fmt: skip
    assert shrink[("P1", "recist11")] == pytest.approx(100 * (28 - 60) / 60, abs=1e-12)
    assert shrink[("P2", "recist11")] == pytest.approx(-6.0, abs=1e-12)
    prog = ad.progression.filter(pl.col("patient_id") == "P2")
    split = prog.filter(pl.col("profile") == "recist11_intracranial+recist11_extracranial")
    assert split.select("first_pd_date", "site", "extent", "cns_oligo").row(0) == (
        D(2020, 4, 15), "CNS_ONLY", "OLIGO", True)
    assert ad.issues.select("patient_id", "profile", "code").rows() == [
        ("P1", "recist11", "given_overridden")]
    # every row names its profile and its rule
    assert ad.timepoints["rule"].null_count() == 0
    assert ad.bor["bor_rule"].null_count() == 0
    assert ad.shrinkage["shrinkage_rule"].null_count() == 0
    assert ad.progression["progression_rule"].null_count() == 0


def test_assessment_window_joins_mri_and_ct_dates() -> None:
    merged = derive_study(hand_built_study(), assessment_window_days=14)
    apart = derive_study(hand_built_study(), assessment_window_days=0)
    tp = merged.timepoints.filter((pl.col("patient_id") == "P1")
                                  & (pl.col("profile") == "recist11"))  # fmt: skip
    # one timepoint per window, dated by the latest scan (response date), sum over both scans
    assert tp.select("assessment_date", "window_first_date", "target_sum_tenths",
                     "response").rows() == [
        (D(2020, 2, 26), D(2020, 2, 20), 350, "PR"), (D(2020, 4, 22), D(2020, 4, 16), 280, "PR"),
    ]  # fmt: skip
    # without windows each scan lacks the other's target: whole-body NE, BOR NE
    assert set(apart.timepoints.filter((pl.col("patient_id") == "P1")
                                       & (pl.col("profile") == "recist11"))["response"]) == {"NE"}
    assert _bor(apart.bor, "recist11")[("P1", 1, "confirmed")] == "NE"


def test_progression_date_is_the_earliest_scan_showing_progression() -> None:
    study = hand_built_study()
    les = study["lesions"]
    # P1 third assessment: the brain MRI of 2020-04-16 shows a new lesion, CT 6 days later.
    extra = les.filter((pl.col("patient_id") == "P1") & (pl.col("lesion_id") == "T2")
                       & (pl.col("assessment_date") == D(2020, 4, 16))).with_columns(
        pl.lit("N1").alias("lesion_id"), pl.lit("new").alias("lesion_role"),
    )  # fmt: skip
    study["lesions"] = pl.concat([les, extra])
    ad = derive_study(study, assessment_window_days=14)
    pd_row = ad.timepoints.filter((pl.col("patient_id") == "P1") & (pl.col("response") == "PD")
                                  & (pl.col("profile") == "recist11")).row(0, named=True)
    assert (pd_row["assessment_date"], pd_row["progression_date"]) == (
        D(2020, 4, 22), D(2020, 4, 16))
    prog = ad.progression.filter((pl.col("patient_id") == "P1")
                                 & (pl.col("profile") == "recist11")).row(0, named=True)
    assert prog["first_pd_scan_date"] == D(2020, 4, 16)


def test_window_never_joins_a_baseline_scan_with_a_follow_up() -> None:
    study = hand_built_study()
    # move P1's line start between the brain MRI (2019-12-15) and the CT (2019-12-20)
    study["treatments"] = study["treatments"].with_columns(
        pl.when(pl.col("patient_id") == "P1").then(pl.lit(D(2019, 12, 17)))
        .otherwise(pl.col("start_date")).alias("start_date"))  # fmt: skip
    ad = derive_study(study, assessment_window_days=14)
    base = ad.lesions.filter((pl.col("patient_id") == "P1") & pl.col("is_baseline")
                             & (pl.col("profile") == "recist11"))  # fmt: skip
    assert base["assessment_date"].to_list() == [D(2019, 12, 15)]


def _frames_equal(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert_frame_equal(a[name], b[name])


def test_one_patient_per_chunk_equals_all_at_once(demo_tables: dict[str, pl.DataFrame]) -> None:
    full = derive_study(demo_tables).as_tables()
    assert full["ad_timepoints"].height > 100  # the demo study exercises the pipeline
    assert full["ad_progression"].filter(pl.col("first_pd_date").is_not_null()).height > 0
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in full}
    for pid in demo_tables["patients"]["patient_id"].sort():
        one = {k: v.filter(pl.col("patient_id") == pid) for k, v in demo_tables.items()}
        for name, df in derive_study(one).as_tables().items():
            parts[name].append(df)
    _frames_equal(full, {name: pl.concat(dfs) for name, dfs in parts.items()})


def test_outputs_have_fixed_schemas_and_unique_keys(demo_tables: dict[str, pl.DataFrame]) -> None:
    ad = derive_study(demo_tables).as_tables()
    for name, df in ad.items():
        assert dict(df.schema) == AD_SCHEMAS[name]
        if AD_KEYS[name]:
            assert not df.select(AD_KEYS[name]).is_duplicated().any(), name
            # every dataset in its key order (the lesion table's order is not re-checked
            # inside derive_study: the criteria engine guarantees it)
            by = list(AD_KEYS[name])
            assert_frame_equal(df, df.sort(by, maintain_order=True), check_exact=True)


def test_input_is_not_modified(demo_tables: dict[str, pl.DataFrame]) -> None:
    before = {k: v.clone() for k, v in demo_tables.items()}
    derive_study(demo_tables, assessment_window_days=30)
    _frames_equal(before, demo_tables)


def test_empty_study_gives_empty_tables() -> None:
    study = hand_built_study()
    empty = {k: v.clear() for k, v in study.items()}
    ad = derive_study(empty)
    assert all(n == 0 for n in ad.row_counts().values())


def test_bad_arguments() -> None:
    study = hand_built_study()
    with pytest.raises(ValueError, match="`profiles` must be a non-empty sequence"):
        derive_study(study, profiles=())
    with pytest.raises(ValueError, match="`profiles` must not repeat"):
        derive_study(study, profiles=("recist11", "recist11"))
    with pytest.raises(ValueError, match="`bor_rules` must be a non-empty sequence"):
        derive_study(study, bor_rules=())
    with pytest.raises(ValueError, match="`assessment_window_days` must be a whole number"):
        derive_study(study, assessment_window_days=-1)
    with pytest.raises(ValueError, match="`tables` must contain 'treatments'"):
        derive_study({"lesions": study["lesions"]})


def test_bor_blocks_interleave_into_key_order_only_when_their_keys_match() -> None:
    from cnsrwe.derive.pipeline import _interleaved

    def block(rule: str, pids: list[str]) -> pl.DataFrame:
        n = len(pids)
        return pl.DataFrame({"patient_id": pids, "line": [1] * n, "compartment": ["overall"] * n,
                             "profile": ["recist11"] * n, "bor_rule_name": rule})  # fmt: skip

    a, b = block("unconfirmed", ["P1", "P2"]), block("confirmed", ["P1", "P2"])
    got = _interleaved([a, b], ["unconfirmed", "confirmed"])
    assert got.select("patient_id", "bor_rule_name").rows() == [
        ("P1", "confirmed"), ("P1", "unconfirmed"), ("P2", "confirmed"), ("P2", "unconfirmed")]
    # different rows under the two rules: stacked as given (finish sorts them)
    c = block("confirmed", ["P1", "P3"])
    assert_frame_equal(_interleaved([a, c], ["unconfirmed", "confirmed"]), pl.concat([a, c]))
