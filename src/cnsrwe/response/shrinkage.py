"""Tumour shrinkage: best percentage change of the target sum (waterfall) and its series (spider).

Input is the timepoint table of :func:`cnsrwe.criteria.derive_timepoint_responses` (one row
per patient x line x assessment date x compartment x profile, follow-up assessments only,
sums in integer tenths of a mm). Rules:

* percentage change from baseline = 100 x (S - B) / B computed from the integer sums
  (``target_sum_tenths``, ``baseline_sum_tenths``), never from rounded percentages;
* an assessment is *evaluable* for shrinkage when its target sum is known, the baseline sum
  is positive and the target response is not NE (RECIST 1.1 section 4.3.2: a partial sum
  cannot show shrinkage; a partial sum that already proves PD keeps its PD response and
  counts);
* best change = the most negative change over evaluable assessments up to and including
  the first PD (``truncate_after_pd``); ties keep the earliest date;
* a group without evaluable assessments gets ``best_pct_change`` null and
  ``shrinkage_status`` ``NO_EVALUABLE_ASSESSMENT`` (only NE, or no follow-up); a group
  without baseline target disease gets ``NO_TARGET_DISEASE``;
* ``pd_new_lesion`` marks groups whose first PD came with a definite new lesion, so a
  waterfall can mark patients who shrank in their targets but progressed with new lesions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from cnsrwe.response._tables import TMP, as_date, as_string, require_columns, to_polars

#: group number (patient + by) of the rows sorted by keys and date: sorted, one integer
_GK = f"{TMP}gk"
_BASE = ["patient_id", "assessment_date", "target_sum_tenths", "baseline_sum_tenths", "response"]
_NONE = np.iinfo(np.int64).max  # "no row" / "no date" in the per-group minima


def _keys(df: pl.DataFrame, by: Sequence[str] | None) -> list[str]:
    if by is None:
        by = [c for c in ("line", "compartment", "profile") if c in df.columns]
    require_columns(df, "dataset", list(by))
    return ["patient_id", *by]


def _prepared(dataset: Any, by: Sequence[str] | None) -> tuple[pl.DataFrame, list[str]]:
    """The rows sorted by keys and date (only the columns used), with the evaluable flag,
    the change and a group number (run id of the sorted keys, flagged sorted, so per-group
    work reads runs of one integer column instead of hashing several)."""
    df = to_polars(dataset, "dataset")
    require_columns(df, "dataset", _BASE)
    df = as_date(as_string(df, "patient_id"), "dataset", "assessment_date")
    keys = _keys(df, by)
    s, b = pl.col("target_sum_tenths"), pl.col("baseline_sum_tenths")
    tr = pl.col("target_response") if "target_response" in df.columns else pl.lit(None)
    evaluable = s.is_not_null() & b.is_not_null() & (b > 0) & (tr.fill_null("") != "NE")
    new = (
        (pl.col("new_lesion") == "YES").fill_null(False) if "new_lesion" in df.columns
        else pl.lit(False)
    )  # fmt: skip
    extra = [c for c in ("baseline_date",) if c in df.columns]
    # sorting the used columns only: a sort gathers every column it carries
    df = df.select(
        *keys, "assessment_date", "baseline_sum_tenths", "response", *extra,
        evaluable.alias(f"{TMP}eval"),
        pl.when(evaluable).then(100.0 * (s - b).cast(pl.Float64) / b.cast(pl.Float64))
        .alias("pct_change_baseline"),
        new.alias(f"{TMP}new"),
    ).sort([*keys, "assessment_date"], nulls_last=True)  # fmt: skip
    return df.with_columns(pl.struct(keys).rle_id().set_sorted().alias(_GK)), keys


def _runs(df: pl.DataFrame) -> np.ndarray:
    """Start row of each run of the sorted group number."""
    g = df[_GK].to_numpy()
    return np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1]))) if len(g) else g[:0]


def _per_row(starts: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """A per-group value repeated over the group's rows."""
    return np.repeat(values, np.diff(np.append(starts, n)))


