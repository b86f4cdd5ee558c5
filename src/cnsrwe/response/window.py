"""The analysis window: which timepoint responses a best-response derivation may use.

One function, :func:`analysis_window`, turns the raw assessment and reference-date tables
into the sorted, de-duplicated series every response derivation works on, applying the
exclusion rules of a :class:`~cnsrwe.response.rules.BorRule`:

1. ``ND`` (not done) rows are dropped;
2. assessments before the reference date (line start) are dropped (on the date are kept,
   as admiralonco's ``ADT >= RANDDT``);
3. assessments on or after the next anticancer therapy start are dropped (admiralonco's
   ``ADT < NACTDT``);
4. several calls on one date collapse to the worst (PD > NON-CR/NON-PD > SD > PR > CR > NE,
   the ordering of admiralonco's ``ANL01FL`` example in ``vignettes/adrs.Rmd``);
5. with ``truncate_after_pd``, assessments after the first PD are dropped (RECIST 1.1
   section 4.4: best response is recorded up to progression).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from cnsrwe.errors import CriteriaError, SchemaError
from cnsrwe.response import _keys
from cnsrwe.response._keys import ColumnPacker, bits, dense_key, u64
from cnsrwe.response._tables import TMP, as_date, as_string, check_by, require_columns, to_polars
from cnsrwe.response.rules import RESPONSE_CODES, BorRule

#: Worst-first severity used to collapse several calls on one date (higher = worse).
SEVERITY: dict[str, int] = {"NE": 1, "CR": 2, "PR": 3, "SD": 4, "NON-CR/NON-PD": 5, "PD": 6}

_BY_SEVERITY = pl.Enum(sorted(SEVERITY, key=SEVERITY.__getitem__))

IDX = f"{TMP}i"
#: Packed UInt64 group key (order = the output keys sorted with nulls last) of ``series``
#: and ``groups``; both frames are sorted by it (see :mod:`cnsrwe.response._keys`).
GK = f"{TMP}g"
_RK = f"{TMP}rk"


@dataclass(frozen=True)
class AnalysisWindow:
    """Result of :func:`analysis_window`.

    Attributes
    ----------
    keys : output key columns (``patient_id`` then the ``by`` columns).
    groups : one row per output key with ``reference_date`` and ``next_therapy_date``,
        sorted by the keys (nulls last), with the packed group key ``GK``.
    series : the usable assessments: keys, ``assessment_date``, ``response``,
        ``reference_date``, sorted by keys and date, with a per-group index ``IDX`` and the
        group key ``GK``.
    """

    keys: list[str]
    groups: pl.DataFrame
    series: pl.DataFrame


def check_responses(df: pl.DataFrame, name: str) -> None:
    """Raise ``CriteriaError`` naming patient, date and value of the first unknown response."""
    bad = df.filter(~pl.col("response").is_in(list(RESPONSE_CODES)) | pl.col("response").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        allowed = ", ".join(repr(c) for c in RESPONSE_CODES)
        more = f" (and {bad.height - 1} more row(s))" if bad.height > 1 else ""
        msg = (
            f"`{name}.response` must be one of {allowed}, got {row['response']!r} for patient "
            f"{row['patient_id']!r} on {row['assessment_date']}{more}"
        )
        raise CriteriaError(msg)


def _reference_table(
    reference_dates: Any, dataset_next_therapy: Any, by: list[str]
) -> tuple[pl.DataFrame, list[str]]:
    ref = to_polars(reference_dates, "reference_dates")
    require_columns(ref, "reference_dates", ["patient_id", "reference_date"])
    ref_keys = ["patient_id"] + [b for b in by if b in ref.columns]
    ref = as_date(as_string(ref, "patient_id"), "reference_dates", "reference_date")
    if ref["reference_date"].null_count():
        msg = "`reference_dates.reference_date` must not be empty, got an empty date"
        raise SchemaError(msg)
    if "next_therapy_date" in ref.columns:
        ref = as_date(ref, "reference_dates", "next_therapy_date")
    else:
        ref = ref.with_columns(pl.lit(None, dtype=pl.Date).alias("next_therapy_date"))
    if dataset_next_therapy is not None:
        nxt = to_polars(dataset_next_therapy, "dataset_next_therapy")
        nxt_keys = [k for k in ref_keys if k in nxt.columns]
        require_columns(nxt, "dataset_next_therapy", ["patient_id", "next_therapy_date"])
        nxt = as_date(as_string(nxt, "patient_id"), "dataset_next_therapy", "next_therapy_date")
        nxt = nxt.group_by(nxt_keys).agg(pl.col("next_therapy_date").min().alias(f"{TMP}nt"))
        ref = ref.join(nxt, on=nxt_keys, how="left").with_columns(
            pl.min_horizontal("next_therapy_date", f"{TMP}nt").alias("next_therapy_date")
        ).drop(f"{TMP}nt")
    return ref.select([*ref_keys, "reference_date", "next_therapy_date"]), ref_keys


def analysis_window(
    assessments: Any,
    reference_dates: Any,
    *,
    rule: BorRule,
    by: Sequence[str] | str | None = None,
    dataset_next_therapy: Any = None,
) -> AnalysisWindow:
    """Return the assessments a best-response derivation may use, per patient and ``by``.

    Parameters
    ----------
    assessments : table with ``patient_id``, ``assessment_date``, ``response`` and the
        ``by`` columns.
    reference_dates : table with ``patient_id``, ``reference_date`` (line start), optional
        ``next_therapy_date`` and any ``by`` columns it is keyed by (e.g. ``line``).
    rule : the exclusion rules to apply.
    by : extra grouping columns (e.g. ``["line", "compartment"]``). ``by`` columns absent
        from ``reference_dates`` are crossed with every value seen in ``assessments``, so
        each reference row gets a result for every compartment.
    dataset_next_therapy : optional table with ``patient_id`` (and reference keys it has)
        and ``next_therapy_date``; the earliest date per key is used.
    """
    by_cols = check_by(by)
    df = to_polars(assessments, "assessments")
    require_columns(df, "assessments", ["patient_id", "assessment_date", "response", *by_cols])
    df = as_date(as_string(df, "patient_id"), "assessments", "assessment_date")
    if df["assessment_date"].null_count():
        bad = df.filter(pl.col("assessment_date").is_null()).row(0, named=True)
        msg = (
            "`assessments.assessment_date` must not be empty, got an empty date for patient "
            f"{bad['patient_id']!r}"
        )
        raise SchemaError(msg)
    if df.schema["response"] != pl.String:
        df = df.with_columns(pl.col("response").cast(pl.String))
    check_responses(df, "assessments")
    ref, ref_keys = _reference_table(reference_dates, dataset_next_therapy, by_cols)
    keys = ["patient_id", *by_cols]
    df = df.select([*keys, "assessment_date", "response"])
    for k in ref_keys[1:]:
        if df.schema[k] != ref.schema[k]:
            df = df.with_columns(pl.col(k).cast(ref.schema[k]))
    packer = ColumnPacker.build([ref, df], keys)
    if packer is None:
        ref, df = dense_key([ref, df], ref_keys, _RK)
    else:
        # one full key per assessment; the reference key is its masked prefix fields
        df = df.with_columns(packer.key(keys).alias(GK))
        rk = pl.col(GK) if ref_keys == keys else pl.col(GK) & u64(packer.mask(ref_keys))
        df = df.with_columns(rk.alias(_RK))
        ref = ref.with_columns(packer.key(ref_keys).alias(_RK))
    # reference rows sorted by their key: duplicates are neighbours, and each assessment
    # finds its reference row by binary search instead of a join
    ref_sorted = ref.sort(_RK)
    ref_key = ref_sorted[_RK]
    if ref_key.len() > 1 and (ref_key.slice(1) == ref_key.slice(0, ref_key.len() - 1)).any():
        first = ref.filter(ref[_RK].is_duplicated()).row(0, named=True)
        msg = (
            f"`reference_dates` must have one row per {ref_keys!r}, got duplicates for "
            f"{ {k: first[k] for k in ref_keys} !r}"
        )
        raise SchemaError(msg)
    at = pl.Series(np.searchsorted(ref_key.to_numpy(), df[_RK].to_numpy()), dtype=pl.UInt32)
    at_valid = pl.min_horizontal(pl.lit(at), pl.lit(max(ref_key.len() - 1, 0), pl.UInt32))
    hit = df.select(
        (pl.lit(at) < ref_key.len()) & (pl.lit(ref_key).gather(at_valid) == pl.col(_RK))
        if ref_key.len() else pl.repeat(False, pl.len())
    ).to_series()
    if not hit.all():
        orphans = df.filter(~hit)
        first = orphans.row(0, named=True)
        n = orphans.select(ref_keys).unique().height
        msg = (
            f"`reference_dates` must have a row for every {ref_keys!r} in `assessments`, "
            f"got none for { {k: first[k] for k in ref_keys} !r}"
            + (f" and {n - 1} more" if n > 1 else "")
        )
        raise SchemaError(msg)

    cross = [b for b in by_cols if b not in ref_keys]
    cols = [*keys, "reference_date", "next_therapy_date"]
    if not cross and packer is not None:
        # the reference key is the group key, and ref_sorted is already in its order
        groups = ref_sorted.select(*cols, pl.col(_RK).alias(GK))
    else:
        groups = ref
        if cross:
            values = df.select(cross).unique().sort(cross, nulls_last=True)
            groups = ref.join(values, how="cross")
        groups = groups.select(cols)
        if packer is None:
            groups = dense_key([groups], keys, GK)[0]
        else:
            groups = groups.with_columns(packer.key(keys).alias(GK))
        groups = groups.sort(GK)
    groups = groups.with_columns(pl.col(GK).set_sorted())

    s = df.with_columns(
        ref_sorted["reference_date"].gather(at).alias("reference_date"),
        ref_sorted["next_therapy_date"].gather(at).alias("next_therapy_date"),
    ).filter(pl.col("response") != "ND").drop(_RK)
    if rule.exclude_before_reference:
        s = s.filter(pl.col("assessment_date") >= pl.col("reference_date"))
    if rule.exclude_after_next_therapy:
        s = s.filter(
            pl.col("next_therapy_date").is_null()
            | (pl.col("assessment_date") < pl.col("next_therapy_date"))
        )
    if packer is None:
        s = s.join(groups.select(*keys, GK), on=keys, how="left", nulls_equal=True)
        key_bits = bits(groups.height)
    else:
        key_bits = packer.total_bits
    s = _latest_worst_call(s.drop("next_therapy_date"), key_bits)
    g = pl.col(GK)
    first_row = (g != g.shift(1)).fill_null(True)
    if rule.truncate_after_pd:
        # keep rows with no PD earlier in their group (dates are distinct within a group)
        is_pd = (pl.col("response") == "PD").cast(pl.UInt32)
        before = is_pd.cum_sum() - is_pd
        s = s.filter(before == pl.when(first_row).then(before).forward_fill())
    row = pl.int_range(pl.len(), dtype=pl.Int32)
    s = s.with_columns((row - pl.when(first_row).then(row).forward_fill()).alias(IDX))
    s = s.select([*keys, "assessment_date", "response", "reference_date", IDX, GK])
    return AnalysisWindow(keys=keys, groups=groups, series=s)


def _latest_worst_call(s: pl.DataFrame, key_bits: int) -> pl.DataFrame:
    """Sort by group key, date and severity; keep the worst call per group key and date.

    The same rows and order as a sort by keys, date and severity followed by a
    keep-last unique on keys and date, on one packed UInt64 (group key, day, severity).
    """
    # an Enum whose categories are in severity order: its physical code is SEVERITY - 1
    sev = pl.col("response").cast(_BY_SEVERITY).to_physical().cast(pl.UInt64)
    days = pl.col("assessment_date").cast(pl.Int32).cast(pl.Int64)
    lo = s["assessment_date"].cast(pl.Int32).min() if s.height else 0
    lo = 0 if lo is None else int(lo)  # type: ignore[arg-type]
    hi = s["assessment_date"].cast(pl.Int32).max() if s.height else 0
    day_bits = bits(int(hi if hi is not None else 0) - lo + 1)  # type: ignore[arg-type]
    if key_bits + day_bits + 3 <= _keys._MAX_BITS:
        order = (
            pl.col(GK) * u64(1 << (day_bits + 3))
            + (days - lo).cast(pl.UInt64) * u64(8) + sev
        )  # fmt: skip
        s = s.sort(order)
    else:
        s = s.sort([GK, "assessment_date", sev])
    g, d = pl.col(GK), pl.col("assessment_date")
    last = ((g != g.shift(-1)) | (d != d.shift(-1))).fill_null(True)
    return s.filter(last).with_columns(pl.col(GK).set_sorted())
