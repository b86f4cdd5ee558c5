"""Input checks and shaping shared by the response engine (private).

* Diameters become exact integer tenths of a millimetre (``diameter_mm`` may arrive as a
  polars Decimal or a float; a value with more than one decimal place is refused).
* Each lesion row is assigned to the therapy lines it belongs to, from a reference-dates
  table (``patient_id``, ``line``, ``reference_date`` = line start, optional ``end_date``):
  a row is a *baseline* row of a line when ``reference_date - baseline_window_days <=
  assessment_date <= reference_date`` (RECIST 1.1 §3.2: baseline no more than 4 weeks
  before treatment start) and a *follow-up* row when ``reference_date < assessment_date``
  and, if ``end_date`` is given, ``assessment_date <= end_date``. Lesions are re-baselined
  per line.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from cnsrwe._packed_keys import KeyPacker
from cnsrwe.criteria.profiles import CriteriaProfile
from cnsrwe.errors import SchemaError

LESION_COLUMNS = (
    "patient_id", "assessment_date", "lesion_id", "location", "organ", "lesion_role",
    "diameter_mm", "non_target_status", "too_small_to_measure",
)  # fmt: skip
OPTIONAL_LESION_COLUMNS = {
    "split_from": pl.String, "merged_into": pl.String, "equivocal": pl.Boolean,
}  # fmt: skip
REFERENCE_COLUMNS = ("patient_id", "line", "reference_date")
#: Day number standing for "no end date" (later than any date).
_NO_END = 1 << 40


def _require(df: pl.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    if not isinstance(df, pl.DataFrame):
        msg = f"`{name}` must be a polars DataFrame, got {type(df).__name__}"
        raise SchemaError(msg)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = f"`{name}` lacks required column `{missing[0]}`, got columns {df.columns!r}"
        raise SchemaError(msg)


def diameter_tenths(expr: pl.Expr) -> pl.Expr:
    """Diameter in mm (Decimal, float or int) -> Int64 tenths of a mm, exactly."""
    return (expr.cast(pl.Float64) * 10).round(0).cast(pl.Int64)


def _tenths_and_check(dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """(``diameter_mm`` in Int64 tenths, the rows breaking ">= 0 with at most one decimal").

    A Decimal with at most one decimal place and at most 9 digits (the format's decimal1) is
    read from its exact integer representation: for values below 10**9 tenths the float
    route's rounding error stays under 1e-6, so it gives the same tenths and never finds a
    second decimal place; only the sign is checked.
    """
    col = pl.col("diameter_mm")
    if isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= 1 and (dtype.precision or 38) <= 9:
        raw = col.to_physical().cast(pl.Int64)
        tenths = raw if dtype.scale == 1 else raw * 10
        return tenths, (tenths < 0).fill_null(False)
    d = col.cast(pl.Float64)
    return diameter_tenths(col), ((d * 10 - (d * 10).round(0)).abs() > 1e-6) | (d < 0)


def normalise_lesions(lesions: pl.DataFrame) -> pl.DataFrame:
    """Check and normalise the ``lesions`` table (all but the duplicate-scan check).

    Adds ``_tenths``, ``_too_small`` and ``_equivocal``; key columns must not be empty.
    """
    _require(lesions, "lesions", LESION_COLUMNS)
    df = lesions
    for col, dtype in OPTIONAL_LESION_COLUMNS.items():
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(col))
    if df.schema["assessment_date"] != pl.Date:
        msg = (f"`lesions.assessment_date` must be a Date column, got "
               f"{df.schema['assessment_date']}")
        raise SchemaError(msg)
    for col in ("patient_id", "assessment_date", "lesion_id"):
        if df[col].null_count():
            msg = f"`lesions.{col}` must not be empty, got {df[col].null_count()} null values"
            raise SchemaError(msg)
    tenths, bad_value = _tenths_and_check(df.schema["diameter_mm"])
    if df.select(bad_value.any()).item():
        bad = df.filter(bad_value)
        msg = (
            "`lesions.diameter_mm` must be >= 0 with at most one decimal place, got "
            f"{bad['diameter_mm'].cast(pl.Float64).to_list()[:3]!r}"
        )
        raise SchemaError(msg)
    return df.select(
        pl.col("patient_id").cast(pl.String),
        "assessment_date",
        pl.col("lesion_id").cast(pl.String),
        pl.col("location").cast(pl.String),
        pl.col("organ").cast(pl.String),
        pl.col("lesion_role").cast(pl.String),
        tenths.alias("_tenths"),
        pl.col("non_target_status").cast(pl.String),
        pl.col("too_small_to_measure").cast(pl.Boolean).fill_null(False).alias("_too_small"),
        pl.col("split_from").cast(pl.String),
        pl.col("merged_into").cast(pl.String),
        pl.col("equivocal").cast(pl.Boolean).fill_null(False).alias("_equivocal"),
    )


def scan_key(lesions: pl.DataFrame, packer: KeyPacker) -> pl.Series:
    """One packed (patient, date, lesion) key per lesion row.

    When the rows come in runs of one patient (usually: sorted by patient), the patient
    code is looked up once per run and repeated (the same codes as :meth:`KeyPacker.key`).
    """
    pid = lesions["patient_id"].cast(pl.String)
    rest = packer.key(patient=None, date="assessment_date", lesion="lesion_id")
    starts = pid.ne_missing(pid.shift(1))
    if pid.null_count() or int(starts.sum()) * 4 > pid.len():
        return lesions.select(
            packer.key(patient="patient_id", date="assessment_date", lesion="lesion_id")
            .alias("_pdl")
        ).to_series()  # fmt: skip
    firsts = pid.filter(starts).cast(pl.Enum(packer.patients)).to_physical().cast(pl.UInt64)
    run = starts.cum_sum() - 1
    shift = pl.lit(1 << sum(packer.widths[1:]), dtype=pl.UInt64)
    return lesions.select(
        (pl.lit(firsts).gather(run) * shift + rest).alias("_pdl")
    ).to_series()


def check_one_row_per_scan(key: pl.Series) -> None:
    """Refuse two rows with the same patient_id, assessment_date and lesion_id.

    ``key``: :func:`scan_key` of the rows (equal keys mean equal fields).
    """
    if key.is_sorted():
        n_dup = int((key.head(-1) == key.tail(-1)).sum()) if key.len() > 1 else 0
    else:
        n_dup = key.len() - key.n_unique()
    if n_dup:
        n_keys = key.value_counts().filter(pl.col("count") > 1).height
        msg = (
            "`lesions` must have one row per patient_id, assessment_date and lesion_id, got "
            f"{n_keys} duplicated keys"
        )
        raise SchemaError(msg)


def one_of(column: str, values: Iterable[str]) -> pl.Expr:
    """``column`` is one of ``values`` (null stays null, as ``is_in``); one value is
    compared directly (several times cheaper than a hashed membership test)."""
    items = list(values)
    if len(items) == 1:
        return pl.col(column) == items[0]
    return pl.col(column).is_in(items)


def location_flags(lesions: pl.DataFrame, profile: CriteriaProfile) -> pl.DataFrame:
    """Add ``_is_node`` and ``_cns`` (the profile's node and CNS location lists)."""
    return lesions.with_columns(
        one_of("location", profile.node_locations).alias("_is_node"),
        one_of("location", profile.cns_locations).alias("_cns"),
    )


def prepare_lesions(lesions: pl.DataFrame, profile: CriteriaProfile) -> pl.DataFrame:
    """Check and normalise the ``lesions`` table; adds ``_tenths``, ``_is_node``, ``_cns``."""
    df = normalise_lesions(lesions)
    packer = KeyPacker.build(patients=[df["patient_id"]], lines=[], dates=[df["assessment_date"]],
                             lesions=[df["lesion_id"]])
    if packer is None:
        dup = df.group_by("patient_id", "assessment_date", "lesion_id").len()
        if dup.height < df.height:
            msg = (
                "`lesions` must have one row per patient_id, assessment_date and lesion_id, "
                f"got {dup.filter(pl.col('len') > 1).height} duplicated keys"
            )
            raise SchemaError(msg)
    else:
        check_one_row_per_scan(scan_key(df, packer))
    return location_flags(df, profile)


def prepare_reference(reference: pl.DataFrame) -> pl.DataFrame:
    """Check the reference-dates table; returns patient_id, line, reference_date, end_date."""
    _require(reference, "reference", REFERENCE_COLUMNS)
    df = reference
    if "end_date" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Date).alias("end_date"))
    for col in ("reference_date", "end_date"):
        if df.schema[col] != pl.Date:
            msg = f"`reference.{col}` must be a Date column, got {df.schema[col]}"
            raise SchemaError(msg)
    for col in ("patient_id", "line", "reference_date"):
        if df[col].null_count():
            msg = f"`reference.{col}` must not be empty, got null"
            raise SchemaError(msg)
    dup = df.group_by("patient_id", "line").len().filter(pl.col("len") > 1)
    if dup.height:
        msg = f"`reference` must have one row per patient_id and line, got {dup.height} duplicates"
        raise SchemaError(msg)
    return df.select(
        pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
        "reference_date", "end_date",
    )


