"""The "Resistance and treatment sequences" section, run end to end on the 2024 worked example
(examples/progression-2024, Wu L, Zou Z et al., J Transl Med 2024,
doi:10.1186/s12967-024-05388-0).

Published references are reused, not copied: Table 2 counts and printed p-values from
``tests/reference/published_2024/fisher_table_2.csv`` and Table 3 counts from
``tests/reference/published_2024_counts/published_counts.csv`` (provenance in their READMEs).
"""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path

import polars as pl
import pytest

from cnsrwe.report import read_results_csv
from cnsrwe.resistance import NOTICE
from cnsrwe.runner import run as run_module
from cnsrwe.runner.run import run_report

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "progression-2024"
EXAMPLE_2022 = ROOT / "examples" / "alectinib-2022"
TABLE2 = ROOT / "tests" / "reference" / "published_2024" / "fisher_table_2.csv"
COUNTS = ROOT / "tests" / "reference" / "published_2024_counts" / "published_counts.csv"
ROW_EVENTS = ROOT / "tests" / "reference" / "published_2024" / "row_events.csv"
with ROW_EVENTS.open(newline="", encoding="utf-8") as _fh:
    ROW_EVENT = {r["row"]: (r["event"], r["stratum"]) for r in csv.DictReader(_fh)}
FIGURES = ("resistance_treatment_sankey", "resistance_rebiopsy_sunburst",
           "resistance__after_2g_pfs_km", "resistance__after_2g_os_km")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("res2024") / "out"
    run_report(EXAMPLE / "study.toml", target, formats=["html"], appendix_limit=0)
    return target


@pytest.fixture(scope="module")
def ard(out: Path) -> pl.DataFrame:
    return read_results_csv(out / "results.csv")


def _value(ard: pl.DataFrame, population: str, analysis: str, group: str, parameter: str,
           statistic: str) -> float:
    hit = ard.filter((pl.col("population") == population) & (pl.col("analysis") == analysis)
                     & (pl.col("group") == group) & (pl.col("parameter") == parameter)
                     & (pl.col("statistic") == statistic))
    assert hit.height == 1, (population, analysis, group, parameter, statistic, hit)
    return float(hit["value"][0])


def test_report_renders_sankey_sunburst_and_survival_figures(out: Path) -> None:
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Resistance and treatment sequences" in page
    for name in FIGURES:
        for ext in ("png", "svg"):
            assert (out / "figures" / f"{name}.{ext}").stat().st_size > 1000, name
        anchor = "fig-" + name.replace("__", "-").replace("_", "-")
        assert f'id="{anchor}"' in page, anchor
    section = page[page.index("<h2>Resistance and treatment sequences</h2>"):]
    assert "Kaplan-Meier estimates: Line PFS of the first ALK-TKI after 2G failure" in section
    assert "Pearson χ² p" in section
    assert "Fisher p" in section


def test_results_csv_carries_table_2_counts_and_fisher_p(ard: pl.DataFrame) -> None:
    published = _csv(TABLE2)
    assert len(published) == 10
    for r in published:
        event, stratum = ROW_EVENT[r["row"]]
        pop = f"resistance/incidence/table2_{r['comparison']}"
        analysis = f"progression_incidence_{event}"
        for side in ("1", "2"):
            group = f"{stratum} / {r[f'group_{side}']}"
            assert _value(ard, pop, analysis, group, event, "events") == int(r[f"events_{side}"])
            assert _value(ard, pop, analysis, group, event, "n") == int(r[f"n_{side}"])
            assert _value(ard, pop, analysis, group, event, "n_unknown") == 0
        printed = r["printed_p"]
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        p = _value(ard, pop, analysis, group, event, "p_value")
        assert abs(p - float(printed)) <= 0.5 * 10.0**-decimals, r


def test_pearson_chi_square_is_beside_fisher_and_differs(ard: pl.DataFrame) -> None:
    """Row 1 (3/20 vs 30/53): the printed 0.002 is Fisher's; Pearson's p, labelled, is
    in results.csv too and rounds differently (uncorrected 0.001, Yates 0.003)."""
    pop = "resistance/incidence/table2_p1"
    pearson = _value(ard, pop, "chi_square", "all", "cns", "p_value")
    yates = _value(ard, pop, "chi_square_yates", "all", "cns", "p_value")
    assert round(pearson, 3) == 0.001
    assert round(yates, 3) == 0.003
    methods = ard.filter((pl.col("population") == pop)
                         & (pl.col("analysis").is_in(["chi_square", "chi_square_yates"])))
    assert set(methods["method"].to_list()) == {
        "Pearson's chi-square test", "Pearson's chi-square test with Yates' continuity correction"}


