"""The physical layout of a cnsrwe study file (an embedded DuckDB database).

Everything the store writes is named here, so the layout can be read in one place and is
documented in ``docs/store.md``.

Tables
------
``cnsrwe_meta``            key/value facts: the file kind marker, store schema version, data
                           format version, creation time, the de-identification mode and key
                           fingerprint.
``cnsrwe_versions``        one row per import version: UTC time, cnsrwe version, user, reason,
                           whether the data were de-identified (and the key fingerprint).
``cnsrwe_version_files``   per version, every source file: file name (no folder), sheet, sha256,
                           rows read.
``cnsrwe_version_tables``  per version and table: whether the input had the table, its ordered
                           column list, row count and the rows added / removed / changed
                           compared with the previous version.
``cnsrwe_audit_log``       the append-only, hash-chained audit trail (see :mod:`.audit`).
``hist_<table>``           every row version of an input table (``hist_patients``, ...): the
                           format columns typed by :data:`cnsrwe.io.schema.DUCKDB_TYPES`, extra
                           columns as VARCHAR, and three internal columns (below).
``<table>``                a view of the current rows of ``hist_<table>``, for people who query
                           the file with DuckDB directly.

Row versioning
--------------
A row version is valid for imports ``version_from <= v < version_to`` (``version_to`` NULL =
still current). An import closes the row versions that were removed or changed
(``version_to = v``) and inserts the added and changed rows with ``version_from = v``; rows that
did not change are not rewritten. Version ``k`` is therefore rebuilt exactly by one filter,
and the file grows with the changes, not with the number of imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnsrwe.io.schema import DUCKDB_TYPES, TABLES

if TYPE_CHECKING:
    import duckdb

#: Value of ``cnsrwe_meta['kind']`` that marks a file as a cnsrwe study.
STORE_KIND = "cnsrwe-study"
#: Version of this physical layout; bump it with a migration when the layout changes.
STORE_SCHEMA_VERSION = 1

COL_FROM = "_cnsrwe_version_from"
COL_TO = "_cnsrwe_version_to"
COL_RID = "_cnsrwe_rid"
INTERNAL_COLUMNS = (COL_FROM, COL_TO, COL_RID)
#: Prefix reserved for internal columns; an input column may not start with it.
RESERVED_PREFIX = "_cnsrwe_"
#: Column of a LoadedStudy table that records the source row; provenance of the file layout,
#: not data, so it is not stored (see docs/store.md).
SOURCE_ROW = "_source_row"


META_DDL = "CREATE TABLE cnsrwe_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
VERSIONS_DDL = """
CREATE TABLE cnsrwe_versions (
    version INTEGER PRIMARY KEY,
    imported_at VARCHAR NOT NULL,
    cnsrwe_version VARCHAR NOT NULL,
    user_name VARCHAR NOT NULL,
    reason VARCHAR,
    deidentified BOOLEAN NOT NULL,
    key_fingerprint VARCHAR
)"""
VERSION_FILES_DDL = """
CREATE TABLE cnsrwe_version_files (
    version INTEGER NOT NULL,
    table_name VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    sheet VARCHAR,
    sha256 VARCHAR NOT NULL,
    n_rows BIGINT NOT NULL
)"""
VERSION_TABLES_DDL = """
CREATE TABLE cnsrwe_version_tables (
    version INTEGER NOT NULL,
    table_name VARCHAR NOT NULL,
    present BOOLEAN NOT NULL,
    columns VARCHAR[] NOT NULL,
    n_rows BIGINT NOT NULL,
    added BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    changed BIGINT NOT NULL
)"""
AUDIT_DDL = """
CREATE TABLE cnsrwe_audit_log (
    seq BIGINT PRIMARY KEY,
    "at" VARCHAR NOT NULL,
    user_name VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    version INTEGER,
    details VARCHAR NOT NULL,
    reason VARCHAR,
    prev_hash VARCHAR NOT NULL,
    row_hash VARCHAR NOT NULL
)"""


def quote(identifier: str) -> str:
    """Quote a DuckDB identifier (column names come from user files)."""
    return '"' + identifier.replace('"', '""') + '"'


def hist_table(name: str) -> str:
    """Name of the row-version table of input table ``name``."""
    return f"hist_{name}"


def hist_ddl(name: str) -> str:
    """``CREATE TABLE`` for the row-version table of the format table ``name``."""
    cols = [f"{quote(c.name)} {DUCKDB_TYPES[c.type]}" for c in TABLES[name].columns]
    cols += [f"{COL_FROM} INTEGER NOT NULL", f"{COL_TO} INTEGER", f"{COL_RID} BIGINT NOT NULL"]
    return f"CREATE TABLE {hist_table(name)} (\n    " + ",\n    ".join(cols) + "\n)"


def all_ddl() -> list[str]:
    """Every statement that creates an empty store."""
    stmts = [META_DDL, VERSIONS_DDL, VERSION_FILES_DDL, VERSION_TABLES_DDL, AUDIT_DDL]
    stmts += [hist_ddl(name) for name in TABLES]
    return stmts


def visible_filter(version: int | None) -> tuple[str, list[int]]:
    """SQL predicate (and parameters) selecting the row versions valid in ``version``."""
    if version is None:
        return f"{COL_TO} IS NULL", []
    return f"{COL_FROM} <= ? AND ({COL_TO} IS NULL OR {COL_TO} > ?)", [version, version]


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    """First row of a query, with the result fully consumed (DuckDB 2 refuses new work on a
    connection while a result is still open)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None
