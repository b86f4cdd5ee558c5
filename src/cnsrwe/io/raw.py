"""Tables as read from files, before any type is parsed: every cell is text or null."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cnsrwe.io.loaded import SourceFile
from cnsrwe.io.problem_log import ProblemLog
from cnsrwe.io.problems import Problem

#: Name of the column holding the 1-based spreadsheet row (header = row 1, first data row = 2).
SOURCE_ROW = "_source_row"


@dataclass(frozen=True)
class RawTable:
    """One table as read: ``frame`` has one ``String`` column per header cell, in file order,
    plus ``_source_row`` (``Int64``). Empty cells are null; nothing else is changed.

    ``label`` names the source as a person sees it: ``lesions.csv`` or ``study.xlsx[lesions]``.
    """

    table: str
    label: str
    source: SourceFile
    frame: pl.DataFrame

    @property
    def header(self) -> tuple[str, ...]:
        """Column names as written in the file (without ``_source_row``)."""
        return tuple(c for c in self.frame.columns if c != SOURCE_ROW)


@dataclass(frozen=True)
class RawStudy:
    """Everything read from one study input (folder or workbook).

    ``tables`` holds the tables that could be read; ``unreadable`` names tables whose file was
    given but could not be read (so cross-table checks skip them instead of reporting every
    patient as unknown); ``problems`` lists what went wrong while reading.
    """

    path: Path
    tables: dict[str, RawTable]
    unreadable: frozenset[str] = frozenset()
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, SourceFile]:
        """Where each readable table came from."""
        return {name: raw.source for name, raw in self.tables.items()}


def blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn empty-string cells of every ``String`` column into nulls (empty cell = null)."""
    exprs = [
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
        for c, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def with_source_row(frame: pl.DataFrame, first_row: int = 2) -> pl.DataFrame:
    """Append ``_source_row`` numbering data rows from ``first_row`` (row 1 is the header)."""
    return frame.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias(SOURCE_ROW)
    )


def check_header(header: list[str], table: str, label: str, log: ProblemLog) -> bool:
    """Report empty or repeated header cells; return whether the header is usable."""
    ok = True
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if name.strip() == "":
            log.add(
                "bad_header", table, label, row=1,
                message=f"Header cell {i} is empty.",
                fix="Give every column a name (or delete the empty column).",
            )  # fmt: skip
            ok = False
        elif name.lower() in seen:
            log.add(
                "bad_header", table, label, row=1, column=name,
                message=f"Column `{name}` appears more than once in the header (ignoring case).",
                fix="Keep one column of each name.",
            )  # fmt: skip
            ok = False
        elif name.startswith("_"):
            log.add(
                "bad_header", table, label, row=1, column=name,
                message=f"Column `{name}` starts with '_', which is reserved for cnsrwe.",
                fix="Rename the column so that it does not start with an underscore.",
            )  # fmt: skip
            ok = False
        seen.add(name.lower())
    return ok
