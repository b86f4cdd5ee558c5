"""Writing analysis datasets as SAS transport (XPT) version 5 files and as Parquet.

SAS transport version 5 (the format the FDA accepts for submissions, SAS Technical Support
TS-140) limits: dataset and variable names at most 8 characters (letters, digits, ``_``, not
starting with a digit), labels at most 40 characters, character values at most 200 bytes,
ASCII text. Numbers are IBM floating point; dates are SAS numeric dates (days since
1960-01-01) with the ``DATE9.`` display format. This module checks every limit *before*
writing, so a bad dataset raises a clear error and leaves no partial file.

The encoder is pyreadstat (``write_xport(..., file_format_version=5)``), an optional extra:
``pip install 'cnsrwe[exchange]'``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

import polars as pl
import polars.selectors as cs
import pyarrow as pa
import pyarrow.parquet as pq

from cnsrwe._checks import import_optional
from cnsrwe.errors import SchemaError
from cnsrwe.exchange.variables import Var

__all__ = ["check_xpt_dataset", "read_xpt", "write_parquet_dataset", "write_xpt"]

_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,7}$")
MAX_LABEL = 40
MAX_CHAR = 200


def pyreadstat_module(needed_by: str) -> ModuleType:
    """pyreadstat, or :class:`~cnsrwe.errors.BackendNotAvailableError` naming the extra."""
    return import_optional("pyreadstat", extra="exchange", needed_by=needed_by)


def check_xpt_dataset(df: pl.DataFrame, *, name: str, label: str,
                      variables: Sequence[Var]) -> None:  # fmt: skip
    """Raise :class:`~cnsrwe.errors.SchemaError` when ``df`` breaks a transport v5 limit.

    Checks the dataset name and label, that ``df`` has exactly the ``variables`` in order,
    each name and label, the column types (char String, num numeric, date Date) and that every
    character value is ASCII and at most 200 bytes.
    """
    if not _NAME.match(name):
        msg = f"`name` must be 1-8 upper-case letters, digits or _ (XPT v5), got {name!r}"
        raise SchemaError(msg)
    if len(label) > MAX_LABEL:
        msg = f"dataset label of {name} must be at most 40 characters, got {len(label)}"
        raise SchemaError(msg)
    names = [v.name for v in variables]
    if df.columns != names:
        msg = f"{name} must have the columns {names!r} in order, got {df.columns!r}"
        raise SchemaError(msg)
    for v in variables:
        if not _NAME.match(v.name):
            msg = f"variable names must be 1-8 characters (XPT v5), got {v.name!r} in {name}"
            raise SchemaError(msg)
        if len(v.label) > MAX_LABEL:
            msg = f"label of {name}.{v.name} must be at most 40 characters, got {v.label!r}"
            raise SchemaError(msg)
        dtype = df.schema[v.name]
        ok = {"char": dtype == pl.String, "date": dtype == pl.Date,
              "num": dtype.is_numeric()}[v.kind]  # fmt: skip
        if not ok:
            msg = f"{name}.{v.name} must be {v.kind}, got column type {dtype}"
            raise SchemaError(msg)
        if v.kind == "char" and df.height:
            col = df[v.name]
            if not col.drop_nulls().str.contains(r"^[\x00-\x7f]*$").all():
                msg = f"{name}.{v.name} must be ASCII text for XPT v5, got a non-ASCII value"
                raise SchemaError(msg)
            longest = col.str.len_bytes().max()
            if longest is not None and int(longest) > MAX_CHAR:  # type: ignore[arg-type]
                msg = (f"{name}.{v.name} values must be at most 200 bytes (XPT v5), got"
                       f" {longest}")  # fmt: skip
                raise SchemaError(msg)


def _atomic_path(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def write_xpt(df: pl.DataFrame, path: str | Path, *, name: str, label: str,
              variables: Sequence[Var]) -> Path:  # fmt: skip
    """Write one dataset as a SAS transport v5 file (checked first, written atomically).

    Numeric columns become SAS doubles; ``date`` columns SAS dates with format ``DATE9.``.
    An empty character column is written with length 1 (SAS needs a positive length).
    """
    check_xpt_dataset(df, name=name, label=label, variables=variables)
    prs = pyreadstat_module("write_xpt")
    out = Path(path)
    tmp = _atomic_path(out)
    data = df.with_columns(cs.numeric().cast(pl.Float64))
    try:
        prs.write_xport(
            data, str(tmp), file_label=label, table_name=name, file_format_version=5,
            column_labels={v.name: v.label for v in variables},
            variable_format={v.name: "DATE9." for v in variables if v.kind == "date"},
        )  # fmt: skip
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def read_xpt(path: str | Path) -> tuple[pl.DataFrame, dict[str, str], str, str]:
    """Read an XPT file: ``(frame, {variable: label}, dataset name, dataset label)``."""
    prs = pyreadstat_module("read_xpt")
    df, meta = prs.read_xport(str(path), output_format="polars")
    labels = {k: v or "" for k, v in meta.column_names_to_labels.items()}
    return df, labels, meta.table_name or "", meta.file_label or ""


def write_parquet_dataset(df: pl.DataFrame, path: str | Path, *, name: str, label: str,
                          variables: Sequence[Var]) -> Path:  # fmt: skip
    """Write one dataset as Parquet, keeping the dataset and variable labels as Arrow metadata
    (``cnsrwe.label`` on each field, ``cnsrwe.dataset`` / ``cnsrwe.label`` on the schema)."""
    by_name: Mapping[str, Var] = {v.name: v for v in variables}
    table = df.to_arrow()
    fields = [
        f.with_metadata({"cnsrwe.label": by_name[f.name].label if f.name in by_name else ""})
        for f in table.schema
    ]
    schema = pa.schema(fields, metadata={"cnsrwe.dataset": name, "cnsrwe.label": label})
    out = Path(path)
    tmp = _atomic_path(out)
    try:
        pq.write_table(table.cast(schema), tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
