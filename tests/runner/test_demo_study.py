"""`run_report` on a small demo study (cnsrwe demo data + tests/runner/fixtures/demo_study.toml,
the starter study file with one analysis of every kind): every analysis kind runs, the HTML
loads in headless Chromium with every section, and bad input fails clearly, writing nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from cnsrwe.demo.writer import write_demo
from cnsrwe.errors import SchemaError
from cnsrwe.report import read_results_csv
from cnsrwe.runner.run import RunResult, run_report
from cnsrwe.study import StudyFileError

FIXTURE = Path(__file__).parent / "fixtures" / "demo_study.toml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult]:
    base = tmp_path_factory.mktemp("demo")
    write_demo(base / "data")
    shutil.copy(FIXTURE, base / "study.toml")
    res = run_report(base / "study.toml", base / "out", formats=["html", "xlsx"],
                     figure_formats=["svg"], appendix_limit=5)
    return base, res


def test_every_analysis_kind_produces_results(demo: tuple[Path, RunResult]) -> None:
    _, res = demo
    ard = read_results_csv(res.out_dir / "results.csv")
    pops = set(ard["population"].to_list())
    for pop in ("flow", "baseline", "efficacy/ic_orr", "shrinkage", "quality",
                "ic_orr_by_cohort", "cns_ttp_by_cohort", "os_by_cohort",
                "pfs_symptomatic/tki_naive", "ic_dcr_by_symptoms", "cns_ttp_cox",
                "baseline_by_symptoms", "clinical_before_after"):
        assert pop in pops, pop
    analyses = set(ard["analysis"].to_list())
    for a in ("binomial_ci", "kaplan_meier", "logrank", "cox_ph", "firth_cox",
              "median_follow_up", "cumulative_incidence", "gray_test", "fisher_exact",
              "t_test", "mann_whitney", "mcnemar", "paired_before_after", "shift_table",
              "patient_flow", "describe_categorical", "describe_continuous"):
        assert a in analyses, a
    cox = ard.filter((pl.col("population") == "os_by_cohort") & (pl.col("analysis") == "cox_ph")
                     & (pl.col("statistic") == "hazard_ratio"))
    assert cox["parameter"].to_list() == ["group=tki_pretreated"]  # vs the first cohort
    # flow adds up: screened = excluded + per-cohort + unassigned
    flow = dict(ard.filter(pl.col("analysis") == "patient_flow")
                .select("parameter", "value").rows())
    assert flow["screened"] == 100
    cohorts = sum(v for k, v in flow.items() if k.startswith("cohort_"))
    assert cohorts == res.n_patients


def test_outputs_and_manifest(demo: tuple[Path, RunResult]) -> None:
    _, res = demo
    names = set(res.files)
    assert {"report.html", "report.xlsx", "results.csv", "manifest.json"} <= names
    assert "report.docx" not in names
    assert any(n.endswith(".svg") for n in names)
    assert any(n.endswith(".png") for n in names)
    assert not any(n.endswith(".pdf") for n in names)


def test_bad_format_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"`formats` entries must be among"):
        run_report(FIXTURE, out, formats=["pptx"])
    assert not out.exists()


def test_missing_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "study.toml")
    with pytest.raises(SchemaError, match=r"`data.folder` must name an existing folder"):
        run_report(tmp_path / "study.toml", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bad_study_file_lists_its_line(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("[study]", "[study]\nbogus = 1", 1)
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    with pytest.raises(StudyFileError, match=r"bogus"):
        run_report(tmp_path / "study.toml", tmp_path / "out")
    assert not (tmp_path / "out").exists()


try:
    from report.test_report_browser import CHROMIUM, Cdp, browser  # noqa: F401
except ImportError:  # pragma: no cover - tests/report not importable as a package
    CHROMIUM = None


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed")
def test_full_report_html_in_headless_chromium(browser: Cdp,
                                              demo: tuple[Path, RunResult]) -> None:
    _, res = demo
    path = (res.out_dir / "report.html").resolve()
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(f"{domain}.enable")
    browser.call("Page.navigate", url=path.as_uri())
    browser.wait_event("Page.loadEventFired")
    headings = browser.evaluate(
        "Array.from(document.querySelectorAll('section > h2')).map(e => e.textContent)")
    toc_ok = browser.evaluate(
        "Array.from(document.querySelectorAll('nav.toc a'))"
        ".every(a => document.getElementById(a.getAttribute('href').slice(1)) !== null)")
    n_svg = browser.evaluate("document.querySelectorAll('svg').length")
    browser.call("Runtime.evaluate", expression="1")
    errors = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Log.entryAdded"
                  and e["params"]["entry"]["level"] == "error")]
    urls = [e["params"]["request"]["url"] for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"]
    assert errors == []
    for title in ("Patient flow", "Baseline characteristics", "Efficacy", "Tumour shrinkage",
                  "Time to event", "Competing CNS progression", "Cox models",
                  "Group comparisons", "Clinical benefit", "Statistical methods",
                  "Data quality", "Per-patient appendix"):
        assert title in headings, title
    assert toc_ok is True
    assert n_svg >= res.n_figures
    assert all(u == path.as_uri() or u.startswith("data:") for u in urls), urls


def test_store_input_gives_the_same_results_as_the_folder(
        demo: tuple[Path, RunResult], tmp_path: Path) -> None:
    """`[data] store = ...`: the tables read back from a study store give the same numbers
    as the validated folder they were imported from."""
    from cnsrwe.io import load_study as load_data
    from cnsrwe.store import Store

    base, res = demo
    with Store.create(tmp_path / "study.duckdb") as store:
        store.import_study(load_data(base / "data"), reason="runner test")
    text = FIXTURE.read_text(encoding="utf-8").replace(
        'folder = "data"', 'store = "study.duckdb"', 1)
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    run = run_report(tmp_path / "study.toml", tmp_path / "out", formats=["html"],
                     figure_formats=["svg"], appendix_limit=5)
    key = ["analysis", "population", "group", "parameter", "statistic"]
    a = read_results_csv(res.out_dir / "results.csv").filter(
        pl.col("population") != "quality").sort(key)
    b = read_results_csv(run.out_dir / "results.csv").filter(
        pl.col("population") != "quality").sort(key)
    assert a.select(key).equals(b.select(key))
    diff = (a["value"] - b["value"]).abs().fill_null(0.0).fill_nan(0.0)
    assert float(diff.max() or 0.0) < 1e-9
    assert run.files.count("manifest.json") == 1
