"""Fixtures of the scale tests: Parquet studies, their in-memory derivation, one SparkSession.

The reference for every engine is a single in-memory :func:`derive_study` over all
patients (read with every column, not only the columns the scale reader selects).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cnsrwe.demo import simulate, write_demo
from cnsrwe.derive.pipeline import derive_study

INPUTS = ("patients", "treatments", "lesions", "timepoint_responses", "clinical")
HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None


def in_memory(folder: Path) -> dict[str, pl.DataFrame]:
    """Every ad_* table of one derive_study over all patients of a Parquet study."""
    tables = {t: pl.read_parquet(folder / f"{t}.parquet") for t in INPUTS}
    return derive_study(tables).as_tables()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo study (100 patients, seed 2022) as Parquet."""
    out = tmp_path_factory.mktemp("scale_demo") / "demo"
    write_demo(out, fmt="parquet")
    return out


@pytest.fixture(scope="session")
def demo_expected(demo_dir: Path) -> dict[str, pl.DataFrame]:
    return in_memory(demo_dir)


@pytest.fixture(scope="session")
def big_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 simulated patients (seed 5), four row groups of 2,500 patients per table."""
    out = tmp_path_factory.mktemp("scale_10k") / "sim"
    simulate(out, n_patients=10_000, seed=5, chunk_size=2_500)
    return out


@pytest.fixture(scope="session")
def big_expected(big_dir: Path) -> dict[str, pl.DataFrame]:
    return in_memory(big_dir)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] SparkSession for the whole test session."""
    if not HAVE_PYSPARK:
        # CI installs the extra (scripts/test.sh): there the parity suite must run, never skip.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pyspark is missing in CI: scripts/test.sh installs the `spark` extra")
        pytest.skip("pyspark is not installed (install the extra: pip install 'cnsrwe[spark]')")
    from cnsrwe.scale.spark_engine import spark_session

    session = spark_session("local[2]", app_name="cnsrwe-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
