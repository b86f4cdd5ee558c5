"""Build typed Arrow columns of the data format from numpy codes, without a Python loop.

Strings are dictionary codes decoded by Arrow (one C++ pass), dates are day numbers since
1970-01-01, ``decimal1`` values are whole tenths of a millimetre written straight into the
128-bit decimal buffer (never through a float), lists are taken from a small table of the
possible lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from cnsrwe.io.schema import ARROW_TYPES, TABLES

_PA_TYPES: dict[str, pa.DataType] = {
    "string": pa.large_string(),
    "int": pa.int64(),
    "decimal1": pa.decimal128(9, 1),
    "number": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "list": pa.large_list(pa.large_string()),
}
assert set(_PA_TYPES) == set(ARROW_TYPES)


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of format table ``table``, every column in documented order."""
    return pa.schema([pa.field(c.name, _PA_TYPES[c.type]) for c in TABLES[table].columns])


def _mask(valid: np.ndarray | None) -> np.ndarray | None:
    return None if valid is None else ~np.asarray(valid, dtype=bool)


def strings(
    codes: np.ndarray, vocabulary: Sequence[str], valid: np.ndarray | None = None
) -> pa.Array:
    """``vocabulary[codes]`` as a large_string array (null where ``valid`` is false)."""
    idx = pa.array(np.asarray(codes, dtype=np.int32), mask=_mask(valid))
    dictionary = pa.array(list(vocabulary), type=pa.large_string())
    return pa.DictionaryArray.from_arrays(idx, dictionary).cast(pa.large_string())


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Day numbers since 1970-01-01 as a date32 array."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=_mask(valid))


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Whole numbers as int64."""
    return pa.array(np.asarray(values, dtype=np.int64), mask=_mask(valid))


def numbers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Real numbers as float64."""
    return pa.array(np.asarray(values, dtype=np.float64), mask=_mask(valid))


def bools(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Booleans."""
    return pa.array(np.asarray(values, dtype=bool), mask=_mask(valid))


def tenths(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Whole tenths of a millimetre (125 -> 12.5) as decimal128(9, 1), exactly."""
    v = np.asarray(values, dtype=np.int64)
    n = len(v)
    words = np.empty((n, 2), dtype=np.int64)
    words[:, 0] = v
    words[:, 1] = np.where(v < 0, -1, 0)  # two's complement sign extension to 128 bits
    bitmap = None
    if valid is not None:
        bits = np.packbits(np.asarray(valid, dtype=bool), bitorder="little")
        bitmap = pa.py_buffer(bits.tobytes())
    null_count = -1 if valid is not None else 0
    return pa.Array.from_buffers(
        pa.decimal128(9, 1), n, [bitmap, pa.py_buffer(words.tobytes())], null_count=null_count
    )


def lists(codes: np.ndarray, choices: pa.Array, valid: np.ndarray | None = None) -> pa.Array:
    """``choices[codes]`` where ``choices`` is a large_list<large_string> array."""
    idx = pa.array(np.asarray(codes, dtype=np.int64), mask=_mask(valid))
    return choices.take(idx)


def bitmask_lists(names: Sequence[str]) -> pa.Array:
    """Every subset of ``names`` as a list, subset ``m`` holding names whose bit is set in m.

    Subset 0 is null (no item), so a bit mask of Bernoulli draws indexes it directly.
    """
    out: list[list[str] | None] = [None]
    for m in range(1, 2 ** len(names)):
        out.append([n for b, n in enumerate(names) if m >> b & 1])
    return pa.array(out, type=pa.large_list(pa.large_string()))


def table(name: str, columns: Mapping[str, pa.Array]) -> pa.Table:
    """Assemble format table ``name``; columns not given are all-null."""
    schema = arrow_schema(name)
    n = len(next(iter(columns.values())))
    arrays = []
    for f in schema:
        col = columns.get(f.name)
        if col is None:
            col = pa.nulls(n, type=f.type)
        elif col.type != f.type:
            msg = f"column `{name}.{f.name}` must be {f.type}, got {col.type}"
            raise TypeError(msg)
        arrays.append(col)
    unknown = set(columns) - set(schema.names)
    if unknown:
        msg = f"`columns` must be columns of table {name!r}, got {sorted(unknown)!r}"
        raise KeyError(msg)
    return pa.Table.from_arrays(arrays, schema=schema)
