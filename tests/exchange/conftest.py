"""Fixtures: the hand-written 3-patient study as data-format CSV and as SDTM domains."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def original_dir() -> Path:
    return DATA / "original"


@pytest.fixture
def sdtm_dir() -> Path:
    return DATA / "sdtm"