def _bits(expr: pl.Expr, shift: int, width: int) -> pl.Expr:
    """``width`` bits of a UInt64 expression from bit ``shift``."""
    return expr // pl.lit(1 << shift, dtype=pl.UInt64) % pl.lit(1 << width, dtype=pl.UInt64)


def assign_lines(
    lesions: pl.DataFrame, reference: pl.DataFrame, window_days: int,
    packer: KeyPacker | None = None, key: pl.Series | None = None,
) -> pl.DataFrame:
    """Rows of ``lesions`` per line with ``_baseline`` / ``_followup`` flags (others dropped).

    With a ``packer`` (and the rows' :func:`scan_key` as ``key``) the result is narrow:
    ``_row`` (the row of ``lesions``), ``_k`` (packed patient, line, date, lesion key; the
    rows come sorted by it and it is flagged sorted), ``line``, ``assessment_date``, the
    flags, the numeric columns ``_tenths``, ``_too_small``, ``_equivocal``, and ``_split``
    / ``_merged`` / ``_new`` (``split_from`` / ``merged_into`` given, ``lesion_role ==
    "new"``) with ``_slc``, the lesion code of ``split_from``. String columns stay in
    ``lesions``; callers gather them by ``_row`` where needed.
    """
    date, ref, end = pl.col("assessment_date"), pl.col("reference_date"), pl.col("end_date")
    flags = (
        ((date <= ref) & (date >= ref - pl.duration(days=window_days))).alias("_baseline"),
        ((date > ref) & (end.is_null() | (date <= end))).alias("_followup"),
    )
    if packer is None:
        x = lesions.join(reference, on="patient_id", how="inner").with_columns(*flags)
        return x.filter(pl.col("_baseline") | pl.col("_followup"))
    if key is None:
        key = scan_key(lesions, packer)
    return _assign_packed(lesions, reference, window_days, packer, key)


