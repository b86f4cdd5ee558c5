"""The REDCap project design for the cnsrwe data format: instruments, fields and choice codes.

One instrument (REDCap "form") per table of the data format, plus ``imaging_assessment``, the
register of scans that lesion rows must point to:

=====================  ==========  =======================  ======================================
instrument             repeating   table                    one instance is
=====================  ==========  =======================  ======================================
patient                no          patients                 the patient (the REDCap record)
treatment_line         yes         treatments               one systemic line or local therapy
imaging_assessment     yes         (checks lesions)         one scan: date and modality
lesion                 yes         lesions                  one lesion at one scan
timepoint_response     yes         timepoint_responses      one radiologist timepoint call
clinical_visit         yes         clinical                 one clinical visit
biopsy                 yes         biopsies                 one re-biopsy finding
=====================  ==========  =======================  ======================================

The record ID field is ``patient_id``. Field names follow REDCap's rules (lower case letters,
digits and ``_``, starting with a letter, at most 26 characters) and are unique across the
project, so columns shared by several tables carry an instrument prefix (``tx_``, ``img_``,
``les_``, ``tpr_``, ``vis_``, ``bx_``).

Choice codes are fixed: the code of a vocabulary value is its 1-based position in the
vocabulary tuple of :mod:`cnsrwe.io.schema` at format version 1 (pinned by a test against
``tests/redcap/data/choice_codes.csv``). New values may only be appended; a code is never
reused. The choice *label* is the cnsrwe value itself, so both a raw export (codes) and a label
export decode to the value the data format expects.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnsrwe.io.schema import TABLES, Column

#: Name of the record ID field (the first field of the project).
RECORD_ID = "patient_id"

#: Checkbox options of ``vis_symptoms`` (codes 1..n in this order; 99 = other, spelled out in
#: ``vis_symptoms_other``). Common presenting symptoms of brain and leptomeningeal metastases.
SYMPTOM_CHOICES = (
    "headache", "dizziness", "vomiting", "fatigue", "nausea", "hemiplegia", "diplopia",
    "tinnitus", "seizure", "cognitive_impairment", "visual_disturbance", "ataxia", "aphasia",
)  # fmt: skip
SYMPTOM_OTHER_CODE = "99"


@dataclass(frozen=True)
class FieldSpec:
    """One REDCap field and the data-format column it fills (``column`` None: no column)."""

    name: str
    form: str
    column: str | None
    label: str
    kind: str  # text | yesno | radio | dropdown | checkbox
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    identifier: bool = False
    note: str = ""
    branching: str = ""


@dataclass(frozen=True)
class Instrument:
    """One REDCap instrument: its form name, whether it repeats, and the table it fills."""

    form: str
    table: str | None
    repeating: bool
    prefix: str

    def field_name(self, column: str) -> str:
        """REDCap field name of ``column`` in this instrument."""
        return column if not self.prefix else f"{self.prefix}{column}"


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("patient", "patients", repeating=False, prefix=""),
    Instrument("treatment_line", "treatments", repeating=True, prefix="tx_"),
    Instrument("imaging_assessment", None, repeating=True, prefix="img_"),
    Instrument("lesion", "lesions", repeating=True, prefix="les_"),
    Instrument("timepoint_response", "timepoint_responses", repeating=True, prefix="tpr_"),
    Instrument("clinical_visit", "clinical", repeating=True, prefix="vis_"),
    Instrument("biopsy", "biopsies", repeating=True, prefix="bx_"),
)
INSTRUMENT_BY_FORM = {i.form: i for i in INSTRUMENTS}

#: Column renames where the prefixed name would be unclear or too long (> 26 characters).
_SHORT_NAMES = {
    ("lesions", "assessment_date"): "les_date",
    ("lesions", "lesion_role"): "les_role",
    ("lesions", "non_target_status"): "les_nt_status",
    ("lesions", "too_small_to_measure"): "les_too_small",
    ("timepoint_responses", "assessment_date"): "tpr_date",
    ("clinical", "visit_date"): "vis_date",
    ("clinical", "corticosteroid_mg_dexamethasone_eq"): "vis_steroid_dex_mg",
    ("biopsies", "biopsy_date"): "bx_date",
}


def choice_codes(allowed: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``(code, label)`` pairs of a vocabulary: code = 1-based position, label = the value."""
    return tuple((str(i), value) for i, value in enumerate(allowed, start=1))


def _validation(col: Column) -> tuple[str, str, str]:
    bound = {"int": "integer", "number": "number", "decimal1": "number_1dp"}
    if col.type == "date":
        return "date_ymd", "", ""
    if col.type in bound:
        lo = "" if col.minimum is None else f"{col.minimum:g}"
        hi = "" if col.maximum is None else f"{col.maximum:g}"
        return bound[col.type], lo, hi
    return "", "", ""


def _column_field(inst: Instrument, col: Column) -> FieldSpec:
    assert inst.table is not None
    name = _SHORT_NAMES.get((inst.table, col.name), inst.field_name(col.name))
    validation, lo, hi = _validation(col)
    kind, choices = "text", ()
    if col.allowed is not None:
        kind = "radio" if len(col.allowed) <= 6 else "dropdown"
        choices = choice_codes(col.allowed)
    elif col.type == "bool":
        kind = "yesno"
    note = "Separate several with ;" if col.type == "list" else ""
    if col.type == "date":
        note = "YYYY-MM-DD"
    return FieldSpec(
        name=name, form=inst.form, column=col.name, label=col.meaning, kind=kind,
        validation=validation, minimum=lo, maximum=hi, choices=choices,
        required=not col.nullable, note=note,
        identifier=col.name in ("patient_id", "birth_year"),
    )  # fmt: skip


def _fields() -> tuple[FieldSpec, ...]:
    out: list[FieldSpec] = []
    for inst in INSTRUMENTS:
        if inst.table is None:  # imaging_assessment: the scan register
            modality = TABLES["lesions"].column("modality")
            out.append(FieldSpec(
                "img_date", inst.form, None, "Scan date.", "text", "date_ymd",
                required=True, note="YYYY-MM-DD",
            ))  # fmt: skip
            out.append(FieldSpec(
                "img_modality", inst.form, None, "Imaging modality.", "radio",
                choices=choice_codes(modality.allowed or ()), required=True,
            ))  # fmt: skip
            continue
        for col in TABLES[inst.table].columns:
            if col.name == "patient_id":
                if inst.table == "patients":
                    out.append(_column_field(inst, col))
                continue
            if (inst.table, col.name) == ("clinical", "symptoms"):
                out.append(FieldSpec(
                    "vis_symptoms", inst.form, "symptoms", "Symptoms present (tick all).",
                    "checkbox",
                    choices=(*choice_codes(SYMPTOM_CHOICES), (SYMPTOM_OTHER_CODE, "other")),
                ))  # fmt: skip
                out.append(FieldSpec(
                    "vis_symptoms_other", inst.form, None, "Other symptoms", "text",
                    note="Separate several with ;",
                    branching=f"[vis_symptoms({SYMPTOM_OTHER_CODE})] = '1'",
                ))  # fmt: skip
                continue
            out.append(_column_field(inst, col))
    return tuple(out)


#: Every field of the project, in dictionary order (record ID first).
FIELDS: tuple[FieldSpec, ...] = _fields()
FIELD_BY_NAME = {f.name: f for f in FIELDS}
