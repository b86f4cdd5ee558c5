"""The embedded DuckDB study store: versioned imports, provenance and an audit trail."""

from __future__ import annotations

from cnsrwe.store.audit import AuditCheck, AuditEntry
from cnsrwe.store.study import Store
from cnsrwe.store.summary import StudySummary, summarize_study
from cnsrwe.store.versions import FileRecord, ImportResult, TableChange, VersionInfo

__all__ = [
    "AuditCheck",
    "AuditEntry",
    "FileRecord",
    "ImportResult",
    "Store",
    "StudySummary",
    "TableChange",
    "VersionInfo",
    "summarize_study",
]
