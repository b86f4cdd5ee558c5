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
    d = pl.col("diameter_mm").cast(pl.Float64)
    bad = df.filter(((d * 10 - (d * 10).round(0)).abs() > 1e-6) | (d < 0))
    if bad.height:
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
        diameter_tenths(pl.col("diameter_mm")).alias("_tenths"),
        pl.col("non_target_status").cast(pl.String),
        pl.col("too_small_to_measure").cast(pl.Boolean).fill_null(False).alias("_too_small"),
        pl.col("split_from").cast(pl.String),
        pl.col("merged_into").cast(pl.String),
        pl.col("equivocal").cast(pl.Boolean).fill_null(False).alias("_equivocal"),
    )


def scan_key(lesions: pl.DataFrame, packer: KeyPacker) -> pl.Series:
    """One packed (patient, date, lesion) key per lesion row."""
    return lesions.select(
        packer.key(patient="patient_id", date="assessment_date", lesion="lesion_id").alias("_pdl")
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


def location_flags(lesions: pl.DataFrame, profile: CriteriaProfile) -> pl.DataFrame:
    """Add ``_is_node`` and ``_cns`` (the profile's node and CNS location lists)."""
    return lesions.with_columns(
        pl.col("location").is_in(list(profile.node_locations)).alias("_is_node"),
        pl.col("location").is_in(list(profile.cns_locations)).alias("_cns"),
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
    narrow = lesions.select(key.alias("_pdl"), "assessment_date").with_row_index("_row")
    lines = reference.select(
        packer.key(patient="patient_id").alias("_p"), "line", "reference_date", "end_date",
        packer.key(patient=None, line="line").alias("_lk"),
    ).sort(pl.col("_p") + pl.col("_lk"))
    sorted_input = key.is_sorted()
    narrow = narrow.with_columns(packer.coarsen(pl.col("_pdl"), ["date", "lesion"]).alias("_p"))
    if sorted_input:
        # lines in (patient, line) order, each followed by its patient's rows in (date,
        # lesion) order: the joined rows come in packed-key order, no sort needed
        narrow = narrow.with_columns(pl.col("_p").set_sorted())
        lines = lines.with_columns(pl.col("_p").set_sorted())
        x = lines.join(narrow, on="_p", how="inner", maintain_order="left_right")
    else:
        x = narrow.join(lines, on="_p", how="inner")
    x = x.with_columns(*flags).filter(pl.col("_baseline") | pl.col("_followup")).select(
        "_row", "line", "assessment_date", "_baseline", "_followup",
        (pl.col("_pdl") + pl.col("_lk")).alias("_k"),
    )  # fmt: skip
    if not sorted_input:
        x = x.sort("_k")
    attrs = lesions.select(
        "_tenths", "_too_small", "_equivocal",
        pl.col("split_from").is_not_null().alias("_split"),
        pl.col("merged_into").is_not_null().alias("_merged"),
        (pl.col("lesion_role") == "new").fill_null(False).alias("_new"),
        pl.when(pl.col("split_from").is_not_null())
        .then(packer.key(patient=None, lesion="split_from")).alias("_slc"),
    )  # fmt: skip
    return x.with_columns(pl.col("_k").set_sorted()).hstack(
        attrs.select(pl.all().gather(x["_row"]))
    )
