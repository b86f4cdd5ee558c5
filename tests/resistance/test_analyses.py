"""Analysis tables: Table 2 of the 2024 study reproduced; Table 3, sankey and timing tables."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from cnsrwe.resistance.analyses import (
    local_therapy_use,
    progression_incidence,
    rebiopsy_timing,
    subsequent_therapy_after_2g,
    treatment_sequences,
)
from cnsrwe.resistance.lines import derive_lines_of_therapy
from cnsrwe.resistance.mechanisms import derive_biopsy_mechanisms
from cnsrwe.stats.ard import ARD_SCHEMA

from ._data import D, biopsies, treatments

REF = Path(__file__).parents[1] / "reference" / "resistance_2024_table2" / "table2.csv"


def _reference() -> list[dict[str, str]]:
    with REF.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _cohort(comparison: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Progressed lines with the Table 2 counts (CNS by baseline; symptoms overall)."""
    ref = [r for r in _reference() if r["comparison"] == comparison]
    cells = {(r["event"], r["stratum"], r["group"]): int(r["events"]) for r in ref}
    sizes = {(r["stratum"], r["group"]): int(r["n"]) for r in ref if r["event"] == "cns"}
    lines, prog, base = [], [], []
    for group in sorted({g for _, g in sizes}):
        flags = []
        for stratum, has_cns in (("baseline CNS", True), ("no baseline CNS", False)):
            n, k = sizes[(stratum, group)], cells[("cns", stratum, group)]
            flags += [(has_cns, i < k) for i in range(n)]
        n_sym = cells[("symptomatic", "all", group)]
        n_sym_cns = cells[("symptomatic_cns", "all", group)]
        cns_idx = [i for i, (_, c) in enumerate(flags) if c]
        other_idx = [i for i, (_, c) in enumerate(flags) if not c]
        sym = set(cns_idx[:n_sym_cns]) | set(other_idx[: n_sym - n_sym_cns])
        for i, (has_cns, cns) in enumerate(flags):
            pid = f"{group}-{i}"
            lines.append({"patient_id": pid, "line": 1, "alk_tki": group})
            prog.append({
                "patient_id": pid, "line": 1, "first_pd_date": D(2020, 1, 1),
                "site": "CNS_ONLY" if cns else "EXTRACRANIAL_ONLY", "extent": "MULTI",
                "symptomatic": i in sym,
            })  # fmt: skip
            base.append({"patient_id": pid, "line": 1, "baseline_cns": has_cns})
    return pl.DataFrame(lines), pl.DataFrame(prog), pl.DataFrame(base)


@pytest.mark.parametrize("comparison", ["p1", "p2"])
@pytest.mark.parametrize("event", ["cns", "symptomatic", "symptomatic_cns"])
def test_table2_reproduced(comparison: str, event: str) -> None:
    lines, prog, base = _cohort(comparison)
    res = progression_incidence(lines, prog, event=event, dataset_baseline_cns=base)  # type: ignore[arg-type]
    got = {(r["stratum"], r["group"]): r for r in res.table.iter_rows(named=True)}
    expected = [r for r in _reference() if r["comparison"] == comparison and r["event"] == event]
    assert expected
    for r in expected:
        row = got[(r["stratum"], r["group"])]
        assert row["n"] == int(r["n"])
        pct = 100 * row["proportion"]
        if r["known_discrepancy"]:  # printed truncated, not rounded (see the README)
            assert int(pct * 10) / 10 == float(r["published_percent"])
        else:
            assert pct == pytest.approx(float(r["published_percent"]), abs=0.05)
        printed = r["published_p"]
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        tol = 0.5 * 10.0**-decimals
        assert row["p_value"] == pytest.approx(float(printed), abs=tol)