def test_results_csv_carries_table_3(ard: pl.DataFrame) -> None:
    rows = [r for r in _csv(COUNTS) if r["source"] == "Table 3"]
    assert len(rows) == 15
    for r in rows:
        group = f"{r['item']} / {r['group']}"
        args = ("resistance/subsequent", "subsequent_therapy_after_2g", group, "")
        assert _value(ard, *args, "yes") == int(r["count"]), r
        assert _value(ard, *args, "n") == int(r["denominator"]), r


def test_sequence_counts_of_the_sankey(ard: pl.DataFrame) -> None:
    """docs/reproducing-2024.md: 53 crizotinib -> 33 alectinib, 10 brigatinib, 7 ceritinib,
    2 iruplinalkib, 1 ensartinib (the 'Baseline' counts of the paper's Results)."""
    seq = ard.filter((pl.col("population") == "resistance/sequences")
                     & pl.col("group").str.starts_with("1 / crizotinib / "))
    got = {g.rsplit(" / ", 1)[1]: v for g, v in seq.select("group", "value").rows()}
    assert got == {"alectinib": 33, "brigatinib": 10, "ceritinib": 7, "iruplinalkib": 2,
                   "ensartinib": 1}


def test_notice_and_findings_table_in_html(out: Path, ard: pl.DataFrame) -> None:
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index("<h2>Resistance and treatment sequences</h2>"):]
    assert html.escape(NOTICE) in section or NOTICE in section
    assert "Inhibitors reported active" in section
    # 25 tissue samples with an ALK kinase-domain mutation after 2G (published count) plus
    # any other annotated samples: the findings table counts every annotated sample
    n = ard.filter((pl.col("population") == "resistance/findings")
                   & (pl.col("statistic") == "n_samples"))["value"].sum()
    assert n >= 25


def test_survival_after_2g_groups(ard: pl.DataFrame) -> None:
    """22 patients with and 13 without an ALK mutation (Results, Efficacy of subsequent
    therapy); the invented times give the printed PFS medians 8.6 and 2.7 months."""
    pop = "resistance/after_2g_pfs"
    assert _value(ard, pop, "logrank", "ALK mutation", "group", "n") == 22
    assert _value(ard, pop, "logrank", "No ALK mutation", "group", "n") == 13
    for group, printed in (("ALK mutation", 8.6), ("No ALK mutation", 2.7)):
        got = _value(ard, pop, "kaplan_meier", group, "median", "estimate")
        assert abs(got - printed) <= 0.05, (group, got)
    # Firth's model is added only where a group has fewer than 10 events (OS: 6 and 7)
    analyses = ard.group_by("population").agg(pl.col("analysis").unique())
    got_an = {p: set(a) for p, a in analyses.rows()}
    assert "firth_cox" in got_an["resistance/after_2g_os"]
    assert "firth_cox" not in got_an[pop]
    assert {"logrank", "cox_ph"} <= got_an[pop]


def test_switch_off_leaves_the_2022_report_unchanged(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if not (EXAMPLE_2022 / "data" / "patients.csv").is_file():
        pytest.skip("examples/alectinib-2022/data not built")
    run_report(EXAMPLE_2022 / "study.toml", tmp_path / "with", formats=["html"],
               appendix_limit=0)
    monkeypatch.setattr(run_module, "resistance_results", lambda prep, inputs: [])
    run_report(EXAMPLE_2022 / "study.toml", tmp_path / "without", formats=["html"],
               appendix_limit=0)
    for name in ("results.csv", "report.html"):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name
                                                           ).read_bytes(), name


def test_switch_off_in_the_2024_study_drops_only_the_section(tmp_path: Path,
                                                              ard: pl.DataFrame) -> None:
    copy = tmp_path / "study"
    shutil.copytree(EXAMPLE / "data", copy / "data")
    text = (EXAMPLE / "study.toml").read_text(encoding="utf-8")
    assert text.count("enabled = true") == 1
    (copy / "study.toml").write_text(text.replace("enabled = true", "enabled = false"),
                                     encoding="utf-8")
    run_report(copy / "study.toml", copy / "out", formats=["html"], appendix_limit=0)
    off = read_results_csv(copy / "out" / "results.csv")
    assert off.filter(pl.col("population").str.starts_with("resistance/")).height == 0
    assert "Resistance and treatment sequences" not in (copy / "out" / "report.html").read_text(
        encoding="utf-8")
    rest = ard.filter(~pl.col("population").str.starts_with("resistance/"))
    # the methods paragraph may name more tests, but no other number changes
    assert rest.equals(off)
