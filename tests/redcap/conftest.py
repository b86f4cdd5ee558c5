"""Fixtures of the REDCap tests (the export writer lives in ``redcap_export_writer``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsrwe.redcap import write_dictionary

DATA = Path(__file__).parent / "data"


@pytest.fixture
def dictionary(tmp_path: Path) -> Path:
    """The cnsrwe REDCap data dictionary written to a temporary file."""
    return write_dictionary(tmp_path / "cnsrwe_dictionary.csv")
