"""Order-preserving integer sort keys (private): sort several columns as one UInt64.

Sorting a frame by strings, dates and integers compares every key column row against row.
Replacing each column by its dense sort-order code (0 for the smallest value, ...; nulls at
the end or the start) and packing the codes into one unsigned 64-bit integer, the first
column in the highest bits, gives a single integer column whose order is exactly the
lexicographic order of the original columns. Sorting that integer is several times faster.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

_MAX_KEY_BITS = 64
#: Integer and date columns spanning fewer values than this are coded as offsets from their
#: minimum (no sort); wider ones by dense rank.
_OFFSET_SPAN = 1 << 24


def order_codes(
    s: pl.Series, *, nulls_last: bool = True, categories: pl.Series | None = None
) -> pl.Series | None:
    """UInt64 codes of ``s`` in its sort order, or None if ``s`` cannot be encoded.

    Strings are cast to an ``Enum`` whose categories are the sorted distinct values (a hash
    pass plus a sort of the distinct values only), so the codes follow the byte order that
    ``DataFrame.sort`` uses; integers, dates and booleans use the dense rank. With k
    distinct values the codes are 0..k-1 and null gets k (``nulls_last``) or the values are
    shifted to 1..k and null gets 0. Integers and dates spanning fewer than 2^24 values
    are coded as ``value - min`` instead (ordered, not dense; k is then the span).
    ``categories`` (sorted, distinct) saves finding the distinct strings when every value
    of ``s`` is among them; otherwise they are ignored.
    """
    if s.dtype == pl.String:
        codes = None
        if categories is not None:  # sorted distinct values known to the caller
            codes = s.cast(pl.Enum(categories), strict=False).to_physical().cast(pl.UInt64)
            if codes.null_count() != s.null_count():  # a value outside them
                codes = None
            cats = categories
        if codes is None:
            cats = s.drop_nulls().unique().sort()
            codes = s.cast(pl.Enum(cats)).to_physical().cast(pl.UInt64)
        n = cats.len()
    elif s.dtype.is_integer() or s.dtype in (pl.Date, pl.Boolean):
        ints = s.cast(pl.Int64) if s.dtype in (pl.Date, pl.Boolean) else s
        lo, hi = ints.min(), ints.max()
        if isinstance(lo, int) and isinstance(hi, int) and hi - lo < _OFFSET_SPAN:
            # offsets from the minimum keep the order without sorting (not dense)
            codes = (ints - lo).cast(pl.UInt64).rename(s.name)
            n = hi - lo + 1
        else:
            ranks = ints.rank("dense")
            codes = (ranks.cast(pl.UInt64) - 1).rename(s.name)
            n = ints.drop_nulls().n_unique()
    else:
        return None
    if nulls_last:
        return codes.fill_null(n)
    return (codes + 1).fill_null(0)


def packed_key(
    df: pl.DataFrame, by: list[str], *, nulls_last: bool = True,
    categories: Mapping[str, pl.Series] | None = None,
) -> pl.Series | None:
    """One UInt64 per row whose order equals the order of ``df`` sorted by ``by``.

    Equal keys mean equal values in every ``by`` column (nulls equal to nulls). None when
    a column cannot be encoded or the codes need more than 64 bits together.
    """
    keys = packed_keys(df, by, nulls_last=nulls_last, categories=categories)
    if keys is None or len(keys) != 1:
        return None
    return keys[0].rename("_key")


def packed_keys(
    df: pl.DataFrame, by: list[str], *, nulls_last: bool = True,
    categories: Mapping[str, pl.Series] | None = None,
) -> list[pl.Series] | None:
    """Several UInt64 keys whose lexicographic order equals the order of ``df`` sorted by ``by``.

    Consecutive columns are packed together while their codes fit in 64 bits, so a sort by
    many columns becomes a sort by a few integers. None when a column cannot be encoded.
    """
    keys: list[pl.Series] = []
    key: pl.Series | None = None
    used = 0
    for col in by:
        codes = order_codes(df[col], nulls_last=nulls_last,
                            categories=(categories or {}).get(col))  # fmt: skip
        if codes is None:
            return None
        top = codes.max()
        bits = max(1, int(top).bit_length() if isinstance(top, int) else 1)
        if key is not None and used + bits <= _MAX_KEY_BITS:
            key = key * (1 << bits) + codes
            used += bits
        else:
            if key is not None:
                keys.append(key.rename(f"_key{len(keys)}"))
            key, used = codes, bits
    if key is not None:
        keys.append(key.rename(f"_key{len(keys)}"))
    return keys
