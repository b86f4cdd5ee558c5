"""What both scale engines share: the derivation settings and the Parquet result layout.

Layout of a result folder (the same for the embedded engine and for Spark)::

    <output>/ad_reference/part-00000.parquet ...
    <output>/ad_timepoints/part-00000.parquet ...
    ...                                  one folder per table of AD_SCHEMAS
    <output>/_cnsrwe_run.json            settings and row counts (never identifiers)

Every part has the Arrow schema of :data:`AD_ARROW_SCHEMAS` (the ``AD_SCHEMAS`` of
:mod:`cnsrwe.derive.schemas`). :func:`read_results` reads a result folder back as polars
frames sorted exactly as :func:`~cnsrwe.derive.pipeline.derive_study` sorts them, so the
output of either engine can be compared row for row with a single in-memory run.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from cnsrwe.criteria import CriteriaProfile, get_profile
from cnsrwe.derive.pipeline import (
    DEFAULT_PROFILES,
    DEFAULT_TTE_ENDPOINTS,
    DEFAULT_WINDOW_DAYS,
    AnalysisDatasets,
    derive_study,
)
from cnsrwe.derive.reference import NextTherapy
from cnsrwe.derive.schemas import AD_KEYS, AD_SCHEMAS, finish
from cnsrwe.response import RECIST_BOR, RECIST_CONFIRMED_BOR, BorRule, ProgressionRule

RUN_FILE = "_cnsrwe_run.json"

_ARROW = {
    pl.String: pa.string(), pl.Int64: pa.int64(), pl.Float64: pa.float64(),
    pl.Date: pa.date32(), pl.Boolean: pa.bool_(),
}  # fmt: skip

#: Arrow schema of each analysis dataset (plain ``string``, as Spark writes it).
AD_ARROW_SCHEMAS: dict[str, pa.Schema] = {
    name: pa.schema([pa.field(c, _ARROW[type(t)]) for c, t in cols.items()])
    for name, cols in AD_SCHEMAS.items()
}


#: Environment of the processes that derive chunks (the embedded engine's workers; the
#: Python workers of a local Spark session). One polars thread each (many small per-chunk
#: operations parallelise better across processes than across threads). The allocators
#: keep freed memory for the next chunk instead of handing it back to the system and
#: faulting it in again: polars' jemalloc purges unused pages after 60 s instead of its
#: default 0.5-1 s, and glibc's malloc (numpy's arrays) serves large blocks from its heap
#: instead of a fresh ``mmap`` each and trims the heap only above 1 GiB. Each chunk is
#: about the size of the last, so a worker's resident memory stays at one chunk's
#: high-water mark. Measured on a 100,000-patient study (20 chunks in one worker process):
#: minor page faults 0.70 M -> 0.13-0.14 M, user + system CPU 13.5 s -> 11.0-11.8 s.
WORKER_ENVIRONMENT: dict[str, str] = {
    "POLARS_MAX_THREADS": "1",
    "_RJEM_MALLOC_CONF": "dirty_decay_ms:60000,muzzy_decay_ms:60000",
    "MALLOC_MMAP_THRESHOLD_": str(1 << 30),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
    "MALLOC_TOP_PAD_": str(64 << 20),
}


#: What importing polars writes first into ``_RJEM_MALLOC_CONF`` (polars/__init__.py); what
#: follows it is the user's own setting.
_POLARS_JEMALLOC_DEFAULTS = "dirty_decay_ms:500,muzzy_decay_ms:1000"


def worker_jemalloc_conf(found: str | None) -> str:
    """``_RJEM_MALLOC_CONF`` for a worker: :data:`WORKER_ENVIRONMENT`'s settings, then the
    user's own from ``found`` (this process's value; later settings win)."""
    user = found or ""
    if user.startswith(_POLARS_JEMALLOC_DEFAULTS):
        user = user[len(_POLARS_JEMALLOC_DEFAULTS):].lstrip(",")
    return ",".join(x for x in (WORKER_ENVIRONMENT["_RJEM_MALLOC_CONF"], user) if x)


@dataclass(frozen=True)
class DeriveSettings:
    """The parameters of :func:`~cnsrwe.derive.pipeline.derive_study`, shipped to workers."""

    profiles: tuple[CriteriaProfile, ...] = field(
        default_factory=lambda: tuple(get_profile(p) for p in DEFAULT_PROFILES)
    )
    bor_rules: tuple[BorRule, ...] = (RECIST_BOR, RECIST_CONFIRMED_BOR)
    next_therapy: NextTherapy = "systemic"
    assessment_window_days: int = DEFAULT_WINDOW_DAYS
    progression_rule: ProgressionRule = field(default_factory=ProgressionRule)

    @classmethod
    def make(
        cls, *, profiles: Sequence[str | CriteriaProfile] = DEFAULT_PROFILES,
        bor_rules: Sequence[BorRule] = (RECIST_BOR, RECIST_CONFIRMED_BOR),
        next_therapy: NextTherapy = "systemic",
        assessment_window_days: int = DEFAULT_WINDOW_DAYS,
        progression_rule: ProgressionRule | None = None,
    ) -> DeriveSettings:
        """Settings from profile names or objects (checked by a run on no patients)."""
        profs = tuple(p if isinstance(p, CriteriaProfile) else get_profile(p) for p in profiles)
        out = cls(profs, tuple(bor_rules), next_therapy, assessment_window_days,
                  progression_rule or ProgressionRule())  # fmt: skip
        out.derive({"treatments": _EMPTY_TREATMENTS})
        return out

    def derive(self, tables: Mapping[str, pl.DataFrame]) -> AnalysisDatasets:
        """Run :func:`~cnsrwe.derive.pipeline.derive_study` with these settings."""
        return derive_study(
            tables, profiles=self.profiles, bor_rules=self.bor_rules,
            next_therapy=self.next_therapy, assessment_window_days=self.assessment_window_days,
            progression_rule=self.progression_rule,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """Every setting with all thresholds (for the run file and audit rows)."""
        return {
            "profiles": {p.name: p.to_dict() for p in self.profiles},
            "bor_rules": {r.name: r.as_dict() for r in self.bor_rules},
            "next_therapy": self.next_therapy,
            "assessment_window_days": self.assessment_window_days,
            "progression_rule": self.progression_rule.as_dict(),
            "tte_endpoints": list(DEFAULT_TTE_ENDPOINTS),
        }


_EMPTY_TREATMENTS = pl.DataFrame(schema={
    "patient_id": pl.String, "line": pl.Int64, "regimen": pl.String, "agent_class": pl.String,
    "start_date": pl.Date, "end_date": pl.Date, "end_reason": pl.String,
})  # fmt: skip


def to_arrow(name: str, df: pl.DataFrame) -> pa.Table:
    """One analysis dataset as Arrow with the exact :data:`AD_ARROW_SCHEMAS` types."""
    return df.to_arrow().cast(AD_ARROW_SCHEMAS[name])


def write_part(name: str, df: pl.DataFrame, path: Path) -> None:
    """Write one part of an analysis dataset (already cast to its ``AD_SCHEMAS``) as Parquet.

    The frame goes to Arrow without a copy (polars' own string-view layout) and the Arrow
    schema is not stored in the file, so readers take the column types from the Parquet
    types alone: plain ``string``, ``int64``, ``date32``, ``double``, ``bool``, exactly
    :data:`AD_ARROW_SCHEMAS`, as in the parts Spark writes. A frame whose polars schema is
    not ``AD_SCHEMAS[name]`` (names, order and types) is refused. Converting to
    plain Arrow strings first cost about a quarter of the write time. Column statistics are
    written for ``patient_id`` only (the column readers filter on); statistics of the other
    columns cost about 15% of the write time and serve no reader.
    """
    want = AD_SCHEMAS[name]
    if list(df.schema.items()) != list(want.items()):
        msg = f"`df` must have the {name} schema {dict(want)!r}, got {dict(df.schema)!r}"
        raise ValueError(msg)
    table = df.to_arrow(compat_level=pl.CompatLevel.newest())
    pq.write_table(table, path, write_statistics=["patient_id"], store_schema=False)


def prepare_output(output: str | Path, *, overwrite: bool) -> Path:
    """Check ``output`` (a new or empty folder, or any folder with ``overwrite``).

    Nothing is removed here: an existing output is replaced only by :func:`replace_output`
    once the new result is complete.
    """
    out = Path(output)
    if out.exists() and not out.is_dir():
        msg = f"`output` must be a folder, got a file: {str(out)!r}"
        raise ValueError(msg)
    if out.exists() and any(out.iterdir()) and not overwrite:
        msg = f"`output` must be a new or empty folder, got {str(out)!r} (use overwrite)"
        raise ValueError(msg)
    return out


def replace_output(work: Path, final: Path) -> None:
    """Move the complete result ``work`` to ``final``, removing what was there."""
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)


def write_run_file(output: Path, details: Mapping[str, Any]) -> None:
    """Write the run file (settings and counts; the caller passes no identifiers)."""
    (output / RUN_FILE).write_text(json.dumps(details, indent=2, sort_keys=True, default=str))


def read_results(output: str | Path) -> dict[str, pl.DataFrame]:
    """Read a result folder back: every ``ad_*`` table cast and sorted as ``derive_study``."""
    root = Path(output)
    out = {}
    for name, schema in AD_SCHEMAS.items():
        parts = sorted((root / name).glob("*.parquet")) if (root / name).is_dir() else []
        if not parts:
            msg = f"`output` must hold a {name}/ folder of Parquet parts, got {str(root)!r}"
            raise ValueError(msg)
        df = pl.concat([pl.read_parquet(p) for p in parts], how="vertical_relaxed")
        out[name] = finish(df, schema, AD_KEYS[name])
    return out
