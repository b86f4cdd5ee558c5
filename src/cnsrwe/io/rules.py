"""The catalogue of validation rules: one stable code, a severity and a description each.

Every :class:`~cnsrwe.io.problems.Problem` that ``cnsrwe.io`` reports carries one of these
codes; ``docs/data-format.md`` lists them (rendered by :mod:`cnsrwe.io.data_format_doc`).
Codes are part of the public contract: scripts may filter on them, so they never change
meaning once released.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnsrwe.io.problems import Severity

#: Days before a systemic line start within which the last imaging assessment is that line's
#: baseline (project convention; RECIST 1.1 asks for baseline scans within 4 weeks of the start,
#: Eisenhauer 2009 §3.1, but retrospective data are often scanned earlier).
BASELINE_WINDOW_DAYS = 60

#: A dated event more than this many days before the NSCLC diagnosis date is flagged (warning):
#: work-up imaging a few weeks before the pathology date is common, a year is not.
PRE_DIAGNOSIS_GRACE_DAYS = 90

#: RECIST 1.1 (Eisenhauer 2009, §3.1.1 and §4.2): smallest measurable non-nodal target on CT/MRI
#: (longest diameter) and smallest measurable lymph-node target (short axis), in tenths of a mm.
MIN_TARGET_TENTHS_NON_NODAL = 100
MIN_TARGET_TENTHS_NODE = 150

#: RECIST 1.1 (Eisenhauer 2009, §4.2): at most 2 targets per organ and 5 in total. With the
#: intracranial/extracranial split used in ALK-TKI studies the cap of 5 applies per compartment.
MAX_TARGETS_PER_ORGAN = 2
MAX_TARGETS_PER_COMPARTMENT = 5
MAX_TARGETS_WHOLE_BODY = 5


@dataclass(frozen=True)
class Rule:
    """One validation rule: its code, how serious a finding is, and what it checks."""

    code: str
    severity: Severity
    description: str


_RULES: tuple[Rule, ...] = (
    # --- reading files ----------------------------------------------------------------------
    Rule("input_not_found", "error", "The path given does not exist or holds no table file."),
    Rule("unknown_file", "warning",
         "A file or sheet whose name is not a table of the format is ignored."),
    Rule("duplicate_table", "error",
         "Two files (e.g. `lesions.csv` and `lesions.parquet`) give the same table."),
    Rule("not_utf8", "error", "A CSV file is not UTF-8 text (a byte-order mark is allowed)."),
    Rule("empty_file", "error", "A file or sheet has no header row."),
    Rule("bad_header", "error",
         "A header cell is empty, a column name appears twice (ignoring case), or a name starts"
         " with `_` (reserved)."),
    Rule("malformed_csv", "error",
         "A CSV row has more or fewer fields than the header, or a quote is never closed"
         " (often a truncated file)."),
    Rule("unreadable_file", "error", "A Parquet file or workbook cannot be opened."),
    Rule("parquet_type", "error",
         "A typed Parquet column cannot hold the column's logical type (e.g. a float date)."),
    Rule("cell_outside_header", "error", "A workbook cell has a value right of the last header."),
    # --- one table --------------------------------------------------------------------------
    Rule("missing_table", "error", "A required table (patients, treatments) is not given."),
    Rule("no_patients", "error", "The patients table has a header but no rows."),
    Rule("missing_column", "error", "A required column is absent from a table."),
    Rule("bad_date", "error", "A date is not an ISO `YYYY-MM-DD` calendar date."),
    Rule("bad_integer", "error", "A whole-number column holds something else (2.5, 'two')."),
    Rule("bad_decimal1", "error",
         "A `decimal1` value is not a number with at most one decimal place (12.34 is rejected,"
         " never rounded)."),
    Rule("bad_number", "error", "A number column holds something that is not a number."),
    Rule("bad_bool", "error", "A yes/no column holds something other than true/false/yes/no/1/0."),
    Rule("unknown_code", "error", "A value is not in the column's controlled vocabulary."),
    Rule("out_of_range", "error", "A number is outside the column's allowed range."),
    Rule("null_not_allowed", "error", "A cell that must not be empty is empty."),
    Rule("duplicate_row", "error", "A row repeats an earlier row of the same table exactly."),
    Rule("duplicate_key", "error",
         "Two rows share the table's key (for lesions: one lesion twice on one date)."),
    # --- across tables ----------------------------------------------------------------------
    Rule("unknown_patient", "error", "A patient_id is not in the patients table."),
    Rule("no_age", "error", "A patient has neither birth_year nor age_at_index."),
    Rule("no_vital_status", "error",
         "A patient has neither death_date nor last_known_alive_date."),
    Rule("alive_after_death", "error", "last_known_alive_date is after death_date."),
    Rule("event_after_last_alive", "warning",
         "A dated event is after last_known_alive_date (the patient was alive then: update"
         " last_known_alive_date)."),
    Rule("end_before_start", "error", "A treatment's end_date is before its start_date."),
    Rule("ongoing_with_end_date", "error", "end_reason is 'ongoing' but end_date is filled."),
    Rule("after_death", "error",
         "A dated event (assessment, visit, treatment start or end, biopsy) is after death_date."),
    Rule("before_birth", "error", "A date falls in a year before birth_year."),
    Rule("long_before_diagnosis", "warning",
         f"A dated event is more than {PRE_DIAGNOSIS_GRACE_DAYS} days before diagnosis_date."),
    Rule("rt_technique_not_rt", "error",
         "rt_technique is given for a treatment whose agent_class is not radiotherapy."),
    Rule("progression_site_without_progression", "error",
         "progression_site is given for a treatment whose end_reason is not 'progression'."),
    # --- lesions (RECIST 1.1 entry checks) ---------------------------------------------------
    Rule("non_target_status_missing", "error", "A non_target row has no non_target_status."),
    Rule("non_target_status_on_target", "error", "A target row has a non_target_status."),
    Rule("diameter_missing", "error",
         "A target row has no diameter_mm and is not marked too_small_to_measure."),
    Rule("target_not_measurable", "error",
         "At a lesion's baseline a target is not measurable: a non-nodal target under 10 mm, a"
         " lymph-node target under 15 mm short axis, or one too small to measure (RECIST 1.1"
         " §3.1.1)."),
    Rule("too_many_targets_organ", "error",
         f"More than {MAX_TARGETS_PER_ORGAN} targets in one organ at one baseline"
         " (RECIST 1.1 §4.2)."),
    Rule("too_many_targets_compartment", "error",
         f"More than {MAX_TARGETS_PER_COMPARTMENT} targets in one compartment (intracranial or"
         " extracranial) at one baseline."),
    Rule("too_many_targets_total", "warning",
         f"More than {MAX_TARGETS_WHOLE_BODY} targets in the whole body at one baseline: valid"
         " only when responses are assessed per compartment."),
    Rule("lesion_first_seen_on_follow_up", "error",
         "A target or non-target lesion first appears on a follow-up (non-baseline) assessment."),
    Rule("role_changed", "error", "One lesion has different lesion_role values across rows."),
    Rule("unknown_lesion_ref", "error",
         "split_from or merged_into names a lesion_id the patient does not have."),
    # --- shown instead of the rest ----------------------------------------------------------
)  # fmt: skip

RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def severity_of(code: str) -> Severity:
    """Severity of rule ``code`` (``KeyError`` for an unknown code)."""
    return RULES[code].severity
