"""Descriptive ARD rows (counts, proportions, medians and ranges) for Table 1 style
summaries, in the convention ``cnsrwe.report.tab_baseline`` reads (its module notes):
``population/subjects/n``, ``describe_categorical`` (``<var>=<level>``: ``n``, ``p`` of the
non-missing) and ``describe_continuous`` (``median``, ``min``, ``max``, ``n``, ``n_missing``).

Proportions are of patients with a known value (gtsummary ``tbl_summary`` default); the
number missing is kept as its own row so it can be shown. One polars group-by per variable.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from cnsrwe.stats.ard import ARD_SCHEMA

CATEGORICAL = "describe_categorical"
CONTINUOUS = "describe_continuous"


def _rows(df: pl.DataFrame, analysis: str, method: str) -> pl.DataFrame:
    return df.with_columns(pl.lit(analysis).alias("analysis"), pl.lit(method).alias("method"),
                           pl.lit("").alias("population")).select(list(ARD_SCHEMA))


def describe(frame: pl.DataFrame, *, categorical: Sequence[str] = (),
             continuous: Sequence[str] = (), group: str = "group") -> pl.DataFrame:
    """ARD rows per level of ``group`` (module notes); population left empty."""
    g = pl.col(group).cast(pl.String)
    parts = [_rows(frame.group_by(g.alias("group")).agg(pl.len().cast(pl.Float64).alias("value"))
                   .with_columns(pl.lit("subjects").alias("parameter"),
                                 pl.lit("n").alias("statistic")),
                   "population", "patients in the group")]
    for var in categorical:
        v = pl.col(var).cast(pl.String)
        known = frame.group_by(g.alias("group")).agg(
            v.is_not_null().sum().cast(pl.Float64).alias("known"),
            v.is_null().sum().cast(pl.Float64).alias("n_missing"))
        cnt = (frame.filter(v.is_not_null())
               .group_by(g.alias("group"), v.alias("level"))
               .agg(pl.len().cast(pl.Float64).alias("n")))
        levels = frame.select(v.alias("level")).drop_nulls().unique()
        grid = known.join(levels, how="cross").join(cnt, on=["group", "level"], how="left")
        grid = grid.with_columns(pl.col("n").fill_null(0.0)).with_columns(
            (pl.col("n") / pl.col("known")).alias("p"),
            (pl.lit(f"{var}=") + pl.col("level")).alias("parameter"))
        long = grid.unpivot(index=["group", "parameter"], on=["n", "p"],
                            variable_name="statistic", value_name="value")
        parts.append(_rows(long, CATEGORICAL, "n and proportion of patients with a known value"))
        miss = known.select("group", pl.lit(f"{var}=(missing)").alias("parameter"),
                            pl.lit("n").alias("statistic"), pl.col("n_missing").alias("value"))
        parts.append(_rows(miss, CATEGORICAL, "patients with a missing value"))
    for var in continuous:
        x = pl.col(var).cast(pl.Float64)
        agg = frame.group_by(g.alias("group")).agg(
            x.median().alias("median"), x.min().alias("min"), x.max().alias("max"),
            x.is_not_null().sum().cast(pl.Float64).alias("n"),
            x.is_null().sum().cast(pl.Float64).alias("n_missing"))
        long = agg.with_columns(pl.lit(var).alias("parameter")).unpivot(
            index=["group", "parameter"], on=["median", "min", "max", "n", "n_missing"],
            variable_name="statistic", value_name="value")
        parts.append(_rows(long, CONTINUOUS, "median and range of known values"))
    return pl.concat(parts)
