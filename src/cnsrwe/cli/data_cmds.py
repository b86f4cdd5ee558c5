"""Commands of the data group (registered by `cnsrwe.cli`).

``cnsrwe validate DATA [--format text|json]`` checks a study folder or workbook and prints every
problem, grouped by file, errors before warnings. Exit code 1 when there is any error, else 0.
The report shows cell values to the data manager on the terminal; nothing is written to logs.
"""

from __future__ import annotations

from enum import StrEnum
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cnsrwe.io import Problem, ValidationReport


class OutputFormat(StrEnum):
    """Output format of ``cnsrwe validate``."""

    text = "text"
    json = "json"


def _sorted(problems: tuple[Problem, ...]) -> list[Problem]:
    """By source file, errors before warnings, keeping the order found within each."""
    order = {p: i for i, p in enumerate(dict.fromkeys(x.source for x in problems))}
    return sorted(problems, key=lambda p: (order[p.source], p.severity != "error"))


def render_text(report: ValidationReport, console: Console) -> None:
    """Print ``report`` as one rich table per source file and a summary line."""
    for source, group in groupby(_sorted(report.problems), key=lambda p: p.source):
        table = Table(title=source, title_justify="left", show_lines=False, expand=False)
        for name in ("severity", "code", "row", "column", "value", "problem", "fix"):
            table.add_column(name, overflow="fold")
        for p in group:
            style = "red" if p.severity == "error" else "yellow"
            table.add_row(
                f"[{style}]{p.severity}[/{style}]", p.code,
                "" if p.row is None else str(p.row), p.column or "",
                "" if p.value is None else p.value, p.message, p.fix,
            )  # fmt: skip
        console.print(table)
    summary = report.to_dict()
    n_err, n_warn = summary["n_errors"], summary["n_warnings"]
    if n_err:
        console.print(
            f"[bold red]{n_err:,} error(s)[/bold red], {n_warn:,} warning(s): the study cannot"
            " be imported until the errors are fixed."
        )
    else:
        n_tables = len(report.study.tables) if report.study else 0
        console.print(
            f"[bold green]No errors[/bold green], {n_warn:,} warning(s) in {n_tables} table(s)."
        )


def validate(
    data: Annotated[
        Path, typer.Argument(help="Study folder (CSV/Parquet files) or .xlsx workbook.")
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text (tables) or json (to stdout).")
    ] = OutputFormat.text,
) -> None:
    """Check a study input and list every problem; exit code 1 if there is any error."""
    from cnsrwe.io import validate_study

    report = validate_study(data)
    if output_format is OutputFormat.json:
        typer.echo(report.to_json())
    else:
        render_text(report, Console(soft_wrap=False))
    raise typer.Exit(code=0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("validate")(validate)
