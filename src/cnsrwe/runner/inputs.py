"""Read the data a study file names, and record every input file for the manifest.

The study file's ``[data]`` table gives either ``folder`` (tables in the cnsrwe data format,
validated by :func:`cnsrwe.io.load_study`) or ``store`` (a study store, read at its current
version), plus an optional ``prior_line_progression`` table. Paths are relative to the study
file's folder (docs/study-file.md, "Rules of the format").

Nothing here prints: data-quality problems are returned as counts per code (never patient
identifiers) for the report's data-quality section.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cnsrwe.errors import SchemaError
from cnsrwe.study import LoadedStudyFile, read_prior_line_progression

DATA_TABLES = ("patients", "treatments", "lesions", "clinical", "timepoint_responses",
               "biopsies")


@dataclass(frozen=True)
class StudyInputs:
    """The data tables of one study and where they came from.

    ``tables``: data-format tables (``patients``, ``treatments``, ``lesions``, ``clinical``
    and any optional ones present); ``prior_line_progression``: the study file's table of
    prior-line progression sites or ``None``; ``files``: every input file read (sorted),
    hashed into the manifest; ``problems``: ``(severity, code, count)`` of the validation
    problems that did not stop the load; ``source``: ``"folder"`` or ``"store"``.
    """

    tables: dict[str, pl.DataFrame]
    prior_line_progression: pl.DataFrame | None
    files: tuple[Path, ...]
    problems: tuple[tuple[str, str, int], ...]
    source: str


def _base(loaded: LoadedStudyFile) -> Path:
    return loaded.path.parent if loaded.path is not None else Path.cwd()


def _from_folder(folder: Path) -> tuple[dict[str, pl.DataFrame], list[Path], list]:
    from cnsrwe.io import load_study as load_data_folder

    if not folder.is_dir():
        msg = f"`data.folder` must name an existing folder, got {str(folder)!r}"
        raise SchemaError(msg)
    data = load_data_folder(folder)
    files = sorted({Path(s.path).resolve() for s in data.sources.values()})
    tables = {k: v.drop("_source_row", strict=False) for k, v in data.tables.items()}
    return tables, files, list(data.warnings)


def _from_store(path: Path) -> tuple[dict[str, pl.DataFrame], list[Path], list]:
    from cnsrwe.store import Store

    if not path.is_file():
        msg = f"`data.store` must name an existing study store, got {str(path)!r}"
        raise SchemaError(msg)
    store = Store.open(path, read_only=True)
    try:
        names = set(store.tables())
        tables = {n: store.read_table(n) for n in DATA_TABLES if n in names}
    finally:
        store.close()
    return tables, [path.resolve()], []


def read_inputs(loaded: LoadedStudyFile) -> StudyInputs:
    """Load the data of ``loaded`` (module notes); raises the loader's errors unchanged
    (``ValidationFailed`` with every problem, ``SchemaError`` for a missing path)."""
    base = _base(loaded)
    spec = loaded.spec.data
    if spec.folder is not None:
        tables, files, problems = _from_folder(base / spec.folder)
        source = "folder"
    else:
        tables, files, problems = _from_store(base / str(spec.store))
        source = "store"
    for name in ("patients", "treatments", "lesions", "clinical"):
        if name not in tables:
            msg = f"the study data must include the {name!r} table, got {sorted(tables)!r}"
            raise SchemaError(msg)
    plp = read_prior_line_progression(loaded)
    if spec.prior_line_progression is not None:
        files.append((base / spec.prior_line_progression).resolve())
    counts = Counter((p.severity, p.code) for p in problems)
    return StudyInputs(
        tables=tables,
        prior_line_progression=plp,
        files=tuple(sorted(set(files))),
        problems=tuple((s, c, n) for (s, c), n in sorted(counts.items())),
        source=source,
    )