def test_incidence_unknowns_leave_the_denominator_and_ard() -> None:
    lines = pl.DataFrame({"patient_id": ["a", "b", "c", "d"], "line": [1] * 4,
                          "alk_tki": ["alectinib"] * 4})  # fmt: skip
    prog = pl.DataFrame({
        "patient_id": ["a", "b", "c", "d"], "line": [1] * 4,
        "first_pd_date": [D(2020, 1, 1), D(2020, 1, 1), D(2020, 1, 1), None],
        "site": ["BOTH", "UNKNOWN", "EXTRACRANIAL_ONLY", "NONE"],
        "extent": ["OLIGO", "UNCLASSIFIED", "EXTENSIVE", "NONE"],
        "symptomatic": [None, True, False, None],
    })  # fmt: skip
    cns = progression_incidence(lines, prog, event="cns").table.row(0, named=True)
    assert (cns["n"], cns["events"], cns["n_unknown"], cns["p_value"]) == (2, 1, 1, None)
    sym = progression_incidence(lines, prog, event="symptomatic_cns").table.row(0, named=True)
    assert (sym["n"], sym["events"], sym["n_unknown"]) == (1, 0, 2)
    oligo = progression_incidence(lines, prog, event="oligo")
    assert oligo.table.select("n", "events").row(0) == (2, 1)
    ard = oligo.to_ard()
    assert ard.schema == pl.Schema(ARD_SCHEMA)
    assert ard.filter(pl.col("statistic") == "events")["value"].to_list() == [1.0]
    with pytest.raises(ValueError, match="`event` must be one of"):
        progression_incidence(lines, prog, event="death")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`by` must be a column"):
        progression_incidence(lines, prog, event="cns", by="cohort")
    with pytest.raises(ValueError, match="one row per patient and line"):
        progression_incidence(lines, pl.concat([prog, prog]), event="cns")


SEQ = treatments([
    # A: crizotinib -> alectinib (progressed) -> lorlatinib -> chemo; died
    ("A", 1, "crizotinib", "alk_tki", ["crizotinib"], D(2016, 1, 1), D(2017, 1, 1), "progression"),
    ("A", 2, "alectinib", "alk_tki", ["alectinib"], D(2017, 2, 1), D(2019, 1, 1), "progression"),
    ("A", 2, "SRS", "radiotherapy", None, D(2018, 6, 1), D(2018, 6, 2), "completed", "brain"),
    ("A", 3, "lorlatinib", "alk_tki", ["lorlatinib"], D(2019, 2, 1), D(2020, 1, 1), "progression"),
    ("A", 4, "chemo", "chemotherapy", ["pemetrexed", "cisplatin"], D(2020, 2, 1), D(2020, 6, 1),
     "death"),
    # B: alectinib first line (progressed) -> chemo (ongoing)
    ("B", 1, "alectinib", "alk_tki", ["alectinib"], D(2018, 1, 1), D(2020, 1, 1), "progression"),
    ("B", 1, "SBRT", "radiotherapy", None, D(2019, 3, 1), D(2019, 3, 5), "completed",
     "extracranial"),
    ("B", 2, "chemo", "chemotherapy", ["carboplatin", "pemetrexed"], D(2020, 2, 1), None,
     "ongoing"),
    # C: alectinib first line, progressed, nothing after
    ("C", 1, "alectinib", "alk_tki", ["alectinib"], D(2018, 1, 1), D(2019, 1, 1), "progression"),
    # E: alectinib ongoing (no 2G failure)
    ("E", 1, "alectinib", "alk_tki", ["alectinib"], D(2019, 1, 1), None, "ongoing"),
])  # fmt: skip
LOT = derive_lines_of_therapy(SEQ)


