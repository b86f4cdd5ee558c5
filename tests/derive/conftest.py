"""Fixtures of the derive tests: a small simulated study in memory."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.demo import iter_blocks
from cnsrwe.io.schema import TABLES


@pytest.fixture(scope="session")
def demo_tables() -> dict[str, pl.DataFrame]:
    """30 simulated patients (cnsrwe.demo, seed 11), typed as the generator writes them."""
    block = next(iter_blocks(30, seed=11))
    return {name: pl.from_arrow(block[name]) for name in TABLES}  # type: ignore[misc]
