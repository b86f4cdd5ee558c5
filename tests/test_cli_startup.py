"""The command line starts without loading the heavy machinery (structural check, not timed).

Every command module imports its data, statistics and storage code inside the command
functions, so ``cnsrwe --help`` and ``cnsrwe COMMAND --help`` only pay for typer and rich.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cnsrwe.cli

HEAVY = ("scipy", "pandas", "duckdb", "matplotlib", "polars", "pyarrow", "numpy")

#: Command modules whose heavy imports are deferred into the command functions.
LAZY_MODULES = (
    "data_cmds", "demo_cmds", "derive_cmds", "evidence_cmds", "export_cmds", "redcap_cmds",
    "report_cmds", "resistance_cmds", "store_cmds", "study_cmds",
)  # fmt: skip

#: What ``import cnsrwe.cli`` may still load: nothing heavy, now that every command module
#: (derive_cmds included) defers its derivation, storage and statistics imports.
ALLOWED_AT_CLI_IMPORT: frozenset[str] = frozenset()

_CLI_DIR = str(Path(cnsrwe.cli.__file__).parent)


def _loaded_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter and return the heavy modules it left loaded."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} "
    probe += "if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_cli_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import cnsrwe.cli")
    assert set(loaded) <= ALLOWED_AT_CLI_IMPORT, loaded


def test_derive_cmds_defaults_match_the_derivation() -> None:
    # derive_cmds spells its option defaults out to avoid importing the derivation.
    from cnsrwe.cli import derive_cmds
    from cnsrwe.derive import pipeline, write

    assert derive_cmds.DEFAULT_PROFILES == pipeline.DEFAULT_PROFILES
    assert derive_cmds.DEFAULT_WINDOW_DAYS == pipeline.DEFAULT_WINDOW_DAYS
    assert derive_cmds.DEFAULT_CHUNK_PATIENTS == write.DEFAULT_CHUNK_PATIENTS


@pytest.mark.parametrize("module", LAZY_MODULES)
def test_command_module_and_its_help_load_nothing_heavy(module: str) -> None:
    # Import the one command module without the package __init__ (which registers every group,
    # derive_cmds included), register it on a fresh app and render the help of every command.
    code = f"""
import sys, types
import typer
from typer.testing import CliRunner
pkg = types.ModuleType("cnsrwe.cli")
pkg.__path__ = [{_CLI_DIR!r}]
sys.modules["cnsrwe.cli"] = pkg
import importlib
mod = importlib.import_module("cnsrwe.cli.{module}")
app = typer.Typer()
mod.register(app)
app.command("noop")(lambda: None)
runner = CliRunner()
calls = [[c.name] for c in app.registered_commands if c.name != "noop"]
for g in app.registered_groups:
    calls += [[g.name]] + [[g.name, c.name] for c in g.typer_instance.registered_commands]
assert calls
for call in calls:
    result = runner.invoke(app, [*call, "--help"])
    assert result.exit_code == 0, (call, result.output)
    assert "Usage" in result.output, (call, result.output)
"""
    assert _loaded_after(code) == []
