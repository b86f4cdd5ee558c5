"""Input handling shared by the response functions: any table in, a typed polars frame out.

Accepts polars DataFrames/LazyFrames, pandas DataFrames and pyarrow Tables; checks required
columns and casts key columns, raising :class:`~cnsrwe.errors.SchemaError` in the house
grammar. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from cnsrwe.errors import SchemaError

#: Prefix of temporary columns; dropped before any result is returned.
TMP = "__cnsrwe_"


def to_polars(table: Any, name: str) -> pl.DataFrame:
    """Return ``table`` as a polars DataFrame (polars, pandas or pyarrow input)."""
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    module = type(table).__module__.split(".")[0]
    if module == "pyarrow":
        out = pl.from_arrow(table)
        if isinstance(out, pl.DataFrame):
            return out
    if module == "pandas":
        return pl.from_pandas(table)
    msg = (
        f"`{name}` must be a polars, pandas or pyarrow table, got {type(table).__name__!r}"
    )
    raise SchemaError(msg)


def require_columns(df: pl.DataFrame, name: str, columns: Sequence[str]) -> None:
    """Raise ``SchemaError`` naming every required column that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = (
            f"`{name}` must have column(s) {', '.join(repr(c) for c in missing)}, "
            f"got columns {df.columns!r}"
        )
        raise SchemaError(msg)


def as_date(df: pl.DataFrame, name: str, column: str) -> pl.DataFrame:
    """Cast ``column`` to ``pl.Date`` (from date, datetime or ISO ``YYYY-MM-DD`` text)."""
    dtype = df.schema[column]
    if dtype == pl.Date:
        return df
    if isinstance(dtype, pl.Datetime):
        return df.with_columns(pl.col(column).dt.date())
    if dtype == pl.Null:
        return df.with_columns(pl.col(column).cast(pl.Date))
    if dtype == pl.String:
        parsed = df[column].str.to_date("%Y-%m-%d", strict=False)
        bad = parsed.is_null() & df[column].is_not_null()
        if bad.any():
            value = df[column].filter(bad)[0]
            msg = f"`{name}.{column}` must be dates (YYYY-MM-DD), got {value!r}"
            raise SchemaError(msg)
        return df.with_columns(parsed.alias(column))
    msg = f"`{name}.{column}` must be a date column, got dtype {dtype}"
    raise SchemaError(msg)


def as_string(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """Cast a key column to string so keys from different inputs join."""
    if df.schema[column] == pl.String:
        return df
    return df.with_columns(pl.col(column).cast(pl.String))


def check_by(by: Sequence[str] | str | None) -> list[str]:
    """Normalise the ``by`` argument to a list of column names."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    out = list(by)
    if not all(isinstance(b, str) for b in out) or "patient_id" in out:
        msg = f"`by` must be column names other than 'patient_id', got {by!r}"
        raise SchemaError(msg)
    return out
