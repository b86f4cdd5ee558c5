"""Cross-table rules about patients, treatments and the order of dates.

Rules (codes in :data:`cnsrwe.io.rules.RULES`):

* every ``patient_id`` of a child table is in ``patients`` (``unknown_patient``);
* a patient has ``birth_year`` or ``age_at_index`` (``no_age``) and ``death_date`` or
  ``last_known_alive_date`` (``no_vital_status``); ``last_known_alive_date`` is not after
  ``death_date`` (``alive_after_death``);
* treatments: ``end_date`` not before ``start_date`` (``end_before_start``); ``end_reason``
  'ongoing' has no ``end_date`` (``ongoing_with_end_date``); ``rt_technique`` only for
  radiotherapy (``rt_technique_not_rt``); ``progression_site`` only when the line ended in
  progression (``progression_site_without_progression``);
* dated events (treatment start and end, lesion and timepoint assessments, visits, biopsies):
  not after ``death_date`` (``after_death``), not in a year before ``birth_year``
  (``before_birth``), not more than :data:`~cnsrwe.io.rules.PRE_DIAGNOSIS_GRACE_DAYS` days
  before ``diagnosis_date`` (``long_before_diagnosis``, warning), and for a living patient not
  after ``last_known_alive_date`` (``event_after_last_alive``, warning).

Every rule is a polars filter over whole tables; a table that could not be read or lacks a
needed column is skipped (its own problem was already reported).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cnsrwe.io.parse import is_empty
from cnsrwe.io.problem_log import ProblemLog
from cnsrwe.io.raw import SOURCE_ROW
from cnsrwe.io.rules import PRE_DIAGNOSIS_GRACE_DAYS

#: (table, date column) of every dated event checked against the patient's dates.
DATED_EVENTS: tuple[tuple[str, str], ...] = (
    ("treatments", "start_date"),
    ("treatments", "end_date"),
    ("lesions", "assessment_date"),
    ("timepoint_responses", "assessment_date"),
    ("clinical", "visit_date"),
    ("biopsies", "biopsy_date"),
)


@dataclass(frozen=True)
class Study:
    """Typed tables under validation, with their source labels."""

    frames: dict[str, pl.DataFrame]
    labels: dict[str, str]
    unreadable: frozenset[str] = frozenset()

    def get(self, table: str) -> pl.DataFrame | None:
        """The typed table, or ``None`` when it was not given or not readable."""
        return self.frames.get(table)


def check_patients(study: Study, log: ProblemLog) -> None:
    """Run every rule of this module, adding problems to ``log``."""
    patients = study.get("patients")
    if patients is not None:
        _check_patient_rows(patients, study.labels["patients"], log)
    treatments = study.get("treatments")
    if treatments is not None:
        _check_treatments(treatments, study.labels["treatments"], log)
    if patients is None or patients["patient_id"].null_count() == patients.height:
        return  # no usable patient list: its own problem is reported already
    ids = patients.select("patient_id").drop_nulls().unique()
    for table, frame in study.frames.items():
        if table == "patients":
            continue
        unknown = frame.filter(pl.col("patient_id").is_not_null()).join(
            ids, on="patient_id", how="anti"
        )
        log.add_rows(
            "unknown_patient", table, study.labels[table], unknown, column="patient_id",
            message="`patient_id` of row {_source_row} is not in the patients table.",
            fix="Add the patient to patients, or correct the patient_id.",
        )  # fmt: skip
    _check_event_dates(study, patients, log)


def _check_patient_rows(patients: pl.DataFrame, label: str, log: ProblemLog) -> None:
    log.add_rows(
        "no_age", "patients", label,
        patients.filter(is_empty(patients, "birth_year") & is_empty(patients, "age_at_index")),
        column="birth_year",
        message="Row {_source_row} has neither `birth_year` nor `age_at_index`.",
        fix="Give the year of birth or the age at the index treatment start.",
    )  # fmt: skip
    log.add_rows(
        "no_vital_status", "patients", label,
        patients.filter(is_empty(patients, "death_date")
                        & is_empty(patients, "last_known_alive_date")),
        column="last_known_alive_date",
        message="Row {_source_row} has neither `death_date` nor `last_known_alive_date`.",
        fix="Give the date of death, or the last date the patient was known to be alive.",
    )  # fmt: skip
    log.add_rows(
        "alive_after_death", "patients", label,
        patients.filter(pl.col("last_known_alive_date") > pl.col("death_date")),
        column="last_known_alive_date",
        message="`last_known_alive_date` {value} is after `death_date` {death_date}.",
        fix="Correct one of the two dates (last known alive can be at most the death date).",
    )  # fmt: skip


def _check_treatments(treatments: pl.DataFrame, label: str, log: ProblemLog) -> None:
    log.add_rows(
        "end_before_start", "treatments", label,
        treatments.filter(pl.col("end_date") < pl.col("start_date")),
        column="end_date",
        message="`end_date` {value} is before `start_date` {start_date}.",
        fix="Correct the dates (end_date is the last dose, on or after the first).",
    )  # fmt: skip
    log.add_rows(
        "ongoing_with_end_date", "treatments", label,
        treatments.filter((pl.col("end_reason") == "ongoing") & pl.col("end_date").is_not_null()),
        column="end_date",
        message="`end_reason` is 'ongoing' but `end_date` is {value}.",
        fix="Clear end_date if the treatment continues, or give the real end_reason.",
    )  # fmt: skip
    log.add_rows(
        "rt_technique_not_rt", "treatments", label,
        treatments.filter(pl.col("rt_technique").is_not_null()
                          & (pl.col("agent_class") != "radiotherapy")),
        column="rt_technique",
        message="`rt_technique` is {value!r} but `agent_class` is {agent_class!r}.",
        fix="Clear rt_technique, or set agent_class to 'radiotherapy' for a radiotherapy row.",
    )  # fmt: skip
    log.add_rows(
        "progression_site_without_progression", "treatments", label,
        treatments.filter(pl.col("progression_site").is_not_null()
                          & (pl.col("end_reason").is_null()
                             | (pl.col("end_reason") != "progression"))),
        column="progression_site",
        message="`progression_site` is {value!r} but `end_reason` is {end_reason!r}.",
        fix="Clear progression_site, or set end_reason to 'progression'.",
    )  # fmt: skip


def _check_event_dates(study: Study, patients: pl.DataFrame, log: ProblemLog) -> None:
    dates = patients.filter(pl.col("patient_id").is_not_null()).unique(
        "patient_id", keep="first"
    ).select(
        "patient_id",
        pl.col("death_date").alias("__death"),
        is_empty(patients, "death_date").alias("__no_death"),
        pl.col("last_known_alive_date").alias("__alive"),
        pl.col("birth_year").alias("__birth_year"),
        pl.col("diagnosis_date").alias("__diagnosis"),
    )  # fmt: skip
    log.add_rows(
        "before_birth", "patients", study.labels["patients"],
        patients.filter(pl.col("diagnosis_date").dt.year() < pl.col("birth_year")),
        column="diagnosis_date",
        message="`diagnosis_date` {value} is in a year before `birth_year` {birth_year}.",
        fix="Correct diagnosis_date or birth_year.",
    )  # fmt: skip
    grace = pl.duration(days=PRE_DIAGNOSIS_GRACE_DAYS)
    for table, column in DATED_EVENTS:
        frame = study.get(table)
        if frame is None:
            continue
        label = study.labels[table]
        events = frame.select("patient_id", column, SOURCE_ROW).drop_nulls().join(
            dates, on="patient_id", how="inner"
        )
        d = pl.col(column)
        log.add_rows(
            "after_death", table, label, events.filter(d > pl.col("__death")), column=column,
            message=f"`{column}` {{value}} is after the patient's death_date {{__death}}.",
            fix=f"Correct {column} or the patient's death_date.",
        )  # fmt: skip
        log.add_rows(
            "before_birth", table, label, events.filter(d.dt.year() < pl.col("__birth_year")),
            column=column,
            message=f"`{column}` {{value}} is in a year before birth_year {{__birth_year}}.",
            fix=f"Correct {column} or the patient's birth_year.",
        )  # fmt: skip
        log.add_rows(
            "long_before_diagnosis", table, label,
            events.filter(d < pl.col("__diagnosis") - grace), column=column,
            message=f"`{column}` {{value}} is more than {PRE_DIAGNOSIS_GRACE_DAYS} days before"
                    " the diagnosis_date {__diagnosis}.",
            fix=f"Check {column} and the patient's diagnosis_date.",
        )  # fmt: skip
        log.add_rows(
            "event_after_last_alive", table, label,
            events.filter(pl.col("__no_death") & (d > pl.col("__alive"))), column=column,
            message=f"`{column}` {{value}} is after the last_known_alive_date {{__alive}}.",
            fix="Set last_known_alive_date to the latest date the patient was seen alive.",
        )  # fmt: skip
