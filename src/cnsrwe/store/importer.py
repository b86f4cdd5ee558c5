"""Import of a validated study into a store as one new version, in one transaction.

Rule
----
1. The input tables are checked against the format (every column present with its Arrow type,
   extra columns as strings, no reserved column names, no duplicate key); nothing is coerced
   except an all-empty column of unknown type, which is given its format type.
2. Inside one DuckDB transaction, each table is compared with the current rows by its key
   (:attr:`cnsrwe.io.schema.Table.key`; NULL key parts compare equal): a key only in the input
   is *added*, only in the store *removed*, in both with any column value different (NULL-safe,
   extra columns included) *changed*.
3. If no row, column list, table set or source file differs from the current version, the
   transaction is rolled back and the status is ``"unchanged"``: nothing is written.
4. Otherwise removed and changed row versions are closed, added and changed rows inserted, and
   the version, its files, per-table counts and an audit row are written; then the transaction
   commits. Any error rolls everything back, and a crash before the commit leaves the file as
   it was (DuckDB's write-ahead log only replays committed transactions).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cnsrwe.errors import SchemaError
from cnsrwe.io.schema import DUCKDB_TYPES, POLARS_TYPES, TABLES
from cnsrwe.store.layout import (
    COL_FROM,
    COL_RID,
    COL_TO,
    RESERVED_PREFIX,
    SOURCE_ROW,
    fetch_one,
    hist_table,
    quote,
)
from cnsrwe.store.versions import FileRecord, TableChange

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from cnsrwe.io.loaded import LoadedStudy

#: Internal test hook: when set to a file path, the importer writes that file after the first
#: table was written inside the transaction and then sleeps, so a test can SIGKILL it there.
TEST_HOOK_ENV = "_CNSRWE_TEST_PAUSE_IMPORT_AT"
_ROW_NO = "_cnsrwe_n"


@dataclass(frozen=True)
class PreparedTable:
    """One input table ready for the store: its frame (no ``_source_row``) and column list."""

    name: str
    frame: pl.DataFrame
    extras: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Format columns in documented order, then the extra columns."""
        return TABLES[self.name].column_names + self.extras


def prepare_tables(loaded: LoadedStudy) -> dict[str, PreparedTable]:
    """Check every table of ``loaded`` against the format; raise ``SchemaError`` on a mismatch."""
    out: dict[str, PreparedTable] = {}
    for name, df in loaded.tables.items():
        if name not in TABLES:
            msg = f"`tables` has a table the format does not know, got {name!r}"
            raise SchemaError(msg)
        spec = TABLES[name]
        frame = df.drop(SOURCE_ROW, strict=False)
        casts = []
        for col in spec.columns:
            if col.name not in frame.columns:
                msg = f"table `{name}` lacks the format column `{col.name}`"
                raise SchemaError(msg)
            want = POLARS_TYPES[col.type]
            got = frame.schema[col.name]
            if got == pl.Null:
                casts.append(pl.col(col.name).cast(want))
            elif got != want:
                msg = f"column `{name}.{col.name}` must have type {want}, got {got}"
                raise SchemaError(msg)
        extras = tuple(c for c in frame.columns if c not in spec.column_names)
        for c in extras:
            got = frame.schema[c]
            if got == pl.Null:
                casts.append(pl.col(c).cast(pl.String))
            elif got != pl.String:
                msg = f"extra column `{name}.{c}` must be kept as text, got type {got}"
                raise SchemaError(msg)
            if c.lower().startswith(RESERVED_PREFIX):
                msg = f"column names starting with {RESERVED_PREFIX!r} are reserved, got {c!r}"
                raise SchemaError(msg)
        lowered = [c.lower() for c in frame.columns]
        clash = sorted({c for c in frame.columns if lowered.count(c.lower()) > 1})
        if clash:
            msg = f"table `{name}` has columns that differ only in case, got {clash!r}"
            raise SchemaError(msg)
        frame = frame.with_columns(casts).select(list(spec.column_names) + list(extras))
        n_dup = int(frame.select(spec.key).is_duplicated().sum())
        if n_dup:
            msg = (
                f"table `{name}` has {n_dup} rows sharing a key ({', '.join(spec.key)});"
                " each key must identify one row"
            )
            raise SchemaError(msg)
        out[name] = PreparedTable(name, frame, extras)
    return out


def file_records(loaded: LoadedStudy) -> list[FileRecord]:
    """Source files as stored: the file name only (a folder may name a person)."""
    return sorted(
        (
            FileRecord(src.table, Path(src.path).name, src.sheet, src.sha256, int(src.n_rows))
            for src in loaded.sources.values()
        ),
        key=lambda f: (f.table, f.file_name, f.sheet or ""),
    )


