"""Reading REDCap records exports: round trips, hand-written exports, and every REDCap error."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import polars as pl
import pytest
from redcap_export_writer import write_export

from cnsrwe.io import load_study
from cnsrwe.io.loaded import LoadedStudy
from cnsrwe.redcap import load_redcap_export, read_redcap_export, validate_redcap_export

sys.path.insert(0, str(Path(__file__).parents[1] / "io"))
from io_study_fixture import valid_tables, write_study

DATA = Path(__file__).parent / "data"


def _same_tables(a: LoadedStudy, b: LoadedStudy) -> None:
    assert set(a.tables) == set(b.tables)
    for name, left in a.tables.items():
        right = b.tables[name]
        key = [c for c in left.columns if c != "_source_row"]
        assert left.select(key).sort(key[:4]).equals(right.select(key).sort(key[:4])), name


@pytest.fixture(scope="module")
def fixture_study(tmp_path_factory: pytest.TempPathFactory) -> LoadedStudy:
    return load_study(write_study(tmp_path_factory.mktemp("s") / "study", valid_tables()))


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory: pytest.TempPathFactory) -> LoadedStudy:
    from cnsrwe.demo.writer import simulate

    out = tmp_path_factory.mktemp("demo") / "demo"
    simulate(out, n_patients=40, seed=7)
    return load_study(out)


@pytest.mark.parametrize("mode", ["raw", "label"])
@pytest.mark.parametrize("event", [None, "baseline_arm_1"])
def test_round_trip_fixture_study(
    fixture_study: LoadedStudy, dictionary: Path, tmp_path: Path, mode: str, event: str | None
) -> None:
    export = write_export(fixture_study, tmp_path / "export.csv", mode=mode,  # type: ignore[arg-type]
                          event=event)  # fmt: skip
    back = load_redcap_export(export, dictionary)
    _same_tables(fixture_study, back)
    assert back.sources["lesions"].sheet == "lesion"


@pytest.mark.parametrize("mode", ["raw", "label"])
def test_round_trip_demo_study(
    demo_study: LoadedStudy, dictionary: Path, tmp_path: Path, mode: str
) -> None:
    export = write_export(demo_study, tmp_path / "export.csv", mode=mode)  # type: ignore[arg-type]
    back = load_redcap_export(export, dictionary, values=mode)  # type: ignore[arg-type]
    _same_tables(demo_study, back)
    clinical = back.tables["clinical"]
    assert clinical["symptoms"].drop_nulls().list.len().max() >= 2  # checkboxes really used


def test_hand_written_longitudinal_raw_export(dictionary: Path) -> None:
    """Codes decoded by hand from tests/redcap/data/longitudinal_raw.csv and choice_codes.csv."""
    study = load_redcap_export(DATA / "longitudinal_raw.csv", dictionary)
    p = study.tables["patients"].sort("patient_id")
    assert p.select("patient_id", "sex", "smoking_status", "stage_at_diagnosis").rows() == [
        ("12", "female", "never", "IVB"), ("13", "male", "former", "unknown")]
    t = study.tables["treatments"].sort("_source_row")
    assert t.select("patient_id", "regimen", "agent_class", "end_reason", "target_site",
                    "rt_technique").rows() == [
        ("12", "alectinib", "alk_tki", "progression", None, None),
        ("13", "brigatinib", "alk_tki", "progression", None, None),
        ("13", "WBRT", "radiotherapy", "completed", "brain", "wbrt"),
    ]  # fmt: skip
    les = study.tables["lesions"].sort("_source_row")
    assert les.select("lesion_id", "location", "lesion_role", "non_target_status",
                      "modality").rows()[1] == (
        "NT1", "brain_parenchyma", "non_target", "present", "mri")  # fmt: skip
    assert [str(d) for d in les["diameter_mm"].to_list()] == ["15.5", "None", "6.0", "None"]
    c = study.tables["clinical"].sort("_source_row")
    assert c["symptoms"].to_list() == [["headache", "vomiting", "memory loss"], None]
    assert c["cns_symptoms"].to_list() == [True, False]
    assert c["symptom_change"].to_list() == [None, "significant_improvement"]
    assert c["_source_row"].to_list() == [7, 11]  # rows of the export file


def test_hand_written_classic_label_export(dictionary: Path) -> None:
    study = load_redcap_export(DATA / "classic_label.csv", dictionary)
    c = study.tables["clinical"].sort("_source_row")
    assert c["symptoms"].to_list() == [["headache", "vomiting"], None]
    assert c["mannitol"].to_list() == [False, False]
    assert study.tables["treatments"]["end_reason"].to_list() == ["ongoing"]
    assert "lesions" not in study.tables


def _edit(src: Path, dst: Path, row: int, column: str, value: str) -> Path:
    with src.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[row - 2][column] = value
    with dst.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return dst


def _errors(export: Path, dictionary: Path) -> list[str]:
    report = validate_redcap_export(export, dictionary)
    assert report.study is None
    return [f"{p.code}: {p.message}" for p in report.errors]


def test_unknown_choice_code_names_record_event_instrument_instance(
    dictionary: Path, tmp_path: Path
) -> None:
    bad = _edit(DATA / "longitudinal_raw.csv", tmp_path / "x.csv", 9, "les_location", "11")
    assert _errors(bad, dictionary) == [
        "redcap_unknown_choice: record 12, event followup_arm_1, instrument lesion #1, field"
        " les_location: unknown choice code '11'."]
    raw = read_redcap_export(bad, dictionary)
    assert raw.tables == {}  # nothing can be imported


def test_unknown_label_and_checkbox_value(dictionary: Path, tmp_path: Path) -> None:
    bad = _edit(DATA / "classic_label.csv", tmp_path / "a.csv", 2, "sex", "femme")
    assert _errors(bad, dictionary) == [
        "redcap_unknown_choice: record P7, instrument patient, field sex: unknown choice label"
        " 'femme'."]
    bad = _edit(DATA / "classic_label.csv", tmp_path / "b.csv", 4, "vis_symptoms___2", "yes")
    assert _errors(bad, dictionary) == [
        "redcap_bad_checkbox: record P7, instrument clinical_visit #1, field vis_symptoms___2:"
        " a checkbox must be 1/0 or Checked/Unchecked, got 'yes'."]


def test_duplicated_repeat_instance(dictionary: Path, tmp_path: Path) -> None:
    bad = _edit(DATA / "longitudinal_raw.csv", tmp_path / "x.csv", 6, "redcap_repeat_instance",
                "1")
    assert _errors(bad, dictionary) == [
        "redcap_duplicate_instance: record 12, event baseline_arm_1, instrument lesion #1: this"
        " repeat instance appears twice."]


def test_field_not_in_dictionary_and_unknown_checkbox_option(
    dictionary: Path, tmp_path: Path
) -> None:
    text = (DATA / "classic_label.csv").read_text(encoding="utf-8")
    bad = tmp_path / "x.csv"
    bad.write_text(text.replace("vis_symptoms___3", "vis_symptoms___42").replace(
        "tx_line,", "tx_lines,"), encoding="utf-8")  # fmt: skip
    assert _errors(bad, dictionary) == [
        "redcap_unknown_field: Column `tx_lines` is not a field of the data dictionary.",
        "redcap_unknown_option: Checkbox column `vis_symptoms___42`: field vis_symptoms has no"
        " option '42' (options: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 99).",
    ]


def test_missing_instrument_and_unknown_instrument(dictionary: Path, tmp_path: Path) -> None:
    frame = pl.read_csv(DATA / "longitudinal_raw.csv", infer_schema=False)
    no_scans = frame.drop("img_date", "img_modality", "imaging_assessment_complete")
    no_scans.write_csv(tmp_path / "a.csv")
    assert _errors(tmp_path / "a.csv", dictionary) == [
        "redcap_missing_instrument: Instrument imaging_assessment has no column in the export"
        " (lesions must point to imaging_assessment scans)."]
    bad = _edit(DATA / "longitudinal_raw.csv", tmp_path / "b.csv", 3,
                "redcap_repeat_instrument", "treatment")
    assert _errors(bad, dictionary) == [
        "redcap_unknown_instrument: record 12, event baseline_arm_1, instrument treatment #1:"
        " unknown repeating instrument 'treatment'."]


def test_lesion_without_scan(dictionary: Path, tmp_path: Path) -> None:
    bad = _edit(DATA / "longitudinal_raw.csv", tmp_path / "x.csv", 10, "les_date", "2018-06-02")
    assert _errors(bad, dictionary) == [
        "redcap_lesion_without_scan: record 12, event followup_arm_1, instrument lesion #2,"
        " field les_date: no imaging_assessment of this record on 2018-06-02 with modality mri."]


def test_value_errors_then_go_through_standard_validation(
    dictionary: Path, tmp_path: Path
) -> None:
    """A decodable export is checked by exactly the rules of a CSV folder."""
    bad = _edit(DATA / "longitudinal_raw.csv", tmp_path / "x.csv", 5, "les_diameter_mm", "15.55")
    report = validate_redcap_export(bad, dictionary)
    assert [(p.code, p.source, p.row, p.column) for p in report.errors] == [
        ("bad_decimal1", "x.csv[lesion]", 5, "diameter_mm")]


def test_bad_arguments(dictionary: Path) -> None:
    with pytest.raises(ValueError, match="`values` must be one of 'auto', 'raw', 'label', got"):
        read_redcap_export(DATA / "classic_label.csv", dictionary, values="codes")  # type: ignore[arg-type]


def test_label_headers_are_refused_with_a_hint(dictionary: Path, tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("Study patient identifier,Sex\nP1,female\n", encoding="utf-8")
    errors = _errors(bad, dictionary)
    assert errors == ["redcap_record_id: The first column must be the record ID field"
                      " `patient_id`, got 'Study patient identifier'."]
