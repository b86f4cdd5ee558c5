"""Data-quality signals that return the offending rows (house style convention 5).

Every ``signal_*`` function takes ``check_type`` ("error", "warning", "message", "none"):
with offending rows it raises :class:`~cnsrwe.errors.DataQualityError`, warns with
:class:`~cnsrwe.errors.DataQualityWarning` (both carry ``.rows``), or emits an
informational :class:`~cnsrwe.errors.CnsrweWarning` subclass message; it always returns
the offending rows and keeps them for :func:`get_last_issues`. Row tables hold keys and
dates only, never free text, so patient identifiers stay pseudonymised codes.

Signals:

* :func:`signal_crpr` - CR followed later by PR (admiralonco ``signal_crpr``,
  ``R/check_crpr.R``; RECIST 1.1 Table 3 footnote);
* :func:`signal_target_missing` - a target lesion measured at one scan and not measured at
  a later scan of the same compartment (RECIST 1.1 section 4.3.2: record every target
  every time);
* :func:`signal_baseline_too_early` - baseline scan more than ``max_days`` before the line
  start, or no baseline (RECIST 1.1 section 3.2: within 4 weeks);
* :func:`signal_new_lesion_inconsistent` - a definite new lesion at a date whose given
  timepoint response is not PD (e.g. CR with all non-targets absent);
* :func:`signal_pd_then_response` - PD followed by CR/PR/SD without a new line (possible
  pseudo-progression or a mis-coded PD).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from cnsrwe._checks import assert_in
from cnsrwe.errors import CnsrweWarning, DataQualityError, DataQualityWarning
from cnsrwe.io.schema import CNS_LOCATIONS
from cnsrwe.response._tables import (
    TMP,
    as_date,
    as_string,
    check_by,
    require_columns,
    to_polars,
)
from cnsrwe.response.rules import BorRule
from cnsrwe.response.window import analysis_window, check_responses

CheckType = Literal["error", "warning", "message", "none"]

_LAST: dict[str, pl.DataFrame] = {}


class DataQualityMessage(CnsrweWarning):
    """Informational data-quality note (``check_type="message"``); ``.rows`` as the warning."""

    def __init__(self, message: str, rows: Any = None) -> None:
        super().__init__(message)
        self.rows = rows


def get_last_issues(signal: str | None = None) -> pl.DataFrame | dict[str, pl.DataFrame]:
    """Offending rows of the last call of ``signal`` (e.g. ``"crpr"``), or all of them."""
    if signal is None:
        return dict(_LAST)
    assert_in("signal", signal, sorted(_LAST) or ["(none run yet)"])
    return _LAST[signal]


def _report(name: str, rows: pl.DataFrame, what: str, check_type: CheckType) -> pl.DataFrame:
    assert_in("check_type", check_type, ("error", "warning", "message", "none"))
    _LAST[name] = rows
    if rows.height == 0 or check_type == "none":
        return rows
    msg = (
        f"{what}: {rows.height} row(s). Run `get_last_issues({name!r})` or read `.rows` to see"
        " them."
    )
    if check_type == "error":
        raise DataQualityError(msg, rows)
    cls = DataQualityWarning if check_type == "warning" else DataQualityMessage
    warnings.warn(cls(msg, rows), stacklevel=3)
    return rows


def _assessments(dataset: Any, by: list[str]) -> pl.DataFrame:
    df = to_polars(dataset, "dataset")
    require_columns(df, "dataset", ["patient_id", "assessment_date", "response", *by])
    df = as_date(as_string(df, "patient_id"), "dataset", "assessment_date")
    check_responses(df, "dataset")
    return df


def signal_crpr(
    dataset: Any, *, by: Sequence[str] | str | None = None, check_type: CheckType = "warning"
) -> pl.DataFrame:
    """CR records followed (at any later date) by a PR, with those PR records.

    Returns ``patient_id``, the ``by`` columns, ``assessment_date`` and ``response``.
    """
    keys = ["patient_id", *check_by(by)]
    df = _assessments(dataset, keys[1:]).select(*keys, "assessment_date", "response")
    d, resp = pl.col("assessment_date"), pl.col("response")
    first_cr, last_pr = pl.col(f"{TMP}first_cr"), pl.col(f"{TMP}last_pr")
    # only a group whose first CR is before its last PR has such rows: find those groups
    # from the CR and the PR rows, then read the rows of those groups only
    groups = df.filter(resp == "CR").group_by(keys).agg(d.min().alias(first_cr.meta.output_name()))
    groups = groups.join(
        df.filter(resp == "PR").group_by(keys).agg(d.max().alias(last_pr.meta.output_name())),
        on=keys, nulls_equal=True,
    ).filter(first_cr < last_pr)  # fmt: skip
    rows = df.join(groups, on=keys, nulls_equal=True, maintain_order="left").filter(
        ((resp == "CR") & (d < last_pr)) | ((resp == "PR") & (d > first_cr))
    ).select(df.columns).sort([*keys, "assessment_date"], nulls_last=True)
    return _report("crpr", rows, "CR records followed by PR", check_type)


def signal_pd_then_response(
    assessments: Any,
    reference_dates: Any,
    dataset_next_therapy: Any = None,
    *,
    by: Sequence[str] | str | None = None,
    check_type: CheckType = "warning",
) -> pl.DataFrame:
    """PD followed by CR, PR or SD before the next line starts (possible pseudo-progression).

    Uses the analysis window of :func:`~cnsrwe.response.window.analysis_window` without
    truncation after PD. Returns the first PD and every later CR/PR/SD row.
    """
    rule = BorRule(truncate_after_pd=False)
    w = analysis_window(
        assessments, reference_dates, rule=rule, by=by, dataset_next_therapy=dataset_next_therapy
    )
    d = pl.col("assessment_date")
    first_pd = d.filter(pl.col("response") == "PD").min().over(w.keys)
    later = d.filter(pl.col("response").is_in(["CR", "PR", "SD"]) & (d > first_pd)).min()
    rows = w.series.with_columns(later.over(w.keys).alias("_later")).filter(
        pl.col("_later").is_not_null()
        & ((d == first_pd) | ((d > first_pd) & pl.col("response").is_in(["CR", "PR", "SD"])))
    )
    rows = rows.select(*w.keys, "assessment_date", "response").sort(
        [*w.keys, "assessment_date"], nulls_last=True
    )
    return _report("pd_then_response", rows, "PD followed by a response in the same line",
                   check_type)  # fmt: skip


def _lesions(dataset_lesions: Any, extra: Sequence[str]) -> pl.DataFrame:
    df = to_polars(dataset_lesions, "dataset_lesions")
    require_columns(
        df, "dataset_lesions", ["patient_id", "assessment_date", "lesion_id", "location", *extra]
    )
    df = as_date(as_string(df, "patient_id"), "dataset_lesions", "assessment_date")
    return df.with_columns(
        pl.when(pl.col("location").is_in(list(CNS_LOCATIONS)))
        .then(pl.lit("intracranial"))
        .otherwise(pl.lit("extracranial"))
        .alias("compartment")
    )


def signal_target_missing(
    dataset_lesions: Any, *, check_type: CheckType = "warning"
) -> pl.DataFrame:
    """Target lesions measured at one scan and missing (no row, or no value) at a later scan.

    A "later scan" is any later assessment date of the same patient with at least one
    lesion row in the same compartment (intracranial = ``CNS_LOCATIONS``), so a body CT
    does not count as a missed brain target. A lesion marked ``too_small_to_measure`` or
    ``merged_into`` another is measured. Returns ``patient_id``, ``lesion_id``,
    ``compartment``, ``assessment_date`` (the scan where it is missing) and
    ``last_measured_date``.
    """
    extra = ["lesion_role", "diameter_mm"]
    df = _lesions(dataset_lesions, extra)
    small = (
        pl.col("too_small_to_measure").fill_null(False)
        if "too_small_to_measure" in df.columns else pl.lit(False)
    )  # fmt: skip
    merged = pl.col("merged_into").is_not_null() if "merged_into" in df.columns else pl.lit(False)
    measured = pl.col("diameter_mm").is_not_null() | small | merged
    targets = df.filter(pl.col("lesion_role") == "target")
    seen = targets.filter(measured).group_by("patient_id", "lesion_id", "compartment").agg(
        pl.col("assessment_date").min().alias("first_measured_date")
    )
    scans = df.select("patient_id", "compartment", "assessment_date").unique()
    expected = seen.join(scans, on=["patient_id", "compartment"]).filter(
        pl.col("assessment_date") > pl.col("first_measured_date")
    )
    got = targets.filter(measured).select("patient_id", "lesion_id", "assessment_date").unique()
    missing = expected.join(got, on=["patient_id", "lesion_id", "assessment_date"], how="anti")
    last = targets.filter(measured).select(
        "patient_id", "lesion_id", pl.col("assessment_date").alias("last_measured_date")
    )
    rows = (
        missing.join(last, on=["patient_id", "lesion_id"], how="inner")
        .filter(pl.col("last_measured_date") < pl.col("assessment_date"))
        .group_by("patient_id", "lesion_id", "compartment", "assessment_date")
        .agg(pl.col("last_measured_date").max())
        .sort("patient_id", "lesion_id", "assessment_date")
    )
    return _report("target_missing", rows, "Target lesions measured, then missing", check_type)


def signal_baseline_too_early(
    dataset_lesions: Any,
    reference_dates: Any,
    *,
    max_days: int = 28,
    check_type: CheckType = "warning",
) -> pl.DataFrame:
    """Lines whose baseline scan is more than ``max_days`` before the line start, or absent.

    The baseline scan of a compartment is its latest lesion assessment on or before the
    reference date. Returns ``patient_id``, the reference keys (e.g. ``line``),
    ``compartment``, ``reference_date``, ``baseline_date`` (null = no baseline scan) and
    ``days_before``.
    """
    if isinstance(max_days, bool) or not isinstance(max_days, int) or max_days < 0:
        msg = f"`max_days` must be a whole number >= 0, got {max_days!r}"
        raise ValueError(msg)
    df = _lesions(dataset_lesions, [])
    ref = to_polars(reference_dates, "reference_dates")
    require_columns(ref, "reference_dates", ["patient_id", "reference_date"])
    ref = as_date(as_string(ref, "patient_id"), "reference_dates", "reference_date")
    rkeys = [c for c in ref.columns if c in ("patient_id", "line")]
    comps = df.select("patient_id", "compartment").unique()
    base = (
        ref.select(*rkeys, "reference_date").join(comps, on="patient_id", how="left")
        .join(df.select("patient_id", "compartment", "assessment_date").unique(),
              on=["patient_id", "compartment"], how="left")
        .group_by(*rkeys, "compartment", "reference_date")
        .agg(pl.col("assessment_date").filter(pl.col("assessment_date")
                                                <= pl.col("reference_date")).max()
             .alias("baseline_date"))
    )  # fmt: skip
    days = (pl.col("reference_date") - pl.col("baseline_date")).dt.total_days()
    rows = (
        base.with_columns(days.alias("days_before"))
        .filter(pl.col("baseline_date").is_null() | (pl.col("days_before") > max_days))
        .sort(*rkeys, "compartment", nulls_last=True)
    )
    return _report("baseline_too_early", rows, f"Baseline scan more than {max_days} days"
                   " before the line start, or missing", check_type)  # fmt: skip


def signal_new_lesion_inconsistent(
    dataset_lesions: Any,
    dataset_timepoints: Any,
    *,
    check_type: CheckType = "warning",
) -> pl.DataFrame:
    """Timepoint responses other than PD on a date with a definite new lesion.

    A definite new lesion is a ``lesion_role == "new"`` row not flagged ``equivocal``.
    ``dataset_timepoints`` holds given (or derived) calls with ``patient_id``,
    ``assessment_date``, ``response`` and optional ``compartment``; a call for
    ``intracranial``/``extracranial`` is compared with new lesions in that compartment,
    any other with all new lesions. Returns the call keys, ``response``,
    ``n_new_lesions`` and ``nontargets_all_absent`` (the typical inconsistent CR).
    """
    df = _lesions(dataset_lesions, ["lesion_role"])
    eq = pl.col("equivocal").fill_null(False) if "equivocal" in df.columns else pl.lit(False)
    nts = (
        pl.col("non_target_status") if "non_target_status" in df.columns
        else pl.lit(None, dtype=pl.String)
    )  # fmt: skip
    per_comp = df.group_by("patient_id", "assessment_date", "compartment").agg(
        ((pl.col("lesion_role") == "new") & ~eq).sum().alias("n_new_lesions"),
        nts.filter(pl.col("lesion_role") == "non_target").eq("absent").all()
        .alias("nontargets_all_absent"),
    )  # fmt: skip
    whole = per_comp.group_by("patient_id", "assessment_date").agg(
        pl.col("n_new_lesions").sum(), pl.col("nontargets_all_absent").all()
    )
    tp = to_polars(dataset_timepoints, "dataset_timepoints")
    require_columns(tp, "dataset_timepoints", ["patient_id", "assessment_date", "response"])
    tp = as_date(as_string(tp, "patient_id"), "dataset_timepoints", "assessment_date")
    if "compartment" not in tp.columns:
        tp = tp.with_columns(pl.lit("overall").alias("compartment"))
    split = tp.filter(pl.col("compartment").is_in(["intracranial", "extracranial"]))
    other = tp.filter(~pl.col("compartment").is_in(["intracranial", "extracranial"]))
    keys = ["patient_id", "assessment_date"]
    joined = pl.concat(
        [
            split.join(per_comp, on=[*keys, "compartment"], how="inner"),
            other.join(whole, on=keys, how="inner"),
        ],
        how="diagonal_relaxed",
    )
    rows = (
        joined.filter((pl.col("n_new_lesions") > 0) & (pl.col("response") != "PD"))
        .select(*[c for c in tp.columns if c in (*keys, "line", "compartment", "profile")],
                "response", "n_new_lesions", "nontargets_all_absent")
        .sort(keys)
    )  # fmt: skip
    return _report("new_lesion_inconsistent", rows,
                   "Timepoint response other than PD with a definite new lesion", check_type)
