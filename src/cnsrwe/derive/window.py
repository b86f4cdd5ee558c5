"""Assessment windows: scans of one assessment on different dates form one timepoint.

Rule (clinical/response-criteria.md §0.2, a common sponsor convention, tagged [P]): when
body CT and brain MRI of one assessment are done on different dates, they form one
timepoint. Its **response date** is the latest scan date of the window; the date used for
**progression** is the earliest scan date of the window that shows progression.

Implementation (:func:`group_assessment_windows`), per patient and vectorised:

1. distinct scan dates are split into segments at every line start (``reference_date``), so
   a window never joins a baseline scan with a follow-up scan;
2. inside a segment, consecutive scan dates at most ``window_days`` apart belong to one
   window (gap rule; ``window_days = 0`` turns windows off);
3. every lesion row is re-dated to its window's latest date (the original date is kept in
   ``scan_date``); when one lesion was read twice inside a window, its latest read is kept.

:func:`progression_dates` then gives, for each PD timepoint, the earliest scan date of the
window carrying progression evidence in the timepoint's compartment (a definite new lesion,
or a non-target read as unequivocal progression). PD decided by the target sum alone keeps
the window's response date, because a sum needs every target of the window.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cnsrwe._packed_keys import KeyPacker, patient_batches
from cnsrwe.derive._sortkey import order_codes, packed_key
from cnsrwe.io.schema import CNS_LOCATIONS

_KEY = ["patient_id", "assessment_date"]


def group_assessment_windows(
    dataset_lesions: pl.DataFrame, dataset_reference: pl.DataFrame, *, window_days: int
) -> pl.DataFrame:
    """Re-date lesion rows to their assessment window (see the module docstring).

    Returns the lesion rows with ``assessment_date`` = the window's response (latest) date
    and two added columns, ``scan_date`` (original date) and ``window_first_date``.
    """
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 0:
        msg = f"`assessment_window_days` must be a whole number >= 0, got {window_days!r}"
        raise ValueError(msg)
    les = dataset_lesions.with_columns(pl.col("patient_id").cast(pl.String))
    if window_days == 0:
        return les.with_columns(
            pl.col("assessment_date").alias("scan_date"),
            pl.col("assessment_date").alias("window_first_date"),
        )
    refs = dataset_reference.select(pl.col("patient_id").cast(pl.String), "reference_date")
    if les.select(pl.any_horizontal(pl.col("patient_id", "assessment_date", "lesion_id")
                                    .is_null().any())).item():  # fmt: skip
        return _windows_by_columns(les, refs, window_days)
    return _windows_packed(les, refs.drop_nulls(), window_days)


def _windows_packed(les: pl.DataFrame, refs: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """The windows on packed (patient, date, lesion) keys: sorted series, no joins.

    Distinct scan dates and line starts are merged in one sorted UInt64 column; a scan's
    segment is the number of line starts before it (strictly), a window starts at a new
    patient, a new segment or a gap above ``window_days``. Lesion rows find their window
    by their run of equal (patient, date) keys when the rows come in that order, else by
    binary search of the key. Patients are split into batches when
    the keys would need more than 64 bits.
    """
    packer = KeyPacker.build(
        patients=[les["patient_id"], refs["patient_id"]],
        lines=[pl.Series([], dtype=pl.Int64)],
        dates=[les["assessment_date"], refs["reference_date"]],
        lesions=[les["lesion_id"]],
    )  # fmt: skip
    if packer is None:
        ids = les["patient_id"].unique()
        if ids.len() < 2:
            return _windows_by_columns(les, refs, window_days)
        parts = []
        for batch in patient_batches(ids, 2):
            mine = pl.col("patient_id").is_in(batch.implode())
            parts.append(_windows_packed(les.filter(mine), refs.filter(mine), window_days))
        return pl.concat(parts)
    u = pl.UInt64
    one, two = pl.lit(1, dtype=u), pl.lit(2, dtype=u)
    pd_key = packer.key(patient="patient_id", date="assessment_date")
    scan_key = les.select(pd_key.alias("k"))["k"]
    # line starts sort after scans of the same day: a segment counts starts strictly before
    merged = pl.concat([
        scan_key.unique().to_frame().select(pl.col("k") * two),
        refs.select((packer.key(patient="patient_id", date="reference_date") * two + one)
                    .alias("k")),
    ]).sort("k")  # fmt: skip
    k = pl.col("k")
    scans = merged.with_columns((k % two).cum_sum().alias("_seg")).filter(k % two == 0).select(
        k // two, "_seg"
    )
    # column expressions even when a field has zero bits (a literal would not shift)
    patient = packer.coarsen(k, ["line", "date", "lesion"])
    day = ((k - packer.coarsen(k, ["date"])) // pl.lit(1 << packer.widths[3], dtype=u)).cast(
        pl.Int64
    )
    start = (
        (patient != patient.shift(1)) | (pl.col("_seg") != pl.col("_seg").shift(1))
        | (day - day.shift(1) > window_days)
    ).fill_null(True)  # fmt: skip
    scans = scans.with_columns(start.alias("_start")).with_columns(
        pl.when(pl.col("_start")).then(day).forward_fill().alias("_first"),
        pl.when(pl.col("_start").shift(-1).fill_null(True)).then(day).backward_fill()
        .alias("_resp"),
    )  # fmt: skip
    if scan_key.is_sorted():
        # rows already in (patient, date) order: a row's scan is its run of equal keys
        at = scan_key.rle_id()
    else:
        at = pl.Series(np.searchsorted(scans["k"].to_numpy(), scan_key.to_numpy()))
    lesion = pl.col("lesion_id").cast(pl.String).cast(pl.Enum(packer.lesions)).to_physical()
    win = les.select(
        scan_key.alias("_sk"), scans["_resp"].gather(at).cast(u).alias("_resp"),
        scans["_first"].gather(at).alias("_first"), lesion.cast(u).alias("_l"),
    )  # fmt: skip
    # (patient, window date, lesion) = the scan key with its date swapped, plus the lesion
    date_shift = pl.lit(1 << packer.widths[3], dtype=u)
    scan_day = packer.field(pl.col("_sk"), "date")
    key3 = pl.col("_sk") - scan_day * date_shift + pl.col("_resp") * date_shift + pl.col("_l")
    win = win.with_columns(key3.alias("_k3"), scan_day.alias("_sd"))
    order: pl.Series | None = None  # None: the rows are already in (key3, scan day) order
    if sum(packer.widths) + packer.widths[2] <= 64:
        both = win.select(
            pl.col("_k3") * pl.lit(1 << packer.widths[2], dtype=u) + pl.col("_sd")
        ).to_series()
        values = both.to_numpy()
        # strictly increasing: the only order (a sort could move nothing, ties included)
        if not (values.size < 2 or bool(np.all(values[1:] > values[:-1]))):
            # rows come nearly in order (only merged windows are not): numpy's stable sort
            # runs on sorted stretches; without ties its order is the only one, with ties
            # the previous sort decides (which duplicate read is last)
            at = np.argsort(values, kind="stable")
            ranked = values[at]
            if bool(np.all(ranked[1:] > ranked[:-1])):
                order = pl.Series(at, dtype=pl.UInt32)
            else:
                order = both.arg_sort()
    else:
        order = win.select(pl.arg_sort_by("_k3", "_sd")).to_series()
    as_date = (pl.col("_resp").cast(pl.Int64) + packer.date_min).cast(pl.Int32).cast(pl.Date)
    dated = les.rename({"assessment_date": "scan_date"}).with_columns(
        win.select(
            as_date.alias("assessment_date"),
            (pl.col("_first") + packer.date_min).cast(pl.Int32).cast(pl.Date)
            .alias("window_first_date"),
        )
    )
    sorted_key3 = win["_k3"] if order is None else win["_k3"].gather(order)
    last = (sorted_key3 != sorted_key3.shift(-1)).fill_null(True)
    if order is None:  # rows in order: keep them, or filter (cheaper than a gather)
        return dated if bool(last.all()) else dated.filter(last)
    # one gather of the kept rows (gathering every row and then filtering copies twice)
    return dated[order.filter(last)]


def _windows_by_columns(les: pl.DataFrame, refs: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """The windows on the key columns (inputs with empty keys)."""
    dates = les.select(_KEY).unique()
    segment = (
        dates.join(refs, on="patient_id", how="left")
        .group_by(_KEY)
        .agg((pl.col("reference_date") < pl.col("assessment_date")).sum().alias("_seg"))
    )
    gap = pl.col("assessment_date").diff().over("patient_id", "_seg").dt.total_days()
    windows = (
        segment.sort(["patient_id", "_seg", "assessment_date"])
        .with_columns((gap.is_null() | (gap > window_days)).alias("_start"))
        .with_columns(pl.col("_start").cum_sum().over("patient_id").alias("_win"))
        .with_columns(
            pl.col("assessment_date").max().over("patient_id", "_win").alias("_resp"),
            pl.col("assessment_date").min().over("patient_id", "_win").alias("window_first_date"),
        )
        .select(*_KEY, "_resp", "window_first_date")
    )
    dated = (
        les.join(windows, on=_KEY, how="left")
        .rename({"assessment_date": "scan_date"})
        .rename({"_resp": "assessment_date"})
    )
    return _latest_scan_per_lesion(dated)


def _latest_scan_per_lesion(dated: pl.DataFrame) -> pl.DataFrame:
    """Sort by patient, window date, lesion and scan date; keep each lesion's latest scan.

    Same rows and order as ``sort([...]).unique(subset, keep="last", maintain_order=True)``,
    computed on packed integer keys (:mod:`cnsrwe.derive._sortkey`, nulls first as in the
    default sort) instead of a multi-column string sort and a hash-based unique.
    """
    subset = ["patient_id", "assessment_date", "lesion_id"]
    key3 = packed_key(dated, subset, nulls_last=False)
    scan = order_codes(dated["scan_date"], nulls_last=False)
    if key3 is None or scan is None or key3.len() < 2:
        return dated.sort([*subset, "scan_date"]).unique(
            subset=subset, keep="last", maintain_order=True
        )
    top = scan.max()
    bits = max(1, int(top).bit_length() if isinstance(top, int) else 1)
    if int(key3.max()).bit_length() + bits > 64:  # type: ignore[arg-type]
        return dated.sort([*subset, "scan_date"]).unique(
            subset=subset, keep="last", maintain_order=True
        )
    order = (key3 * (1 << bits) + scan).arg_sort()
    sorted_key3 = key3.gather(order)
    last = sorted_key3 != sorted_key3.shift(-1)
    return dated[order].filter(last.fill_null(True))


def progression_dates(
    dataset_timepoints: pl.DataFrame,
    windowed_lesions: pl.DataFrame,
    *,
    cns_locations: tuple[str, ...] = CNS_LOCATIONS,
) -> pl.DataFrame:
    """Add ``progression_date`` to the timepoint table (null unless ``response == "PD"``).

    ``windowed_lesions`` is the output of :func:`group_assessment_windows`.
    """
    eq = pl.col("equivocal").fill_null(False) if "equivocal" in windowed_lesions.columns \
        else pl.lit(False)
    evidence = windowed_lesions.filter(
        ((pl.col("lesion_role") == "new") & ~eq)
        | (pl.col("non_target_status") == "unequivocal_progression")
    ).with_columns(pl.col("location").is_in(list(cns_locations)).alias("_cns"))
    per = evidence.group_by(_KEY).agg(
        pl.col("scan_date").min().alias("_ev_overall"),
        pl.col("scan_date").filter(pl.col("_cns")).min().alias("_ev_intracranial"),
        pl.col("scan_date").filter(~pl.col("_cns")).min().alias("_ev_extracranial"),
    )
    comp = pl.col("compartment")
    ev = (
        pl.when(comp == "intracranial").then(pl.col("_ev_intracranial"))
        .when(comp == "extracranial").then(pl.col("_ev_extracranial"))
        .otherwise(pl.col("_ev_overall"))
    )  # fmt: skip
    tp = dataset_timepoints.join(per, on=_KEY, how="left")
    date = pl.when(pl.col("response") == "PD").then(
        pl.min_horizontal(ev, pl.col("assessment_date"))
    )
    return tp.with_columns(date.alias("progression_date")).drop(
        "_ev_overall", "_ev_intracranial", "_ev_extracranial"
    )


def window_first_dates(windowed_lesions: pl.DataFrame) -> pl.DataFrame:
    """``patient_id``, ``assessment_date`` and ``window_first_date``, one row per response
    date of :func:`group_assessment_windows`' output (every response date is the last date
    of one window, so its first date is one value).

    Rows come in (patient, date) order from the windowing: then each run of equal
    (patient, date) gives its first row (no hashing); otherwise a group-by takes the
    smallest first date (the same value). Row order is not part of the result.
    """
    w = windowed_lesions.select(*_KEY, "window_first_date")
    pid, d = pl.col("patient_id"), pl.col("assessment_date")
    in_order = w.height < 2 or w.select(
        (pid.is_not_null() & d.is_not_null()).all()
        & ((pid > pid.shift(1)) | ((pid == pid.shift(1)) & (d >= d.shift(1)))).slice(1).all()
    ).item()
    if in_order:
        return w.filter(((pid != pid.shift(1)) | (d != d.shift(1))).fill_null(True))
    return w.group_by(_KEY).agg(pl.col("window_first_date").min())
