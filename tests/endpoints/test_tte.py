"""derive_tte: endpoints.md EP-08..EP-13 and EP-20, and one scenario per censoring rule.

Every expected value is worked out by hand from the rules of endpoints.md section 5 (stated
next to each case); days are counted from the index date (day 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl
import pytest
from tests.endpoints._build import assessments, day, index, patients, therapies

from cnsrwe.endpoints import definitions as d
from cnsrwe.endpoints.sources import DAYS_PER_MONTH, EventSource
from cnsrwe.endpoints.tte import ADTTE_SCHEMA, derive_tte

ALL = ["OS", "PFS", "IC_PFS", "CNS_TTP", "CNS_TTP_DC", "CNS_TTP_DCENS"]


def run(tp, pts, th=None, *, endpoints=ALL, cutoff=None):
    ids = pts["patient_id"].to_list()
    return derive_tte(index(ids), dataset_assessments=tp, dataset_patients=pts,
                      dataset_therapies=th, endpoints=endpoints, cutoff_date=cutoff)


def row(out: pl.DataFrame, pid: str, paramcd: str) -> dict:
    sub = out.filter((pl.col("patient_id") == pid) & (pl.col("paramcd") == paramcd))
    assert sub.height == 1
    return sub.row(0, named=True)


def check(out, pid, paramcd, aval, cause, srcrule=None):
    r = row(out, pid, paramcd)
    assert (r["aval"], r["cause"]) == (aval, cause), r
    assert r["cnsr"] == (0 if cause == 1 else 1)
    assert r["adt"] == day(aval)
    if srcrule is not None:
        assert r["srcrule"] == srcrule


def test_ep08_ep09_extracranial_pd_before_cns_pd():
    # EP-08: extracranial PD d56, CNS PD d120 (CNS SD at d56).
    tp = assessments([
        ("P", 56, "intracranial", "SD"), ("P", 56, "extracranial", "PD"),
        ("P", 56, "overall", "PD"),
        ("P", 120, "intracranial", "PD"), ("P", 120, "extracranial", "PD"),
        ("P", 120, "overall", "PD"),
    ])
    out = run(tp, patients({"P": (None, 200)}))
    check(out, "P", "PFS", 56, 1, "any_pd_event")
    check(out, "P", "IC_PFS", 120, 1, "cns_pd_event")  # extracranial PD neither event nor censor
    check(out, "P", "CNS_TTP", 56, 2, "extracranial_only_pd_competing")  # ALEX-style coding
    check(out, "P", "CNS_TTP_DC", 120, 1, "cns_pd_event")  # EP-09: death-only competing
    check(out, "P", "CNS_TTP_DCENS", 120, 1)
    assert row(out, "P", "CNS_TTP")["evntdesc"] == "EXTRACRANIAL-ONLY PROGRESSION"


def test_simultaneous_cns_and_extracranial_pd_is_a_cns_event():
    tp = assessments([("P", 84, "intracranial", "PD"), ("P", 84, "extracranial", "PD")])
    out = run(tp, patients({"P": (None, 300)}))
    check(out, "P", "CNS_TTP", 84, 1, "cns_pd_event")


def test_ep10_cns_local_therapy_censors_before_it():
    # SRS to a growing brain lesion at d90 without declared PD; last MRI d84; a later MRI
    # showing PD at d112 is no longer attributable to the TKI.
    tp = assessments([("P", 84, "intracranial", "SD"), ("P", 112, "intracranial", "PD")])
    th = therapies([("P", 1, "alk_tki", 0, None), ("P", None, "radiotherapy", 90, "brain")])
    out = run(tp, patients({"P": (None, 300)}), th)
    check(out, "P", "IC_PFS", 84, 0, "cns_local_therapy_censor")
    check(out, "P", "CNS_TTP", 84, 0, "cns_local_therapy_censor")
    # PFS has no local-therapy rule in the catalogue: the d112 CNS PD counts
    check(out, "P", "PFS", 112, 1)


def test_ep11_pfs_and_ic_pfs_censor_at_their_own_last_assessment():
    tp = assessments([
        ("P", 56, "intracranial", "SD"), ("P", 56, "extracranial", "SD"),
        ("P", 56, "overall", "SD"),
        ("P", 112, "intracranial", "SD"), ("P", 112, "extracranial", "SD"),
        ("P", 112, "overall", "SD"),
        # body CT only at d200: the whole-body call is NE (brain not imaged)
        ("P", 200, "extracranial", "SD"), ("P", 200, "intracranial", "NE"),
        ("P", 200, "overall", "NE"),
    ])
    out = run(tp, patients({"P": (None, 250)}))
    check(out, "P", "PFS", 200, 0, "last_adequate_assessment_censor")
    check(out, "P", "IC_PFS", 112, 0, "last_adequate_cns_assessment_censor")


def test_ep12_ep13_death_window():
    tp = assessments([
        ("A", 140, "overall", "SD"), ("A", 140, "intracranial", "SD"),
        ("B", 56, "overall", "SD"), ("B", 112, "overall", "SD"), ("B", 112, "intracranial", "SD"),
    ])
    out = run(tp, patients({"A": (150, None), "B": (300, None)}))
    check(out, "A", "PFS", 150, 1, "death_event_windowed")  # EP-12: 10 days after the LAA
    # EP-13: death d300, LAA d112, scans due d168 and d224 missed (188 > 112 days)
    check(out, "B", "PFS", 112, 0, "death_outside_window")
    assert row(out, "B", "PFS")["evntdesc"] == "DEATH AFTER MISSED ASSESSMENTS"
    check(out, "B", "OS", 300, 1, "death_event")
    check(out, "A", "CNS_TTP", 150, 3, "death_competing_event")  # death competes (cause 3)
    check(out, "A", "CNS_TTP_DCENS", 140, 0)  # death censored at the last CNS assessment


def test_ep20_os_censored_at_last_contact_not_last_scan():
    tp = assessments([("P", 350, "overall", "SD")])
    out = run(tp, patients({"P": (None, 400)}))
    check(out, "P", "OS", 400, 0, "last_known_alive_censor")


def test_event_after_cutoff_is_censored():
    tp = assessments([
        ("P", 100, "overall", "SD"), ("P", 100, "intracranial", "SD"),
        ("P", 200, "overall", "PD"), ("P", 200, "intracranial", "PD"),
    ])
    out = run(tp, patients({"P": (250, None), "Q": (None, 400)}), cutoff=day(150))
    check(out, "P", "PFS", 100, 0, "data_cutoff_censor")  # PD d200 after the cutoff d150
    check(out, "P", "IC_PFS", 100, 0, "data_cutoff_censor")
    check(out, "P", "OS", 150, 0, "data_cutoff_alive_censor")  # death d250 after the cutoff
    check(out, "Q", "OS", 150, 0, "data_cutoff_alive_censor")  # known alive beyond the cutoff
    assert row(out, "Q", "OS")["cutoff_date"] == day(150)
    # an event on the cutoff day itself counts
    out = run(tp, patients({"P": (250, None)}), cutoff=day(200))
    check(out, "P", "PFS", 200, 1)


def test_new_therapy_before_progression_censors_at_last_assessment_on_or_before_it():
    tp = assessments([
        ("P", 80, "overall", "SD"), ("P", 100, "overall", "SD"), ("P", 160, "overall", "PD"),
    ])
    th = therapies([("P", 1, "alk_tki", 0, None), ("P", 2, "alk_tki", 100, None),
                    ("P", 1, "alk_tki", 30, None)])  # same line restarted: not a new therapy
    out = run(tp, patients({"P": (None, 300)}), th, endpoints=["PFS"])
    check(out, "P", "PFS", 100, 0, "new_anticancer_therapy_censor")  # scan on the start day counts
    assert row(out, "P", "PFS")["evntdesc"] == "NEW ANTICANCER THERAPY"


def test_no_post_baseline_assessment_is_censored_at_day_0():
    tp = assessments([("P", -5, "overall", "SD"), ("Q", 30, "overall", "NE")])
    out = run(tp, patients({"P": (None, 90), "Q": (None, 90)}), endpoints=["PFS"])
    for pid in ("P", "Q"):
        check(out, pid, "PFS", 0, 0, "no_adequate_assessment")
    exclude = replace(d.PFS, no_adequate_assessment="exclude")
    out = run(tp, patients({"P": (None, 90), "Q": (None, 90)}), endpoints=[exclude])
    assert out.height == 0


def test_ic_dor_starts_at_first_response_and_only_for_responders():
    tp = assessments([
        ("R", 56, "intracranial", "PR"), ("R", 112, "intracranial", "CR"),
        ("R", 224, "intracranial", "PD"), ("N", 56, "intracranial", "SD"),
    ])
    out = run(tp, patients({"R": (None, 300), "N": (None, 300)}), endpoints=["IC_DOR"])
    assert out["patient_id"].to_list() == ["R"]
    r = row(out, "R", "IC_DOR")
    assert (r["start_date"], r["aval"], r["cnsr"]) == (day(56), 168, 0)


def test_progression_date_back_dates_the_event_and_units():
    tp = assessments([("P", 70, "intracranial", "PD")]).with_columns(
        pl.Series("progression_date", [day(61)]))
    out = run(tp, patients({"P": (None, 100)}), endpoints=["IC_PFS"])
    r = row(out, "P", "IC_PFS")
    assert r["aval"] == 61
    assert r["aval_months"] == pytest.approx(61 / 30.4375, rel=1e-15)
    assert DAYS_PER_MONTH == 30.4375
    assert out.schema == pl.Schema(ADTTE_SCHEMA)


def test_inputs_unchanged_and_bad_arguments():
    tp = assessments([("P", 70, "intracranial", "PD")])
    pts = patients({"P": (None, 100)})
    before = (tp.clone(), pts.clone())
    run(tp, pts)
    assert tp.equals(before[0])
    assert pts.equals(before[1])
    with pytest.raises(ValueError, match="`endpoints` entries must be among"):
        run(tp, pts, endpoints=["TTX"])
    with pytest.raises(ValueError, match="`dataset` must have one row"):
        derive_tte(pl.concat([index(["P"]), index(["P"])]), dataset_assessments=tp,
                   dataset_patients=pts)
    with pytest.raises(ValueError, match=r"`dataset_patients` must have columns"):
        derive_tte(index(["P"]), dataset_assessments=tp, dataset_patients=pts.drop("death_date"))
    with pytest.raises(TypeError, match="`cutoff_date` must be a date"):
        run(tp, pts, cutoff="2021-06-01")
    with pytest.raises(ValueError, match="`compartments` entries must be among"):
        EventSource("x", "x", "progression", "X", compartments=("brain",))
    with pytest.raises(ValueError, match="cause-1 event"):
        d.TteEndpoint("X", "x", (d.death_competing_event,), d.last_known_alive_censor)


def test_catalogue_describes_every_rule():
    text = d.CNS_TTP.describe()
    for name in ("cns_pd_event", "extracranial_only_pd_competing", "death_competing_event",
                 "cns_local_therapy_censor", "data_cutoff_censor"):
        assert name in text
    assert d.CNS_TTP.is_competing
    assert not d.PFS.is_competing
    assert isinstance(day(0), dt.date)
