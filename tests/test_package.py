"""The package imports, exposes its version and its command line answers."""

from __future__ import annotations

from typer.testing import CliRunner

import cnsrwe
from cnsrwe.cli import app
from cnsrwe.io.schema import CNS_LOCATIONS, TABLES


def test_version_is_set() -> None:
    assert cnsrwe.__version__ != "0.0.0+unknown"


def test_cli_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"cnsrwe {cnsrwe.__version__}"


def test_schema_tables_are_the_issue_contract() -> None:
    assert list(TABLES) == [
        "patients", "treatments", "lesions", "timepoint_responses", "clinical", "biopsies",
    ]  # fmt: skip
    for table in TABLES.values():
        names = table.column_names
        assert names[0] == "patient_id"
        assert len(set(names)) == len(names)
        assert set(table.key) <= set(names)
    assert set(CNS_LOCATIONS) <= set(TABLES["lesions"].column("location").allowed or ())
