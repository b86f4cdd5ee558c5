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

import polars as pl

from cnsrwe.response._tables import TMP, as_date, as_string, require_columns, to_polars

#: group number (patient + by) of the rows sorted by keys and date: sorted, one integer
_GK = f"{TMP}gk"
_BASE = ["patient_id", "assessment_date", "target_sum_tenths", "baseline_sum_tenths", "response"]


def _keys(df: pl.DataFrame, by: Sequence[str] | None) -> list[str]:
    if by is None:
        by = [c for c in ("line", "compartment", "profile") if c in df.columns]
    require_columns(df, "dataset", list(by))
    return ["patient_id", *by]


def _prepared(
    dataset: Any, by: Sequence[str] | None, *, truncate_after_pd: bool
) -> tuple[pl.DataFrame, list[str]]:
    """The rows sorted by keys and date, with the evaluable flag, the change and a group
    number (run id of the sorted keys, flagged sorted, so per-group work is a merge on one
    integer column instead of a multi-column hash)."""
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
    df = df.sort([*keys, "assessment_date"], nulls_last=True).with_columns(
        pl.struct(keys).rle_id().set_sorted().alias(_GK),
        evaluable.alias(f"{TMP}eval"),
        pl.when(evaluable).then(100.0 * (s - b).cast(pl.Float64) / b.cast(pl.Float64))
        .alias("pct_change_baseline"),
        new.alias(f"{TMP}new"),
    )  # fmt: skip
    if truncate_after_pd:
        first_pd = pl.col("assessment_date").filter(pl.col("response") == "PD").min().over(_GK)
        df = df.filter(first_pd.is_null() | (pl.col("assessment_date") <= first_pd))
    return df, keys


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
    ``first_pd_date`` and ``pd_new_lesion``.
    """
    df, keys = _prepared(dataset, by, truncate_after_pd=truncate_after_pd)
    ev = pl.col(f"{TMP}eval")
    pct = pl.col("pct_change_baseline")
    is_pd = pl.col("response") == "PD"
    # rows are in date order within a group: the first row at the minimum is the earliest
    at_best = ev & (pct == pct.filter(ev).min().over(_GK))
    out = df.with_columns(at_best.alias(f"{TMP}at_best")).group_by(_GK, maintain_order=True).agg(
        *(pl.col(k).first() for k in keys),
        pct.filter(ev).min().alias("best_pct_change"),
        pl.col("assessment_date").filter(pl.col(f"{TMP}at_best")).first()
        .alias("best_change_date"),
        ev.sum().cast(pl.Int64).alias("n_evaluable"),
        (pl.col("baseline_sum_tenths").fill_null(0) > 0).any().alias(f"{TMP}has_target"),
        pl.col("assessment_date").filter(is_pd).min().alias("first_pd_date"),
        pl.col(f"{TMP}new").filter(is_pd).first().fill_null(False).alias("pd_new_lesion"),
    )  # fmt: skip
    status = (
        pl.when(pl.col("n_evaluable") > 0).then(pl.lit("EVALUABLE"))
        .when(~pl.col(f"{TMP}has_target")).then(pl.lit("NO_TARGET_DISEASE"))
        .otherwise(pl.lit("NO_EVALUABLE_ASSESSMENT"))
    )  # fmt: skip
    return (
        out.with_columns(status.alias("shrinkage_status"))
        .select(*keys, "best_pct_change", "best_change_date", "n_evaluable", "shrinkage_status",
                "first_pd_date", "pd_new_lesion")
    )  # fmt: skip


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
    df, keys = _prepared(dataset, by, truncate_after_pd=truncate_after_pd)
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
