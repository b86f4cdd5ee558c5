"""Commands of the demo group (registered by `cnsrwe.cli`): ``demo`` and ``simulate``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cnsrwe.demo.parameters import DEMO_PATIENTS, DEMO_SEED

if TYPE_CHECKING:
    from cnsrwe.demo.writer import StudyFiles


def _report(result: StudyFiles, console: Console) -> None:
    rows = ", ".join(f"{t} {n:,}" for t, n in result.rows.items())
    console.print(
        f"Wrote {result.n_patients:,} synthetic patients ({result.format}, seed {result.seed}) "
        f"to {result.out_dir}: {rows} rows."
    )


def _fail(exc: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
    return typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("demo")
    def demo(
        out_dir: Annotated[Path, typer.Argument(help="Folder to write the demo study to.")],
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed (same seed, same files).")
        ] = DEMO_SEED,
        fmt: Annotated[
            str,
            typer.Option(
                "--format", help="csv (one file per table), xlsx (one workbook) or parquet."
            ),
        ] = "csv",
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="Replace existing files.")
        ] = False,
    ) -> None:
        """Write a synthetic six-site study shaped like the 2022 alectinib CNS study."""
        from cnsrwe.demo.writer import write_demo

        try:
            result = write_demo(out_dir, seed=seed, fmt=fmt, overwrite=overwrite)  # type: ignore[arg-type]
        except (ValueError, FileExistsError) as exc:
            raise _fail(exc) from None
        _report(result, Console())
        Console().print(
            f"{DEMO_PATIENTS} patients, all synthetic. Check them with: cnsrwe validate {out_dir}"
        )

    @app.command("simulate")
    def simulate_cmd(
        patients: Annotated[int, typer.Option("--patients", help="Number of patients.")],
        out: Annotated[Path, typer.Option("--out", help="Folder to write the study to.")],
        fmt: Annotated[
            str, typer.Option("--format", help="parquet (default) or csv.")
        ] = "parquet",
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed (output independent of chunks).")
        ] = 0,
        chunk_size: Annotated[
            int, typer.Option("--chunk-size", help="Patients per written chunk (bounds memory).")
        ] = 10_000,
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="Replace existing files.")
        ] = False,
    ) -> None:
        """Write a synthetic study of any size, streamed in chunks of patients."""
        from cnsrwe.demo.writer import simulate

        if fmt not in ("parquet", "csv"):
            raise _fail(ValueError(f"`--format` must be one of 'parquet', 'csv', got {fmt!r}"))
        columns = (
            TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("patients"),
            TimeElapsedColumn(),
        )  # fmt: skip
        console = Console(stderr=True)
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("simulate", total=patients if patients > 0 else None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                result = simulate(
                    out, n_patients=patients, seed=seed, fmt=fmt,  # type: ignore[arg-type]
                    chunk_size=chunk_size, overwrite=overwrite, on_progress=tick,
                )  # fmt: skip
            except (ValueError, FileExistsError) as exc:
                raise _fail(exc) from None
        _report(result, Console())
