"""Before/after clinical analyses: McNemar on R's help example, the 2022 Tables 5 and 7
(unpaired Fisher reproduced; paired table not recoverable -> bounds), windows, shift table.

References: tests/reference/stats_exact/r_stats_examples.json ``mcnemar_performance`` (R
``mcnemar.test(Performance)`` help-page example, Agresti 1990 p. 350: statistic 16.818, df 1,
p 4.115e-05); tests/reference/published_2022/fisher_tables_5_7.csv (2022 study Tables 5 and 7:
printed Fisher p < 0.001 and p = 0.003). Expected values of the bounds are worked by hand in
tests/reference/endpoints/README.md.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.endpoints._build import day, index

from cnsrwe.endpoints.clinical import (
    _paired_from_table,
    before_after,
    mcnemar_bounds,
    paired_binary,
    shift_table,
    symptom_ard,
    symptom_improvement,
)

REF = Path(__file__).parents[1] / "reference"


def test_mcnemar_r_help_example():
    ref = json.loads((REF / "stats_exact" / "r_stats_examples.json").read_text())
    case = ref["mcnemar_performance"]
    res = _paired_from_table(np.array(case["table"]), "approval", 0)
    assert res.mcnemar_chi2 == pytest.approx(case["statistic"], abs=0.0005)
    assert res.mcnemar_chi2_p == pytest.approx(case["p_value"], abs=0.0005e-05)


def _table_57() -> list[dict]:
    with (REF / "published_2022" / "fisher_tables_5_7.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_2022_unpaired_fisher_reproduced_and_mcnemar_bounds():
    t5, t7 = _table_57()
    # Table 5: 18 of 28 needed mannitol/corticosteroids before, 3 after
    b5 = mcnemar_bounds(int(t5["before_yes"]), int(t5["after_yes"]), 28)
    assert b5["yes_yes"].to_list() == [0, 1, 2, 3]
    # hand: a = 3 -> 15 vs 0 discordant, exact p = 2 / 2**15; a = 0 -> 18 vs 3,
    # exact p = 2 * (1 + 21 + 210 + 1330) / 2**21
    assert b5["mcnemar_exact_p"].min() == pytest.approx(2 / 2**15, rel=1e-12)
    assert b5["mcnemar_exact_p"].max() == pytest.approx(2 * 1562 / 2**21, rel=1e-12)
    # the corrected chi-square at a = 0: (|18 - 3| - 1)^2 / 21 = 9.333, p = 0.00225
    assert b5["mcnemar_chi2_p"].max() == pytest.approx(0.002250, abs=5e-7)
    # Table 7: ECOG >= 2 in 19 of 28 before, 7 after (ECOG 0-1 is the "yes" column there)
    b7 = mcnemar_bounds(19, 7, 28)
    assert b7.height == 8
    assert b7["mcnemar_exact_p"].max() == pytest.approx(0.028959, abs=5e-7)
    assert b7["mcnemar_exact_p"].min() == pytest.approx(2 / 2**12, rel=1e-12)
    # the published unpaired Fisher p-values are reproduced from the margins
    # (any table with these margins gives the same unpaired p; a = 0 is used)
    r5 = _paired_from_table(np.array([[0, 18], [3, 7]]), "t5", 0)
    assert r5.fisher_unpaired_p < 0.001
    r7 = _paired_from_table(np.array([[0, 19], [7, 2]]), "t7", 0)
    assert round(r7.fisher_unpaired_p, 3) == float(t7["printed_p"])


def clinical(rows):
    return pl.DataFrame(
        {"patient_id": [r[0] for r in rows], "visit_date": [day(r[1]) for r in rows],
         "ecog": [r[2] for r in rows],
         "corticosteroid_mg_dexamethasone_eq": [r[3] for r in rows],
         "mannitol": [r[4] for r in rows], "symptom_change": [r[5] for r in rows]},
        schema={"patient_id": pl.String, "visit_date": pl.Date, "ecog": pl.Int64,
                "corticosteroid_mg_dexamethasone_eq": pl.Float64, "mannitol": pl.Boolean,
                "symptom_change": pl.String},
    )


CLIN = clinical([
    ("A", -40, 3, 8.0, False, None),  # outside the baseline window
    ("A", -3, 2, 4.0, False, None),  # baseline: steroids, ECOG 2
    ("A", 5, 2, 4.0, False, None),  # too early for "after"
    ("A", 15, 1, 0.0, False, "significant_improvement"),  # after
    ("A", 40, 0, 0.0, False, "significant_improvement"),  # later visit not used
    ("B", 0, 3, 0.0, True, None),  # mannitol on the start day
    ("B", 20, 2, 0.0, True, "moderate_improvement"),
    ("C", -1, 1, 0.0, False, None),
    ("C", 30, 1, 0.0, False, "no_improvement"),
    ("D", -2, 2, 0.0, False, None),  # no after visit: unpaired
])


def test_windows_and_paired_table():
    st = before_after(index("ABCD"), dataset_clinical=CLIN, variable="steroids_or_mannitol")
    got = {r[0]: (r[1], r[3]) for r in st.rows()}
    assert got == {"A": (True, False), "B": (True, True), "C": (False, False), "D": (False, None)}
    res = paired_binary(st, variable="steroids_or_mannitol")
    assert res.table.tolist() == [[1, 1], [0, 1]]
    assert res.n_unpaired == 1
    assert res.mcnemar_exact_p == pytest.approx(1.0)
    ard = res.to_ard()
    assert "fisher_unpaired" in ard["analysis"].to_list()
    ecog = before_after(index("ABCD"), dataset_clinical=CLIN, variable="ecog")
    sh = shift_table(ecog)
    assert sh.table.sum() == 3
    assert sh.table[2, 1] == 1
    assert sh.table[3, 2] == 1
    assert sh.table[1, 1] == 1
    assert sh.df == 2  # two off-diagonal pairs with discordant counts
    # Bowker: pairs (1,2): 1 vs 0 and (2,3): 1 vs 0 -> statistic 1 + 1 = 2
    assert sh.statistic == pytest.approx(2.0)


def test_symptom_improvement_counts():
    pts = index("ABCD").with_columns(pl.Series("cohort", ["1", "1", "2", "2"]))
    tab = symptom_improvement(pts, dataset_clinical=CLIN, by="cohort")
    got = {(r["group"], r["symptom_change"]): r["n"] for r in tab.iter_rows(named=True)}
    assert got[("1", "significant_improvement")] == 1
    assert got[("1", "moderate_improvement")] == 1
    assert got[("2", "no_improvement")] == 1
    assert got[("2", "not_assessed")] == 1
    assert got[("2", "deterioration")] == 0
    assert symptom_ard(tab).height == 3 * tab.height


def test_bad_input():
    with pytest.raises(ValueError, match="`variable` must be one of"):
        before_after(index("A"), dataset_clinical=CLIN, variable="kps")
    with pytest.raises(ValueError, match="`after_days` must be"):
        before_after(index("A"), dataset_clinical=CLIN, variable="ecog", after_days=(60, 10))
    with pytest.raises(ValueError, match="at least one patient with both visits"):
        paired_binary(pl.DataFrame({"before": [True], "after": [None]}))
    with pytest.raises(ValueError, match=r"`before_yes` and `after_yes` must be in 0\.\.n"):
        mcnemar_bounds(30, 3, 28)
