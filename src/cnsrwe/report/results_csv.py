"""results.csv: every number of the report as one long, full-precision table.

Columns are those of the ARD (:data:`cnsrwe.stats.ard.ARD_SCHEMA`): analysis, population,
group, parameter, statistic, value, method. Values are written with Python's shortest
round-trip representation (``repr(float)``), so reading the file back gives the exact same
doubles; a missing value is an empty field. Rows are sorted by (analysis, population, group,
parameter, statistic) with a stable sort, so the file does not depend on the order in which
the analyses were run, and two runs give byte-identical files (UTF-8, ``\\n`` newlines,
minimal quoting as RFC 4180).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import polars as pl

from cnsrwe.stats.ard import ARD_SCHEMA

KEY = ("analysis", "population", "group", "parameter", "statistic")


def validated_ard(ard: pl.DataFrame) -> pl.DataFrame:
    """`ard` with the ARD columns in order and types, one row per key (else a clear error)."""
    if not isinstance(ard, pl.DataFrame):
        msg = f"`ard` must be a polars DataFrame, got {type(ard).__name__}"
        raise TypeError(msg)
    missing = [c for c in ARD_SCHEMA if c not in ard.columns]
    if missing:
        msg = f"`ard` must have the ARD columns {list(ARD_SCHEMA)}, missing {missing!r}"
        raise ValueError(msg)
    out = ard.select(list(ARD_SCHEMA)).cast(ARD_SCHEMA)  # type: ignore[arg-type]
    dup = out.filter(pl.struct(list(KEY)).is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        msg = ("`ard` must have one row per (analysis, population, group, parameter, "
               f"statistic), got {dup.height} duplicated rows, e.g. "
               f"{ {k: first[k] for k in KEY}!r}")
        raise ValueError(msg)
    return out


def _value_text(v: float | None) -> str:
    if v is None:
        return ""
    if math.isnan(v):
        return "NaN"
    return repr(float(v))


def render_results_csv(ard: pl.DataFrame) -> str:
    """The CSV text of ``ard`` (module notes)."""
    out = validated_ard(ard).sort(list(KEY), maintain_order=True, nulls_last=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(ARD_SCHEMA))
    for rec in out.iter_rows():
        row = list(rec)
        row[5] = _value_text(row[5])
        w.writerow(["" if x is None else x for x in row])
    return buf.getvalue()


def write_results_csv(ard: pl.DataFrame, path: str | Path) -> Path:
    """Write ``results.csv`` and return its path."""
    p = Path(path)
    p.write_bytes(render_results_csv(ard).encode("utf-8"))
    return p


def read_results_csv(path: str | Path) -> pl.DataFrame:
    """Read a ``results.csv`` back into an ARD frame (exact doubles, missing -> null)."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows or rows[0] != list(ARD_SCHEMA):
        msg = f"`path` must be a results.csv with header {list(ARD_SCHEMA)}, got {rows[:1]!r}"
        raise ValueError(msg)
    recs = [
        {**dict(zip(ARD_SCHEMA, r, strict=True)),
         "value": None if r[5] == "" else float(r[5])}
        for r in rows[1:]
    ]
    return pl.DataFrame(recs, schema=ARD_SCHEMA)
