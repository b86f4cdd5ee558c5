"""Response flags, duration-of-response inputs and tumour shrinkage (hand-derived cases)."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.response import BorRule, best_overall_response
from cnsrwe.response.flags import derive_response_flags, duration_of_response_inputs
from cnsrwe.response.shrinkage import (
    best_target_change,
    shrinkage_tables,
    target_change_series,
)

from ._scenarios import day, frames


def test_ep06_early_sd_is_not_disease_control() -> None:
    # endpoints.md EP-06: SD at d35 only, then PD at d70, sd_min_days = 42 -> DCR no
    a, r = frames({"EP06": "d35 SD, d70 PD", "OK": "d42 SD", "CR": "d56 CR", "M": ""})
    flags = derive_response_flags(best_overall_response(a, r, rule=BorRule(sd_min_days=42)))
    assert flags.select("patient_id", "bor", "objective_response", "disease_control").rows() == [
        ("CR", "CR", True, True),
        ("EP06", "PD", False, False),
        ("M", "MISSING", False, False),
        ("OK", "SD", False, True),
    ]


def test_flags_accept_pandas_and_need_bor() -> None:
    pdf = pl.DataFrame({"bor": ["NON-CR/NON-PD", "PR"]}).to_pandas()
    out = derive_response_flags(pdf)
    assert out["disease_control"].to_list() == [True, True]
    assert out["objective_response"].to_list() == [False, True]
    with pytest.raises(ValueError, match="`dataset` must have column"):
        derive_response_flags(pl.DataFrame({"x": [1]}))


def test_duration_of_response_inputs() -> None:
    a, r = frames({
        "A": "d56 PR, d112 PR, d168 NE, d224 PD, d280 PR",  # confirmed at d56, PD d224
        "B": "d56 PR, d84 SD",  # unconfirmed responder
        "C": "d56 PD, d112 PR",  # response after PD does not count
    })  # fmt: skip
    conf = duration_of_response_inputs(a, r, rule=BorRule(confirm=True))
    assert conf.rows() == [
        ("A", day(56), day(224), day(224)),
        ("B", None, None, None),
        ("C", None, None, None),
    ]
    unconf = duration_of_response_inputs(a, r, rule=BorRule(confirm=False))
    assert unconf.filter(pl.col("patient_id") == "B").rows() == [("B", day(56), None, day(84))]


def _tp(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    cols = ["patient_id", "line", "compartment", "assessment_date", "baseline_date",
            "target_sum_tenths", "baseline_sum_tenths", "target_response", "new_lesion",
            "response"]  # fmt: skip
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], orient="row")


def test_best_target_change_rules() -> None:
    tp = _tp([
        # TR-09: B = 45 mm, follow-up 12 + 5 (too small) + 0 = 17 mm -> -62.2 %
        ("P1", 1, "overall", day(56), day(-7), 170, 450, "PR", "NO", "PR"),
        ("P1", 1, "overall", day(112), day(-7), 200, 450, "PR", "NO", "PR"),
        # a partial sum (NE) never counts as shrinkage
        ("P2", 1, "overall", day(56), day(-3), 100, 400, "NE", "NO", "NE"),
        ("P2", 1, "overall", day(112), day(-3), None, 400, "NE", "NO", "NE"),
        # shrinking targets but PD by a new lesion; the later (post-PD) assessment is ignored
        ("P3", 1, "intracranial", day(56), day(0), 150, 300, "PR", "YES", "PD"),
        ("P3", 1, "intracranial", day(112), day(0), 90, 300, "PR", "NO", "PR"),
        # non-target disease only
        ("P4", 1, "overall", day(56), day(0), None, None, None, "NO", "NON-CR/NON-PD"),
    ])  # fmt: skip
    got = best_target_change(tp)
    assert got.columns[:3] == ["patient_id", "line", "compartment"]
    rows = {r["patient_id"]: r for r in got.to_dicts()}
    assert rows["P1"]["best_pct_change"] == pytest.approx(100 * (170 - 450) / 450, abs=1e-12)
    assert rows["P1"]["best_change_date"] == day(56)
    assert rows["P1"]["shrinkage_status"] == "EVALUABLE"
    assert rows["P2"]["best_pct_change"] is None
    assert rows["P2"]["shrinkage_status"] == "NO_EVALUABLE_ASSESSMENT"
    assert rows["P3"]["best_pct_change"] == pytest.approx(-50.0, abs=1e-12)
    assert rows["P3"]["pd_new_lesion"] is True
    assert rows["P3"]["n_evaluable"] == 1
    assert rows["P4"]["shrinkage_status"] == "NO_TARGET_DISEASE"
    # without truncation the post-PD shrinkage (-70 %) would be taken
    untrunc = best_target_change(tp, truncate_after_pd=False)
    p3 = untrunc.filter(pl.col("patient_id") == "P3")["best_pct_change"][0]
    assert p3 == pytest.approx(-70.0, abs=1e-12)


def test_target_change_series_for_spider_plots() -> None:
    tp = _tp([
        ("P1", 1, "overall", day(56), day(-7), 170, 450, "PR", "NO", "PR"),
        ("P1", 1, "overall", day(112), day(-7), 540, 450, "PD", "NO", "PD"),
    ])  # fmt: skip
    s = target_change_series(tp)
    assert s["response"].to_list() == ["BASELINE", "PR", "PD"]
    assert s["days_from_baseline"].to_list() == [0, 63, 119]
    assert s["pct_change_baseline"].to_list() == pytest.approx([0.0, -62.2222222222, 20.0])


def test_shrinkage_tables_equal_the_two_calls() -> None:
    """One preparation gives both tables; ties at the best change keep the earliest date,
    undated rows sort last and never end a truncation, an empty input gives empty tables."""
    tp = _tp([
        ("P1", 1, "overall", day(112), day(-7), 200, 450, "PR", "NO", "PR"),
        ("P1", 1, "overall", day(56), day(-7), 200, 450, "PR", "NO", "PR"),
        ("P1", 1, "overall", None, day(-7), 100, 450, "PR", "NO", "PD"),
        ("P1", 2, "overall", day(200), day(150), 300, 300, "SD", "YES", "PD"),
        ("P1", 2, "overall", day(180), day(150), 290, 300, "SD", "NO", "SD"),
        ("P2", 1, "overall", day(56), None, None, None, None, None, "NON-CR/NON-PD"),
    ])  # fmt: skip
    best, series = shrinkage_tables(tp)
    assert best.equals(best_target_change(tp))
    assert series.equals(target_change_series(tp))
    rows = {(r["patient_id"], r["line"]): r for r in best.to_dicts()}
    # the undated PD has no date: no first PD, nothing truncated, its -77.8 % counts
    assert rows[("P1", 1)]["first_pd_date"] is None
    assert rows[("P1", 1)]["best_pct_change"] == pytest.approx(100 * (100 - 450) / 450)
    assert rows[("P1", 1)]["best_change_date"] is None
    assert (rows[("P1", 2)]["best_change_date"], rows[("P1", 2)]["first_pd_date"]) == (
        day(180), day(200)
    )
    assert rows[("P1", 2)]["pd_new_lesion"] is True
    assert rows[("P2", 1)]["shrinkage_status"] == "NO_TARGET_DISEASE"
    # equal changes: the earlier date is the best
    tie = best_target_change(tp.filter(pl.col("assessment_date").is_not_null()))
    p1 = (pl.col("patient_id") == "P1") & (pl.col("line") == 1)
    assert tie.filter(p1)["best_change_date"].to_list() == [day(56)]
    assert series.filter(p1)["assessment_date"].to_list() == [day(-7), day(56), day(112), None]
    empty_best, empty_series = shrinkage_tables(tp.head(0))
    assert (empty_best.height, empty_series.height) == (0, 0)
    assert empty_best.columns == best.columns
    assert empty_best.schema == best.schema
