"""Run :func:`~cnsrwe.derive.pipeline.derive_study` over a study store, in patient chunks,
and write the analysis datasets back as store tables.

Rules
-----
* Input = the **current** import version of the study (``Store.current_version``); its
  number is recorded with the run.
* Patients (from ``patients`` and ``treatments``) are taken in sorted order and cut into
  chunks of ``chunk_patients``; each chunk's rows are read with one range filter per table,
  derived, and appended to the output tables, so memory is bounded by the chunk.
* All ``ad_*`` tables (:data:`~cnsrwe.derive.schemas.AD_SCHEMAS`) are dropped and
  re-created and the ``derive`` audit row is appended **inside one transaction**: an error
  or interruption leaves the previous analysis datasets and audit trail untouched.
* Because the pipeline is per patient and sorts its outputs by their keys, and chunks are
  written in patient order, re-running on an unchanged store writes identical tables,
  whatever the chunk size.
* The audit row names the input version, profiles (with every threshold), BOR rules,
  next-therapy convention, assessment window, progression rule, chunk size, cnsrwe version
  and the rows written per table. It never carries patient identifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import polars as pl

from cnsrwe import __version__
from cnsrwe.criteria import CriteriaProfile, get_profile
from cnsrwe.derive.pipeline import (
    DEFAULT_PROFILES,
    DEFAULT_TTE_ENDPOINTS,
    DEFAULT_WINDOW_DAYS,
    INPUT_COLUMNS,
    derive_study,
)
from cnsrwe.derive.reference import NextTherapy
from cnsrwe.derive.schemas import AD_SCHEMAS
from cnsrwe.errors import StoreError
from cnsrwe.io.schema import TABLES
from cnsrwe.response import RECIST_BOR, RECIST_CONFIRMED_BOR, BorRule, ProgressionRule
from cnsrwe.store import Store
from cnsrwe.store.audit import append_audit
from cnsrwe.store.layout import hist_table, quote, visible_filter

DEFAULT_CHUNK_PATIENTS = 2000

_DUCKDB = {
    pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Float64: "DOUBLE", pl.Date: "DATE",
    pl.Boolean: "BOOLEAN",
}  # fmt: skip


@dataclass(frozen=True)
class DeriveRun:
    """What one ``cnsrwe derive`` run did (counts only, no identifiers)."""

    input_version: int
    n_patients: int
    n_chunks: int
    rows: dict[str, int]
    audit_hash: str


def _ddl(name: str) -> str:
    cols = ", ".join(f"{quote(c)} {_DUCKDB[type(t)]}" for c, t in AD_SCHEMAS[name].items())
    return f"CREATE TABLE {quote(name)} ({cols})"


def _columns(store: Store, version: int) -> dict[str, list[str]]:
    rows = store.sql(
        "SELECT table_name, columns FROM cnsrwe_version_tables WHERE version = ? AND present",
        params=[version],
    )
    return {r["table_name"]: list(r["columns"]) for r in rows.iter_rows(named=True)}


def _patients(store: Store, version: int, present: dict[str, list[str]]) -> list[str]:
    where, params = visible_filter(version)
    parts = [
        f"SELECT patient_id FROM {hist_table(t)} WHERE {where}"
        for t in ("patients", "treatments") if t in present
    ]  # fmt: skip
    sql = " UNION ".join(parts) + " ORDER BY patient_id"
    return store.sql(f"SELECT DISTINCT patient_id FROM ({sql})", params=params * len(parts))[
        "patient_id"
    ].sort().to_list()


def _read_chunk(
    store: Store, version: int, present: dict[str, list[str]], first: str, last: str
) -> dict[str, pl.DataFrame]:
    where, params = visible_filter(version)
    out = {}
    for name, wanted in INPUT_COLUMNS.items():
        if name not in present:
            continue
        cols = ", ".join(quote(c) for c in present[name] if c in wanted)
        sql = (f"SELECT {cols} FROM {hist_table(name)} WHERE {where} "
               "AND patient_id BETWEEN ? AND ?")  # fmt: skip
        out[name] = store.sql(sql, params=[*params, first, last])
    return out


def _chunks(patients: list[str], size: int) -> Iterator[tuple[str, str, int]]:
    for i in range(0, len(patients), size):
        block = patients[i : i + size]
        yield block[0], block[-1], len(block)


def derive_into_store(
    store: Store,
    *,
    profiles: Sequence[str | CriteriaProfile] = DEFAULT_PROFILES,
    bor_rules: Sequence[BorRule] = (RECIST_BOR, RECIST_CONFIRMED_BOR),
    next_therapy: NextTherapy = "systemic",
    assessment_window_days: int = DEFAULT_WINDOW_DAYS,
    progression_rule: ProgressionRule | None = None,
    chunk_patients: int = DEFAULT_CHUNK_PATIENTS,
    reason: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> DeriveRun:
    """Derive the analysis datasets of the study's current version and store them.

    Parameters are those of :func:`~cnsrwe.derive.pipeline.derive_study`, plus
    ``chunk_patients`` (patients per chunk), ``reason`` (free text for the audit row) and
    ``on_progress(done_patients, total_patients)``.
    """
    if isinstance(chunk_patients, bool) or not isinstance(chunk_patients, int) or (
        chunk_patients < 1
    ):
        msg = f"`chunk_patients` must be a whole number >= 1, got {chunk_patients!r}"
        raise ValueError(msg)
    profs = [p if isinstance(p, CriteriaProfile) else get_profile(p) for p in profiles]
    version = store.current_version()
    if version is None:
        msg = f"the study {store.path.name!r} has no import yet; run `cnsrwe import` first"
        raise StoreError(msg)
    present = _columns(store, version)
    if "treatments" not in present:
        have = ", ".join(t for t in TABLES if t in present) or "none"
        msg = f"version {version} of the study has no `treatments` table (tables: {have})"
        raise StoreError(msg)
    patients = _patients(store, version, present)
    rows = dict.fromkeys(AD_SCHEMAS, 0)
    n_chunks = 0
    rule = progression_rule or ProgressionRule()
    with store.transaction() as con:
        for name in AD_SCHEMAS:
            con.execute(f"DROP TABLE IF EXISTS {quote(name)}")
            con.execute(_ddl(name))
        done = 0
        for first, last, n in _chunks(patients, chunk_patients):
            tables = _read_chunk(store, version, present, first, last)
            result = derive_study(
                tables, profiles=profs, bor_rules=bor_rules, next_therapy=next_therapy,
                assessment_window_days=assessment_window_days, progression_rule=rule,
            )  # fmt: skip
            for name, df in result.as_tables().items():
                if df.height:
                    con.register("__cnsrwe_chunk", df.to_arrow())
                    con.execute(f"INSERT INTO {quote(name)} SELECT * FROM __cnsrwe_chunk")
                    con.unregister("__cnsrwe_chunk")
                rows[name] += df.height
            n_chunks += 1
            done += n
            if on_progress is not None:
                on_progress(done, len(patients))
        details = {
            "input_version": version,
            "cnsrwe_version": __version__,
            "profiles": {p.name: p.to_dict() for p in profs},
            "bor_rules": {r.name: r.as_dict() for r in bor_rules},
            "next_therapy": next_therapy,
            "assessment_window_days": assessment_window_days,
            "progression_rule": rule.as_dict(),
            "tte_endpoints": list(DEFAULT_TTE_ENDPOINTS),
            "chunk_patients": chunk_patients,
            "patients": len(patients),
            "tables": rows,
        }
        digest = append_audit(con, action="derive", version=version, details=details,
                              reason=reason)  # fmt: skip
    return DeriveRun(version, len(patients), n_chunks, rows, digest)
