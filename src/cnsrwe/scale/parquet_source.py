"""Patient-keyed, bounded-memory reading of a study held as Parquet files.

A Parquet study is a folder with one entry per table of the data format: either a file
``<table>.parquet`` (what ``cnsrwe simulate --format parquet`` writes) or a folder
``<table>/`` of ``*.parquet`` parts (what Spark and :mod:`cnsrwe.scale.embedded` write).

Rules
-----
* Patients are the sorted, distinct ``patient_id`` values of ``patients`` and
  ``treatments`` (the same rule as the store writer, :mod:`cnsrwe.derive.write`).
* They are cut into consecutive ranges of ``chunk_patients``. One chunk is read with one
  range filter ``first <= patient_id <= last`` per table, so every row of a patient lands
  in exactly one chunk. The Parquet reader skips row groups whose ``patient_id``
  statistics lie outside the range, so reading stays cheap when files are written in
  patient order (as ``cnsrwe simulate`` and the store export do).
* Only the columns the derivation uses (:data:`READ_COLUMNS`) are read; absent optional
  columns are left out, absent optional tables are skipped. Memory is bounded by the
  chunk, not the study.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cnsrwe.derive.pipeline import INPUT_COLUMNS
from cnsrwe.errors import SchemaError

#: Input tables the derivation reads, with the columns it uses (others are never read).
READ_COLUMNS = INPUT_COLUMNS
#: Tables whose patients define the study's patient list.
PATIENT_TABLES = ("patients", "treatments")
DEFAULT_CHUNK_PATIENTS = 5000


@dataclass(frozen=True)
class ParquetStudy:
    """A study stored as Parquet: the files of each table present in ``folder``."""

    folder: Path
    files: dict[str, list[Path]]

    def scan(self, table: str) -> pl.LazyFrame:
        """Lazy scan of ``table`` restricted to the columns the derivation uses."""
        scan = pl.scan_parquet(self.files[table])
        if table not in READ_COLUMNS:
            return scan.select("patient_id")
        have = scan.collect_schema().names()
        return scan.select([c for c in READ_COLUMNS[table] if c in have])


def _table_files(folder: Path, table: str) -> list[Path]:
    single = folder / f"{table}.parquet"
    if single.is_file():
        return [single]
    parts = folder / table
    if parts.is_dir():
        return sorted(p for p in parts.glob("*.parquet") if not p.name.startswith((".", "_")))
    return []


def open_parquet_study(folder: str | Path) -> ParquetStudy:
    """Find the Parquet files of each table in ``folder`` (``treatments`` is required)."""
    root = Path(folder)
    if not root.is_dir():
        msg = f"`input` must be a folder of Parquet files, got {str(root)!r}"
        raise SchemaError(msg)
    files = {}
    for table in (*PATIENT_TABLES, *READ_COLUMNS):
        found = _table_files(root, table)
        if found:
            files[table] = found
    if "treatments" not in files:
        msg = (f"`input` must hold treatments.parquet or a treatments/ folder of Parquet "
               f"parts, got {sorted(p.name for p in root.iterdir())[:10]!r}")  # fmt: skip
        raise SchemaError(msg)
    return ParquetStudy(root, files)


def patient_ids(study: ParquetStudy) -> pl.Series:
    """Sorted distinct ``patient_id`` values of ``patients`` and ``treatments``."""
    scans = [
        study.scan(t).select(pl.col("patient_id").cast(pl.String))
        for t in PATIENT_TABLES if t in study.files
    ]  # fmt: skip
    ids = pl.concat(scans).unique().drop_nulls().sort("patient_id").collect()
    return ids["patient_id"]


def patient_ranges(ids: pl.Series, chunk_patients: int) -> list[tuple[str, str, int]]:
    """``(first, last, n)`` for consecutive blocks of ``chunk_patients`` sorted ids."""
    if isinstance(chunk_patients, bool) or not isinstance(chunk_patients, int) or (
        chunk_patients < 1
    ):
        msg = f"`chunk_patients` must be a whole number >= 1, got {chunk_patients!r}"
        raise ValueError(msg)
    n = ids.len()
    starts = range(0, n, chunk_patients)
    return [(ids[i], ids[min(i + chunk_patients, n) - 1], min(chunk_patients, n - i))
            for i in starts]  # fmt: skip


def read_chunk(study: ParquetStudy, first: str, last: str) -> dict[str, pl.DataFrame]:
    """The rows of patients ``first <= patient_id <= last`` of every input table present."""
    inside = pl.col("patient_id").cast(pl.String).is_between(pl.lit(first), pl.lit(last))
    return {t: study.scan(t).filter(inside).collect() for t in READ_COLUMNS if t in study.files}


def iter_chunks(
    study: ParquetStudy, chunk_patients: int = DEFAULT_CHUNK_PATIENTS
) -> Iterator[tuple[int, dict[str, pl.DataFrame]]]:
    """Yield ``(n_patients, tables)`` per patient chunk, in patient order."""
    for first, last, n in patient_ranges(patient_ids(study), chunk_patients):
        yield n, read_chunk(study, first, last)
