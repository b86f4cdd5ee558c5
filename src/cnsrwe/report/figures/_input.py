"""Checks on the analysis tables the figure functions take (polars, pandas or pyarrow)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from cnsrwe import _checks
from cnsrwe.errors import SchemaError


def as_frame(table: Any, name: str, columns: Sequence[str]) -> pl.DataFrame:
    """``table`` as a polars DataFrame holding ``columns`` (SchemaError naming what is missing)."""
    table = _checks.as_frame(table, name, allow=("lazy", "pandas", "arrow"))
    missing = [c for c in columns if c not in table.columns]
    if missing:
        msg = (
            f"`{name}` must have column(s) {', '.join(repr(c) for c in missing)}, "
            f"got columns {table.columns!r}"
        )
        raise SchemaError(msg)
    return table


def numbers(df: pl.DataFrame, name: str, column: str, *, nullable: bool = False) -> np.ndarray:
    """A numeric column as float64; nulls become NaN when ``nullable``, else an error."""
    s = df[column]
    if not s.dtype.is_numeric():
        msg = f"`{name}.{column}` must be numeric, got dtype {s.dtype}"
        raise SchemaError(msg)
    if not nullable and s.null_count():
        msg = f"`{name}.{column}` must not be missing, got {s.null_count()} missing value(s)"
        raise SchemaError(msg)
    arr = s.cast(pl.Float64).fill_null(float("nan")).to_numpy()
    if np.any(np.isinf(arr)) or (not nullable and np.any(np.isnan(arr))):
        msg = f"`{name}.{column}` must be finite numbers, got {arr[~np.isfinite(arr)][0]!r}"
        raise SchemaError(msg)
    return arr


def strings(df: pl.DataFrame, column: str) -> list[str | None]:
    """A column as text (numbers and categories cast to string)."""
    return df[column].cast(pl.String).to_list()


def check_vocabulary(name: str, values: Sequence[str | None], allowed: Sequence[str]) -> None:
    """Raise SchemaError for the first value not in ``allowed`` (nulls are allowed)."""
    bad = [v for v in values if v is not None and v not in allowed]
    if bad:
        msg = f"`{name}` must hold values among {list(allowed)!r}, got {bad[0]!r}"
        raise SchemaError(msg)
