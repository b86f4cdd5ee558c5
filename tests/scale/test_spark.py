"""Spark local mode gives the same tables as the embedded engine, row for row.

Marked ``spark``: they run wherever pyspark is installed (the ``spark`` extra; Java 17) and
skip with a reason only when pyspark is not importable. One SparkSession serves them all.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.derive.schemas import AD_SCHEMAS
from cnsrwe.errors import BackendNotAvailableError, SchemaError
from cnsrwe.scale import DeriveSettings, derive_parquet, read_results
from cnsrwe.scale.spark_engine import derive_spark, spark_session

runner = CliRunner()


def assert_same(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    for name in AD_SCHEMAS:
        assert_frame_equal(got[name], want[name], check_exact=True)


@pytest.mark.spark
@pytest.mark.parametrize("writer", ["python", "spark"])
def test_demo_parity_with_embedded(spark: Any, demo_dir: Path,
                                   demo_expected: dict[str, pl.DataFrame],
                                   tmp_path: Path, writer: str) -> None:  # fmt: skip
    run = derive_spark(demo_dir, tmp_path / "spark", spark=spark, chunk_patients=30,
                       writer=writer)  # type: ignore[arg-type]
    assert run.n_chunks == 4
    assert run.rows == {k: v.height for k, v in demo_expected.items()}
    derive_parquet(demo_dir, tmp_path / "embedded", chunk_patients=30)
    spark_tables = read_results(tmp_path / "spark")
    assert_same(spark_tables, read_results(tmp_path / "embedded"))
    assert_same(spark_tables, demo_expected)


@pytest.mark.spark
def test_ten_thousand_patients_parity(spark: Any, big_dir: Path,
                                      big_expected: dict[str, pl.DataFrame],
                                      tmp_path: Path) -> None:  # fmt: skip
    run = derive_spark(big_dir, tmp_path / "spark", spark=spark, chunk_patients=2500)
    assert run.n_patients == 10_000
    assert_same(read_results(tmp_path / "spark"), big_expected)


@pytest.mark.spark
def test_settings_reach_the_executors(spark: Any, demo_dir: Path, tmp_path: Path) -> None:
    settings = DeriveSettings.make(profiles=["recist11", "rano_bm"], assessment_window_days=0)
    derive_spark(demo_dir, tmp_path / "spark", spark=spark, settings=settings,
                 chunk_patients=50)  # fmt: skip
    derive_parquet(demo_dir, tmp_path / "emb", settings=settings, chunk_patients=50)
    got = read_results(tmp_path / "spark")
    assert_same(got, read_results(tmp_path / "emb"))
    assert set(got["ad_timepoints"]["profile"]) == {"recist11", "rano_bm"}


@pytest.mark.spark
def test_python_workers_get_the_worker_environment(spark: Any) -> None:
    import os

    from cnsrwe.scale.results import WORKER_ENVIRONMENT

    names = sorted(WORKER_ENVIRONMENT)
    seen = spark.sparkContext.parallelize([0], 1).map(
        lambda _: [os.environ.get(k) for k in names]
    ).collect()[0]
    got = dict(zip(names, seen, strict=True))
    # once polars is imported in the worker, its own jemalloc defaults come first; ours win
    ours = WORKER_ENVIRONMENT["_RJEM_MALLOC_CONF"]
    assert got.pop("_RJEM_MALLOC_CONF").split(",")[-len(ours.split(",")):] == ours.split(",")
    assert got == {k: v for k, v in WORKER_ENVIRONMENT.items() if k != "_RJEM_MALLOC_CONF"}


@pytest.mark.spark
def test_cli_spark_engine(spark: Any, demo_dir: Path, demo_expected: dict[str, pl.DataFrame],
                          tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "cli"
    res = runner.invoke(app, ["derive", "--engine", "spark", "--input", str(demo_dir),
                              "--output", str(out), "--chunk-patients", "40"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "spark engine" in res.output
    assert "100 patients in 3 bucket(s)" in res.output
    assert_same(read_results(out), demo_expected)
    again = runner.invoke(app, ["derive", "--engine", "spark", "--input", str(demo_dir),
                                "--output", str(out)])  # fmt: skip
    assert again.exit_code == 1
    assert "`output` must be a new or empty folder" in again.output


@pytest.mark.spark
def test_missing_treatments_is_refused(spark: Any, demo_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(SchemaError, match=r"`input` must hold treatments.parquet"):
        derive_spark(tmp_path / "in", tmp_path / "out", spark=spark)
    assert not (tmp_path / "out").exists()


def test_python_writer_needs_a_local_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"`writer` 'python' needs a local or shared"):
        derive_spark(tmp_path, "s3a://bucket/out", writer="python")
    with pytest.raises(ValueError, match=r"`writer` must be one of"):
        derive_spark(tmp_path, tmp_path / "out", writer="java")  # type: ignore[arg-type]


def test_without_pyspark_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(BackendNotAvailableError, match=r"pip install 'cnsrwe\[spark\]'"):
        spark_session("local[1]")