def _assign_packed(
    lesions: pl.DataFrame, reference: pl.DataFrame, window_days: int, packer: KeyPacker,
    key: pl.Series,
) -> pl.DataFrame:
    """:func:`assign_lines` on packed keys (numpy binary search, polars expansion).

    A line's baseline and follow-up dates form one interval of its patient's scans,
    ``[min(ref - window, ref + 1), max(ref, end)]`` (no end: unbounded), so its rows are one
    slice of the rows sorted by their (patient, date, lesion) key, found by binary search.
    Slices are taken line by line in (patient, line) order, so the rows come in packed
    ``_k`` order; the flags are then tested row by row as stated.
    """
    scan = key.to_numpy()
    perm = None if key.is_sorted() else np.argsort(scan, kind="stable")
    if perm is not None:
        scan = scan[perm]
    lesion_w, date_w = packer.widths[3], packer.widths[2]
    lines = reference.select(
        packer.key(patient="patient_id").alias("_p"),
        packer.key(patient=None, line="line").alias("_lk"), "line",
        pl.col("reference_date").cast(pl.Int32).cast(pl.Int64).alias("_ref"),
        pl.col("end_date").cast(pl.Int32).cast(pl.Int64).fill_null(_NO_END)
        .alias("_end"),
    )  # fmt: skip
    patient, line_key = lines["_p"].to_numpy(), lines["_lk"].to_numpy()
    by_line = np.argsort(patient + line_key, kind="stable")
    patient, line_key = patient[by_line], line_key[by_line]
    ref, end = lines["_ref"].to_numpy()[by_line], lines["_end"].to_numpy()[by_line]
    line_no = lines["line"].to_numpy()[by_line]
    # the line's interval as date codes, clipped to the packed date field
    span = 1 << date_w
    low = np.clip(np.minimum(ref - window_days, ref + 1) - packer.date_min, 0, span)
    high = np.clip(np.maximum(ref, end) - packer.date_min + 1, 0, span)  # exclusive
    start = np.searchsorted(scan, patient + (low.astype(np.uint64) << np.uint64(lesion_w)))
    stop = np.searchsorted(scan, patient + (high.astype(np.uint64) << np.uint64(lesion_w)))
    # one row per (line, scan) in the slices, expanded by polars (the rows are many)
    idx = pl.get_index_type()
    slices = pl.DataFrame([
        pl.Series("_pos", start, dtype=idx), pl.Series("_stop", np.maximum(start, stop), dtype=idx),
        pl.Series("line", line_no, dtype=pl.Int64), pl.Series("_lk", line_key, dtype=pl.UInt64),
        pl.Series("_ref", ref, dtype=pl.Int64), pl.Series("_end", end, dtype=pl.Int64),
    ])  # fmt: skip
    x = slices.select(
        pl.int_ranges("_pos", "_stop", dtype=idx).alias("_pos"), "line", "_lk", "_ref", "_end",
    ).explode("_pos")  # fmt: skip
    found = pl.lit(pl.Series(scan, dtype=pl.UInt64)).gather(pl.col("_pos"))
    day = _bits(found, lesion_w, date_w).cast(pl.Int64) + packer.date_min
    x = x.with_columns(found.alias("_found"), day.alias("_day"))
    d, r = pl.col("_day"), pl.col("_ref")
    x = x.with_columns(
        ((d <= r) & (d >= r - window_days)).alias("_baseline"),
        ((d > r) & (d <= pl.col("_end"))).alias("_followup"),
    ).filter(pl.col("_baseline") | pl.col("_followup"))
    row = pl.col("_pos") if perm is None else pl.lit(pl.Series(perm, dtype=idx)).gather("_pos")
    x = x.select(
        row.alias("_row"), "line", d.cast(pl.Int32).cast(pl.Date).alias("assessment_date"),
        "_baseline", "_followup", (pl.col("_found") + pl.col("_lk")).set_sorted().alias("_k"),
    )  # fmt: skip
    # the five flags travel as the bits of one small integer (one gather, not five)
    flags = {
        "_too_small": pl.col("_too_small"), "_equivocal": pl.col("_equivocal"),
        "_split": pl.col("split_from").is_not_null(),
        "_merged": pl.col("merged_into").is_not_null(),
        "_new": (pl.col("lesion_role") == "new").fill_null(False),
    }  # fmt: skip
    packed = pl.sum_horizontal(f.cast(pl.UInt8) * (1 << i) for i, f in enumerate(flags.values()))
    any_split = lesions["split_from"].null_count() < lesions.height
    slc = (
        pl.when(pl.col("split_from").is_not_null())
        .then(packer.key(patient=None, lesion="split_from"))
        if any_split else pl.lit(None, dtype=pl.UInt64)
    )  # fmt: skip
    attrs = lesions.select("_tenths", packed.cast(pl.UInt8).alias("_bits"),
                           slc.alias("_slc"))  # fmt: skip
    attrs = (attrs if any_split else attrs.drop("_slc")).rechunk()[x["_row"]]
    bit = pl.col("_bits")
    return x.hstack(attrs.select(
        "_tenths", *((bit // (1 << i) % 2 == 1).alias(name) for i, name in enumerate(flags)),
        pl.col("_slc") if any_split else pl.lit(None, dtype=pl.UInt64).alias("_slc"),
    ))  # fmt: skip
