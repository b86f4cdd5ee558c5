"""Per-group sums over rows sorted by one packed key, without a group-by (private).

polars' group-by pays a fixed cost per group and aggregation; the engine's groups are
many and small (one per timepoint or line), so sums over them are taken as differences of
one running sum read at the last row of each run of equal keys (integer sums are exact,
so this equals the group-by).
"""

from __future__ import annotations

import polars as pl


def run_ends(key: str) -> pl.Expr:
    """True on the last row of each run of equal ``key`` values."""
    k = pl.col(key)
    return k.ne_missing(k.shift(-1))


def run_sums(
    df: pl.DataFrame, key: str, sums: dict[str, pl.Expr], keep: tuple[str, ...] = ()
) -> pl.DataFrame:
    """One row per run of equal ``key`` (``df`` sorted by it), in order.

    Columns: ``key``, the ``keep`` columns (read on the run's last row: they must be
    constant in the run), then for each name in ``sums`` the sum of its integer expression
    over the run (nulls count as zero; booleans count their true values, as Int64).
    """
    running = [
        expr.cast(pl.Int64).fill_null(0).cum_sum().alias(name) for name, expr in sums.items()
    ]
    ends = df.select(run_ends(key).alias("_end"), key, *keep, *running).filter("_end")
    return ends.select(
        key, *keep,
        *(pl.col(name) - pl.col(name).shift(1, fill_value=0) for name in sums),
    )  # fmt: skip
