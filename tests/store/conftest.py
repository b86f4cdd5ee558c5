"""Fixtures of the store tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from store_studies import make_study

from cnsrwe.io.loaded import LoadedStudy


@pytest.fixture(scope="session")
def small_study() -> LoadedStudy:
    """A 12-patient study with every table."""
    return make_study(12, seed=1)


@pytest.fixture
def study_path(tmp_path: Path) -> Path:
    """Where a test's study file goes (not created)."""
    return tmp_path / "study.duckdb"
