"""Packed UInt64 group keys over arbitrary key columns (private).

The response functions group, join and sort on ``patient_id`` plus caller-chosen ``by``
columns (``line``, ``compartment``, ``profile``, ...). On several columns polars
row-encodes every key; on one UInt64 column the same operation is several times cheaper,
and on a column known to be sorted it is a merge. :class:`ColumnPacker` gives each key
column a dense code and packs the codes into one UInt64, the first column in the highest
bits:

* strings: position among the sorted distinct values (an ``Enum`` cast), so codes follow
  the byte order ``DataFrame.sort`` uses;
* integers and dates: ``value - min``; booleans: 0 and 1;
* null: one past the largest code, so keys order like ``sort(..., nulls_last=True)``.

Codes come from every value of every frame passed to :meth:`ColumnPacker.build`, so keys
of those frames compare with each other; equal keys mean equal values (nulls equal). A key
over a subset of the columns leaves the other fields zero (an equality key, e.g. for a
join on fewer columns). When the codes need more than 64 bits, :meth:`build` returns None
and :func:`dense_key` gives the same order and equality from a sort of the distinct key
rows (slower, always possible).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from cnsrwe._packed_keys import bits, u64

_MAX_BITS = 64


@dataclass(frozen=True)
class _Field:
    name: str
    cats: pl.Series | None  # sorted distinct strings (None: integer/date/boolean)
    offset: int  # subtracted from integers and dates
    n_codes: int  # codes 0..n_codes-1; null gets n_codes
    width: int

    def code(self) -> pl.Expr:
        col = pl.col(self.name)
        if self.cats is not None:
            value = col.cast(pl.String).cast(pl.Enum(self.cats)).to_physical().cast(pl.UInt64)
        else:
            value = (col.to_physical().cast(pl.Int64) - self.offset).cast(pl.UInt64)
        return value.fill_null(u64(self.n_codes))


def _field(name: str, values: list[pl.Series]) -> _Field | None:
    dtypes = {v.dtype for v in values}
    if dtypes & {pl.String, pl.Categorical} or any(isinstance(d, pl.Enum) for d in dtypes):
        values = [v.cast(pl.String) for v in values]
    elif len(dtypes) > 1:
        return None
    s = pl.concat([v.rename(name) for v in values])
    dtype = s.dtype
    if dtype == pl.String:
        cats = s.cast(pl.String).drop_nulls().unique().sort()
        return _Field(name, cats, 0, cats.len(), bits(cats.len() + 1))
    if dtype == pl.Boolean:
        return _Field(name, None, 0, 2, 2)
    if dtype.is_integer() or dtype in (pl.Date, pl.Datetime):
        phys = s.to_physical().drop_nulls()
        if not phys.len():
            return _Field(name, None, 0, 0, 1)
        lo, hi = int(phys.min()), int(phys.max())  # type: ignore[arg-type]
        if hi - lo >= 1 << 40:
            return None
        return _Field(name, None, lo, hi - lo + 1, bits(hi - lo + 2))
    return None


@dataclass(frozen=True)
class ColumnPacker:
    """Codes and bit positions of key columns (see the module docstring)."""

    fields: tuple[_Field, ...]

    @classmethod
    def build(cls, frames: Sequence[pl.DataFrame], columns: Sequence[str]) -> ColumnPacker | None:
        """A packer for ``columns`` over every frame that has them, or None (> 64 bits)."""
        out = []
        for name in columns:
            f = _field(name, [df[name] for df in frames if name in df.columns])
            if f is None:
                return None
            out.append(f)
        if sum(f.width for f in out) > _MAX_BITS:
            return None
        return cls(tuple(out))

    @property
    def total_bits(self) -> int:
        """Bits used by a key over every column."""
        return sum(f.width for f in self.fields)

    def key(self, columns: Sequence[str] | None = None) -> pl.Expr:
        """UInt64 expression packing ``columns`` (default all; the others are zero)."""
        use = set(columns) if columns is not None else {f.name for f in self.fields}
        out: pl.Expr | None = None
        shift = self.total_bits
        for f in self.fields:
            shift -= f.width
            if f.name not in use:
                continue
            term = f.code() * u64(1 << shift) if shift else f.code()
            out = term if out is None else out + term
        return u64(0) if out is None else out

    def mask(self, columns: Sequence[str]) -> int:
        """Bit mask of the fields of ``columns``: ``key() & mask(c)`` equals ``key(c)``."""
        out, shift = 0, self.total_bits
        for f in self.fields:
            shift -= f.width
            if f.name in columns:
                out |= ((1 << f.width) - 1) << shift
        return out


def dense_key(
    frames: Sequence[pl.DataFrame], columns: Sequence[str], name: str
) -> list[pl.DataFrame]:
    """Add column ``name``: the rank of each row's ``columns`` among the distinct key rows of
    all ``frames`` sorted with nulls last (UInt64). The fallback when a packer needs more
    than 64 bits; frames keep their row order."""
    cols = list(columns)
    distinct = (
        pl.concat([df.select(cols) for df in frames], how="vertical_relaxed")
        .unique().sort(cols, nulls_last=True)
        .with_row_index(name).with_columns(pl.col(name).cast(pl.UInt64))
    )  # fmt: skip
    out = []
    for df in frames:
        idx = f"{name}__row"
        joined = df.with_row_index(idx).join(
            distinct.cast({c: df.schema[c] for c in cols}), on=cols, how="left", nulls_equal=True
        ).sort(idx).drop(idx)  # fmt: skip
        out.append(joined)
    return out


def add_key(
    frames: Sequence[pl.DataFrame], columns: Sequence[str], name: str
) -> list[pl.DataFrame]:
    """Add the UInt64 key ``name`` over ``columns`` to every frame (packed, else dense)."""
    packer = ColumnPacker.build(frames, columns)
    if packer is None:
        return dense_key(frames, columns, name)
    expr = packer.key().alias(name)
    return [df.with_columns(expr) for df in frames]
