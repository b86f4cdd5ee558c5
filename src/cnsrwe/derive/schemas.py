"""Fixed column schemas of the analysis datasets (store tables ``ad_*``).

Each derivation result is cast to these schemas so that every patient chunk, every engine
(polars here, Spark later) and every re-run writes the same column names and types.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from cnsrwe.derive._sortkey import packed_key, packed_keys
from cnsrwe.endpoints.tte import ADTTE_SCHEMA

AD_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "ad_reference": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "regimen": pl.String(),
        "agent_class": pl.String(),
        "reference_date": pl.Date(),
        "end_date": pl.Date(),
        "end_reason": pl.String(),
        "next_therapy_date": pl.Date(),
        "assessment_end_date": pl.Date(),
    },
    "ad_timepoints": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "assessment_date": pl.Date(),
        "compartment": pl.String(),
        "profile": pl.String(),
        "baseline_date": pl.Date(),
        "n_targets": pl.Int64(),
        "n_nontargets": pl.Int64(),
        "target_sum_tenths": pl.Int64(),
        "baseline_sum_tenths": pl.Int64(),
        "nadir_sum_tenths": pl.Int64(),
        "pct_change_baseline": pl.Float64(),
        "pct_change_nadir": pl.Float64(),
        "n_targets_missing": pl.Int64(),
        "target_response": pl.String(),
        "nontarget_response": pl.String(),
        "new_lesion": pl.String(),
        "new_lesion_as_read": pl.String(),
        "response": pl.String(),
        "rule": pl.String(),
        "corticosteroid_mg": pl.Float64(),
        "baseline_corticosteroid_mg": pl.Float64(),
        "symptom_change": pl.String(),
        "progression_date": pl.Date(),
        "window_first_date": pl.Date(),
    },
    "ad_lesions": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "assessment_date": pl.Date(),
        "compartment": pl.String(),
        "profile": pl.String(),
        "lesion_id": pl.String(),
        "role": pl.String(),
        "is_baseline": pl.Boolean(),
        "recorded_tenths": pl.Int64(),
        "used_tenths": pl.Int64(),
        "flag": pl.String(),
    },
    "ad_bor": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "compartment": pl.String(),
        "profile": pl.String(),
        "bor": pl.String(),
        "bor_date": pl.Date(),
        "bor_reason": pl.String(),
        "bor_confirmation_date": pl.Date(),
        "n_assessments": pl.Int64(),
        "bor_rule": pl.String(),
        "objective_response": pl.Boolean(),
        "disease_control": pl.Boolean(),
        "bor_rule_name": pl.String(),
    },
    "ad_shrinkage": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "compartment": pl.String(),
        "profile": pl.String(),
        "best_pct_change": pl.Float64(),
        "best_change_date": pl.Date(),
        "n_evaluable": pl.Int64(),
        "shrinkage_status": pl.String(),
        "first_pd_date": pl.Date(),
        "pd_new_lesion": pl.Boolean(),
        "shrinkage_rule": pl.String(),
    },
    "ad_shrinkage_series": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "compartment": pl.String(),
        "profile": pl.String(),
        "assessment_date": pl.Date(),
        "days_from_baseline": pl.Int64(),
        "pct_change_baseline": pl.Float64(),
        "response": pl.String(),
        "new_lesion": pl.Boolean(),
    },
    "ad_progression": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "profile": pl.String(),
        "first_pd_date": pl.Date(),
        "site": pl.String(),
        "n_new_lesions": pl.Int64(),
        "n_progressing_lesions": pl.Int64(),
        "n_counted": pl.Int64(),
        "extent": pl.String(),
        "extensive_features": pl.String(),
        "cns_oligo": pl.Boolean(),
        "symptomatic": pl.Boolean(),
        "symptomatic_reason": pl.String(),
        "progression_rule": pl.String(),
        "first_pd_scan_date": pl.Date(),
    },
    # ADTTE-like rows, every systemic line as index (cnsrwe.endpoints.derive_tte)
    "ad_tte": dict(ADTTE_SCHEMA),
    "ad_issues": {
        "patient_id": pl.String(),
        "line": pl.Int64(),
        "profile": pl.String(),
        "code": pl.String(),
        "message": pl.String(),
    },
}

#: Key columns of each dataset (one row per key; the issues table has no key).
AD_KEYS: dict[str, tuple[str, ...]] = {
    "ad_reference": ("patient_id", "line"),
    "ad_timepoints": ("patient_id", "line", "assessment_date", "compartment", "profile"),
    "ad_lesions": ("patient_id", "line", "assessment_date", "compartment", "profile", "lesion_id"),
    "ad_bor": ("patient_id", "line", "compartment", "profile", "bor_rule_name"),
    "ad_shrinkage": ("patient_id", "line", "compartment", "profile"),
    "ad_shrinkage_series": ("patient_id", "line", "compartment", "profile", "assessment_date"),
    "ad_progression": ("patient_id", "line", "profile"),
    "ad_tte": ("patient_id", "line", "paramcd"),
    "ad_issues": (),
}


def _in_unique_key_order(df: pl.DataFrame, by: list[str]) -> bool:
    """True when every row is strictly greater than the one before it on ``by``.

    Lexicographic comparison of each row with the previous one (no null allowed in ``by``):
    a few vectorised comparisons, much cheaper than encoding the key, so steps that already
    emit their rows in key order skip the sort.
    """
    if any(df[c].null_count() for c in by):
        return False
    newer: pl.Expr | None = None
    for col in reversed(by):
        cur, prev = pl.col(col), pl.col(col).shift(1)
        newer = cur > prev if newer is None else (cur > prev) | ((cur == prev) & newer)
    assert newer is not None
    return bool(df.select(newer.slice(1).all()).item())


def finish(
    df: pl.DataFrame, schema: dict[str, pl.DataType], key: tuple[str, ...] = (),
    *, categories: Mapping[str, pl.Series] | None = None, ordered: bool = False,
) -> pl.DataFrame:
    """Cast ``df`` to ``schema`` (in its column order) and sort it into its canonical order.

    The canonical order makes the row order a function of the rows alone, so results of
    patient chunks concatenated in patient order equal a single run row for row: by the
    ``key`` columns (:data:`AD_KEYS`, in key order) when ``key`` is given and its values
    are unique, otherwise by every column, first to last (nulls last throughout).

    Both sorts run on packed integers: each column is replaced by its sort-order code
    (:func:`cnsrwe.derive._sortkey.packed_key`) and the codes are packed into one UInt64
    (the key) or a few (every column, :func:`cnsrwe.derive._sortkey.packed_keys`), which
    order rows exactly as the multi-column sort on the original strings, dates and integers
    does, several times faster. A column that cannot be encoded (a float) falls back to the
    plain multi-column sort. ``categories`` (sorted distinct values of string columns, e.g.
    the chunk's patient ids) only save finding those values again. ``ordered=True`` is the
    caller's guarantee that the rows are already in strictly increasing ``key`` order (one
    row per key, e.g. the lesion table of
    :func:`~cnsrwe.criteria.derive_timepoint_responses`); the row-by-row check is then
    skipped (for the lesion table it cost about 2% of a whole derivation).
    """
    # one contiguous chunk per column: gathering rows from a concatenation of many pieces
    # costs about 4x more than rechunking first
    out = df.select(list(schema)).cast(schema).rechunk()
    if out.height < 2:
        return out
    by = list(key)
    if by and (ordered or _in_unique_key_order(out, by)):
        return out
    if by:
        packed = packed_key(out, by, categories=categories)
        if packed is not None:
            order = packed.arg_sort()
            ordered = packed.gather(order)
            if not (ordered.head(-1) == ordered.tail(-1)).any():
                return out[order]
        else:
            keyed = out.sort(by, nulls_last=True)
            same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(1)) for c in by)
            if not keyed.select(same.fill_null(False).any()).item():
                return keyed
    keys = packed_keys(out, out.columns, categories=categories)
    if keys is not None:
        return out[pl.DataFrame(keys).select(pl.arg_sort_by(*[k.name for k in keys])).to_series()]
    return out.sort(out.columns, nulls_last=True)
