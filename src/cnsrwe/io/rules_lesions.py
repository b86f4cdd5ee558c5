"""Lesion rules a data manager can check at entry (RECIST 1.1, Eisenhauer et al., Eur J Cancer
2009;45:228-247, §3 measurability and §4.2 target selection; see
``/work/shared/clinical/response-criteria.md`` §1.2-1.3).

Baseline assessments (project convention, documented in ``docs/data-format.md``): for each
patient, the dates of the ``lesions`` table are the assessments. The baselines are

1. the patient's first assessment, and
2. for each systemic line start (a ``treatments`` row whose ``agent_class`` is not
   radiotherapy or surgery), the last assessment on or before the start date and at most
   :data:`~cnsrwe.io.rules.BASELINE_WINDOW_DAYS` days before it.

A lesion's baseline is its first row. Rules:

* a target or non-target lesion whose first row is not on a baseline assessment was first seen
  on follow-up and must be recorded as ``new`` (``lesion_first_seen_on_follow_up``);
* at a lesion's first row a target must be measurable on CT/MRI: a non-nodal target >= 10 mm
  longest diameter, a lymph-node target >= 15 mm short axis, not "too small to measure"
  (``target_not_measurable``; §3.1.1);
* at one baseline: at most 2 targets per organ (``too_many_targets_organ``) and 5 per
  compartment (``too_many_targets_compartment``; intracranial = ``CNS_LOCATIONS``); more than 5
  in the whole body is a warning (``too_many_targets_total``), valid only for compartment-split
  RECIST. The organ is ``location``; for lymph nodes and ``other`` it is ``location`` plus the
  ``organ`` text, because whether all nodes form one organ is ambiguous in RECIST 1.1 (nodal
  regions are counted separately here, so no valid study is rejected);
* a target row has ``diameter_mm`` unless too small to measure (``diameter_missing``); a
  non-target row has ``non_target_status`` (``non_target_status_missing``) and a target row
  has none (``non_target_status_on_target``);
* one lesion keeps one ``lesion_role`` (``role_changed``); ``split_from``/``merged_into`` name a
  lesion of the same patient (``unknown_lesion_ref``). One lesion twice on one date is a
  ``duplicate_key`` (reported by :mod:`cnsrwe.io.parse`).
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from cnsrwe.io.parse import is_absent, is_empty, is_unknown
from cnsrwe.io.problem_log import ProblemLog
from cnsrwe.io.raw import SOURCE_ROW
from cnsrwe.io.rules import (
    BASELINE_WINDOW_DAYS,
    MAX_TARGETS_PER_COMPARTMENT,
    MAX_TARGETS_PER_ORGAN,
    MAX_TARGETS_WHOLE_BODY,
    MIN_TARGET_TENTHS_NODE,
    MIN_TARGET_TENTHS_NON_NODAL,
)
from cnsrwe.io.rules_patients import Study
from cnsrwe.io.schema import CNS_LOCATIONS

#: agent_class values that are local therapies, not systemic lines.
LOCAL_THERAPY = ("radiotherapy", "surgery")

_KEY = ["patient_id", "lesion_id"]


def baseline_dates(lesions: pl.DataFrame, treatments: pl.DataFrame | None) -> pl.DataFrame:
    """``(patient_id, assessment_date)`` of every baseline assessment (module docstring)."""
    visits = (
        lesions.select("patient_id", "assessment_date").drop_nulls().unique()
        .sort("patient_id", "assessment_date")
    )  # fmt: skip
    first = visits.group_by("patient_id").agg(pl.col("assessment_date").min())
    parts = [first]
    if treatments is not None and treatments.height:
        starts = (
            treatments.filter(~pl.col("agent_class").is_in(LOCAL_THERAPY))
            .select("patient_id", pl.col("start_date")).drop_nulls().unique()
            .sort("patient_id", "start_date")
        )  # fmt: skip
        matched = starts.join_asof(
            visits.with_columns(pl.col("assessment_date").alias("__scan")),
            left_on="start_date", right_on="assessment_date", by="patient_id",
            strategy="backward", tolerance=f"{BASELINE_WINDOW_DAYS}d", check_sortedness=False,
        )  # fmt: skip
        parts.append(
            matched.select("patient_id", pl.col("__scan").alias("assessment_date")).drop_nulls()
        )
    return pl.concat(parts).unique()


def check_lesions(study: Study, log: ProblemLog) -> None:
    """Run every lesion rule, adding problems to ``log``."""
    lesions = study.get("lesions")
    if lesions is None:
        return
    label = study.labels["lesions"]
    _check_row_fields(lesions, label, log)
    if any(is_absent(lesions, c) for c in ("patient_id", "assessment_date", "lesion_id")):
        return  # lesions cannot be followed without their key (missing_column reported)
    _check_identity(lesions, label, log)
    base = baseline_dates(lesions, study.get("treatments")).with_columns(
        pl.lit(True).alias("__is_baseline")
    )
    first = lesions.filter(pl.col("assessment_date").is_not_null()).with_columns(
        (pl.col("assessment_date") == pl.col("assessment_date").min().over(_KEY))
        .alias("__first_row")
    ).filter(pl.col("__first_row"))
    first = first.join(base, on=["patient_id", "assessment_date"], how="left")
    log.add_rows(
        "lesion_first_seen_on_follow_up", "lesions", label,
        first.filter(pl.col("lesion_role").is_in(["target", "non_target"])
                     & pl.col("__is_baseline").is_null()),
        column="lesion_role",
        message="A {value} lesion is first recorded on {assessment_date}, which is a follow-up,"
                " not a baseline assessment.",
        fix="Record a lesion that appears on follow-up with lesion_role 'new' (or add its"
            " baseline row).",
    )  # fmt: skip
    _check_measurable(first, label, log)
    at_baseline = lesions.join(base, on=["patient_id", "assessment_date"], how="inner")
    _check_target_counts(at_baseline.filter(pl.col("lesion_role") == "target"), label, log)


def _check_row_fields(lesions: pl.DataFrame, label: str, log: ProblemLog) -> None:
    role, status = pl.col("lesion_role"), pl.col("non_target_status")
    log.add_rows(
        "non_target_status_missing", "lesions", label,
        lesions.filter((role == "non_target") & is_empty(lesions, "non_target_status")),
        column="non_target_status",
        message="A non_target row has no `non_target_status`.",
        fix="Give present, absent or unequivocal_progression.",
    )  # fmt: skip
    log.add_rows(
        "non_target_status_on_target", "lesions", label,
        lesions.filter((role == "target") & status.is_not_null()), column="non_target_status",
        message="A target row has `non_target_status` {value!r}; it is for non-target rows only.",
        fix="Clear non_target_status, or correct lesion_role.",
    )  # fmt: skip
    log.add_rows(
        "diameter_missing", "lesions", label,
        lesions.filter((role == "target") & is_empty(lesions, "diameter_mm")
                       & (pl.col("too_small_to_measure") != True)  # noqa: E712
                       .fill_null(True) & ~is_unknown(lesions, "too_small_to_measure")),
        column="diameter_mm",
        message="A target row has no `diameter_mm` and is not marked too_small_to_measure.",
        fix="Give the diameter in mm (0 if the lesion disappeared), or set"
            " too_small_to_measure to true.",
    )  # fmt: skip


def _check_identity(lesions: pl.DataFrame, label: str, log: ProblemLog) -> None:
    roles = lesions.filter(pl.col("lesion_role").is_not_null())
    mixed = roles.group_by(_KEY).agg(pl.col("lesion_role").n_unique().alias("__n")).filter(
        pl.col("__n") > 1
    )
    ordered = roles.join(mixed.select(_KEY), on=_KEY, how="semi").sort(
        "assessment_date", SOURCE_ROW, nulls_last=True
    )
    changed = ordered.with_columns(
        pl.col("lesion_role").first().over(_KEY).alias("__first_role")
    ).filter(pl.col("lesion_role") != pl.col("__first_role"))
    log.add_rows(
        "role_changed", "lesions", label, changed, column="lesion_role",
        message="`lesion_role` is {value!r} here but {__first_role!r} on the lesion's first row.",
        fix="Keep the role fixed at baseline; record a lesion that appears later as a new"
            " lesion_id with role 'new'.",
    )  # fmt: skip
    known = lesions.select("patient_id", pl.col("lesion_id").alias("__ref")).drop_nulls().unique()
    for column in ("split_from", "merged_into"):
        refs = lesions.filter(pl.col(column).is_not_null()).with_columns(
            pl.col(column).alias("__ref")
        )
        unknown = refs.join(known, on=["patient_id", "__ref"], how="anti")
        log.add_rows(
            "unknown_lesion_ref", "lesions", label, unknown, column=column,
            message=f"`{column}` {{value!r}} is not a lesion_id of this patient.",
            fix=f"Correct {column} to the lesion_id of the original lesion.",
        )  # fmt: skip


def _check_measurable(first: pl.DataFrame, label: str, log: ProblemLog) -> None:
    node = pl.col("location") == "lymph_node"
    d = pl.col("diameter_mm")
    min_node = Decimal(MIN_TARGET_TENTHS_NODE) / 10
    min_other = Decimal(MIN_TARGET_TENTHS_NON_NODAL) / 10
    too_small = (pl.col("too_small_to_measure") == True).fill_null(False)  # noqa: E712
    bad = first.filter(
        (pl.col("lesion_role") == "target")
        & (too_small | (node & (d < min_node)) | (~node & (d < min_other)).fill_null(False))
    ).with_columns(
        pl.when(too_small).then(pl.lit("is marked too small to measure"))
        .when(node).then(pl.lit(f"has a short axis under {min_node} mm"))
        .otherwise(pl.lit(f"has a longest diameter under {min_other} mm")).alias("__why")
    )  # fmt: skip
    log.add_rows(
        "target_not_measurable", "lesions", label, bad, column="diameter_mm",
        message="At its baseline this target {__why} (diameter_mm {value}), so it is not"
                " measurable by RECIST 1.1.",
        fix="Record it as a non_target lesion (a node of 10 to <15 mm is a non-target node).",
    )  # fmt: skip


def _check_target_counts(targets: pl.DataFrame, label: str, log: ProblemLog) -> None:
    loc = pl.col("location")
    grouped = targets.filter(loc.is_not_null()).with_columns(
        pl.when(loc.is_in(["lymph_node", "other"]) & pl.col("organ").is_not_null())
        .then(loc + pl.lit(": ") + pl.col("organ").str.to_lowercase().str.strip_chars())
        .otherwise(loc).alias("__organ"),
        pl.when(loc.is_in(list(CNS_LOCATIONS))).then(pl.lit("intracranial"))
        .otherwise(pl.lit("extracranial")).alias("__compartment"),
    )  # fmt: skip
    base = ["patient_id", "assessment_date"]
    checks = (
        ("too_many_targets_organ", "__organ", MAX_TARGETS_PER_ORGAN, "organ {__where!r}"),
        ("too_many_targets_compartment", "__compartment", MAX_TARGETS_PER_COMPARTMENT,
         "the {__where} compartment"),
        ("too_many_targets_total", None, MAX_TARGETS_WHOLE_BODY,
         "the whole body (valid only for compartment-split RECIST)"),
    )  # fmt: skip
    for code, by, cap, what in checks:
        keys = [*base, by] if by else base
        over = grouped.group_by(keys).agg(
            pl.len().alias("__n"), pl.col(SOURCE_ROW).min()
        ).filter(pl.col("__n") > cap)
        if by is None:
            over = over.with_columns(pl.lit("whole body").alias("__where"))
        else:
            over = over.with_columns(pl.col(by).alias("__where"))
        log.add_rows(
            code, "lesions", label, over, column="lesion_role", value_column="__n",
            message=f"{{__n}} target lesions in {what} at the baseline of"
                    f" {{assessment_date}} (first row {{_source_row}}); RECIST 1.1 allows at"
                    f" most {cap}.",
            fix="Keep the largest measurable lesions as targets and record the others as"
                " non_target.",
        )  # fmt: skip
