"""``simulate`` streams in bounded chunks, scales linearly, and the CLI commands work."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.demo import BLOCK_PATIENTS, simulate
from cnsrwe.demo.writer import _chunks
from cnsrwe.io.schema import TABLES


def test_chunks_hold_at_most_chunk_size_patients() -> None:
    sizes = [tables["patients"].num_rows for _, tables in _chunks(4500, 1, 2000, None)]
    assert sizes == [2000, 2000, 500]
    done = [d for d, _ in _chunks(2500, 1, 1000, None)]
    assert done == [1000, 2000, 2500]
    # a chunk smaller than a block is one block: memory never holds more than that
    assert [t["patients"].num_rows for _, t in _chunks(1500, 1, 10, None)] == [1000, 500]


def test_parquet_has_one_row_group_per_chunk(sim_dir: Path) -> None:
    for t in TABLES:
        assert pq.ParquetFile(sim_dir / f"{t}.parquet").num_row_groups == 3


def test_row_counts_scale_with_patients(tmp_path: Path) -> None:
    small = simulate(tmp_path / "s", n_patients=2 * BLOCK_PATIENTS, seed=5)
    large = simulate(tmp_path / "l", n_patients=6 * BLOCK_PATIENTS, seed=5)
    assert small.rows["patients"] == 2000
    assert large.rows["patients"] == 6000
    for t in ("treatments", "lesions", "clinical"):
        ratio = large.rows[t] / small.rows[t]
        assert 2.7 < ratio < 3.3, (t, ratio)
    per_patient = large.rows["lesions"] / 6000
    assert 45 < per_patient < 70  # "about 60 lesion rows per patient"


def test_bad_arguments_fail_clearly_and_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"`n_patients` must be a whole number >= 1, got 0"):
        simulate(tmp_path / "x", n_patients=0)
    with pytest.raises(ValueError, match=r"`format` must be one of"):
        simulate(tmp_path / "x", n_patients=10, fmt="json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`chunk_size` must be a whole number >= 1, got -5"):
        simulate(tmp_path / "x", n_patients=10, chunk_size=-5)
    assert not (tmp_path / "x").exists()


def test_existing_study_is_not_overwritten_silently(tmp_path: Path) -> None:
    simulate(tmp_path, n_patients=10, fmt="csv")
    before = (tmp_path / "lesions.csv").read_bytes()
    with pytest.raises(FileExistsError, match="already holds study files"):
        simulate(tmp_path, n_patients=10, seed=9, fmt="csv")
    assert (tmp_path / "lesions.csv").read_bytes() == before
    simulate(tmp_path, n_patients=10, seed=9, overwrite=True)  # parquet replaces the CSVs
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)


def test_cli_demo_and_simulate(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["demo", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d" / "patients.csv").exists()
    res = runner.invoke(
        app, ["simulate", "--patients", "1500", "--out", str(tmp_path / "s"), "--seed", "4",
              "--chunk-size", "1000"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert pq.ParquetFile(tmp_path / "s" / "lesions.parquet").num_row_groups == 2
    res = runner.invoke(app, ["demo", str(tmp_path / "d")])
    assert res.exit_code == 2
    res = runner.invoke(app, ["simulate", "--patients", "10", "--out", str(tmp_path / "t"),
                              "--format", "xlsx"])  # fmt: skip
    assert res.exit_code == 2
    assert not (tmp_path / "t").exists()


def test_parameters_are_checked_at_construction() -> None:
    from cnsrwe.demo import SimulationParameters

    with pytest.raises(ValueError, match=r"`calls_only` must be in \[0, 1\], got 1.5"):
        SimulationParameters(calls_only=1.5)
    with pytest.raises(ValueError, match=r"`scan_interval` must start at 28 days or more"):
        SimulationParameters(scan_interval=(7.0, 14.0))
