"""Commands of the derive group (registered by `cnsrwe.cli`).

``cnsrwe derive --study S [--profile NAME ...] [--chunk-patients N] [--next-therapy
systemic|any] [--assessment-window-days D] [--reason T]`` derives the response analysis
datasets of the study's current version, in patient chunks with a progress bar, writes them
as ``ad_*`` tables in one transaction with a ``derive`` audit row, and prints row counts
(never patient identifiers).

``cnsrwe derive --input PARQUET_DIR --output PARQUET_DIR [--engine embedded|spark]
[--master local[2]] [--workers W] [--overwrite]`` derives a Parquet study (see
docs/scale.md) into a folder of ``ad_*`` Parquet parts, with the embedded engine or on
Apache Spark (extra ``spark``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cnsrwe.errors import CnsrweError

if TYPE_CHECKING:
    from cnsrwe.derive.write import DeriveRun
    from cnsrwe.scale import ScaleRun

ENGINES = ("embedded", "spark")
#: Option defaults, spelled out here so that the command line starts without importing the
#: derivation (polars, duckdb). tests/test_cli_startup.py checks that they equal
#: cnsrwe.derive.pipeline.DEFAULT_PROFILES / DEFAULT_WINDOW_DAYS and
#: cnsrwe.derive.write.DEFAULT_CHUNK_PATIENTS.
DEFAULT_PROFILES = ("recist11", "recist11_intracranial", "recist11_extracranial")
DEFAULT_WINDOW_DAYS = 14
DEFAULT_CHUNK_PATIENTS = 2000


def _rows_table(rows: dict[str, int]) -> Table:
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in rows.items():
        table.add_row(name, f"{n:,}")
    return table


def _summary(run: DeriveRun, study: Path, console: Console) -> None:
    console.print(f"Derived from version {run.input_version} of {study.name}:")
    console.print(_rows_table(run.rows))
    console.print(
        f"{run.n_patients:,} patients in {run.n_chunks} chunk(s); audit row {run.audit_hash[:12]}"
    )


def _scale_summary(run: ScaleRun, console: Console) -> None:
    console.print(f"Derived with the {run.engine} engine into {run.output}:")
    console.print(_rows_table(run.rows))
    unit = "bucket(s)" if run.engine == "spark" else "chunk(s)"
    console.print(f"{run.n_patients:,} patients in {run.n_chunks} {unit}; {run.seconds:.1f} s")


def _check_mode(
    study: Path | None, input: Path | None, output: Path | None, engine: str
) -> str | None:
    """The error message for an invalid combination of options, or None."""
    if engine not in ENGINES:
        return f"`--engine` must be one of {ENGINES!r}, got {engine!r}"
    if study is not None and (input is not None or output is not None):
        return "give either `--study` or `--input` with `--output`, not both"
    if study is None and (input is None or output is None):
        return "give `--study S`, or `--input PARQUET_DIR` with `--output PARQUET_DIR`"
    if study is not None and engine != "embedded":
        return "`--engine spark` reads Parquet: use `--input` and `--output`"
    return None


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("derive")
    def derive(
        study: Annotated[
            Path | None, typer.Option("--study", help="The study file (.duckdb).")
        ] = None,
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
        input: Annotated[
            Path | None,
            typer.Option("--input", help="A Parquet study folder (instead of --study)."),
        ] = None,
        output: Annotated[
            Path | None,
            typer.Option("--output", help="Folder for the ad_* Parquet parts (with --input)."),
        ] = None,
        engine: Annotated[
            str, typer.Option("--engine", help="embedded (this machine) or spark.")
        ] = "embedded",
        master: Annotated[
            str, typer.Option("--master", help="Spark master URL (with --engine spark).")
        ] = "local[2]",
        workers: Annotated[
            int, typer.Option("--workers", help="Worker processes of the embedded engine.")
        ] = 1,
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="Replace a non-empty --output folder.")
        ] = False,
    ) -> None:
        """Derive response analysis datasets (ad_* tables) from a study or Parquet files."""
        err = Console(stderr=True)
        profiles = tuple(profile) if profile else DEFAULT_PROFILES
        problem = _check_mode(study, input, output, engine)
        if problem is not None:
            err.print(f"[bold red]error:[/bold red] {problem}", highlight=False, markup=True)
            raise typer.Exit(code=1)
        if study is None:
            assert input is not None
            assert output is not None
            from cnsrwe.scale import DeriveSettings, derive_parquet

            try:
                settings = DeriveSettings.make(
                    profiles=profiles, next_therapy=next_therapy,  # type: ignore[arg-type]
                    assessment_window_days=window_days,
                )  # fmt: skip
                if engine == "spark":
                    from cnsrwe.scale.spark_engine import derive_spark

                    scale_run = derive_spark(input, output, master=master, settings=settings,
                                             chunk_patients=chunk_patients,
                                             overwrite=overwrite)  # fmt: skip
                else:
                    scale_run = derive_parquet(input, output, settings=settings,
                                               chunk_patients=chunk_patients, workers=workers,
                                               overwrite=overwrite)  # fmt: skip
            except (CnsrweError, ValueError) as exc:
                err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True)
                raise typer.Exit(code=1) from None
            _scale_summary(scale_run, Console())
            return
        from cnsrwe.derive.write import derive_into_store
        from cnsrwe.store import Store

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
