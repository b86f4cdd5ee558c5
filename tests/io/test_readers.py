"""Reading folders, CSV encodings and malformed files, XLSX workbooks and Parquet files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from io_study_fixture import Tables
from polars.testing import assert_frame_equal

from cnsrwe.io import Problem, load_study, read_study, validate_study
from cnsrwe.io.parse import POLARS_TYPES
from cnsrwe.io.read_xlsx import cell_text
from cnsrwe.io.schema import TABLES


def _codes(path: Path) -> list[str]:
    return [p.code for p in validate_study(path).problems]


def _only(path: Path, code: str) -> Problem:
    problems = validate_study(path).problems
    assert [p.code for p in problems] == [code], problems
    return problems[0]


# --- folders ---------------------------------------------------------------------------------


def test_unknown_file_is_a_warning_with_a_rename_hint(study_dir: Path) -> None:
    (study_dir / "patient_notes.txt").write_text("free text")
    (study_dir / "Lesion.csv").write_text("a\n1\n")
    report = validate_study(study_dir)
    assert [p.code for p in report.problems] == ["unknown_file", "unknown_file"]
    assert report.ok
    hint = next(p for p in report.problems if p.source == "Lesion.csv")
    assert "lesions.csv" in hint.fix


def test_hidden_and_lock_files_are_skipped(study_dir: Path) -> None:
    (study_dir / ".DS_Store").write_bytes(b"\0\1")
    (study_dir / "~$patients.csv").write_bytes(b"\0")
    assert _codes(study_dir) == []


def test_two_files_for_one_table_is_an_error(study_dir: Path) -> None:
    pl.read_csv(study_dir / "biopsies.csv", infer_schema=False).write_parquet(
        study_dir / "biopsies.parquet"
    )
    p = _only(study_dir, "duplicate_table")
    assert "biopsies.csv" in p.message
    assert "biopsies.parquet" in p.message


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    assert _only(tmp_path / "nope", "input_not_found").severity == "error"
    (tmp_path / "empty").mkdir()
    assert _codes(tmp_path / "empty") == ["input_not_found"]


def test_mixed_formats_in_one_folder(study_dir: Path) -> None:
    expected = load_study(study_dir)
    lesions = pl.read_csv(study_dir / "lesions.csv", infer_schema=False)
    (study_dir / "lesions.csv").unlink()
    lesions.write_parquet(study_dir / "lesions.parquet")
    got = load_study(study_dir)
    assert_frame_equal(got.tables["lesions"], expected.tables["lesions"])
    assert got.sources["lesions"].path.endswith("lesions.parquet")


# --- CSV encodings and malformed files -------------------------------------------------------


def test_utf8_bom_is_accepted(study_dir: Path) -> None:
    path = study_dir / "patients.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    study = load_study(study_dir)
    assert study.tables["patients"].columns[0] == "patient_id"


def test_latin1_file_is_rejected_with_row(study_dir: Path) -> None:
    path = study_dir / "treatments.csv"
    text = path.read_text().replace("carboplatin-pemetrexed", "carboplatine-pémétrexed")
    path.write_bytes(text.encode("latin-1"))
    p = _only(study_dir, "not_utf8")
    assert (p.source, p.row) == ("treatments.csv", 5)
    assert "UTF-8" in p.fix


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_file_is_rejected(study_dir: Path, encoding: str) -> None:
    path = study_dir / "patients.csv"
    path.write_bytes(path.read_text().encode(encoding))
    p = validate_study(study_dir).errors[0]
    assert (p.code, p.source) == ("not_utf8", "patients.csv")


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_empty_file_is_an_error(study_dir: Path, content: bytes) -> None:
    (study_dir / "clinical.csv").write_bytes(content)
    p = _only(study_dir, "empty_file")
    assert p.source == "clinical.csv"


def test_header_only_file_is_an_empty_table(study_dir: Path) -> None:
    header = (study_dir / "biopsies.csv").read_text().splitlines()[0]
    (study_dir / "biopsies.csv").write_text(header + "\n")
    assert load_study(study_dir).tables["biopsies"].height == 0


def test_ragged_rows_are_reported_with_row_numbers(study_dir: Path) -> None:
    path = study_dir / "lesions.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3] + ",extra"  # row 4: one field too many
    lines[5] = lines[5].rsplit(",", 2)[0]  # row 6: two fields too few
    path.write_text("\n".join(lines) + "\n")
    problems = validate_study(study_dir).problems
    assert [(p.code, p.row) for p in problems] == [("malformed_csv", 4), ("malformed_csv", 6)]
    assert "14 fields but the header has 13" in problems[0].message


def test_unclosed_quote_is_reported_with_its_row(study_dir: Path) -> None:
    path = study_dir / "treatments.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("SRS", '"SRS')
    path.write_text("\n".join(lines) + "\n")
    p = validate_study(study_dir).errors[0]
    assert (p.code, p.source, p.row) == ("malformed_csv", "treatments.csv", 3)


def test_truncated_file_is_reported(study_dir: Path) -> None:
    path = study_dir / "lesions.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 30])
    p = _only(study_dir, "malformed_csv")
    assert p.row == 16  # the last (15th) data row, cut off
    assert "truncated" in p.message


def test_quoted_fields_with_commas_and_line_breaks(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    tables["biopsies"][0]["finding"] = 'ALK G1202R, "compound"\nwith L1196M'
    tables["clinical"][1]["symptoms"] = "a, b"
    study = load_study(make_study(tables))
    assert study.tables["biopsies"]["finding"][0] == 'ALK G1202R, "compound"\nwith L1196M'
    assert study.tables["clinical"]["symptoms"][1].to_list() == ["a, b"]


def test_duplicate_and_blank_header_cells(study_dir: Path) -> None:
    path = study_dir / "biopsies.csv"
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("finding", "method")
    path.write_text("\n".join(lines) + "\n")
    p = _only(study_dir, "bad_header")
    assert (p.row, p.column) == (1, "method")


def test_cells_are_never_type_inferred(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    # Leading zeros, long numbers and 'NA' stay text in string columns.
    tables["patients"][0]["alk_fusion_variant"] = "007"
    tables["patients"][1]["alk_fusion_variant"] = "NA"
    tables["biopsies"][0]["finding"] = "12345678901234567890"
    study = load_study(make_study(tables))
    assert study.tables["patients"]["alk_fusion_variant"].to_list()[:2] == ["007", "NA"]
    assert study.tables["biopsies"]["finding"][0] == "12345678901234567890"


# --- XLSX ------------------------------------------------------------------------------------


def _typed_value(logical: str, text: str) -> object:
    """A workbook cell as Excel would hold it: real dates, numbers and booleans."""
    if text == "":
        return None
    if logical == "date":
        return dt.datetime.fromisoformat(text)  # midnight date-time, as Excel stores dates
    if logical in ("int",):
        return float(text)  # Excel numbers are floats: 3.0
    if logical in ("decimal1", "number"):
        return float(text)
    if logical == "bool":
        return text.lower() in ("true", "yes", "1")
    return text


def _write_workbook(path: Path, tables: Tables, *, typed: bool = True) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        header = list(rows[0])
        sheet.append(header)
        spec = TABLES[name]
        for r in rows:
            sheet.append([
                _typed_value(spec.column(c).type, r[c]) if typed and c in spec.column_names
                else (r[c] or None)
                for c in header
            ])  # fmt: skip
    book.save(path)
    return path


def test_xlsx_round_trip_equals_csv(
    tables: Tables, study_dir: Path, tmp_path: Path
) -> None:
    from_csv = load_study(study_dir)
    book = _write_workbook(tmp_path / "study.xlsx", tables)
    from_xlsx = load_study(book)
    for name, frame in from_csv.tables.items():
        assert_frame_equal(from_xlsx.tables[name], frame)
    src = from_xlsx.sources["lesions"]
    assert (src.sheet, Path(src.path).name) == ("lesions", "study.xlsx")


def test_xlsx_problems_name_the_sheet(tables: Tables, tmp_path: Path) -> None:
    tables["lesions"][3]["diameter_mm"] = "12.34"
    book = _write_workbook(tmp_path / "book.xlsx", tables)
    p = _only(book, "bad_decimal1")
    assert (p.source, p.row, p.value) == ("book.xlsx[lesions]", 5, "12.34")


def test_xlsx_empty_and_unknown_sheets(tables: Tables, tmp_path: Path) -> None:
    path = _write_workbook(tmp_path / "b.xlsx", tables)
    book = openpyxl.load_workbook(path)
    book.create_sheet("notes")["A1"] = "free text"
    del book["biopsies"]
    book.create_sheet("biopsies")
    book.save(path)
    problems = validate_study(path).problems
    assert sorted((p.code, p.source) for p in problems) == [
        ("empty_file", "b.xlsx[biopsies]"), ("unknown_file", "b.xlsx[notes]"),
    ]  # fmt: skip


def test_xlsx_time_of_day_and_non_integral_floats_are_rejected(
    tables: Tables, tmp_path: Path
) -> None:
    path = _write_workbook(tmp_path / "b.xlsx", tables)
    book = openpyxl.load_workbook(path)
    book["patients"]["H2"] = dt.datetime(2018, 3, 14, 10, 30)  # diagnosis_date with a time
    book["patients"]["J2"] = 1.5  # ecog_at_index
    book.save(path)
    problems = validate_study(path).problems
    assert [(p.code, p.column, p.value) for p in problems] == [
        ("bad_date", "diagnosis_date", "2018-03-14 10:30:00"),
        ("bad_integer", "ecog_at_index", "1.5"),
    ]  # fmt: skip


def test_xlsx_cell_right_of_header_and_blank_rows(tables: Tables, tmp_path: Path) -> None:
    path = _write_workbook(tmp_path / "b.xlsx", tables)
    book = openpyxl.load_workbook(path)
    sheet = book["biopsies"]
    sheet.insert_rows(2)  # a blank row 2 is skipped; the data row becomes row 3
    book.save(path)
    study = load_study(path)
    assert study.tables["biopsies"]["_source_row"].to_list() == [3]
    sheet["Z3"] = "stray"
    book.save(path)
    p = _only(path, "cell_outside_header")
    assert (p.row, p.value) == (3, "stray")


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip")
    assert _only(path, "unreadable_file").source == "fake.xlsx"


@pytest.mark.parametrize(
    ("value", "text"),
    [(3.0, "3"), (12.3, "12.3"), (0.1 + 0.2, "0.30000000000000004"), (True, "true"),
     (dt.datetime(2020, 1, 2), "2020-01-02"), (dt.date(2020, 1, 2), "2020-01-02"),
     ("", None), (None, None), (7, "7")],
)  # fmt: skip
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


# --- Parquet ---------------------------------------------------------------------------------


def _write_typed_parquet(study_dir: Path, out: Path) -> Path:
    """Each CSV table of ``study_dir`` as a typed Parquet file in ``out``."""
    out.mkdir()
    study = load_study(study_dir)
    for name, frame in study.tables.items():
        frame.drop("_source_row").write_parquet(out / f"{name}.parquet")
    return out


def test_parquet_round_trip_equals_csv(study_dir: Path, tmp_path: Path) -> None:
    expected = load_study(study_dir)
    got = load_study(_write_typed_parquet(study_dir, tmp_path / "pq"))
    for name, frame in expected.tables.items():
        assert_frame_equal(got.tables[name], frame)
        for col in TABLES[name].columns:
            assert got.tables[name].schema[col.name] == POLARS_TYPES[col.type]


def test_parquet_incompatible_type_is_an_error(study_dir: Path, tmp_path: Path) -> None:
    out = _write_typed_parquet(study_dir, tmp_path / "pq")
    table = pq.read_table(out / "patients.parquet")
    idx = table.schema.get_field_index("diagnosis_date")
    table = table.set_column(idx, "diagnosis_date", pa.array([1.5, 2.5, 3.5]))
    pq.write_table(table, out / "patients.parquet")
    errors = validate_study(out).errors
    assert (errors[0].code, errors[0].column, errors[0].source) == (
        "parquet_type", "diagnosis_date", "patients.parquet")  # fmt: skip


def test_parquet_floats_follow_the_text_rules(study_dir: Path, tmp_path: Path) -> None:
    out = _write_typed_parquet(study_dir, tmp_path / "pq")
    frame = pl.read_parquet(out / "lesions.parquet").with_columns(
        pl.col("diameter_mm").cast(pl.Float64)
    )
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(12.34).otherwise(pl.col("diameter_mm"))
        .alias("diameter_mm")
    )  # fmt: skip
    frame.write_parquet(out / "lesions.parquet")
    p = _only(out, "bad_decimal1")
    assert (p.row, p.value) == (3, "12.34")


def test_unreadable_parquet(study_dir: Path) -> None:
    (study_dir / "biopsies.csv").unlink()
    (study_dir / "biopsies.parquet").write_bytes(b"PAR1 broken")
    assert _only(study_dir, "unreadable_file").source == "biopsies.parquet"


def test_read_study_returns_text_tables(study_dir: Path) -> None:
    raw = read_study(study_dir)
    lesions = raw.tables["lesions"]
    assert lesions.label == "lesions.csv"
    assert all(dtype == pl.String for c, dtype in lesions.frame.schema.items()
               if c != "_source_row")  # fmt: skip
    assert lesions.frame["diameter_mm"][0] == "12.5"
    assert raw.problems == ()


def test_reserved_and_case_duplicate_header_names(study_dir: Path) -> None:
    path = study_dir / "biopsies.csv"
    lines = path.read_text().splitlines()
    lines[0] += ",_source_row"
    lines[1] += ",7"
    path.write_text("\n".join(lines) + "\n")
    p = _only(study_dir, "bad_header")
    assert p.column == "_source_row"
    lines[0] = lines[0].replace(",_source_row", ",Method")
    path.write_text("\n".join(lines) + "\n")
    assert _only(study_dir, "bad_header").column == "Method"


def test_missing_column_names_a_differently_spelled_header(
    tables: Tables, make_study: Callable[[Tables], Path]
) -> None:
    for r in tables["patients"]:
        r["Sex "] = r.pop("sex")
    report = validate_study(make_study(tables))
    p = next(p for p in report.problems if p.code == "missing_column")
    assert p.column == "sex"
    assert "`Sex `" in p.fix
