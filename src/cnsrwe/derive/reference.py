"""Reference dates per systemic line, from the ``treatments`` table.

Rules (clinical/endpoints.md "index date" and "next anticancer therapy"; admiralonco's
``RANDDT``/``NACTDT`` conventions re-stated for real-world lines):

1. A **systemic line** is every ``treatments`` row whose ``agent_class`` is not a local
   therapy (``radiotherapy``, ``surgery``; see :data:`LOCAL_CLASSES`). Local therapies given
   during a line carry that line's number in the data format but never open a new line.
2. Rows of one patient with the same ``line`` number form one line (a regimen switched
   inside a line, or agents recorded on separate rows): ``reference_date`` = the earliest
   ``start_date``, ``end_date`` = the latest ``end_date`` (empty when any row of the line is
   ongoing, i.e. has no ``end_date``), ``regimen`` = the regimen of the earliest row.
3. ``next_therapy_date`` = the earliest ``start_date`` after ``reference_date`` of another
   systemic line of the patient (``next_therapy="systemic"``, the default), or of any later
   anticancer therapy including radiotherapy and surgery (``next_therapy="any"``, the
   stricter convention of trial SAPs where any new anticancer therapy ends the response
   assessment window).
4. ``assessment_end_date`` = the day before ``next_therapy_date`` (empty without one): the
   last scan date that belongs to the line. A scan just before the next line is thus both a
   follow-up of this line and the baseline of the next (RECIST 1.1 §3.2 allows a baseline up
   to 4 weeks before treatment start).

Systemic rows without a ``line`` number, and lines whose number order contradicts their
start dates, are returned as issues (codes ``systemic_row_without_line``,
``line_order_differs_from_dates``); rows without a line are not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from cnsrwe._checks import assert_in
from cnsrwe.errors import SchemaError

#: ``agent_class`` values of local therapies: they never open a systemic line.
LOCAL_CLASSES = ("radiotherapy", "surgery")
NextTherapy = Literal["systemic", "any"]

REFERENCE_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(), "line": pl.Int64(), "regimen": pl.String(),
    "agent_class": pl.String(), "reference_date": pl.Date(), "end_date": pl.Date(),
    "end_reason": pl.String(), "next_therapy_date": pl.Date(),
    "assessment_end_date": pl.Date(),
}  # fmt: skip

_NEEDED = ("patient_id", "line", "regimen", "agent_class", "start_date", "end_date")


@dataclass(frozen=True)
class ReferenceDates:
    """Result of :func:`derive_reference_dates`.

    Attributes
    ----------
    lines : one row per patient and systemic line (columns of :data:`REFERENCE_SCHEMA`).
    issues : ``patient_id``, ``line``, ``code``, ``message`` (no other identifiers).
    """

    lines: pl.DataFrame
    issues: pl.DataFrame


def derive_reference_dates(
    dataset_treatments: pl.DataFrame, *, next_therapy: NextTherapy = "systemic"
) -> ReferenceDates:
    """Derive line start, line end and next-therapy start per patient and systemic line.

    Parameters
    ----------
    dataset_treatments : the ``treatments`` table of the data format.
    next_therapy : ``"systemic"`` (the next systemic line ends a line's assessment window)
        or ``"any"`` (any later anticancer therapy, local ones included).

    Returns
    -------
    ReferenceDates with ``lines`` (sorted by patient and line) and ``issues``.
    """
    assert_in("next_therapy", next_therapy, ("systemic", "any"))
    tr = dataset_treatments
    if not isinstance(tr, pl.DataFrame):
        msg = f"`dataset_treatments` must be a polars DataFrame, got {type(tr).__name__}"
        raise SchemaError(msg)
    missing = [c for c in _NEEDED if c not in tr.columns]
    if missing:
        msg = f"`treatments` lacks required column `{missing[0]}`, got columns {tr.columns!r}"
        raise SchemaError(msg)
    for col in ("start_date", "end_date"):
        if tr.schema[col] != pl.Date:
            msg = f"`treatments.{col}` must be a Date column, got {tr.schema[col]}"
            raise SchemaError(msg)
    end_reason = pl.col("end_reason") if "end_reason" in tr.columns else pl.lit(None)
    tr = tr.select(
        pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
        pl.col("regimen").cast(pl.String), pl.col("agent_class").cast(pl.String),
        "start_date", "end_date", end_reason.cast(pl.String).alias("end_reason"),
        (~pl.col("agent_class").is_in(list(LOCAL_CLASSES))).alias("_systemic"),
    )  # fmt: skip
    systemic = tr.filter(pl.col("_systemic"))
    no_line = systemic.filter(pl.col("line").is_null()).select(
        "patient_id", "line", pl.lit("systemic_row_without_line").alias("code"),
        pl.format("systemic therapy starting {} has no line number; not used",
                  pl.col("start_date").cast(pl.String)).alias("message"),
    )  # fmt: skip
    systemic = systemic.filter(pl.col("line").is_not_null())
    lines = (
        systemic.sort("patient_id", "line", "start_date", "regimen")
        .group_by("patient_id", "line", maintain_order=True)
        .agg(
            pl.col("regimen").first(), pl.col("agent_class").first(),
            pl.col("start_date").min().alias("reference_date"),
            pl.when(pl.col("end_date").is_null().any()).then(pl.lit(None, dtype=pl.Date))
            .otherwise(pl.col("end_date").max()).alias("end_date"),
            pl.col("end_reason").sort_by("start_date").last(),
        )
    )  # fmt: skip
    starts = tr if next_therapy == "any" else systemic
    later = (
        lines.select("patient_id", "line", "reference_date")
        .join(starts.select("patient_id", pl.col("line").alias("_l2"), "start_date",
                            "_systemic"), on="patient_id")
        .filter((pl.col("start_date") > pl.col("reference_date"))
                & (~pl.col("_systemic") | (pl.col("_l2") != pl.col("line"))))
        .group_by("patient_id", "line")
        .agg(pl.col("start_date").min().alias("next_therapy_date"))
    )  # fmt: skip
    lines = lines.join(later, on=["patient_id", "line"], how="left").with_columns(
        (pl.col("next_therapy_date") - pl.duration(days=1)).alias("assessment_end_date")
    )
    lines = lines.select(list(REFERENCE_SCHEMA)).cast(REFERENCE_SCHEMA).sort("patient_id", "line")
    # lines are sorted by patient: the previous line of a patient is the previous row when
    # it has the same patient (an over("patient_id") window hashes every id)
    pid = pl.col("patient_id")
    previous = pl.when(pid.eq_missing(pid.shift(1))).then(pl.col("reference_date").shift(1))
    order = lines.with_columns(
        (pl.col("reference_date") < previous).fill_null(False).alias("_bad")
    ).filter(pl.col("_bad")).select(
        "patient_id", "line", pl.lit("line_order_differs_from_dates").alias("code"),
        pl.lit("line starts before the previous line number; check line numbering")
        .alias("message"),
    )  # fmt: skip
    issues = pl.concat([no_line, order]).cast(
        {"patient_id": pl.String, "line": pl.Int64, "code": pl.String, "message": pl.String}
    )
    return ReferenceDates(lines=lines, issues=issues)
