"""The ``cnsrwe`` command line: a thin shell over the public API.

Each command group lives in its own module with a ``register(app)`` function, so commands of
different parts of the toolkit never share a file.
"""

from __future__ import annotations

import typer

from cnsrwe import __version__
from cnsrwe.cli import (
    data_cmds,
    demo_cmds,
    derive_cmds,
    evidence_cmds,
    export_cmds,
    redcap_cmds,
    report_cmds,
    resistance_cmds,
    store_cmds,
    study_cmds,
)

app = typer.Typer(
    name="cnsrwe",
    help="Real-world-evidence studies of brain and leptomeningeal metastases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cnsrwe {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Real-world-evidence studies of brain and leptomeningeal metastases."""


for _module in (
    data_cmds, store_cmds, demo_cmds, derive_cmds, study_cmds, evidence_cmds, redcap_cmds,
    export_cmds, report_cmds, resistance_cmds,
):
    _module.register(app)


def main() -> None:
    """Console entry point."""
    app()
