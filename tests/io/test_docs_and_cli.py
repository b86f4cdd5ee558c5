"""The committed data-format docs equal the rendered text; the validate command; row caps."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from io_study_fixture import Tables
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.io import RULES, validate_study
from cnsrwe.io.data_format_doc import render
from cnsrwe.io.schema import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-format.md"


def test_committed_docs_equal_rendered_text() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/data-format.md is stale: run `python -m cnsrwe.io.data_format_doc >"
        " docs/data-format.md`"
    )


def test_docs_cover_every_table_column_and_rule() -> None:
    text = render()
    for table in TABLES.values():
        assert f"### `{table.name}`" in text
        for col in table.columns:
            assert f"| `{col.name}` |" in text
    for code in RULES:
        assert f"| `{code}` |" in text


def test_cli_valid_study_exits_0(study_dir: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(study_dir)])
    assert result.exit_code == 0, result.output
    assert "No errors" in result.output


def test_cli_reports_errors_and_exits_1(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    tables["treatments"][0]["end_date"] = "2018-01-01"
    tables["clinical"][1]["visit_date"] = "2022-05-01"  # a warning
    result = CliRunner().invoke(app, ["validate", str(make_study(tables))], env={
        "COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 1
    out = result.output
    assert "treatments.csv" in out
    assert "end_before_start" in out
    assert "event_after_last_alive" in out
    assert "1 error(s), 1 warning(s)" in out


def test_cli_json(tables: Tables, make_study: Callable[[Tables], Path]) -> None:
    tables["patients"][0]["sex"] = "Female"
    result = CliRunner().invoke(app, ["validate", str(make_study(tables)), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["n_errors"] == 1
    assert data["problems"][0]["code"] == "unknown_code"
    assert data["problems"][0]["source"] == "patients.csv"
    assert len(data["sources"]["lesions"]["sha256"]) == 64


def test_problem_rows_are_capped_with_exact_totals(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    template = tables["clinical"][1]
    tables["clinical"] = [
        {**template, "visit_date": f"2019-07-{d:02d}", "ecog": "x"} for d in range(1, 29)
    ] + [
        {**template, "visit_date": f"2019-08-{d:02d}", "ecog": "x"} for d in range(1, 29)
    ]  # 56 bad ecog values
    report = validate_study(make_study(tables))
    bad = [p for p in report.problems if p.code == "bad_integer"]
    assert len(bad) == 51
    assert [p.row for p in bad[:50]] == list(range(2, 52))
    assert bad[50].row is None
    assert "6 more rows of `ecog`" in bad[50].message
    assert report.totals["bad_integer|clinical|ecog"] == 56
    assert report.to_dict()["n_errors"] == 56


def test_cli_missing_path_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "nope"), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"][0]["code"] == "input_not_found"


def test_warnings_only_study_loads_and_keeps_its_warnings(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    tables["clinical"][1]["visit_date"] = "2022-05-01"  # after last_known_alive_date
    report = validate_study(make_study(tables))
    assert report.ok
    assert report.study is not None
    assert [p.code for p in report.study.warnings] == ["event_after_last_alive"]
    data = json.loads(report.to_json())
    assert (data["ok"], data["n_errors"], data["n_warnings"]) == (True, 0, 1)
