"""Commands of the export group (registered by `cnsrwe.cli`).

``cnsrwe export adam --study S --format xpt|parquet --out DIR`` writes ADSL, ADRS, ADTR and
ADTTE with ``define.csv``/``define.xlsx``; ``cnsrwe export spss --study S --out DIR [--format
sav|dta]`` the same datasets for SPSS or Stata; ``cnsrwe export cbioportal --study S --out DIR``
a cBioPortal study folder (checked by :func:`cnsrwe.exchange.cbioportal.check_cbioportal`).
Every command reads the study's current version and its ``cnsrwe derive`` tables, and prints
file names and row counts (never patient identifiers).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cnsrwe.errors import CnsrweError

if TYPE_CHECKING:
    import polars as pl

StudyOption = Annotated[Path, typer.Option("--study", help="The study file (.duckdb).")]
OutOption = Annotated[Path, typer.Option("--out", help="Folder to write to.")]
IndexAgent = Annotated[
    str | None, typer.Option("--index-agent", help="Index line = first line with this agent.")
]
IndexLine = Annotated[int, typer.Option("--index-line", help="Index line number (default 1).")]
Cutoff = Annotated[
    str | None, typer.Option("--cutoff", help="Data cutoff date (YYYY-MM-DD) for endpoints.")
]
StudyId = Annotated[str | None, typer.Option("--study-id", help="STUDYID (default: file name).")]


def _build(study: Path, study_id: str | None, index_line: int, index_agent: str | None,
           cutoff: str | None) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame], str]:
    from cnsrwe.exchange.adam import build_adam, read_adam_inputs
    from cnsrwe.store import Store

    try:
        cutoff_date = dt.date.fromisoformat(cutoff) if cutoff else None
    except ValueError:
        msg = f"`--cutoff` must be a date YYYY-MM-DD, got {cutoff!r}"
        raise ValueError(msg) from None
    sid = study_id or study.stem.upper()
    with Store.open(study, read_only=True) as store:
        inputs = read_adam_inputs(store)
        if "biopsies" in store.tables():
            inputs["biopsies"] = store.read_table("biopsies")
    adam = build_adam(inputs, study_id=sid, index_line=index_line, index_agent=index_agent,
                      cutoff_date=cutoff_date)  # fmt: skip
    return inputs, adam, sid


def _report(paths: list[Path], adam: dict[str, pl.DataFrame]) -> None:
    console = Console()
    for name, df in adam.items():
        console.print(f"{name}: {df.height:,} rows")
    console.print(f"wrote {len(paths)} file(s) to {paths[0].parent if paths else '-'}")


def _fail(exc: Exception) -> typer.Exit:
    err = Console(stderr=True, soft_wrap=True)
    err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
    return typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the ``export`` group to ``app``."""
    export = typer.Typer(help="Export analysis datasets (ADaM, SPSS/Stata, cBioPortal).",
                         no_args_is_help=True)  # fmt: skip
    app.add_typer(export, name="export")

    @export.command("adam")
    def adam_cmd(study: StudyOption, out: OutOption,
                 file_format: Annotated[str, typer.Option("--format", help="xpt or parquet.")]
                 = "xpt", study_id: StudyId = None, index_line: IndexLine = 1,
                 index_agent: IndexAgent = None, cutoff: Cutoff = None) -> None:  # fmt: skip
        """ADSL, ADRS, ADTR, ADTTE as SAS transport v5 (or Parquet) plus the define table."""
        from cnsrwe.exchange.write_adam import write_adam

        try:
            _, adam, _ = _build(study, study_id, index_line, index_agent, cutoff)
            paths = write_adam(adam, out, file_format=file_format)  # type: ignore[arg-type]
        except (CnsrweError, ValueError) as exc:
            raise _fail(exc) from None
        _report(paths, adam)

    @export.command("spss")
    def spss_cmd(study: StudyOption, out: OutOption,
                 file_format: Annotated[str, typer.Option("--format", help="sav or dta.")]
                 = "sav", study_id: StudyId = None, index_line: IndexLine = 1,
                 index_agent: IndexAgent = None, cutoff: Cutoff = None) -> None:  # fmt: skip
        """The analysis datasets as SPSS .sav (or Stata .dta) with variable and value labels."""
        from cnsrwe.exchange.spss import write_stat_datasets

        try:
            _, adam, _ = _build(study, study_id, index_line, index_agent, cutoff)
            paths = write_stat_datasets(adam, out, file_format=file_format)  # type: ignore[arg-type]
        except (CnsrweError, ValueError) as exc:
            raise _fail(exc) from None
        _report(paths, adam)

    @export.command("cbioportal")
    def cbioportal_cmd(study: StudyOption, out: OutOption, study_id: StudyId = None,
                       name: Annotated[str | None, typer.Option("--name", help="Study name.")]
                       = None, index_line: IndexLine = 1, index_agent: IndexAgent = None,
                       cutoff: Cutoff = None) -> None:  # fmt: skip
        """A cBioPortal study folder (clinical patient/sample files, timelines, meta files)."""
        from cnsrwe.exchange.cbioportal import check_cbioportal, write_cbioportal

        try:
            inputs, adam, sid = _build(study, study_id, index_line, index_agent, cutoff)
            cid = sid.lower()
            paths = write_cbioportal(inputs, adam, out, study_id=cid, name=name or sid)
        except (CnsrweError, ValueError) as exc:
            raise _fail(exc) from None
        problems = check_cbioportal(out)
        if problems:
            raise _fail(ValueError("format check failed: " + "; ".join(problems[:5])))
        _report(paths, {k: adam[k] for k in ("ADSL", "ADTTE")})
