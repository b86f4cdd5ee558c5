"""Analysis datasets of the response engine, in the spirit of CDISC ADRS / ADTR.

:func:`derive_response_datasets` bundles, as polars tables whose rows each carry the
criteria profile and the rule that produced them:

* ``timepoints`` - per-timepoint responses (the input, with ``profile`` and ``rule``
  filled for radiologist-given calls: ``profile`` from the format's ``criteria`` column,
  ``rule`` = ``given``);
* ``best_responses`` - per patient x line x compartment x profile x BOR rule: ``bor``,
  ``bor_date``, the audit columns of ``explain=True``, ``objective_response``,
  ``disease_control``, ``bor_rule_name`` (``unconfirmed`` / ``confirmed``);
* ``shrinkage`` - best percentage change of the target sum (when sums are present);
* ``progression`` - first-progression characteristics per patient x line x profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from cnsrwe.response._tables import as_string, require_columns, to_polars
from cnsrwe.response.bor import best_overall_response
from cnsrwe.response.flags import derive_response_flags
from cnsrwe.response.progression import ProgressionRule, characterise_progression
from cnsrwe.response.rules import RECIST_BOR, RECIST_CONFIRMED_BOR, BorRule
from cnsrwe.response.shrinkage import best_target_change

_EMPTY_LESIONS = {
    "patient_id": pl.String, "assessment_date": pl.Date, "lesion_id": pl.String,
    "location": pl.String, "lesion_role": pl.String, "diameter_mm": pl.Float64,
}  # fmt: skip


@dataclass(frozen=True)
class ResponseDatasets:
    """Result of :func:`derive_response_datasets` (see the module docstring)."""

    timepoints: pl.DataFrame
    best_responses: pl.DataFrame
    shrinkage: pl.DataFrame | None
    progression: pl.DataFrame


def derive_response_datasets(
    dataset_timepoints: Any,
    reference_dates: Any,
    *,
    dataset_lesions: Any = None,
    dataset_clinical: Any = None,
    dataset_next_therapy: Any = None,
    rules: Sequence[BorRule] = (RECIST_BOR, RECIST_CONFIRMED_BOR),
    progression_rule: ProgressionRule | None = None,
) -> ResponseDatasets:
    """Derive the response analysis datasets from a timepoint table.

    Parameters
    ----------
    dataset_timepoints : derived timepoints (``cnsrwe.criteria``) or given calls (the
        ``timepoint_responses`` table): ``patient_id``, ``assessment_date``, ``response``,
        optional ``line``, ``compartment``, ``profile`` (or ``criteria``), ``rule``.
    reference_dates : ``patient_id``, ``reference_date`` (line start), optional ``line``
        and ``next_therapy_date``.
    dataset_lesions, dataset_clinical : the format's ``lesions`` and ``clinical`` tables,
        for progression characterisation (optional).
    dataset_next_therapy : optional next-therapy start dates (see
        :func:`~cnsrwe.response.best_overall_response`).
    rules : BOR rules to apply; each gives one block of ``best_responses`` rows.
    progression_rule : thresholds for :func:`characterise_progression`.
    """
    if not rules or not all(isinstance(r, BorRule) for r in rules):
        msg = f"`rules` must be a non-empty sequence of BorRule, got {rules!r}"
        raise TypeError(msg)
    tp = as_string(to_polars(dataset_timepoints, "dataset_timepoints"), "patient_id")
    require_columns(tp, "dataset_timepoints", ["patient_id", "assessment_date", "response"])
    if "profile" not in tp.columns:
        prof = pl.col("criteria") if "criteria" in tp.columns else pl.lit("given")
        tp = tp.with_columns(prof.cast(pl.String).alias("profile"))
    if "rule" not in tp.columns:
        tp = tp.with_columns(pl.lit("given").alias("rule"))
    if "compartment" not in tp.columns:
        tp = tp.with_columns(pl.lit("overall").alias("compartment"))
    by = [c for c in ("line", "compartment", "profile") if c in tp.columns]

    blocks = []
    for rule in rules:
        bor = best_overall_response(
            tp.filter(pl.col("response").is_not_null()), reference_dates, dataset_next_therapy,
            rule=rule, by=by, explain=True,
        )  # fmt: skip
        blocks.append(derive_response_flags(bor).with_columns(
            pl.lit(rule.name).alias("bor_rule_name")
        ))  # fmt: skip
    best = pl.concat(blocks, how="vertical")

    shrink = None
    if {"target_sum_tenths", "baseline_sum_tenths"} <= set(tp.columns):
        shrink = best_target_change(tp, by=by)

    lesions = (
        pl.DataFrame(schema=_EMPTY_LESIONS) if dataset_lesions is None else dataset_lesions
    )
    prog = characterise_progression(
        tp, lesions, dataset_clinical=dataset_clinical,
        by=[c for c in ("line", "profile") if c in tp.columns], rule=progression_rule,
    )  # fmt: skip
    return ResponseDatasets(timepoints=tp, best_responses=best, shrinkage=shrink, progression=prog)
