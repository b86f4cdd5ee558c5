"""derive_tte with several index lines per patient (one row per (patient_id, line)).

The rule: each index row is derived exactly as if it were its patient's only row in a call of
its own. The proof is parity: one call over every line equals the concatenation of one call
per line number, row for row after sorting, on both bundled example studies (every systemic
line as index, local therapies, deaths, duration-of-response responders, with and without a
data cutoff) and on seeded random studies that stress ties, back-dated progression, therapies
without a line and same-day triggers. A hand-worked two-line patient pins the rule itself.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.endpoints._build import assessments, day, patients, therapies

from cnsrwe.endpoints.definitions import STANDARD_ENDPOINTS
from cnsrwe.endpoints.tte import derive_tte

ROOT = Path(__file__).resolve().parents[2]
EVERY = list(STANDARD_ENDPOINTS)
KEY = ["patient_id", "line", "paramcd"]


def _one_call_vs_per_line(index: pl.DataFrame, **kw: object) -> pl.DataFrame:
    """Assert the all-lines call equals the per-line calls (exact, after sorting)."""
    one = derive_tte(index, **kw)  # type: ignore[arg-type]
    per_line = pl.concat([
        derive_tte(index.filter(pl.col("line") == n), **kw)  # type: ignore[arg-type]
        for n in index["line"].unique().sort()
    ])  # fmt: skip
    assert one.height == per_line.height
    assert_frame_equal(one.sort(KEY), per_line.sort(KEY), check_exact=True)
    return one


def _first_profiles(timepoints: pl.DataFrame) -> pl.DataFrame:
    chosen = {"overall": "recist11", "intracranial": "recist11_intracranial",
              "extracranial": "recist11_extracranial"}  # fmt: skip
    return pl.concat([
        timepoints.filter((pl.col("compartment") == c) & (pl.col("profile") == p))
        for c, p in chosen.items()
    ])  # fmt: skip


@pytest.mark.parametrize("example", ["alectinib-2022", "progression-2024"])
@pytest.mark.parametrize("with_cutoff", [False, True])
def test_every_line_in_one_call_equals_one_call_per_line_on_the_examples(
    example: str, with_cutoff: bool
) -> None:
    data = ROOT / "examples" / example / "data"
    if not (data / "patients.csv").is_file():
        pytest.skip(f"examples/{example}/data not built")
    from cnsrwe.derive.pipeline import derive_study
    from cnsrwe.io import load_study

    tables = load_study(data).tables
    ad = derive_study(tables)
    index = ad.reference.select("patient_id", "line", pl.col("reference_date").alias("start_date"))
    assert index.group_by("patient_id").len()["len"].max() >= 3  # really several lines
    # a cutoff after 70 % of the line starts: some lines end in it, others begin after it
    starts = index["start_date"].sort()
    cutoff: dt.date | None = starts[int(0.7 * starts.len())] if with_cutoff else None
    one = _one_call_vs_per_line(
        index, dataset_assessments=_first_profiles(ad.timepoints),
        dataset_patients=tables["patients"], dataset_therapies=tables["treatments"],
        endpoints=EVERY, cutoff_date=cutoff,
    )  # fmt: skip
    rules = set(one["srcrule"])
    # the scenarios the parity has to cover are present
    assert {"new_anticancer_therapy_censor", "any_pd_event", "cns_pd_event"} <= rules
    assert one.filter(pl.col("paramcd") == "IC_DOR").height > 0
    if cutoff is None:
        assert "death_event" in rules
        assert rules & {"cns_local_therapy_censor", "death_event_windowed", "death_outside_window"}
    else:
        assert "data_cutoff_alive_censor" in rules


def _random_study(seed: int) -> dict[str, pl.DataFrame]:
    """A small random multi-line study on coarse day grids (many ties on purpose)."""
    rng = np.random.default_rng(seed)
    index_rows, scans, th, pts = [], [], [], {}
    for i in range(40):
        pid = f"P{i:03d}"
        starts = np.cumsum(rng.integers(0, 5, size=rng.integers(1, 5)) * 28)
        for line, start in enumerate(starts, start=1):
            index_rows.append((pid, line, int(start)))
            th.append((pid, line if rng.random() > 0.1 else None,
                       str(rng.choice(["alk_tki", "chemotherapy"])), int(start), None))
            if rng.random() < 0.3:  # same line restarted later: never "new"
                th.append((pid, line, "alk_tki", int(start + rng.integers(0, 4) * 28), None))
        for _ in range(rng.integers(0, 3)):
            th.append((pid, None, str(rng.choice(["radiotherapy", "surgery", "chemotherapy"])),
                       int(rng.integers(0, 12) * 28),
                       rng.choice(np.array(["brain", "leptomeninges", "extracranial", None]))))
        for d in np.unique(rng.integers(-2, 14, size=rng.integers(0, 9)) * 28):
            for comp in ("overall", "intracranial", "extracranial"):
                if rng.random() < 0.8:
                    resp = rng.choice(np.array(["CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD",
                                                None]))  # fmt: skip
                    scans.append((pid, int(d), comp, resp,
                                  int(d - rng.integers(0, 3) * 14) if resp == "PD" else None))
        death = int(rng.integers(1, 16) * 28) if rng.random() < 0.5 else None
        alive = None if death is not None and rng.random() < 0.5 else int(rng.integers(0, 16) * 28)
        pts[pid] = (death, alive)
    tp = assessments([s[:4] for s in scans]).with_columns(
        pl.Series("progression_date", [day(s[4]) for s in scans], pl.Date))
    index = pl.DataFrame(
        {"patient_id": [r[0] for r in index_rows], "line": [r[1] for r in index_rows],
         "start_date": [day(r[2]) for r in index_rows]},
    ).sample(fraction=1.0, shuffle=True, seed=seed)  # fmt: skip
    return {"index": index, "tp": tp, "patients": patients(pts),
            "therapies": therapies([(a, b, c, d, None if e is None else str(e))
                                    for a, b, c, d, e in th])}  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_every_line_in_one_call_equals_one_call_per_line_on_random_studies(seed: int) -> None:
    s = _random_study(seed)
    for cutoff in (None, day(224)):
        one = _one_call_vs_per_line(
            s["index"], dataset_assessments=s["tp"], dataset_patients=s["patients"],
            dataset_therapies=s["therapies"], endpoints=EVERY, cutoff_date=cutoff,
        )  # fmt: skip
        # order: endpoint by endpoint, each in the order of the index rows as given
        given = s["index"].with_row_index("given").select("patient_id", "line", "given")
        pos = one.join(given, on=["patient_id", "line"], how="left", maintain_order="left")
        code = pos["paramcd"].replace_strict({p: i for i, p in enumerate(EVERY)},
                                             return_dtype=pl.Int64)  # fmt: skip
        assert (code * 10_000 + pos["given"].cast(pl.Int64)).is_sorted()
        # order="patient": the same rows sorted by (patient_id, line, paramcd)
        by_patient = derive_tte(
            s["index"].sample(fraction=1.0, shuffle=True, seed=seed),
            dataset_assessments=s["tp"], dataset_patients=s["patients"],
            dataset_therapies=s["therapies"], endpoints=EVERY[::-1], cutoff_date=cutoff,
            order="patient",
        )  # fmt: skip
        assert_frame_equal(by_patient, one.sort(KEY, nulls_last=True), check_exact=True)


def test_unknown_order_is_refused() -> None:
    s = _random_study(0)
    with pytest.raises(ValueError, match="`order` must be 'endpoint' or 'patient'"):
        derive_tte(s["index"], dataset_assessments=s["tp"], dataset_patients=s["patients"],
                   order="line")  # type: ignore[arg-type]  # fmt: skip


def test_two_lines_of_one_patient_worked_by_hand() -> None:
    # Line 1 from day 0, line 2 from day 200 (new therapy for line 1, not for line 2); SRS to
    # the brain on day 300; intracranial PR d56 and d250, CNS PD d340; death d400.
    tp = assessments([
        ("P", 56, "intracranial", "PR"), ("P", 56, "overall", "PR"),
        ("P", 196, "intracranial", "SD"), ("P", 196, "overall", "SD"),
        ("P", 250, "intracranial", "PR"), ("P", 250, "overall", "PR"),
        ("P", 340, "intracranial", "PD"), ("P", 340, "overall", "PD"),
    ])  # fmt: skip
    th = therapies([("P", 1, "alk_tki", 0, None), ("P", 2, "alk_tki", 200, None),
                    ("P", None, "radiotherapy", 300, "brain")])  # fmt: skip
    index = pl.DataFrame({"patient_id": ["P", "P"], "line": [2, 1],
                          "start_date": [day(200), day(0)]})  # fmt: skip
    out = derive_tte(index, dataset_assessments=tp, dataset_patients=patients({"P": (400, None)}),
                     dataset_therapies=th, endpoints=["OS", "PFS", "IC_PFS", "IC_DOR"])
    got = {(r["line"], r["paramcd"]): (r["start_date"], r["adt"], r["cause"], r["srcrule"])
           for r in out.iter_rows(named=True)}  # fmt: skip
    assert got == {
        # line 1: the line-2 start (d200) ends the window; last adequate assessment d196
        (1, "OS"): (day(0), day(400), 1, "death_event"),
        (1, "PFS"): (day(0), day(196), 0, "new_anticancer_therapy_censor"),
        (1, "IC_PFS"): (day(0), day(196), 0, "new_anticancer_therapy_censor"),
        (1, "IC_DOR"): (day(56), day(196), 0, "new_anticancer_therapy_censor"),
        # line 2: PD d340 counts for PFS; SRS d300 ends the CNS window (last CNS scan d250)
        (2, "OS"): (day(200), day(400), 1, "death_event"),
        (2, "PFS"): (day(200), day(340), 1, "any_pd_event"),
        (2, "IC_PFS"): (day(200), day(250), 0, "cns_local_therapy_censor"),
        (2, "IC_DOR"): (day(250), day(250), 0, "no_adequate_assessment"),  # nothing after d250
    }
    # rows follow the index rows as given (line 2 first) within each endpoint
    assert out["line"].to_list() == [2, 1, 2, 1, 2, 1, 2, 1]


def test_duplicated_index_rows_and_patients_are_refused() -> None:
    tp = assessments([("P", 70, "intracranial", "PD")])
    pts = patients({"P": (None, 100)})
    two = pl.DataFrame({"patient_id": ["P", "P"], "line": [1, 1],
                        "start_date": [day(0), day(10)]})  # fmt: skip
    with pytest.raises(ValueError, match=r"one row per \(patient_id, line\), got 2 rows"):
        derive_tte(two, dataset_assessments=tp, dataset_patients=pts)
    with pytest.raises(ValueError, match=r"`dataset` must have one row \(the index line\) per"):
        derive_tte(two.drop("line"), dataset_assessments=tp, dataset_patients=pts)
    with pytest.raises(ValueError, match="`dataset_patients` must have one row per patient"):
        derive_tte(two.head(1), dataset_assessments=tp, dataset_patients=pl.concat([pts, pts]))
    with pytest.raises(ValueError, match=r"`dataset\.patient_id` must not be missing"):
        derive_tte(two.head(1).with_columns(pl.lit(None, pl.String).alias("patient_id")),
                   dataset_assessments=tp, dataset_patients=pts)
    # patients without any scan, therapy or patients row still get their rows
    out = derive_tte(two.head(1).with_columns(pl.lit("Q").alias("patient_id")),
                     dataset_assessments=tp, dataset_patients=pts, endpoints=["OS", "PFS"])
    assert out.select("paramcd", "aval", "srcrule").rows() == [
        ("OS", 0, "no_adequate_assessment"), ("PFS", 0, "no_adequate_assessment")]
