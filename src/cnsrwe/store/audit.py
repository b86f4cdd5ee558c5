"""The append-only, hash-chained audit trail of a study file.

Rule
----
Every action that changes a study file (``create``, ``import``, ``deidentified_import``, and
later ``derive`` ...) appends one row to ``cnsrwe_audit_log``; cnsrwe never updates or deletes a
row of it. Each row stores ``prev_hash`` (the ``row_hash`` of the row before it, or 64 zeros for
the first row) and ``row_hash = SHA-256(prev_hash || canonical JSON of the row's fields)``.
Editing, reordering or deleting any row but the last breaks the chain, and
:func:`verify_audit_chain` finds the first broken row. The number of rows and the last hash are
also kept in ``cnsrwe_meta`` so that cutting rows off the end is detected too, unless the
metadata were edited consistently as well: a hash chain inside a file the attacker can rewrite
detects accidents and casual edits, not a determined forger (for that, copy the last hash
somewhere else, e.g. into the study's lab book; ``cnsrwe history`` prints it).

Details never carry patient identifiers: only counts, table names, file names and hashes.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cnsrwe.store.layout import fetch_one

if TYPE_CHECKING:
    import duckdb

GENESIS_HASH = "0" * 64

#: Actions an audit row may record.
ACTIONS = ("create", "import", "deidentified_import", "derive")


def utc_now() -> str:
    """The current UTC time as ISO 8601 text with microseconds and a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def current_user() -> str:
    """Login name of the person running cnsrwe (``"unknown"`` if the OS cannot tell)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry (containers)
        return "unknown"


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail."""

    seq: int
    at: str
    user_name: str
    action: str
    version: int | None
    details: dict[str, Any]
    reason: str | None
    prev_hash: str
    row_hash: str


@dataclass(frozen=True)
class AuditCheck:
    """Result of :func:`verify_audit_chain`: ``ok`` and, if not, what broke where."""

    ok: bool
    n_rows: int
    last_hash: str
    problem: str | None = None


def _canonical(
    seq: int,
    at: str,
    user_name: str,
    action: str,
    version: int | None,
    details: str,
    reason: str | None,
) -> bytes:
    payload = [seq, at, user_name, action, version, details, reason]
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def row_hash(
    prev_hash: str,
    seq: int,
    at: str,
    user_name: str,
    action: str,
    version: int | None,
    details: str,
    reason: str | None,
) -> str:
    """SHA-256 of the previous hash followed by the canonical JSON of the row's fields."""
    body = _canonical(seq, at, user_name, action, version, details, reason)
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def append_audit(
    con: duckdb.DuckDBPyConnection,
    *,
    action: str,
    version: int | None,
    details: dict[str, Any],
    reason: str | None,
    at: str | None = None,
    user_name: str | None = None,
) -> str:
    """Append one audit row inside the caller's transaction; return its hash."""
    if action not in ACTIONS:
        msg = f"`action` must be one of {', '.join(map(repr, ACTIONS))}, got {action!r}"
        raise ValueError(msg)
    last = fetch_one(con, "SELECT seq, row_hash FROM cnsrwe_audit_log ORDER BY seq DESC LIMIT 1")
    seq, prev = (0, GENESIS_HASH) if last is None else (int(last[0]) + 1, str(last[1]))
    at = at or utc_now()
    user_name = user_name or current_user()
    details_text = json.dumps(details, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    digest = row_hash(prev, seq, at, user_name, action, version, details_text, reason)
    con.execute(
        "INSERT INTO cnsrwe_audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, user_name, action, version, details_text, reason, prev, digest],
    )
    con.execute(
        "INSERT OR REPLACE INTO cnsrwe_meta VALUES ('audit_rows', ?), ('audit_head', ?)",
        [str(seq + 1), digest],
    )
    return digest


def read_audit(con: duckdb.DuckDBPyConnection) -> list[AuditEntry]:
    """Every audit row in order."""
    rows = con.execute(
        'SELECT seq, "at", user_name, action, version, details, reason, prev_hash, row_hash '
        "FROM cnsrwe_audit_log ORDER BY seq"
    ).fetchall()
    return [
        AuditEntry(
            seq=int(r[0]),
            at=str(r[1]),
            user_name=str(r[2]),
            action=str(r[3]),
            version=None if r[4] is None else int(r[4]),
            details=json.loads(r[5]),
            reason=r[6],
            prev_hash=str(r[7]),
            row_hash=str(r[8]),
        )
        for r in rows
    ]


def verify_audit_chain(con: duckdb.DuckDBPyConnection) -> AuditCheck:
    """Recompute the hash chain and compare it with the stored hashes and metadata."""
    rows = con.execute(
        'SELECT seq, "at", user_name, action, version, details, reason, prev_hash, row_hash '
        "FROM cnsrwe_audit_log ORDER BY seq"
    ).fetchall()
    prev = GENESIS_HASH
    for i, (seq, at, user, action, version, details, reason, stored_prev, stored) in enumerate(
        rows
    ):
        if seq != i:
            return AuditCheck(False, len(rows), prev, f"audit row {i} is missing (found seq {seq})")
        if stored_prev != prev:
            return AuditCheck(False, len(rows), prev, f"audit row {seq}: previous hash differs")
        expected = row_hash(prev, seq, at, user, action, version, details, reason)
        if expected != stored:
            return AuditCheck(False, len(rows), prev, f"audit row {seq} was altered")
        prev = expected
    meta = dict(
        con.execute(
            "SELECT key, value FROM cnsrwe_meta WHERE key IN ('audit_rows', 'audit_head')"
        ).fetchall()
    )
    if meta.get("audit_rows") != str(len(rows)) or meta.get("audit_head") != prev:
        return AuditCheck(
            False, len(rows), prev, "the audit trail does not end where the metadata say"
        )
    return AuditCheck(True, len(rows), prev)
