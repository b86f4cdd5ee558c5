"""Table builders: cells equal what R / the 2022 paper printed (tests/reference/report)."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from cnsrwe.report.document import Cell, Row, TableBlock
from cnsrwe.report.format import FormatOptions
from cnsrwe.report.tables import RateRow, tab_cox, tab_response, tab_survival

from .report_fixture import (
    COHORTS,
    REF,
    efficacy_ard,
    lung_cox_ard,
    read_csv,
    survival_ard,
    table1,
    table2,
)

EXPECTED = {(r["table"], r["row"], r["column"]): r for r in
            read_csv(REF / "report" / "r_printed_cells.csv")}


def body_cell(table: TableBlock, row_label: str, col: int) -> str:
    for row in table.grid(table.body):
        if row[0].strip() == row_label:
            return row[col]
    raise AssertionError(f"no row {row_label!r} in {table.name}")


def test_survival_cells_equal_r_print_survfit() -> None:
    t = tab_survival(survival_ard(), groups=("Maintained", "Nonmaintained"),
                     landmarks=(12.0, 24.0), time_unit="weeks",
                     options=FormatOptions(decimals=0))
    assert t.grid(t.header)[0][3:6] == ["Median, weeks (95% CI)", "12-week rate, % (95% CI)",
                                       "24-week rate, % (95% CI)"]
    for g in ("Maintained", "Nonmaintained"):
        assert body_cell(t, g, 3) == EXPECTED[("aml_km", g, "median")]["expected"]
        assert body_cell(t, g, 4) == EXPECTED[("aml_km", g, "12")]["expected"]
        assert body_cell(t, g, 5) == EXPECTED[("aml_km", g, "24")]["expected"]
    assert body_cell(t, "Maintained", 1) == "11"
    assert body_cell(t, "Nonmaintained", 2) == "11"
    # R survdiff: Chisq = 3.4 on 1 df, p = 0.07 (two digits); 3 decimals here: 0.065
    assert any(n.startswith("Log-rank test p = 0.065") for n in t.footnotes)


def test_survival_hazard_ratio_column() -> None:
    ard = pl.concat([survival_ard(), lung_cox_ard()])
    t = tab_survival(ard, groups=("Maintained", "Nonmaintained"),
                     hazard_ratios={"Nonmaintained": "sex"})
    assert body_cell(t, "Maintained", 4) == "1 (reference)"
    assert body_cell(t, "Nonmaintained", 4) == "0.60 (0.43–0.83)"


def test_cox_cells_equal_r_summary_coxph() -> None:
    t = tab_cox(lung_cox_ard(), terms=[("age", "Age"), ("sex", "Sex")],
                options=FormatOptions(ratio_decimals=4))
    for par, label in (("age", "Age"), ("sex", "Sex")):
        assert body_cell(t, label, 1) == EXPECTED[("lung_cox", par, "hr")]["expected"]
        assert body_cell(t, label, 2) == EXPECTED[("lung_cox", par, "p")]["expected"]
    for key in ("lr", "wald", "score"):
        want = EXPECTED[("lung_cox", "footnote", key)]["expected"]
        assert any(n.startswith(want) for n in t.footnotes), (want, t.footnotes)
    assert "n = 228, events = 165." in t.footnotes


def test_table2_cells_carry_the_exact_cis_the_paper_printed() -> None:
    t = table2()
    params = {"CNS ORR in all cohort patients": "CNS ORR, all patients, n/N, % (95% CI)",
              "CNS ORR in patients with CNS target lesions":
                  "CNS ORR, patients with CNS target lesions, n/N, % (95% CI)"}
    checked = 0
    for rec in read_csv(REF / "published_2022" / "binomial_ci_tables_2_3.csv"):
        if rec["row"] not in params:
            continue
        cell = body_cell(t, params[rec["row"]], int(rec["cohort"]))
        first = cell.split("\n")[0]
        assert first.startswith(f"{rec['k']}/{rec['n']}, ")
        assert first.endswith(f"({rec['exact_lower_pct']}–{rec['exact_upper_pct']})")
        if rec["note"]:  # the documented typo: printed 74.9, exact 70.9
            assert rec["printed_upper_pct"] not in first
        else:
            assert first.endswith(f"({rec['printed_lower_pct']}–{rec['printed_upper_pct']})")
        checked += 1
    assert checked == 6
    # CR + PR split as printed in Table 2
    assert body_cell(t, "CNS ORR, all patients, n/N, % (95% CI)", 1).endswith("\n4 CR + 7 PR")
    assert body_cell(t, "CNS ORR, all patients, n/N, % (95% CI)", 2).endswith("\n6 CR + 11 PR")
    # median shrinkage as printed: 53% (0, 100), 58% (14, 100), 28% (0, 100)
    row = "Intracranial tumour shrinkage, %, median (range)"
    assert [body_cell(t, row, c) for c in (1, 2, 3)] == ["53 (0–100)", "58 (14–100)",
                                                         "28 (0–100)"]
    assert t.footnotes == ("95% CI: Clopper-Pearson exact, 95%.",)


def test_table1_percentages_match_the_printed_table() -> None:
    t = table1()
    labels = {"sex": {"Male": "Male", "Female": "Female"},
              "ecog": {"0-1": "0–1", ">=2": "≥ 2"},
              "smoking": {"Never": "Never smoker", "Current or former": "Current or former smoker"},
              "lm": {"Yes": "Yes", "No": "No"}}
    var_label = {"sex": "Sex", "ecog": "ECOG performance status", "smoking": "Smoking status",
                 "lm": "Leptomeningeal metastases"}
    grid = t.grid(t.body)
    n_known = 0
    for rec in read_csv(REF / "report" / "table1_percentages.csv"):
        start = next(i for i, r in enumerate(grid) if r[0] == var_label[rec["variable"]])
        row = next(r for r in grid[start + 1:] if r[0].strip() == labels[rec["variable"]][
            rec["level"]])
        text = row[int(rec["cohort"])]
        n, pct = text.split(" (")
        assert n == rec["n"]
        value = float(pct.rstrip("%)"))
        printed = rec["printed_pct"]
        tol = 0.05 if "." in printed else 0.5
        if rec["note"]:
            n_known += 1
            assert abs(value - float(printed)) == pytest.approx(0.1)
            assert pct.rstrip("%)") == rec["cnsrwe_pct"]
        else:
            assert abs(value - float(printed)) <= tol + 1e-9, (rec, text)
    assert n_known == 2
    assert body_cell(t, "Age, years, median (range)", 1) == "52 (30–76)"


def test_table1_layout_header_spanner_and_p_column() -> None:
    t = table1()
    top, sub = t.header
    assert [(c.text, c.colspan) for c in top.cells] == [("", 1), ("Cohort", 3), ("", 1)]
    assert [c.text for c in sub.cells] == ["Characteristic", "Cohort 1 (N = 20)",
                                           "Cohort 2 (N = 32)", "Cohort 3 (N = 13)", "p-value"]
    sex = next(r for r in t.body if r.cells[0].text == "Sex")
    assert sex.kind == "group"
    assert sex.cells[-1].text == "0.085"
    assert "p-value: Fisher's exact test (2x3), two-sided." in t.footnotes


def test_missing_ard_row_is_named() -> None:
    ard = efficacy_ard().filter(~((pl.col("group") == "2") & (pl.col("statistic") == "upper")))
    with pytest.raises(KeyError, match="group='2', parameter='ic_orr_all', statistic='upper'"):
        tab_response(ard, rows=[RateRow("ic_orr_all", "ORR")], groups=COHORTS)


def test_conflicting_duplicate_rows_are_rejected() -> None:
    ard = efficacy_ard()
    bad = pl.concat([ard, ard.head(1).with_columns(pl.col("value") + 1)])
    with pytest.raises(ValueError, match="holds two different values"):
        tab_response(bad, rows=[RateRow("ic_orr_all", "ORR")], groups=COHORTS)


def test_builders_do_not_mutate_their_input() -> None:
    ard = efficacy_ard()
    before = ard.clone()
    tab_response(ard, rows=[RateRow("ic_orr_all", "ORR")], groups=COHORTS)
    assert ard.equals(before)


def test_table_block_checks_widths_and_is_frozen() -> None:
    with pytest.raises(ValueError, match="`body` row 0 covers 1 columns but the table has 2"):
        TableBlock(name="x", caption="x", header=(Row((Cell("a"), Cell("b"))),),
                   body=(Row((Cell("only"),)),))
    t = table2()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.caption = "changed"  # type: ignore[misc]
    with pytest.raises(ValueError, match="`colspan` must be >= 1, got 0"):
        Cell("x", colspan=0)


def test_table1_smd_column_and_missing_test() -> None:
    from cnsrwe.report.tables import Variable, tab_baseline
    from cnsrwe.stats import ArdRow, ard_frame, concat_ard

    from .report_fixture import baseline_ard

    smd = ard_frame([ArdRow("balance", "sex", "smd", -0.4123, "standardised mean difference")])
    ard = concat_ard([baseline_ard().filter(pl.col("parameter") != "lm"), smd])
    t = tab_baseline(ard, variables=[Variable("sex", "Sex", ("Male", "Female")),
                                     Variable("lm", "LM", ("Yes", "No"))],
                     groups=COHORTS, add_p=True, add_smd=True)
    assert [c.text for c in t.header[1].cells][-2:] == ["p-value", "SMD"]
    grid = t.grid(t.body)
    assert grid[0][-2:] == ["0.085", "0.41"]  # |SMD| to two decimals
    assert grid[3][-2:] == ["", ""]           # no test or SMD row for LM
    assert "SMD: absolute standardised mean difference." in t.footnotes
