"""Commands of the store group (registered by `cnsrwe.cli`).

``cnsrwe import DATA --study S [--reason T] [--deidentify --key-file K]``  validate, then import
    as a new version (creates the study file if missing); exit 1, store untouched, on any error.
    ``--redcap EXPORT.csv --dictionary DICT.csv`` instead of DATA reads a REDCap records export
    (:mod:`cnsrwe.redcap`) and goes through the same validation and import.
``cnsrwe history --study S [--format text|json] [--details]``  versions and their changes;
    changed keys (patient ids) only with ``--details``.
``cnsrwe summary --study S [--version N] [--format text|json]``  counts, no identifiers.
``cnsrwe audit --study S [--format text|json]``  the audit trail and whether its chain holds.
``cnsrwe keygen --out KEY``  a new de-identification key (mode 0600, never overwritten).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cnsrwe.errors import CnsrweError

if TYPE_CHECKING:
    from cnsrwe.io import Problem
    from cnsrwe.store import Store
    from cnsrwe.store.versions import ImportResult, VersionInfo

_MAX_PROBLEM_LINES = 20


class OutputFormat(StrEnum):
    """Output format of the store commands."""

    text = "text"
    json = "json"


StudyOption = Annotated[Path, typer.Option("--study", help="The study file (.duckdb).")]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="text (tables) or json (to stdout).")
]


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/bold red] {message}", highlight=False, markup=True)
    return typer.Exit(code=1)


def _problem_line(p: Problem) -> str:
    """One line per problem, without the cell value (it may be an identifier)."""
    return f"{p.severity:<7} {p.code:<22} {p.location()}: {p.message} {p.fix}".rstrip()


def _print_problems(console: Console, problems: tuple[Problem, ...], full: str) -> None:
    errors = [p for p in problems if p.severity == "error"]
    for p in errors[:_MAX_PROBLEM_LINES]:
        console.print(_problem_line(p), highlight=False, markup=False)
    if len(errors) > _MAX_PROBLEM_LINES:
        console.print(f"... and {len(errors) - _MAX_PROBLEM_LINES} more error(s).")
    console.print(
        f"[bold red]{len(errors)} error(s)[/bold red]: nothing was imported. "
        f"Run `{full}` for the full report with cell values."
    )


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and a.samefile(b)


def _changes_table(result_tables: Any, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("table", "rows", "added", "removed", "changed"):
        table.add_column(name, justify="left" if name == "table" else "right")
    for c in result_tables:
        rows = str(c.n_rows) if c.present else "(absent)"
        table.add_row(c.table, rows, str(c.added), str(c.removed), str(c.changed))
    return table


def import_cmd(
    data: Annotated[
        Path | None,
        typer.Argument(help="Study folder (CSV/Parquet) or .xlsx workbook (not with --redcap)."),
    ] = None,
    *,
    study: StudyOption,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why this import (kept in the history).")
    ] = None,
    deidentify_data: Annotated[
        bool,
        typer.Option("--deidentify", help="Pseudonymise ids and shift dates with --key-file."),
    ] = False,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="Key from `cnsrwe keygen`.")
    ] = None,
    drop_extra_columns: Annotated[
        bool,
        typer.Option("--drop-extra-columns", help="With --deidentify: drop non-format columns."),
    ] = False,
    output_format: FormatOption = OutputFormat.text,
    redcap: Annotated[
        Path | None, typer.Option("--redcap", help="REDCap records export (.csv), not DATA.")
    ] = None,
    dictionary: Annotated[
        Path | None, typer.Option("--dictionary", help="With --redcap: its data dictionary.")
    ] = None,
    sdtm: Annotated[
        Path | None, typer.Option("--sdtm", help="Folder of SDTM domains (dm.xpt, ...), not DATA.")
    ] = None,
) -> None:
    """Validate DATA (or a REDCap export) and import it as a new version (all or nothing)."""
    from cnsrwe.io import validate_study
    from cnsrwe.io.deidentify import deidentify, read_key
    from cnsrwe.redcap import validate_redcap_export
    from cnsrwe.store import Store

    err = Console(stderr=True)
    if sum(x is not None for x in (data, redcap, sdtm)) != 1:
        raise _fail(err, "give one of DATA, `--redcap EXPORT.csv` (with `--dictionary`) or"
                    " `--sdtm DIR`")
    if (redcap is None) != (dictionary is None):
        raise _fail(err, "`--redcap` and `--dictionary` must be given together")
    key: bytes | None = None
    if deidentify_data or key_file is not None:
        if not (deidentify_data and key_file is not None):
            raise _fail(err, "`--deidentify` and `--key-file` must be given together")
        if _same_file(key_file, study):
            raise _fail(err, "`--key-file` must not be the study file; keep the key apart")
        try:
            key = read_key(key_file)
        except (OSError, ValueError) as exc:
            raise _fail(err, f"cannot read the key file: {exc}") from None
    with err.status("Reading and validating the study input..."):
        if redcap is not None and dictionary is not None:
            try:
                report = validate_redcap_export(redcap, dictionary)
            except CnsrweError as exc:
                raise _fail(err, str(exc)) from None
            full = f"cnsrwe redcap validate {redcap} --dictionary {dictionary}"
        elif sdtm is not None:
            from cnsrwe.exchange.sdtm import validate_sdtm

            try:
                report = validate_sdtm(sdtm)
            except CnsrweError as exc:
                raise _fail(err, str(exc)) from None
            full = f"cnsrwe import --sdtm {sdtm} --study {study}"
        else:
            assert data is not None
            report = validate_study(data)
            full = f"cnsrwe validate {data}"
    if report.study is None:
        _print_problems(err, report.problems, full)
        raise typer.Exit(code=1)
    loaded = report.study
    if key is not None:
        with err.status("De-identifying..."):
            try:
                loaded = deidentify(loaded, key, drop_extra_columns=drop_extra_columns)
            except ValueError as exc:
                raise _fail(err, str(exc)) from None
    created = not study.exists()
    try:
        store = Store.create(study) if created else Store.open(study)
    except CnsrweError as exc:
        raise _fail(err, str(exc)) from None
    try:
        with store, err.status(f"Importing into {study.name}..."):
            result = store.import_study(loaded, reason=reason)
    except (CnsrweError, ValueError) as exc:
        if created:
            study.unlink(missing_ok=True)
        raise _fail(err, str(exc)) from None
    _print_import(result, study, output_format, n_warnings=len(report.warnings))


def _print_import(
    result: ImportResult, study: Path, output_format: OutputFormat, *, n_warnings: int
) -> None:
    if output_format is OutputFormat.json:
        typer.echo(json.dumps({**result.to_dict(), "n_warnings": n_warnings}, indent=2))
        return
    console = Console(soft_wrap=False)
    if result.status == "unchanged":
        console.print(
            f"Unchanged: the input equals version {result.version} of {study.name};"
            " nothing was written."
        )
        return
    console.print(_changes_table(result.tables, f"{study.name}: version {result.version}"))
    console.print(
        f"[bold green]Imported[/bold green] version {result.version} ({result.status});"
        f" {n_warnings} validation warning(s) (see `cnsrwe validate`)."
    )


def _open_read_only(study: Path) -> Store:
    from cnsrwe.store import Store

    try:
        return Store.open(study, read_only=True)
    except CnsrweError as exc:
        raise _fail(Console(stderr=True), str(exc)) from None


def _keys_json(frames: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {name: json.loads(json.dumps(df.to_dicts(), default=str)) for name, df in frames.items()}


def history(
    study: StudyOption,
    output_format: FormatOption = OutputFormat.text,
    details: Annotated[
        bool, typer.Option("--details", help="Also list the changed keys (shows patient ids).")
    ] = False,
) -> None:
    """List the import versions of a study with their files and changes."""
    with _open_read_only(study) as store:
        versions = store.versions()
        check = store.verify_audit()
        keys = {v.version: store.changed_keys(v.version) for v in versions} if details else {}
    if output_format is OutputFormat.json:
        out = []
        for v in versions:
            item = v.to_dict()
            if details:
                item["changed_keys"] = _keys_json(keys[v.version])
            out.append(item)
        audit = {"ok": check.ok, "rows": check.n_rows, "head": check.last_hash,
                 "problem": check.problem}  # fmt: skip
        typer.echo(json.dumps({"versions": out, "audit": audit}, indent=2))
        return
    console = Console(soft_wrap=False)
    if not versions:
        console.print(f"{study.name} has no import yet.")
    for v in versions:
        _print_version(console, v)
        for name, frame in keys.get(v.version, {}).items():
            console.print(f"  changed keys in {name}:", highlight=False)
            for row in frame.iter_rows():
                console.print(
                    f"    {row[-1]:<8} "
                    + " | ".join("" if x is None else str(x) for x in row[:-1]),
                    highlight=False,
                    markup=False,
                )
    status = "valid" if check.ok else f"BROKEN ({check.problem})"
    console.print(
        f"Audit chain: {status}; {check.n_rows} rows; head {check.last_hash}", soft_wrap=True
    )
    if not check.ok:
        raise typer.Exit(code=1)


def _print_version(console: Console, v: VersionInfo) -> None:
    mode = " [de-identified]" if v.deidentified else ""
    console.print(
        f"[bold]Version {v.version}[/bold]{mode}  {v.imported_at}  by {v.user_name}"
        f"  cnsrwe {v.cnsrwe_version}",
        highlight=False,
    )
    console.print(f"  reason: {v.reason or '(none given)'}", highlight=False, markup=False)
    for f in v.files:
        sheet = f"[{f.sheet}]" if f.sheet else ""
        console.print(
            f"  file {f.table}: {f.file_name}{sheet}  {f.n_rows} rows  sha256 {f.sha256[:16]}...",
            highlight=False,
            markup=False,
        )
    console.print(_changes_table(v.tables, f"  changes in version {v.version}"))


def summary(
    study: StudyOption,
    version: Annotated[
        int | None, typer.Option("--version", help="Version to describe (default: current).")
    ] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Describe a study with counts only (no identifiers)."""
    from cnsrwe.store.summary import summarize_study

    with _open_read_only(study) as store:
        try:
            result = summarize_study(store, version=version)
        except (CnsrweError, ValueError) as exc:
            raise _fail(Console(stderr=True), str(exc)) from None
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    console = Console(soft_wrap=False)
    console.print(
        f"[bold]{study.name}[/bold], version {result.version}: {result.n_patients} patients,"
        f" {result.n_deaths} deaths; dates {result.first_date} to {result.last_date}",
        highlight=False,
    )
    sites = Table(title="Patients by site", title_justify="left")
    sites.add_column("site")
    sites.add_column("patients", justify="right")
    for site, n in result.patients_by_site.items():
        sites.add_row(site, str(n))
    console.print(sites)
    console.print(
        f"Lesions: {result.n_lesion_rows} lesion rows in {result.n_lesion_assessments}"
        f" assessments of {result.n_patients_with_lesions} patients",
        highlight=False,
    )
    tr = Table(title="Treatment rows by agent class and regimen", title_justify="left")
    for name in ("agent class", "regimen", "rows", "patients"):
        tr.add_column(name, justify="right" if name in ("rows", "patients") else "left")
    for row in result.treatments:
        tr.add_row(row["agent_class"], row["regimen"], str(row["rows"]), str(row["patients"]))
    console.print(tr)
    tables = Table(title="Rows by table", title_justify="left")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, n in result.rows_by_table.items():
        tables.add_row(name, str(n))
    console.print(tables)


