"""A validated study in memory: typed tables plus where each came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from cnsrwe.io.problems import Problem


@dataclass(frozen=True)
class SourceFile:
    """One input file (or workbook sheet) as read.

    ``sha256`` is the digest of the whole file's bytes (for a workbook: of the workbook file).
    """

    table: str
    path: str
    sheet: str | None
    sha256: str
    n_rows: int


@dataclass(frozen=True)
class LoadedStudy:
    """Tables of the data format after validation found no error.

    ``tables`` maps a table name of :data:`cnsrwe.io.schema.TABLES` to a polars DataFrame
    that has every column of the format (absent optional columns filled with nulls), typed by
    :data:`cnsrwe.io.schema.ARROW_TYPES`, followed by any extra columns kept as strings, plus
    a ``_source_row`` column (the 1-based row number in the source file). Tables the input did
    not provide are absent from the mapping.
    """

    tables: dict[str, pl.DataFrame]
    sources: dict[str, SourceFile]
    warnings: tuple[Problem, ...] = field(default_factory=tuple)
