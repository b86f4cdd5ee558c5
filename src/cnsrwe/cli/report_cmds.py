"""Commands of the report group (registered by `cnsrwe.cli`).

``cnsrwe report STUDY.toml [--out DIR] [--format html|docx|xlsx ...] [--figure-format
png|svg|pdf ...] [--appendix-limit N]`` runs the study file and writes the report;
``cnsrwe verify DIR`` recomputes every hash of a report folder's manifest.json. Console
output names files and counts only, never patient identifiers. Exit code 1 on any error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cnsrwe.errors import CnsrweError


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("report")
    def report_cmd(
        study: Annotated[Path, typer.Argument(help="The study file (study.toml).")],
        out: Annotated[Path | None, typer.Option(
            "--out", help="Output folder (default: the study file's [output].dir).")] = None,
        fmt: Annotated[list[str] | None, typer.Option(
            "--format", help="Report format html, docx or xlsx (repeatable; default: the "
            "study file's [output].formats).")] = None,
        figure_format: Annotated[list[str] | None, typer.Option(
            "--figure-format", help="Extra figure format png, svg or pdf (repeatable).")] = None,
        appendix_limit: Annotated[int, typer.Option(
            "--appendix-limit", help="Patients shown in the per-patient appendix.")] = 100,
    ) -> None:
        """Run a study file and write report.html/.docx/.xlsx, figures/, results.csv and
        manifest.json."""
        from cnsrwe.runner.run import run_report

        err = Console(stderr=True)
        try:
            res = run_report(study, out, formats=fmt or None,
                             figure_formats=figure_format or None,
                             appendix_limit=appendix_limit, show_progress=True)
        except (CnsrweError, ValueError, OSError) as exc:
            err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=1) from None
        console = Console()
        console.print(f"Report for {res.n_patients:,} patients: {res.n_results:,} results, "
                      f"{res.n_figures} figures, in {res.seconds:.1f} s.", highlight=False)
        for f in res.files:
            if not f.startswith("figures/"):
                console.print(f"  {res.out_dir / f}", highlight=False)
        console.print(f"  {res.out_dir / 'figures'}/ ({res.n_figures} figures)",
                      highlight=False)

    @app.command("verify")
    def verify_cmd(
        folder: Annotated[Path, typer.Argument(help="A report folder with manifest.json.")],
        check_software: Annotated[bool, typer.Option(
            "--check-software", help="Also compare installed package versions.")] = False,
    ) -> None:
        """Check that every input and output recorded in a report's manifest is unchanged."""
        from cnsrwe.report import verify_manifest

        err = Console(stderr=True)
        try:
            check = verify_manifest(folder, check_software=check_software)
        except (OSError, ValueError, KeyError) as exc:
            err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=1) from None
        if check.ok:
            Console().print(f"OK: every file recorded in {folder / 'manifest.json'} is "
                            "unchanged.", highlight=False)
            return
        for p in check.problems:
            err.print(p, highlight=False, markup=False)
        err.print(f"[bold red]{len(check.problems)} problem(s)[/bold red]", highlight=False)
        raise typer.Exit(code=1)
