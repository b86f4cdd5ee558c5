"""The packed integer sort key orders rows exactly as a multi-column polars sort."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsrwe.derive._sortkey import packed_key, packed_keys
from cnsrwe.derive.schemas import finish

_ROWS = st.lists(
    st.tuples(
        st.one_of(st.none(), st.sampled_from(["P10", "P2", "P1", "p1", "", "É", "P1 "])),
        st.one_of(st.none(), st.integers(-3, 3)),
        st.one_of(st.none(), st.dates(dt.date(2019, 12, 25), dt.date(2020, 1, 5))),
        st.one_of(st.none(), st.booleans()),
    ),
    max_size=40,
)
_SCHEMA = {"s": pl.String, "i": pl.Int64, "d": pl.Date, "b": pl.Boolean}


@settings(max_examples=150, deadline=None)
@given(_ROWS, st.booleans())
def test_packed_key_order_equals_the_multi_column_sort(rows: list[tuple], nulls_last: bool) -> None:
    df = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    key = packed_key(df, list(_SCHEMA), nulls_last=nulls_last)
    assert key is not None
    by_key = df.with_columns(key).sort("_key").drop("_key")
    assert by_key.equals(df.sort(list(_SCHEMA), nulls_last=nulls_last))
    # equal keys <=> equal rows
    assert key.n_unique() == df.unique().height


@settings(max_examples=100, deadline=None)
@given(_ROWS)
def test_finish_equals_the_full_sort(rows: list[tuple]) -> None:
    df = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    expected = df.sort(list(_SCHEMA), nulls_last=True)
    assert finish(df, dict(_SCHEMA), ("s", "i")).equals(expected)
    assert finish(df, dict(_SCHEMA), ("s", "i", "d", "b")).equals(expected)


def test_packed_key_declines_floats_and_too_many_bits() -> None:
    assert packed_key(pl.DataFrame({"x": [1.0, 2.0]}), ["x"]) is None
    wide = pl.DataFrame({f"c{i}": [0, 1, 2, 3] for i in range(40)})  # 40 x 2 bits + ...
    assert packed_key(wide, list(wide.columns)) is None


def test_packed_keys_split_wide_rows_into_several_integers_in_sort_order() -> None:
    rng = np.random.default_rng(7)
    wide = pl.DataFrame({f"c{i}": rng.integers(0, 4, 300) for i in range(40)})  # 80 bits
    keys = packed_keys(wide, list(wide.columns))
    assert keys is not None
    assert len(keys) == 2
    order = pl.DataFrame(keys).select(pl.arg_sort_by(*[k.name for k in keys])).to_series()
    assert wide[order].equals(wide.sort(wide.columns))
    assert packed_keys(pl.DataFrame({"x": [1.0, 2.0]}), ["x"]) is None
