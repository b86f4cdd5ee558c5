"""Commands of the study-file group (registered by `cnsrwe.cli`).

``cnsrwe init [PATH]`` writes the commented starter study file (never overwriting).
``cnsrwe check-study STUDY.toml`` validates a study file and prints a readable summary, or
every problem with its line and column; exit code 1 when the file is invalid.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cnsrwe.errors import SchemaError

if TYPE_CHECKING:
    from cnsrwe.study import LoadedStudyFile


def render_summary(loaded: LoadedStudyFile, console: Console) -> None:
    """Print what a valid study file will do, section by section."""
    spec = loaded.spec
    console.print(f"[bold]{escape(spec.study.title)}[/bold]")
    console.print(f"data cut-off {spec.study.data_cutoff}; data: {loaded.data_path}")
    occ = spec.index.occurrence + (f" (n = {spec.index.n})" if spec.index.n else "")
    console.print(f"index line: {occ} line where {escape(spec.index.match.describe())}")
    for rule in spec.eligibility:
        console.print(f"eligibility [cyan]{rule.name}[/cyan]: {escape(rule.when.describe())}")
    table = Table(title="Cohorts", title_justify="left")
    table.add_column("name")
    table.add_column("label")
    table.add_column("rule", overflow="fold")
    for c in spec.cohorts:
        rule = " and ".join(p.describe() for p in c.prior_lines) or "every patient"
        table.add_row(c.name, escape(c.label), escape(rule))
    console.print(table)
    console.print(f"patients matching several cohorts: {spec.cohort_policy.on_multiple}")
    table = Table(title="Subgroups", title_justify="left")
    for col in ("name", "label", "members", "within"):
        table.add_column(col, overflow="fold")
    for s in spec.subgroups:
        within = s.within.describe() if s.within else ""
        table.add_row(s.name, escape(s.label), escape(s.when.describe()), escape(within))
    console.print(table)
    table = Table(title="Endpoints", title_justify="left")
    for col in ("name", "kind", "compartment", "definition"):
        table.add_column(col, overflow="fold")
    for name, ep in spec.endpoints.items():
        if ep.kind == "response_rate":
            what = f"{'/'.join(ep.responses)} among {ep.population}"
        else:
            what = f"events {', '.join(ep.events)}"
            if ep.competing:
                what += f"; competing {', '.join(ep.competing)}"
        table.add_row(name, ep.kind, ep.compartment, escape(what))
    console.print(table)
    profiles = ", ".join(getattr(p, "name", str(p)) for p in loaded.profiles)
    console.print(f"criteria profiles: {profiles}")
    console.print(f"best overall response: {escape(str(loaded.bor_rule))}")
    table = Table(title="Analyses", title_justify="left")
    for col in ("name", "kind", "endpoint", "groups", "tests"):
        table.add_column(col, overflow="fold")
    for a in spec.analyses:
        groups = a.by or " vs ".join(a.groups) or "all"
        if a.within:
            groups += f" within {', '.join(a.within)}"
        if a.per_cohort:
            groups += ", per cohort"
        table.add_row(a.name, a.kind, a.endpoint or "", escape(groups), ", ".join(a.tests))
    console.print(table)
    out = spec.output
    console.print(f"outputs: {', '.join(out.formats)}; figures: {', '.join(out.figure_formats)}"
                  f" in {out.dir}/")
    for note in loaded.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("init")
    def init_cmd(
        path: Annotated[Path, typer.Argument(help="File (or folder) to create.")] = Path(
            "study.toml"
        ),
        title: Annotated[str, typer.Option(help="Study title.")] = "My CNS real-world study",
        agent: Annotated[str, typer.Option(help="Agent of the index line.")] = "alectinib",
    ) -> None:
        """Write a commented starter study file (refuses to overwrite)."""
        from cnsrwe.study import write_starter

        try:
            written = write_starter(path, title=title, agent=agent)
        except (FileExistsError, SchemaError) as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"wrote {written}; edit it, then run: cnsrwe check-study {written}")

    @app.command("check-study")
    def check_study_cmd(
        study: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    ) -> None:
        """Validate a study file and print what it will do."""
        from cnsrwe.study import StudyFileError, load_study

        console = Console(highlight=False, soft_wrap=True)
        try:
            loaded = load_study(study)
        except StudyFileError as err:
            for issue in err.issues:
                console.print(f"[red]{escape(str(study))}:{issue.line}:{issue.column}[/red]"
                              f" {escape(issue.message)}")
            console.print(f"[bold red]{len(err.issues)} problem(s)[/bold red] in {study}")
            raise typer.Exit(1) from None
        except SchemaError as err:
            console.print(f"[red]error:[/red] {escape(str(err))}")
            raise typer.Exit(1) from None
        render_summary(loaded, console)
        console.print("[bold green]The study file is valid.[/bold green]")