def _first_pd(df: pl.DataFrame, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: the earliest PD date (day number, ``_NONE`` without one) and the first PD
    row (``_NONE`` without one)."""
    n = df.height
    is_pd = (df["response"] == "PD").fill_null(False).to_numpy()
    date = df["assessment_date"]
    day = date.to_physical().cast(pl.Int64).fill_null(_NONE).to_numpy()
    first_day = np.minimum.reduceat(np.where(is_pd, day, _NONE), starts)
    first_row = np.minimum.reduceat(np.where(is_pd, np.arange(n), _NONE), starts)
    return first_day, first_row


def _truncated(df: pl.DataFrame) -> pl.DataFrame:
    """Rows up to and including the group's first PD date (all rows without a PD)."""
    if df.height == 0:
        return df
    starts = _runs(df)
    first_day, _ = _first_pd(df, starts)
    limit = _per_row(starts, df.height, first_day)
    day = df["assessment_date"].to_physical().cast(pl.Int64)
    dated = day.is_not_null().to_numpy()
    keep = (limit == _NONE) | (dated & (day.fill_null(0).to_numpy() <= limit))
    return df.filter(pl.Series(keep))


def _best(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per group of the sorted, truncated rows (the aggregations of the docstring
    of :func:`best_target_change`, as minima over the runs of the group number)."""
    n = df.height
    starts = _runs(df)
    if n == 0:
        out = df.select(*keys).with_columns(
            pl.lit(None, dtype=pl.Float64).alias("best_pct_change"),
            pl.lit(None, dtype=pl.Date).alias("best_change_date"),
            pl.lit(None, dtype=pl.Int64).alias("n_evaluable"),
            pl.lit(None, dtype=pl.Boolean).alias(f"{TMP}has_target"),
            pl.lit(None, dtype=pl.Date).alias("first_pd_date"),
            pl.lit(None, dtype=pl.Boolean).alias("pd_new_lesion"),
        )
    else:
        ev = df[f"{TMP}eval"].to_numpy()
        pct = np.where(ev, df["pct_change_baseline"].fill_null(0.0).to_numpy(), np.inf)
        best = np.minimum.reduceat(pct, starts)
        # rows are in date order within a group: the first row at the minimum is the earliest
        at_best = ev & (pct == _per_row(starts, n, best))
        best_row = np.minimum.reduceat(np.where(at_best, np.arange(n), _NONE), starts)
        first_day, pd_row = _first_pd(df, starts)
        new = df[f"{TMP}new"].to_numpy()
        target = (df["baseline_sum_tenths"].fill_null(0) > 0).to_numpy()
        has_best = best_row != _NONE
        out = df[pl.Series(starts, dtype=pl.UInt32)].select(
            *keys,
            pl.when(pl.Series(best != np.inf)).then(pl.Series(np.where(best == np.inf, 0, best)))
            .alias("best_pct_change"),
            pl.when(pl.Series(has_best)).then(df["assessment_date"].gather(
                pl.Series(np.where(has_best, best_row, 0), dtype=pl.UInt32))
            ).alias("best_change_date"),
            pl.Series("n_evaluable", np.add.reduceat(ev.astype(np.int64), starts)),
            pl.Series(f"{TMP}has_target", np.maximum.reduceat(target, starts)),
            pl.when(pl.Series(first_day != _NONE)).then(
                pl.Series(np.where(first_day == _NONE, 0, first_day)).cast(pl.Int32).cast(pl.Date)
            ).alias("first_pd_date"),
            pl.Series("pd_new_lesion", (pd_row != _NONE) & new[np.minimum(pd_row, n - 1)]),
        )  # fmt: skip
    status = (
        pl.when(pl.col("n_evaluable") > 0).then(pl.lit("EVALUABLE"))
        .when(~pl.col(f"{TMP}has_target")).then(pl.lit("NO_TARGET_DISEASE"))
        .otherwise(pl.lit("NO_EVALUABLE_ASSESSMENT"))
    )  # fmt: skip
    return out.with_columns(status.alias("shrinkage_status")).select(
        *keys, "best_pct_change", "best_change_date", "n_evaluable", "shrinkage_status",
        "first_pd_date", "pd_new_lesion",
    )  # fmt: skip


def best_target_change(
    dataset: Any, *, by: Sequence[str] | None = None, truncate_after_pd: bool = True
) -> pl.DataFrame:
    """Best (most negative) percentage change of the target sum per patient and group.

    Parameters
    ----------
    dataset : timepoint table with ``patient_id``, ``assessment_date``,
        ``target_sum_tenths``, ``baseline_sum_tenths``, ``response`` and optionally
        ``target_response``, ``new_lesion`` and the grouping columns.
    by : grouping columns besides ``patient_id``; default: whichever of ``line``,
        ``compartment``, ``profile`` are present.
    truncate_after_pd : use assessments up to and including the first PD only.

    Returns
    -------
    polars.DataFrame: keys, ``best_pct_change``, ``best_change_date``, ``n_evaluable``,
    ``shrinkage_status`` (EVALUABLE, NO_EVALUABLE_ASSESSMENT, NO_TARGET_DISEASE),
    ``first_pd_date`` and ``pd_new_lesion`` (the first PD assessment came with a definite
    new lesion).
    """
    df, keys = _prepared(dataset, by)
    return _best(_truncated(df) if truncate_after_pd else df, keys)


def target_change_series(
    dataset: Any,
    *,
    by: Sequence[str] | None = None,
    truncate_after_pd: bool = False,
    include_baseline: bool = True,
) -> pl.DataFrame:
    """Per-assessment percentage change of the target sum (for spider plots).

    Returns keys, ``assessment_date``, ``days_from_baseline`` (when ``baseline_date`` is
    given), ``pct_change_baseline`` (null when not evaluable), ``response`` and
    ``new_lesion`` (bool). With ``include_baseline`` each group with baseline target
    disease starts with a row at its ``baseline_date`` (0 %, response ``BASELINE``).
    """
    df, keys = _prepared(dataset, by)
    return _series(_truncated(df) if truncate_after_pd else df, keys,
                   include_baseline=include_baseline)


def _series(df: pl.DataFrame, keys: list[str], *, include_baseline: bool) -> pl.DataFrame:
    has_bd = "baseline_date" in df.columns
    if has_bd:
        df = as_date(df, "dataset", "baseline_date")
    days = (
        (pl.col("assessment_date") - pl.col("baseline_date")).dt.total_days()
        if has_bd else pl.lit(None, dtype=pl.Int64)
    )  # fmt: skip
    out = df.select(
        *keys, "assessment_date", days.alias("days_from_baseline"), "pct_change_baseline",
        "response", pl.col(f"{TMP}new").alias("new_lesion"), _GK,
    )  # fmt: skip
    if not (include_baseline and has_bd):
        return out.drop(_GK)
    base = (
        df.filter(pl.col("baseline_sum_tenths").fill_null(0) > 0)
        .group_by(_GK, maintain_order=True)
        .agg(*(pl.col(k).first() for k in keys),
             pl.col("baseline_date").first().alias("assessment_date"))
        .with_columns(
            pl.lit(0, dtype=pl.Int64).alias("days_from_baseline"),
            pl.lit(0.0).alias("pct_change_baseline"), pl.lit("BASELINE").alias("response"),
            pl.lit(False).alias("new_lesion"),
        )
    )  # fmt: skip
    # the group number orders like the keys: sort on it and the date (a baseline row
    # before a follow-up row of the same date)
    out = pl.concat([base.select(out.columns), out], how="vertical_relaxed")
    return out.sort(_GK, "assessment_date", nulls_last=True, maintain_order=True).drop(_GK)


def shrinkage_tables(
    dataset: Any, *, by: Sequence[str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(best_target_change(dataset, by=by), target_change_series(dataset, by=by))`` with
    their default options, from one preparation (one sort) of ``dataset``."""
    df, keys = _prepared(dataset, by)
    return _best(_truncated(df), keys), _series(df, keys, include_baseline=True)
