"""Progression tables: the 2022 study's first-progression sites per cohort (Results,
"Extracranial and overall efficacy": cohort 1 3 CNS / 2 extracranial; cohort 2 8 CNS-only,
6 extracranial, 3 both; cohort 3 2 CNS / 4 extracranial), counted and tested."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cnsrwe.endpoints.progression_table import progression_tables
from cnsrwe.stats import fisher_exact


def test_2022_sites_per_cohort():
    sites = {"1": ["CNS_ONLY"] * 3 + ["EXTRACRANIAL_ONLY"] * 2,
             "2": ["CNS_ONLY"] * 8 + ["EXTRACRANIAL_ONLY"] * 6 + ["BOTH"] * 3,
             "3": ["CNS_ONLY"] * 2 + ["EXTRACRANIAL_ONLY"] * 4}
    rows = [(c, s) for c, ss in sites.items() for s in ss] + [("1", "NONE")]
    d = pl.DataFrame({"cohort": [r[0] for r in rows], "site": [r[1] for r in rows]}).with_columns(
        pl.lit("OLIGO").alias("extent"), pl.lit(True).alias("cns_oligo"),
        pl.lit(None, pl.Boolean).alias("symptomatic"))
    table, ard = progression_tables(d, by="cohort")
    site = table.filter(pl.col("variable") == "site")
    got = {(r["group"], r["category"]): r["n"] for r in site.iter_rows(named=True)}
    assert got[("2", "BOTH")] == 3
    assert got[("3", "EXTRACRANIAL_ONLY")] == 4
    assert site.filter(pl.col("group") == "1")["total"].unique().to_list() == [5]
    want = fisher_exact(np.array([[3, 8, 2], [2, 6, 4], [0, 3, 0]])).p_value
    p = ard.filter((pl.col("analysis") == "fisher_exact") & (pl.col("parameter") == "site")
                   & (pl.col("statistic") == "p_value"))["value"].item()
    assert p == pytest.approx(want, rel=1e-12)
    # single-category variables give no test
    assert ard.filter(pl.col("parameter") == "extent").height == 0


def test_bad_input():
    with pytest.raises(ValueError, match="`dataset` must have column 'extent'"):
        progression_tables(pl.DataFrame({"site": ["BOTH"], "g": ["1"]}), by="g")