def test_subsequent_therapy_after_2g() -> None:
    patients = pl.DataFrame({"patient_id": ["A", "B", "C", "E"],
                             "death_date": [D(2020, 6, 1), None, None, None]})  # fmt: skip
    t = subsequent_therapy_after_2g(LOT.lines, dataset_patients=patients).table
    got = {(r["item"], r["group"]): (r["n"], r["yes"]) for r in t.iter_rows(named=True)}
    assert got[(">=1 subsequent line", "first_line")] == (2, 1)
    assert got[(">=1 subsequent line", "post_crizotinib")] == (1, 1)
    assert got[(">=1 subsequent line", "all")] == (3, 2)
    assert got[(">=1 subsequent ALK-TKI", "all")] == (3, 1)
    assert got[("subsequent 3G ALK-TKI", "post_crizotinib")] == (1, 1)
    assert got[(">=1 line of chemotherapy", "all")] == (3, 2)
    assert got[(">=1 line of chemotherapy, patients who died", "all")] == (1, 1)
    assert ("subsequent 3G ALK-TKI", "first_line") in got


def test_local_therapy_use() -> None:
    prog = pl.DataFrame({
        "patient_id": ["A", "B", "C"], "line": [2, 1, 1],
        "first_pd_date": [D(2018, 5, 1), D(2019, 2, 1), D(2019, 1, 1)],
        "site": ["CNS_ONLY", "EXTRACRANIAL_ONLY", "BOTH"],
        "extent": ["OLIGO", "OLIGO", "MULTI"], "symptomatic": [False, False, True],
    })  # fmt: skip
    t = local_therapy_use(LOT.lines, prog, LOT.local_therapies).table.row(0, named=True)
    # A: SRS 2018-06-01 after PD 2018-05-01, line ends 2019-01-01 -> 214 days
    # B: SBRT 2019-03-01 after PD 2019-02-01, line ends 2020-01-01 -> 306 days
    assert t["group"] == "alectinib"
    assert (t["n_progressed"], t["n_oligo"], t["n_oligo_local"]) == (3, 2, 2)
    assert t["median_days_added"] == pytest.approx(260.0)
    assert t["q1_days_added"] == pytest.approx(237.0)
    assert t["median_months_added"] == pytest.approx(260.0 / 30.4375)


def test_treatment_sequences() -> None:
    t = treatment_sequences(LOT.lines).table
    rows = {(r["step"], r["from_label"], r["to_label"]): r["n"] for r in t.iter_rows(named=True)}
    assert rows == {
        (1, "alectinib", "chemotherapy"): 1, (1, "alectinib", "no further line"): 1,
        (1, "alectinib", "ongoing"): 1, (1, "crizotinib", "alectinib"): 1,
        (2, "alectinib", "lorlatinib"): 1, (2, "chemotherapy", "ongoing"): 1,
        (3, "lorlatinib", "chemotherapy"): 1, (4, "chemotherapy", "no further line"): 1,
    }  # fmt: skip
    assert treatment_sequences(LOT.lines, max_steps=1).table["step"].max() == 1
    with pytest.raises(ValueError, match="`max_steps` must be a whole number"):
        treatment_sequences(LOT.lines, max_steps=0)


def test_rebiopsy_timing_tables() -> None:
    bx = biopsies([
        ("A", D(2019, 1, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R"),
        ("A", D(2019, 1, 20), "plasma", "ngs", "alk_mutation", "ALK G1202R"),
        ("B", D(2020, 3, 1), "tissue", "ngs", "none_detected", None),
        ("C", D(2019, 1, 31), "plasma", "ngs", "bypass", "MET amplification"),
    ])  # fmt: skip
    mech = derive_biopsy_mechanisms(bx, LOT.lines)
    counts, days = rebiopsy_timing(mech.samples)
    got = {(r["group"], r["timing"], r["specimen"]): r["n"] for r in counts.table.iter_rows(
        named=True)}  # fmt: skip
    assert got == {
        ("post_crizotinib", "at_progression", "tissue"): 1,
        ("post_crizotinib", "at_progression", "plasma"): 1,
        ("first_line", "after_next_line_start", "tissue"): 1,
        ("first_line", "at_progression", "plasma"): 1,
    }
    d = {r["specimen"]: (r["n"], r["median"]) for r in days.table.iter_rows(named=True)}
    assert d == {"plasma": (2, 24.5), "tissue": (2, 34.5)}  # (19, 30) and (9, 60) days
    assert counts.to_ard().height == 8
