"""`cnsrwe evidence` and `cnsrwe check-table` (including the XLSX template round trip)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.evidence.checker import INPUT_COLUMNS, check_table

runner = CliRunner()
EXAMPLE = Path(str(resources.files("cnsrwe") / "data" / "examples" / "check_2022.csv"))


def test_evidence_json_lists_only_checked_rows() -> None:
    res = runner.invoke(
        app,
        [
            "evidence",
            "--drug",
            "alectinib",
            "--line",
            "post_crizotinib",
            "--population",
            "measurable",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["row_id"] for r in rows] == ["TRL-010", "TRL-012", "TRL-038"]


def test_evidence_bad_option_is_an_error() -> None:
    res = runner.invoke(app, ["evidence", "--drug", "aspirin"])
    assert res.exit_code == 2
    assert "`drug` must be one of" in res.output


def test_check_table_exits_1_and_reports_the_typo() -> None:
    res = runner.invoke(app, ["check-table", str(EXAMPLE), "--format", "json"])
    assert res.exit_code == 1
    payload = json.loads(res.output)
    bad = [f for f in payload["findings"] if f["status"] != "ok"]
    assert {(f["check"], f["reported"]) for f in bad} == {("ci_upper", "74.9"), ("percent", "42.8")}


def test_template_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    res = runner.invoke(app, ["check-table", "--template", str(out)])
    assert res.exit_code == 0, res.output
    result = check_table(out)
    assert list(INPUT_COLUMNS)[:3] == ["table", "row", "group"]
    assert set(result.problems["reported"]) == {"74.9", "42.8", "0.002"}


def test_check_table_without_file_is_an_error() -> None:
    res = runner.invoke(app, ["check-table"])
    assert res.exit_code == 2
