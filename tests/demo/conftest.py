"""Fixtures of the demo tests: one demo study and one simulated study, written once."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cnsrwe.demo import simulate, write_demo
from cnsrwe.io.schema import TABLES

SIM_PATIENTS = 3000


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo study as CSV."""
    out = tmp_path_factory.mktemp("demo")
    write_demo(out)
    return out


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3000-patient simulated study as Parquet, in three chunks."""
    out = tmp_path_factory.mktemp("sim")
    simulate(out, n_patients=SIM_PATIENTS, seed=7, chunk_size=1000)
    return out


@pytest.fixture(scope="session")
def sim(sim_dir: Path) -> dict[str, pl.DataFrame]:
    """The simulated study's tables as written (typed Parquet)."""
    return {t: pl.read_parquet(sim_dir / f"{t}.parquet") for t in TABLES}
