"""Radiologist-given timepoint responses mapped into the derived timepoint table's shape.

Rows of the ``timepoint_responses`` table (one call per patient, scan date, compartment and
criteria) are assigned to a therapy line with the same reference-dates table as the lesion
engine (``reference_date < assessment_date <= end_date``; with overlapping lines the latest
line started before the scan wins) and get ``rule = "given:<criteria>"``. The ``profile``
column names the shipped profile that matches the call: ``recist11`` with compartment
``overall`` -> ``recist11``, with ``intracranial``/``extracranial`` ->
``recist11_intracranial``/``recist11_extracranial``; ``cns_mrecist`` and ``rano_bm`` keep
their name; ``rano_lm``/``other`` keep the criteria name.

:func:`combine_timepoints` stacks derived and given rows. When both exist for the same
patient, line, date, compartment and profile, the lesion-derived row wins and the given
call is reported in the returned issues table (code ``given_overridden``) with both
responses, so disagreements between the engine and the radiologist can be reviewed.
"""

from __future__ import annotations

import polars as pl

from cnsrwe.criteria._prepare import prepare_reference
from cnsrwe.criteria.timepoint import ISSUE_SCHEMA, TIMEPOINT_SCHEMA
from cnsrwe.errors import SchemaError
from cnsrwe.io.schema import COMPARTMENT, RESPONSE

GIVEN_COLUMNS = ("patient_id", "assessment_date", "compartment", "response", "criteria")
_KEY = ["patient_id", "line", "assessment_date", "compartment", "profile"]


def timepoints_from_given(
    dataset_timepoint_responses: pl.DataFrame, dataset_reference: pl.DataFrame
) -> pl.DataFrame:
    """Map radiologist calls to the timepoint table (``TIMEPOINT_SCHEMA`` columns)."""
    df = dataset_timepoint_responses
    if not isinstance(df, pl.DataFrame):
        msg = f"`dataset_timepoint_responses` must be a polars DataFrame, got {type(df).__name__}"
        raise SchemaError(msg)
    missing = [c for c in GIVEN_COLUMNS if c not in df.columns]
    if missing:
        msg = (f"`timepoint_responses` lacks required column `{missing[0]}`, got columns "
               f"{df.columns!r}")
        raise SchemaError(msg)
    for col, allowed in (("response", RESPONSE), ("compartment", COMPARTMENT)):
        bad = df.filter(~pl.col(col).is_in(list(allowed)))
        if bad.height:
            msg = (f"`timepoint_responses.{col}` must be one of {allowed!r}, got "
                   f"{bad[col][0]!r}")
            raise SchemaError(msg)
    reference = prepare_reference(dataset_reference)
    x = df.with_columns(pl.col("patient_id").cast(pl.String)).join(
        reference, on="patient_id", how="inner"
    )
    date = pl.col("assessment_date")
    x = x.filter(
        (date > pl.col("reference_date"))
        & (pl.col("end_date").is_null() | (date <= pl.col("end_date")))
    )
    x = x.filter(
        pl.col("reference_date")
        == pl.col("reference_date").max().over(["patient_id", "assessment_date", "compartment",
                                                "criteria"])
    )
    crit, comp = pl.col("criteria"), pl.col("compartment")
    profile = (
        pl.when((crit == "recist11") & (comp == "overall")).then(pl.lit("recist11"))
        .when(crit == "recist11").then(pl.concat_str(pl.lit("recist11_"), comp))
        .otherwise(crit)
    )  # fmt: skip
    out = x.select(
        "patient_id", "line", "assessment_date", "compartment", profile.alias("profile"),
        "response", pl.concat_str(pl.lit("given:"), crit).alias("rule"),
    )  # fmt: skip
    for name, dtype in TIMEPOINT_SCHEMA.items():
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return out.select(list(TIMEPOINT_SCHEMA)).cast(TIMEPOINT_SCHEMA)


def combine_timepoints(
    derived: pl.DataFrame, given: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stack derived and given timepoints; lesion-derived rows win on the same key.

    Returns ``(timepoints, issues)``; ``issues`` lists each given call that was overridden.
    """
    derived = derived.select(list(TIMEPOINT_SCHEMA)).cast(TIMEPOINT_SCHEMA)
    given = given.select(list(TIMEPOINT_SCHEMA)).cast(TIMEPOINT_SCHEMA)
    clash = given.join(derived.select(*_KEY, pl.col("response").alias("_derived")), on=_KEY)
    issues = clash.select(
        "patient_id", "line", "profile", pl.lit("given_overridden").alias("code"),
        pl.concat_str(
            pl.lit("given "), pl.col("rule"), pl.lit(" call "), pl.col("response"),
            pl.lit(" on "), pl.col("assessment_date").cast(pl.String), pl.lit(" ("),
            pl.col("compartment"), pl.lit(") replaced by the lesion-derived "),
            pl.col("_derived"),
        ).alias("message"),
    ).cast(ISSUE_SCHEMA)  # fmt: skip
    kept = given.join(derived.select(_KEY), on=_KEY, how="anti")
    return pl.concat([derived, kept]), issues
