"""Commands of the derive group (registered by `cnsrwe.cli`).

``cnsrwe derive --study S [--profile NAME ...] [--chunk-patients N] [--next-therapy
systemic|any] [--assessment-window-days D] [--reason T]`` derives the response analysis
datasets of the study's current version, in patient chunks with a progress bar, writes them
as ``ad_*`` tables in one transaction with a ``derive`` audit row, and prints row counts
(never patient identifiers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cnsrwe.derive.pipeline import DEFAULT_PROFILES, DEFAULT_WINDOW_DAYS
from cnsrwe.derive.write import DEFAULT_CHUNK_PATIENTS, DeriveRun, derive_into_store
from cnsrwe.errors import CnsrweError
from cnsrwe.store import Store


def _summary(run: DeriveRun, study: Path, console: Console) -> None:
    console.print(f"Derived from version {run.input_version} of {study.name}:")
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in run.rows.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(
        f"{run.n_patients:,} patients in {run.n_chunks} chunk(s); audit row {run.audit_hash[:12]}"
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("derive")
    def derive(
        study: Annotated[Path, typer.Option("--study", help="The study file (.duckdb).")],
        profile: Annotated[
            list[str] | None,
            typer.Option("--profile", help="Criteria profile (repeat for several)."),
        ] = None,
        chunk_patients: Annotated[
            int, typer.Option("--chunk-patients", help="Patients per chunk (bounds memory).")
        ] = DEFAULT_CHUNK_PATIENTS,
        next_therapy: Annotated[
            str,
            typer.Option("--next-therapy",
                         help="What ends a line's window: systemic (next line) or any therapy."),
        ] = "systemic",
        window_days: Annotated[
            int,
            typer.Option("--assessment-window-days",
                         help="Scans this many days apart form one timepoint (0 = off)."),
        ] = DEFAULT_WINDOW_DAYS,
        reason: Annotated[
            str | None, typer.Option("--reason", help="Why this run (kept in the audit log).")
        ] = None,
    ) -> None:
        """Derive response analysis datasets (ad_* tables) from the current study version."""
        err = Console(stderr=True)
        profiles = tuple(profile) if profile else DEFAULT_PROFILES
        columns = (
            TextColumn("deriving"), BarColumn(), MofNCompleteColumn(), TextColumn("patients"),
            TimeElapsedColumn(),
        )  # fmt: skip
        try:
            with Store.open(study) as store, Progress(
                *columns, console=err, transient=True
            ) as bar:
                task = bar.add_task("derive", total=None)

                def tick(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                run = derive_into_store(
                    store, profiles=profiles, chunk_patients=chunk_patients,
                    next_therapy=next_therapy,  # type: ignore[arg-type]
                    assessment_window_days=window_days, reason=reason, on_progress=tick,
                )  # fmt: skip
        except (CnsrweError, ValueError) as exc:
            err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=1) from None
        _summary(run, study, Console())
