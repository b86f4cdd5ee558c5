"""Fixtures of the io tests (helpers live in ``io_study_fixture``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from io_study_fixture import Tables, valid_tables, write_study


@pytest.fixture
def tables() -> Tables:
    """A fresh, mutable copy of the valid fixture tables."""
    return copy.deepcopy(valid_tables())


@pytest.fixture
def study_dir(tmp_path: Path, tables: Tables) -> Path:
    """The valid fixture study written as CSV files."""
    return write_study(tmp_path / "study", tables)


@pytest.fixture
def make_study(tmp_path: Path) -> Callable[[Tables], Path]:
    """Write a (modified) set of tables to a fresh folder."""
    counter = {"n": 0}

    def make(tabs: Tables, **_: Any) -> Path:
        counter["n"] += 1
        return write_study(tmp_path / f"study{counter['n']}", tabs)

    return make
