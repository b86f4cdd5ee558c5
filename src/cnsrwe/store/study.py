"""The embedded study store: one DuckDB file holding every import version of a study.

>>> with Store.create("study.duckdb") as store:          # doctest: +SKIP
...     result = store.import_study(load_study("data/"), reason="first export")
...     patients = store.read_table("patients")

The file layout is described in :mod:`cnsrwe.store.layout` and ``docs/store.md``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import duckdb
import polars as pl

from cnsrwe import __version__
from cnsrwe._checks import assert_in
from cnsrwe.errors import StoreError
from cnsrwe.io.deidentify import DeidentifiedStudy
from cnsrwe.io.schema import FORMAT_VERSION, TABLES
from cnsrwe.store import importer
from cnsrwe.store.audit import (
    AuditCheck,
    AuditEntry,
    append_audit,
    current_user,
    read_audit,
    utc_now,
    verify_audit_chain,
)
from cnsrwe.store.layout import (
    COL_RID,
    COL_TO,
    STORE_KIND,
    STORE_SCHEMA_VERSION,
    all_ddl,
    fetch_one,
    hist_table,
    quote,
    visible_filter,
)
from cnsrwe.store.versions import (
    ImportResult,
    TableChange,
    VersionInfo,
    changed_keys,
    read_versions,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from cnsrwe.io.loaded import LoadedStudy


class Store:
    """A cnsrwe study file. Use :meth:`create` or :meth:`open`, ideally in a ``with`` block."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only

    # --- opening and closing ------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> Self:
        """Create a new, empty study file at ``path`` (refuses an existing file)."""
        target = Path(path)
        if target.exists():
            msg = f"`path` already exists, refusing to overwrite it, got {str(target)!r}"
            raise StoreError(msg)
        if not target.parent.is_dir():
            msg = f"the folder of `path` does not exist, got {str(target)!r}"
            raise StoreError(msg)
        con = duckdb.connect(str(target))
        try:
            con.execute("BEGIN TRANSACTION")
            for stmt in all_ddl():
                con.execute(stmt)
            now = utc_now()
            meta = {
                "kind": STORE_KIND,
                "store_schema_version": str(STORE_SCHEMA_VERSION),
                "data_format_version": str(FORMAT_VERSION),
                "created_at": now,
                "created_by_cnsrwe": __version__,
            }
            con.executemany("INSERT INTO cnsrwe_meta VALUES (?, ?)", list(meta.items()))
            store = cls(con, target, read_only=False)
            store._refresh_views({})
            details = {"store_schema_version": STORE_SCHEMA_VERSION}
            append_audit(con, action="create", version=None, details=details, reason=None, at=now)
            con.execute("COMMIT")
        except BaseException:
            con.close()
            target.unlink(missing_ok=True)
            Path(str(target) + ".wal").unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False) -> Self:
        """Open an existing study file; refuse files that are not cnsrwe studies."""
        target = Path(path)
        if not target.is_file():
            msg = f"`path` is not an existing study file, got {str(target)!r}"
            raise StoreError(msg)
        try:
            con = duckdb.connect(str(target), read_only=read_only)
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                msg = f"the study file is in use by another process, got {str(target)!r}"
            else:
                msg = f"`path` is not a cnsrwe study (not a DuckDB file), got {str(target)!r}"
            raise StoreError(msg) from exc
        try:
            meta = dict(con.execute("SELECT key, value FROM cnsrwe_meta").fetchall())
        except duckdb.Error:
            meta = {}
        if meta.get("kind") != STORE_KIND:
            con.close()
            msg = f"`path` is not a cnsrwe study (no cnsrwe metadata), got {str(target)!r}"
            raise StoreError(msg)
        found = int(meta.get("store_schema_version", "0"))
        if found > STORE_SCHEMA_VERSION:
            con.close()
            msg = (
                f"the study file uses store schema version {found}, newer than this cnsrwe"
                f" ({__version__}) reads (up to {STORE_SCHEMA_VERSION}); upgrade cnsrwe"
            )
            raise StoreError(msg)
        return cls(con, target, read_only=read_only)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """The ``cnsrwe_meta`` facts (kind, versions, mode, key fingerprint, audit head)."""
        return dict(self._con.execute("SELECT key, value FROM cnsrwe_meta").fetchall())

    def versions(self) -> list[VersionInfo]:
        """Every import version, oldest first."""
        return read_versions(self._con)

    def current_version(self) -> int | None:
        """Number of the latest version, or ``None`` before the first import."""
        row = fetch_one(self._con, "SELECT max(version) FROM cnsrwe_versions")
        return None if row is None or row[0] is None else int(row[0])

    def _resolve_version(self, version: int | None) -> int:
        current = self.current_version()
        if current is None:
            msg = f"the study {self.path.name!r} has no import yet; run `cnsrwe import` first"
            raise StoreError(msg)
        if version is None:
            return current
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= current:
            msg = f"`version` must be an integer between 1 and {current}, got {version!r}"
            raise ValueError(msg)
        return version

    def _table_columns(self, version: int) -> dict[str, list[str]]:
        rows = self._con.execute(
            "SELECT table_name, columns FROM cnsrwe_version_tables WHERE version = ? AND present",
            [version],
        ).fetchall()
        return {str(t): list(cols) for t, cols in rows}

    def tables(self, *, version: int | None = None) -> list[str]:
        """Tables the given (default: current) version holds, in format order."""
        if self.current_version() is None:
            return []
        present = self._table_columns(self._resolve_version(version))
        return [name for name in TABLES if name in present]

    def read_table(self, name: str, *, version: int | None = None) -> pl.DataFrame:
        """Rows of table ``name`` in ``version`` (default: current), sorted by the table key.

        Columns are those of that version's input (format columns, then extra columns as
        text); internal columns are not returned. Raises ``StoreError`` if that version's input
        had no such table.
        """
        assert_in("name", name, tuple(TABLES))
        v = self._resolve_version(version)
        columns = self._table_columns(v)
        if name not in columns:
            have = ", ".join(columns) or "none"
            msg = f"table `{name}` is not in version {v} of the study (tables: {have})"
            raise StoreError(msg)
        where, params = visible_filter(v)
        cols = ", ".join(quote(c) for c in columns[name])
        order = ", ".join(f"{quote(k)} NULLS FIRST" for k in TABLES[name].key)
        sql = f"SELECT {cols} FROM {hist_table(name)} WHERE {where} ORDER BY {order}, {COL_RID}"
        return self._con.sql(sql, params=params).pl()

    def changed_keys(self, version: int) -> dict[str, pl.DataFrame]:
        """Keys added/removed/changed by ``version`` (identifiers: show only on request)."""
        return changed_keys(self._con, self._resolve_version(version))

    def audit(self) -> list[AuditEntry]:
        """The audit trail, oldest first."""
        return read_audit(self._con)

    def verify_audit(self) -> AuditCheck:
        """Check the audit hash chain (see :mod:`cnsrwe.store.audit`)."""
        return verify_audit_chain(self._con)

    def sql(self, query: str, params: list[Any] | None = None) -> pl.DataFrame:
        """Run a read query against the file (for summaries and expert use)."""
        return self._con.sql(query, params=params).pl()

    # --- writing ------------------------------------------------------------------------

    def _check_mode(self, loaded: LoadedStudy) -> tuple[bool, str | None]:
        meta = self.meta()
        deid = isinstance(loaded, DeidentifiedStudy)
        fingerprint = loaded.key_fingerprint if isinstance(loaded, DeidentifiedStudy) else None
        mode = meta.get("mode")
        if mode == "deidentified" and not deid:
            msg = (
                "this study holds de-identified data; import with --deidentify and the same"
                " key file, got identified data"
            )
            raise StoreError(msg)
        if mode == "identified" and deid:
            msg = "this study holds identified data; it cannot take de-identified imports"
            raise StoreError(msg)
        if deid and mode == "deidentified" and meta.get("key_fingerprint") != fingerprint:
            msg = (
                "the key differs from the key this study was de-identified with (fingerprint"
                f" {meta.get('key_fingerprint')}), got fingerprint {fingerprint}"
            )
            raise StoreError(msg)
        return deid, fingerprint

    def import_study(self, loaded: LoadedStudy, *, reason: str | None = None) -> ImportResult:
        """Import ``loaded`` as a new version, all or nothing (rules: :mod:`.importer`)."""
        if self.read_only:
            msg = f"the study {self.path.name!r} was opened read-only; cannot import"
            raise StoreError(msg)
        if reason is not None and not isinstance(reason, str):
            msg = f"`reason` must be a string or None, got {type(reason).__name__}"
            raise TypeError(msg)
        prepared = importer.prepare_tables(loaded)
        deid, fingerprint = self._check_mode(loaded)
        files = importer.file_records(loaded)
        con = self._con
        views = importer.register_inputs(con, prepared)
        pause = importer.test_pause_hook()
        try:
            con.execute("BEGIN TRANSACTION")
            result = self._import_in_transaction(
                prepared, views, files, deid, fingerprint, reason, pause
            )
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # already rolled back or never begun
                con.execute("ROLLBACK")
            raise
        finally:
            for view in views.values():
                con.unregister(view)
        return result

    def _import_in_transaction(
        self,
        prepared: dict[str, importer.PreparedTable],
        views: dict[str, str],
        files: list[Any],
        deid: bool,
        fingerprint: str | None,
        reason: str | None,
        pause: Callable[[], None],
    ) -> ImportResult:
        con = self._con
        current = self.current_version()
        version = 1 if current is None else current + 1
        previous = read_versions(con)[-1] if current is not None else None
        diffs: dict[str, str] = {}
        counts: dict[str, dict[str, int]] = {}
        for name, table in prepared.items():
            diffs[name], counts[name] = importer.diff_table(con, table, views[name])
        dropped = {}
        for name in TABLES:
            if name not in prepared:
                row = fetch_one(
                    con, f"SELECT count(*) FROM {hist_table(name)} WHERE {COL_TO} IS NULL"
                )
                dropped[name] = int(row[0]) if row else 0
        changes = importer.summarise_changes(prepared, counts)
        if previous is not None and self._same_as(previous, changes, files):
            con.execute("ROLLBACK")
            return ImportResult("unchanged", current, tuple(changes))
        first = True
        for name, table in prepared.items():
            importer.apply_table(con, table, views[name], diffs[name], version)
            if first:
                pause()
                first = False
        removed_tables = []
        for name, n in dropped.items():
            was_present = previous is not None and any(
                t.table == name and t.present for t in previous.tables
            )
            if n or was_present:
                importer.remove_all(con, name, version)
                removed_tables.append(TableChange(name, 0, 0, n, 0, (), present=False))
        all_changes = changes + removed_tables
        self._record_version(version, all_changes, files, deid, fingerprint, reason)
        self._refresh_views({c.table: list(c.columns) for c in changes})
        con.execute("COMMIT")
        status = "created" if version == 1 else "updated"
        return ImportResult(status, version, tuple(all_changes))

    @staticmethod
    def _same_as(previous: VersionInfo, changes: list[TableChange], files: list[Any]) -> bool:
        if any(c.is_changed for c in changes):
            return False
        before = {t.table: t.columns for t in previous.tables if t.present}
        now = {c.table: c.columns for c in changes}
        return before == now and set(previous.files) == set(files)

    def _record_version(
        self,
        version: int,
        changes: list[TableChange],
        files: list[Any],
        deid: bool,
        fingerprint: str | None,
        reason: str | None,
    ) -> None:
        con = self._con
        now = utc_now()
        con.execute(
            "INSERT INTO cnsrwe_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
            [version, now, __version__, current_user(), reason, deid, fingerprint],
        )
        if files:
            con.executemany(
                "INSERT INTO cnsrwe_version_files VALUES (?, ?, ?, ?, ?, ?)",
                [[version, f.table, f.file_name, f.sheet, f.sha256, f.n_rows] for f in files],
            )
        con.executemany(
            "INSERT INTO cnsrwe_version_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    version,
                    c.table,
                    c.present,
                    list(c.columns),
                    c.n_rows,
                    c.added,
                    c.removed,
                    c.changed,
                ]
                for c in changes
            ],
        )
        if version == 1:
            mode = "deidentified" if deid else "identified"
            con.execute("INSERT OR REPLACE INTO cnsrwe_meta VALUES ('mode', ?)", [mode])
            if fingerprint:
                con.execute(
                    "INSERT OR REPLACE INTO cnsrwe_meta VALUES ('key_fingerprint', ?)",
                    [fingerprint],
                )
        details = {
            "tables": {
                c.table: {
                    "rows": c.n_rows,
                    "added": c.added,
                    "removed": c.removed,
                    "changed": c.changed,
                }
                for c in changes
            },
            "files": [{"table": f.table, "file": f.file_name, "sha256": f.sha256} for f in files],
        }
        if fingerprint:
            details["key_fingerprint"] = fingerprint
        action = "deidentified_import" if deid else "import"
        append_audit(con, action=action, version=version, details=details, reason=reason, at=now)

    def record_action(
        self,
        action: str,
        *,
        details: dict[str, Any],
        reason: str | None = None,
        version: int | None = None,
    ) -> str:
        """Append one audit row for an action on the study (e.g. ``"derive"``).

        ``details`` must be JSON-serialisable and must not hold patient identifiers (counts,
        parameters, output names and digests only). Returns the new row's hash.
        """
        with self.transaction() as con:
            return append_audit(
                con, action=action, version=version, details=details, reason=reason
            )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction for a later layer (e.g. ``cnsrwe derive`` writing ``ad_*``
        tables with its audit row): COMMIT when the block ends, ROLLBACK on any error, so
        the file holds all of the block's writes or none of them."""
        if self.read_only:
            msg = f"the study {self.path.name!r} was opened read-only; cannot write"
            raise StoreError(msg)
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise

    def _refresh_views(self, columns: dict[str, list[str]]) -> None:
        """Point each ``<table>`` view at the current rows and that version's columns."""
        for name, spec in TABLES.items():
            cols = columns.get(name) or list(spec.column_names)
            listing = ", ".join(quote(c) for c in cols)
            self._con.execute(
                f"CREATE OR REPLACE VIEW {quote(name)} AS SELECT {listing} "
                f"FROM {hist_table(name)} WHERE {COL_TO} IS NULL"
            )
