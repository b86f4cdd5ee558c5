"""`cnsrwe derive --input/--output` (embedded engine) and its option checks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.derive.schemas import AD_SCHEMAS
from cnsrwe.scale import read_results

runner = CliRunner()


def test_cli_embedded_parquet(demo_dir: Path, demo_expected: dict[str, pl.DataFrame],
                              tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "ad"
    res = runner.invoke(app, ["derive", "--input", str(demo_dir), "--output", str(out),
                              "--chunk-patients", "25", "--workers", "2"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "embedded engine" in res.output
    assert "100 patients in 4 chunk(s)" in res.output
    ids = pl.read_parquet(demo_dir / "patients.parquet")["patient_id"].to_list()
    assert not any(pid in res.output for pid in ids)  # counts only, never identifiers
    got = read_results(out)
    for name in AD_SCHEMAS:
        assert_frame_equal(got[name], demo_expected[name], check_exact=True)


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "flink", "--input", "a", "--output", "b"], "`--engine` must be one of"),
    (["--study", "s.duckdb", "--input", "a", "--output", "b"], "not both"),
    (["--input", "a"], "give `--study S`, or `--input PARQUET_DIR` with `--output"),
    (["--study", "s.duckdb", "--engine", "spark"], "`--engine spark` reads Parquet"),
])  # fmt: skip
def test_option_combinations_are_checked(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["derive", *args])
    assert res.exit_code == 1
    assert message in res.output


def test_missing_input_is_a_clean_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["derive", "--input", str(tmp_path / "none"), "--output",
                              str(tmp_path / "out")])  # fmt: skip
    assert res.exit_code == 1
    assert "`input` must be a folder of Parquet files" in res.output
    assert not (tmp_path / "out").exists()
