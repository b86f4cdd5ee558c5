"""The REDCap data dictionary: REDCap's header, field-name rules, stable choice codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cnsrwe.errors import SchemaError
from cnsrwe.io.schema import TABLES
from cnsrwe.redcap import DICTIONARY_HEADER, FIELDS, read_dictionary, write_dictionary
from cnsrwe.redcap.dictionary import FIELD_NAME_RULE, parse_choices

DATA = Path(__file__).parent / "data"

# REDCap's data dictionary header, as in the dictionaries REDCap itself downloads (e.g.
# OuhscBbmc/REDCapR inst/test-data/projects/checkboxes-1/dictionary.csv).
REDCAP_HEADER = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note",'
    '"Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",'
    'Identifier?,"Branching Logic (Show field only if...)","Required Field?","Custom Alignment",'
    '"Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"'
)


def test_header_is_redcaps_exact_header_and_order(dictionary: Path) -> None:
    expected = next(csv.reader([REDCAP_HEADER]))
    assert list(DICTIONARY_HEADER) == expected
    with dictionary.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == expected


def test_record_id_first_and_field_names_follow_redcap_rules(dictionary: Path) -> None:
    with dictionary.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Variable / Field Name"] == "patient_id"
    assert rows[0]["Form Name"] == "patient"
    names = [r["Variable / Field Name"] for r in rows]
    assert len(names) == len(set(names))
    bad = [n for n in names if not FIELD_NAME_RULE.match(n)]
    assert bad == []
    assert all(len(n) <= 26 for n in names)


def test_every_format_column_has_exactly_one_field() -> None:
    """patient_id comes from the record ID; every other column from one field of its form."""
    forms = {"patients": "patient", "treatments": "treatment_line", "lesions": "lesion",
             "timepoint_responses": "timepoint_response", "clinical": "clinical_visit",
             "biopsies": "biopsy"}  # fmt: skip
    for table, form in forms.items():
        columns = [f.column for f in FIELDS if f.form == form and f.column]
        expected = [c for c in TABLES[table].column_names
                    if c != "patient_id" or table == "patients"]  # fmt: skip
        assert columns == expected, table


def test_field_types_and_validations() -> None:
    by = {f.name: f for f in FIELDS}
    assert (by["les_diameter_mm"].kind, by["les_diameter_mm"].validation) == ("text",
                                                                              "number_1dp")
    assert by["diagnosis_date"].validation == "date_ymd"
    assert (by["birth_year"].validation, by["birth_year"].minimum,
            by["birth_year"].maximum) == ("integer", "1900", "2030")  # fmt: skip
    assert by["vis_steroid_dex_mg"].validation == "number"
    assert by["vis_symptoms"].kind == "checkbox"
    assert by["vis_mannitol"].kind == "yesno"
    assert by["sex"].kind == "radio"
    assert by["stage_at_diagnosis"].kind == "dropdown"
    assert {f.name for f in FIELDS if f.identifier} == {"patient_id", "birth_year"}
    assert by["vis_symptoms_other"].branching == "[vis_symptoms(99)] = '1'"


def test_choice_codes_are_pinned(dictionary: Path) -> None:
    """Codes never change once released: compare with the committed list."""
    with (DATA / "choice_codes.csv").open(encoding="utf-8") as fh:
        pinned = {(r["field"], r["code"]): r["label"] for r in csv.DictReader(fh)}
    now = {(f.name, code): label for f in FIELDS for code, label in f.choices}
    changed = {k: (v, now.get(k)) for k, v in pinned.items() if now.get(k) != v}
    assert changed == {}, "choice codes must never change; append new values instead"
    parsed = read_dictionary(dictionary).by_name()
    assert parsed["sex"].choices == {"1": "female", "2": "male", "3": "other", "4": "unknown"}
    assert parsed["vis_mannitol"].choices == {"1": "Yes", "0": "No"}


def test_parse_choices_and_bad_dictionaries(tmp_path: Path) -> None:
    assert parse_choices("1, a | 2, b, with comma") == (("1", "a"), ("2", "b, with comma"))
    with pytest.raises(SchemaError, match="'code, label'"):
        parse_choices("1 a")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,form\nx,y\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="not a REDCap data dictionary"):
        read_dictionary(bad)
    with pytest.raises(ValueError, match=r"`path` must end in \.csv"):
        write_dictionary(tmp_path / "dict.txt")