def store_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """Data columns of ``hist_<name>`` (internal columns excluded), in table order."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main'"
        " ORDER BY column_index",
        [hist_table(name)],
    ).fetchall()
    return [r[0] for r in rows if not r[0].startswith(RESERVED_PREFIX)]


def diff_table(
    con: duckdb.DuckDBPyConnection, table: PreparedTable, view: str
) -> tuple[str, dict[str, int]]:
    """Classify current rows and input rows into a temp table; return its name and counts."""
    spec = TABLES[table.name]
    have = set(store_columns(con, table.name))
    incoming = set(table.columns)
    union = list(table.columns) + [c for c in store_columns(con, table.name) if c not in incoming]
    on = " AND ".join(f"c.{quote(k)} IS NOT DISTINCT FROM n.{quote(k)}" for k in spec.key)

    def side(alias: str, c: str, present: set[str]) -> str:
        return f"{alias}.{quote(c)}" if c in present else "NULL"

    differs = " OR ".join(
        f"({side('c', c, have)} IS DISTINCT FROM {side('n', c, incoming)})" for c in union
    )
    diff = f"_cnsrwe_diff_{table.name}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {diff} AS
        SELECT c.{COL_RID} AS rid, n.{_ROW_NO} AS n,
               CASE WHEN c.{COL_RID} IS NULL THEN 'added'
                    WHEN n.{_ROW_NO} IS NULL THEN 'removed'
                    WHEN {differs} THEN 'changed' ELSE 'same' END AS status
        FROM (SELECT * FROM {hist_table(table.name)} WHERE {COL_TO} IS NULL) c
        FULL OUTER JOIN {view} n ON {on}"""
    )
    counts = dict.fromkeys(("added", "removed", "changed", "same"), 0)
    for status, n in con.execute(f"SELECT status, count(*) FROM {diff} GROUP BY status").fetchall():
        counts[str(status)] = int(n)
    return diff, counts


def apply_table(
    con: duckdb.DuckDBPyConnection, table: PreparedTable, view: str, diff: str, version: int
) -> None:
    """Close removed/changed row versions and insert added/changed rows as ``version``."""
    hist = hist_table(table.name)
    have = set(store_columns(con, table.name))
    spec = TABLES[table.name]
    for c in table.columns:
        if c not in have:  # an extra column (text), or a format column newer than the file
            kind = DUCKDB_TYPES[spec.column(c).type] if c in spec.column_names else "VARCHAR"
            con.execute(f"ALTER TABLE {hist} ADD COLUMN {quote(c)} {kind}")
    con.execute(
        f"UPDATE {hist} SET {COL_TO} = ? WHERE {COL_TO} IS NULL AND {COL_RID} IN "
        f"(SELECT rid FROM {diff} WHERE status IN ('removed', 'changed'))",
        [version],
    )
    base = fetch_one(con, f"SELECT coalesce(max({COL_RID}) + 1, 0) FROM {hist}")
    cols = ", ".join(quote(c) for c in table.columns)
    con.execute(
        f"INSERT INTO {hist} ({cols}, {COL_FROM}, {COL_TO}, {COL_RID}) "
        f"SELECT {cols}, ?, NULL, ? + {_ROW_NO} FROM {view} "
        f"WHERE {_ROW_NO} IN (SELECT n FROM {diff} WHERE status IN ('added', 'changed'))",
        [version, int(base[0]) if base else 0],
    )
    con.execute(f"DROP TABLE {diff}")


def remove_all(con: duckdb.DuckDBPyConnection, name: str, version: int) -> int:
    """Close every current row of a table the new input no longer has; return how many."""
    hist = hist_table(name)
    row = fetch_one(con, f"SELECT count(*) FROM {hist} WHERE {COL_TO} IS NULL")
    n = int(row[0]) if row else 0
    if n:
        con.execute(f"UPDATE {hist} SET {COL_TO} = ? WHERE {COL_TO} IS NULL", [version])
    return n


def register_inputs(
    con: duckdb.DuckDBPyConnection, prepared: dict[str, PreparedTable]
) -> dict[str, str]:
    """Expose each input frame (with a row number) to DuckDB; return the view names."""
    views = {}
    for name, table in prepared.items():
        view = f"_cnsrwe_in_{name}"
        con.register(view, table.frame.with_row_index(_ROW_NO).to_arrow())
        views[name] = view
    return views


def test_pause_hook() -> Callable[[], None]:
    """Return the crash-test pause (a no-op unless :data:`TEST_HOOK_ENV` is set)."""
    marker = os.environ.get(TEST_HOOK_ENV)
    if not marker:
        return lambda: None

    def pause() -> None:  # pragma: no cover - runs in a subprocess that gets killed
        Path(marker).write_text("paused inside the import transaction\n", encoding="utf-8")
        time.sleep(120)

    return pause


def summarise_changes(
    prepared: dict[str, PreparedTable], counts: dict[str, dict[str, int]]
) -> list[TableChange]:
    """Per-table :class:`TableChange` of a new version (input tables only)."""
    return [
        TableChange(
            table=name,
            n_rows=prepared[name].frame.height,
            added=counts[name]["added"],
            removed=counts[name]["removed"],
            changed=counts[name]["changed"],
            columns=prepared[name].columns,
        )
        for name in TABLES
        if name in prepared
    ]
