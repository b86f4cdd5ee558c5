"""The XLSX entry template: sheets, comments, drop-downs and checks; filled rows validate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from cnsrwe.io import validate_study
from cnsrwe.io.schema import FORMAT_VERSION, TABLES
from cnsrwe.io.template import write_template


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_template(tmp_path / "template.xlsx")


def test_sheets_headers_comments_and_frozen_header(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["About", *TABLES]
    assert f"version {FORMAT_VERSION}" in book["About"]["A1"].value
    for name, table in TABLES.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == list(table.column_names)
        assert sheet.freeze_panes == "A2"
        for cell, col in zip(sheet[1], table.columns, strict=True):
            assert cell.comment is not None
            assert col.meaning in cell.comment.text
        assert sheet.max_row == 1  # no empty styled rows: row 2 is the first data row


def test_drop_downs_for_every_vocabulary_and_checks_for_numbers_and_dates(
    template: Path,
) -> None:
    book = openpyxl.load_workbook(template)
    for name, table in TABLES.items():
        sheet = book[name]
        by_column = {}
        for dv in sheet.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                by_column[sheet.cell(row=1, column=rng.min_col).value] = dv
        for col in table.columns:
            dv = by_column.get(col.name)
            if col.allowed is not None:
                assert dv.type == "list"
                assert dv.formula1 == '"' + ",".join(col.allowed) + '"'
            elif col.type == "bool":
                assert dv.formula1 == '"true,false"'
            elif col.type == "int":
                assert dv.type == "whole"
                if col.minimum is not None:
                    assert float(dv.formula1) == col.minimum
            elif col.type in ("decimal1", "number"):
                assert dv.type == "decimal"
            elif col.type == "date":
                assert dv.type == "date"
            else:
                assert dv is None
    assert all(len(dv.formula1) <= 255 for s in book.worksheets
               for dv in s.data_validations.dataValidation)  # Excel's list limit  # fmt: skip


def test_filled_template_validates(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    book["patients"].append(["P001", "S1", "female", 1968, None, "never", "adenocarcinoma",
                             dt.date(2018, 3, 14), "IVB", 1, None, dt.date(2021, 6, 30)])
    book["treatments"].append(["P001", 1, "alectinib", "alk_tki", "alectinib",
                               dt.date(2018, 4, 1), None, "ongoing"])
    book["lesions"].append(["P001", dt.date(2018, 3, 20), "T1", "brain_parenchyma",
                            "left frontal lobe", "target", 12.5, None, "mri", False])
    book["clinical"].append(["P001", dt.date(2018, 3, 20), 1, True, "headache; nausea", None,
                             4, False])
    book.save(template)
    report = validate_study(template)
    assert [p.code for p in report.errors] == []
    assert report.warnings == ()  # the About sheet is skipped silently
    study = report.study
    assert study is not None
    assert study.tables["patients"]["diagnosis_date"].to_list() == [dt.date(2018, 3, 14)]
    assert str(study.tables["lesions"]["diameter_mm"][0]) == "12.5"
    assert study.tables["clinical"]["symptoms"].to_list() == [["headache", "nausea"]]


def test_empty_template_gives_one_clear_error_not_a_crash(template: Path) -> None:
    report = validate_study(template)
    assert [(p.code, p.source) for p in report.errors] == [
        ("no_patients", f"{template.name}[patients]")
    ]
    assert report.warnings == ()
    assert report.study is None


def test_bad_path(tmp_path: Path, template: Path) -> None:
    with pytest.raises(ValueError, match=r"`path` must end in \.xlsx, got"):
        write_template(tmp_path / "x.csv")
    with pytest.raises(FileExistsError, match="already exists"):
        write_template(template)
