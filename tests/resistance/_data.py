"""Small treatment and biopsy tables for the resistance tests (hand-made scenarios)."""

from __future__ import annotations

import datetime as dt

import polars as pl

D = dt.date
TREATMENT_SCHEMA = {
    "patient_id": pl.String, "line": pl.Int64, "regimen": pl.String, "agent_class": pl.String,
    "agents": pl.List(pl.String), "start_date": pl.Date, "end_date": pl.Date,
    "end_reason": pl.String, "target_site": pl.String, "rt_technique": pl.String,
}  # fmt: skip
BIOPSY_SCHEMA = {
    "patient_id": pl.String, "biopsy_date": pl.Date, "specimen": pl.String,
    "method": pl.String, "result": pl.String, "finding": pl.String,
}  # fmt: skip


def treatments(rows: list[tuple]) -> pl.DataFrame:
    """Rows: (patient, line, regimen, class, agents, start, end, end_reason[, site, tech])."""
    full = [r + (None,) * (10 - len(r)) for r in rows]
    return pl.DataFrame(full, schema=TREATMENT_SCHEMA, orient="row")


def biopsies(rows: list[tuple]) -> pl.DataFrame:
    """Rows: (patient, date, specimen, method, result, finding)."""
    return pl.DataFrame(rows, schema=BIOPSY_SCHEMA, orient="row")


#: P1: crizotinib -> alectinib (+ SRS to brain during it) -> lorlatinib (ongoing).
#: P2: chemotherapy -> WX-0593 (progressed) -> RT without a line number during it.
#: P3: alectinib first line, then chemotherapy; an unknown agent in the chemo line.
#: P4: X-396 first line, then CT707 (two generation-2 lines), then brigatinib.
SEQUENCES = treatments([
    ("P1", 1, "crizotinib", "alk_tki", ["Crizotinib"], D(2018, 1, 1), D(2018, 12, 1),
     "progression"),
    ("P1", 2, "alectinib", "alk_tki", ["ALECTINIB"], D(2019, 1, 1), D(2020, 2, 1), "progression"),
    ("P1", 2, "SRS", "radiotherapy", None, D(2019, 6, 1), D(2019, 6, 5), "completed", "brain",
     "srs"),
    ("P1", 3, "lorlatinib", "alk_tki", ["lorlatinib"], D(2020, 3, 1), None, "ongoing"),
    ("P2", 1, "pemetrexed/carboplatin", "chemotherapy", ["pemetrexed", "carboplatin"],
     D(2017, 1, 1), D(2017, 5, 1), "completed"),
    ("P2", 2, "WX-0593", "alk_tki", None, D(2017, 6, 1), D(2018, 1, 1), "progression"),
    ("P2", None, "RT lung", "radiotherapy", None, D(2017, 9, 1), D(2017, 9, 5), "completed",
     "extracranial", "other"),
    ("P3", 1, "alectinib", "alk_tki", ["alectinib"], D(2019, 1, 1), D(2021, 1, 1), "progression"),
    ("P3", 2, "chemo", "chemotherapy", ["pemetrexed", "zz-999"], D(2021, 2, 1), None, "ongoing"),
    ("P4", 1, "ensartinib", "alk_tki", ["X-396"], D(2019, 1, 1), D(2019, 10, 1), "progression"),
    ("P4", 2, "conteltinib", "alk_tki", ["ct 707"], D(2019, 11, 1), D(2020, 6, 1), "progression"),
    ("P4", 3, "brigatinib", "alk_tki", ["AP26113"], D(2020, 7, 1), None, "ongoing"),
])  # fmt: skip
