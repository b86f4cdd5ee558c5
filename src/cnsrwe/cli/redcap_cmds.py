"""Commands of the REDCap and template group (registered by `cnsrwe.cli`).

``cnsrwe redcap dictionary --out FILE.csv``  the REDCap data dictionary of the data format.
``cnsrwe redcap validate EXPORT.csv --dictionary DICT.csv [--values auto|raw|label]``  decode
    a records export and run the standard validation; exit 1 on any error.
``cnsrwe redcap pull --out-dir DIR``  export records and dictionary through the REDCap API
    (URL and token from CNSRWE_REDCAP_URL / CNSRWE_REDCAP_TOKEN; needs ``cnsrwe[redcap]``).
``cnsrwe template --out FILE.xlsx``  the XLSX data-entry template.

Importing an export into a study is ``cnsrwe import --redcap EXPORT.csv --dictionary DICT.csv
--study S`` (store group).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from cnsrwe.errors import CnsrweError

if TYPE_CHECKING:
    from cnsrwe.io.validate import ValidationReport


class ValueMode(StrEnum):
    """How choice values are written in the export."""

    auto = "auto"
    raw = "raw"
    label = "label"


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/bold red] {message}", highlight=False)
    return typer.Exit(code=1)


def dictionary(
    out: Annotated[Path, typer.Option("--out", help="Where to write the dictionary (.csv).")],
) -> None:
    """Write the REDCap data dictionary of the cnsrwe data format (upload it in REDCap)."""
    from cnsrwe.redcap import write_dictionary

    try:
        path = write_dictionary(out)
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"Wrote {path}. In REDCap: upload it under Project Setup > Data Dictionary, then enable"
        " repeating instruments for every instrument except 'patient' (see docs/redcap.md)."
    )


def print_report(report: ValidationReport, console: Console) -> None:
    """Errors and warnings of a REDCap validation, one table row each."""
    table = Table(title="REDCap export", title_justify="left")
    for name in ("severity", "code", "where", "problem", "fix"):
        table.add_column(name, overflow="fold")
    for p in report.problems:
        style = "red" if p.severity == "error" else "yellow"
        table.add_row(f"[{style}]{p.severity}[/{style}]", p.code, p.location(), p.message,
                      p.fix)  # fmt: skip
    if report.problems:
        console.print(table)
    n_err, n_warn = len(report.errors), len(report.warnings)
    if n_err:
        console.print(f"[bold red]{n_err} error(s)[/bold red] (first 50 per rule and column"
                      f" shown), {n_warn} warning(s): nothing can be imported.")  # fmt: skip
    else:
        console.print(f"[bold green]No errors[/bold green], {n_warn} warning(s).")


def validate(
    export: Annotated[Path, typer.Argument(help="REDCap records export (.csv).")],
    dictionary_file: Annotated[
        Path, typer.Option("--dictionary", help="The project's data dictionary (.csv).")
    ],
    values: Annotated[
        ValueMode, typer.Option("--values", help="Raw codes, labels, or decide from the file.")
    ] = ValueMode.auto,
) -> None:
    """Decode a REDCap export and run the standard validation; exit 1 on any error."""
    from cnsrwe.redcap import validate_redcap_export

    try:
        report = validate_redcap_export(export, dictionary_file, values=values.value)
    except CnsrweError as exc:
        raise _fail(str(exc)) from None
    print_report(report, Console(soft_wrap=False))
    raise typer.Exit(code=0 if report.ok else 1)


def pull(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the two CSV files.")],
) -> None:
    """Export records and data dictionary through the REDCap API (credentials from the
    environment: CNSRWE_REDCAP_URL, CNSRWE_REDCAP_TOKEN)."""
    from cnsrwe.redcap.api import export_project

    try:
        files = export_project(out_dir)
    except (CnsrweError, OSError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Wrote {files.records} and {files.dictionary}. Import them with: cnsrwe import"
               f" --redcap {files.records} --dictionary {files.dictionary} --study STUDY")


def template(
    out: Annotated[Path, typer.Option("--out", help="Where to write the template (.xlsx).")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file.")
    ] = False,
) -> None:
    """Write the XLSX data-entry template (one sheet per table, drop-downs, checks)."""
    from cnsrwe.io.template import write_template

    try:
        path = write_template(out, overwrite=overwrite)
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Wrote {path}. Fill it in, then run: cnsrwe validate {path}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    group = typer.Typer(help="REDCap: data dictionary, export validation, API pull.",
                        no_args_is_help=True)  # fmt: skip
    group.command("dictionary")(dictionary)
    group.command("validate")(validate)
    group.command("pull")(pull)
    app.add_typer(group, name="redcap")
    app.command("template")(template)
