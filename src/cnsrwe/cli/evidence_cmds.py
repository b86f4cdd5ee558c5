"""Commands of the evidence group (registered by `cnsrwe.cli`).

``cnsrwe evidence [--drug D] [--line L] [--population P] [--include-unverified]
[--format text|json|csv]`` lists the curated published CNS trial populations.
``cnsrwe check-table FILE [--format text|json]`` recomputes the percentages, CIs and p-values of
a CSV/XLSX of printed numbers and exits with 1 when one does not match; ``cnsrwe check-table
--template OUT.xlsx`` writes the input template.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import polars as pl

_LIST_COLUMNS = (
    "row_id",
    "trial",
    "drug",
    "line",
    "population",
    "n",
    "responders",
    "ic_orr_pct",
    "criteria",
    "assessor",
    "verification",
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _print_frame(frame: pl.DataFrame, columns: list[str], title: str) -> None:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for row in frame.select(columns).iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    Console(width=200).print(table)


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("evidence")
    def evidence(
        drug: Annotated[str | None, typer.Option("--drug", help="e.g. alectinib")] = None,
        line: Annotated[
            str | None,
            typer.Option(
                "--line",
                help="first_line, post_crizotinib, post_second_generation, post_tki_any, mixed",
            ),
        ] = None,
        population: Annotated[
            str | None,
            typer.Option("--population", help="measurable, any, leptomeningeal, ..."),
        ] = None,
        include_unverified: Annotated[
            bool, typer.Option("--include-unverified", help="Also list unverified rows.")
        ] = False,
        fmt: Annotated[str, typer.Option("--format", help="text, json or csv")] = "text",
    ) -> None:
        """List published CNS efficacy of ALK inhibitors (curated, with verification status)."""
        from cnsrwe.evidence.dataset import filter_evidence, read_evidence

        if fmt not in ("text", "json", "csv"):
            _fail(f"`--format` must be one of text, json, csv, got {fmt!r}")
        try:
            rows = filter_evidence(
                read_evidence(),
                drug=drug,
                line=line,
                population=population,
                include_unverified=include_unverified,
            )
        except ValueError as err:
            _fail(str(err))
        if fmt == "json":
            typer.echo(json.dumps(rows.to_dicts(), indent=2))
        elif fmt == "csv":
            typer.echo(rows.write_csv(), nl=False)
        else:
            _print_frame(rows, list(_LIST_COLUMNS), f"{rows.height} trial population(s)")
            if not include_unverified:
                typer.echo("Unverified rows are hidden; add --include-unverified to list them.")

    @app.command("check-table")
    def check_table_cmd(
        file: Annotated[Path | None, typer.Argument(help="CSV or XLSX of printed numbers.")] = None,
        template: Annotated[
            Path | None, typer.Option("--template", help="Write the XLSX template here.")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    ) -> None:
        """Recompute printed percentages, CIs and p-values and flag what does not match."""
        from cnsrwe.evidence.checker import check_table
        from cnsrwe.evidence.template import write_check_template

        if template is not None:
            try:
                out = write_check_template(template)
            except (ValueError, FileNotFoundError) as err:
                _fail(str(err))
            typer.echo(f"Template written to {out}")
            return
        if file is None:
            _fail("give a FILE to check, or --template OUT.xlsx")
        if fmt not in ("text", "json"):
            _fail(f"`--format` must be one of text, json, got {fmt!r}")
        try:
            result = check_table(file)  # type: ignore[arg-type]
        except (ValueError, FileNotFoundError) as err:
            _fail(str(err))
        if fmt == "json":
            payload = {"findings": result.findings.to_dicts(), "summary": result.summary.to_dicts()}
            typer.echo(json.dumps(payload, indent=2))
        else:
            problems = result.problems
            typer.echo(
                f"{result.findings.height} printed numbers checked, "
                f"{problems.height} not reproduced."
            )
            if problems.height:
                _print_frame(
                    problems,
                    [
                        "table",
                        "row",
                        "group",
                        "check",
                        "reported",
                        "recomputed",
                        "status",
                        "message",
                    ],
                    "Not reproduced",
                )
            for msg in result.summary["message"].to_list():
                typer.echo(msg)
        if result.problems.height:
            raise typer.Exit(1)