def audit(study: StudyOption, output_format: FormatOption = OutputFormat.text) -> None:
    """Show the audit trail and check its hash chain (exit 1 if broken)."""
    with _open_read_only(study) as store:
        entries = store.audit()
        check = store.verify_audit()
    if output_format is OutputFormat.json:
        rows = [e.__dict__ for e in entries]
        payload = {"ok": check.ok, "problem": check.problem, "entries": rows}
        typer.echo(json.dumps(payload, indent=2))
    else:
        console = Console(soft_wrap=False)
        table = Table(title=f"Audit trail of {study.name}", title_justify="left")
        for name in ("seq", "at", "user", "action", "version", "reason", "hash"):
            table.add_column(name)
        for e in entries:
            table.add_row(str(e.seq), e.at, e.user_name, e.action,
                          "" if e.version is None else str(e.version), e.reason or "",
                          e.row_hash[:16])  # fmt: skip
        console.print(table)
        status = "valid" if check.ok else f"BROKEN ({check.problem})"
        console.print(f"Audit chain: {status}", highlight=False)
    if not check.ok:
        raise typer.Exit(code=1)


def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the new key file.")],
) -> None:
    """Write a new random de-identification key (mode 0600; never overwrites a file)."""
    from cnsrwe.io.deidentify import generate_key

    try:
        path = generate_key(out)
    except OSError as exc:
        raise _fail(Console(stderr=True), str(exc)) from None
    typer.echo(
        f"Wrote a new key to {path} (mode 0600). Keep it apart from the study file and back it"
        " up: without it, later imports cannot be linked to the same pseudonyms."
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("import")(import_cmd)
    app.command("history")(history)
    app.command("summary")(summary)
    app.command("audit")(audit)
    app.command("keygen")(keygen)
