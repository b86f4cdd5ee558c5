"""Import versions of a study file: what each import brought, and which keys it changed.

A version records its provenance (UTC time, cnsrwe version, user, reason, source files with
their sha256) and, per table, how many rows were added, removed or changed compared with the
version before it, keyed on :attr:`cnsrwe.io.schema.Table.key`. The changed keys themselves are
not stored twice: :func:`changed_keys` rebuilds them from the row versions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from cnsrwe.io.schema import TABLES
from cnsrwe.store.layout import COL_FROM, COL_TO, hist_table, quote

if TYPE_CHECKING:
    import duckdb

ImportStatus = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class FileRecord:
    """One source file of a version (file name only, never the folder)."""

    table: str
    file_name: str
    sheet: str | None
    sha256: str
    n_rows: int


@dataclass(frozen=True)
class TableChange:
    """Rows of one table in one version and the change from the version before."""

    table: str
    n_rows: int
    added: int
    removed: int
    changed: int
    columns: tuple[str, ...] = ()
    present: bool = True

    @property
    def is_changed(self) -> bool:
        """True if any row was added, removed or changed."""
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class VersionInfo:
    """One import version and its provenance."""

    version: int
    imported_at: str
    cnsrwe_version: str
    user_name: str
    reason: str | None
    deidentified: bool
    key_fingerprint: str | None
    files: tuple[FileRecord, ...]
    tables: tuple[TableChange, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for ``--format json``."""
        return asdict(self)


@dataclass(frozen=True)
class ImportResult:
    """What :meth:`cnsrwe.store.Store.import_study` did.

    ``status`` is ``"created"`` for the first version, ``"updated"`` for a later one and
    ``"unchanged"`` when the input equals the current version (nothing was written).
    """

    status: ImportStatus
    version: int | None
    tables: tuple[TableChange, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for ``--format json``."""
        return asdict(self)


def read_versions(con: duckdb.DuckDBPyConnection) -> list[VersionInfo]:
    """Every version of the store, oldest first."""
    files: dict[int, list[FileRecord]] = {}
    for v, t, name, sheet, sha, n in con.execute(
        "SELECT version, table_name, file_name, sheet, sha256, n_rows FROM cnsrwe_version_files "
        "ORDER BY version, table_name, file_name"
    ).fetchall():
        files.setdefault(int(v), []).append(FileRecord(t, name, sheet, sha, int(n)))
    order = {name: i for i, name in enumerate(TABLES)}
    tables: dict[int, list[TableChange]] = {}
    for v, t, present, cols, n, a, r, c in con.execute(
        "SELECT version, table_name, present, columns, n_rows, added, removed, changed "
        "FROM cnsrwe_version_tables ORDER BY version"
    ).fetchall():
        tables.setdefault(int(v), []).append(
            TableChange(t, int(n), int(a), int(r), int(c), tuple(cols), bool(present))
        )
    out = []
    for row in con.execute(
        "SELECT version, imported_at, cnsrwe_version, user_name, reason, deidentified, "
        "key_fingerprint FROM cnsrwe_versions ORDER BY version"
    ).fetchall():
        v = int(row[0])
        tabs = sorted(tables.get(v, []), key=lambda tc: order.get(tc.table, len(order)))
        out.append(
            VersionInfo(
                version=v,
                imported_at=row[1],
                cnsrwe_version=row[2],
                user_name=row[3],
                reason=row[4],
                deidentified=bool(row[5]),
                key_fingerprint=row[6],
                files=tuple(files.get(v, [])),
                tables=tuple(tabs),
            )
        )
    return out


def changed_keys(con: duckdb.DuckDBPyConnection, version: int) -> dict[str, pl.DataFrame]:
    """Keys added, removed or changed by ``version``, per table.

    Each frame has the table's key columns and a ``change`` column (``added`` / ``removed`` /
    ``changed``), sorted by change and key. These are patient identifiers (or pseudonyms):
    show them only when a person asks for them.
    """
    out: dict[str, pl.DataFrame] = {}
    for name, table in TABLES.items():
        keys = ", ".join(quote(k) for k in table.key)
        on = " AND ".join(f"n.{quote(k)} IS NOT DISTINCT FROM o.{quote(k)}" for k in table.key)
        hist = hist_table(name)
        coalesced = ", ".join(
            f"coalesce(n.{quote(k)}, o.{quote(k)}) AS {quote(k)}" for k in table.key
        )
        sql = f"""
        SELECT {coalesced},
               CASE WHEN o._m IS NULL THEN 'added' WHEN n._m IS NULL THEN 'removed'
                    ELSE 'changed' END AS change
        FROM (SELECT {keys}, 1 AS _m FROM {hist} WHERE {COL_FROM} = $v) n
        FULL OUTER JOIN (SELECT {keys}, 1 AS _m FROM {hist} WHERE {COL_TO} = $v) o ON {on}
        ORDER BY change, {keys}
        """
        frame = con.sql(sql, params={"v": version}).pl()
        if frame.height:
            out[name] = frame
    return out
