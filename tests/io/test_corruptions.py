"""Property tests: corrupting a valid study in many ways always gives a clear error.

Each example takes the valid fixture study, breaks one thing (a missing column, a bad date, an
unknown code, a duplicated row, a truncated file, a wrong encoding, an empty file or sheet),
and checks that validation reports an error of the expected rule naming the file (and the row
and column where there is one), and that ``load_study`` refuses the study.
"""

from __future__ import annotations

import copy
import string
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from io_study_fixture import Tables, valid_tables, write_study

from cnsrwe.errors import ValidationFailed
from cnsrwe.io import Problem, load_study, validate_study
from cnsrwe.io.schema import TABLES

VALID = valid_tables()
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)
_ROOT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _scratch(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One pytest-managed folder for every example of this module (cleaned by pytest)."""
    _ROOT[:] = [tmp_path_factory.mktemp("corruptions")]


def _fresh() -> Path:
    return Path(tempfile.mkdtemp(dir=_ROOT[0]))


def _first(problems: tuple[Problem, ...], code: str) -> Problem:
    hits = [p for p in problems if p.code == code]
    assert hits, [(p.code, p.message) for p in problems]
    return hits[0]


def _check(folder: Path, code: str, source: str, row: int | None, column: str | None) -> None:
    report = validate_study(folder)
    assert report.study is None
    p = _first(report.errors, code)
    assert p.source == source
    assert p.row == row
    assert p.column == column
    assert p.message.strip()
    assert p.fix.strip()
    with pytest.raises(ValidationFailed) as info:
        load_study(folder)
    assert any(q.code == code for q in info.value.problems)


def _cells(kind: str) -> list[tuple[str, str]]:
    return [(t.name, c.name) for t in TABLES.values() if t.name in VALID
            for c in t.columns if kind == c.type or (kind == "vocab" and c.allowed)]  # fmt: skip


@st.composite
def _cell(draw: st.DrawFn, kind: str) -> tuple[str, str, int]:
    table, column = draw(st.sampled_from(_cells(kind)))
    index = draw(st.integers(0, len(VALID[table]) - 1))
    return table, column, index


def _written(tables: Tables) -> Path:
    return write_study(_fresh() / "study", tables)


_REQUIRED = [(t.name, c.name) for t in TABLES.values() if t.name in VALID
             for c in t.columns if c.required]  # fmt: skip


@SETTINGS
@given(st.sampled_from(_REQUIRED))
def test_missing_required_column(target: tuple[str, str]) -> None:
    table, column = target
    tables = copy.deepcopy(VALID)
    for r in tables[table]:
        del r[column]
    folder = _written(tables)
    _check(folder, "missing_column", f"{table}.csv", None, column)
    # no cascade: rules needing the absent column stay silent
    assert {p.code for p in validate_study(folder).problems} == {"missing_column"}


_BAD_DATES = st.sampled_from(
    ["2020-13-01", "2020-02-30", "01/02/2020", "2020/01/02", "yesterday", "2020-1-1",
     "2020-01-01 10:00", "31.12.2019", "NA", "2020"]
)  # fmt: skip


@SETTINGS
@given(_cell("date"), _BAD_DATES)
def test_bad_date(cell: tuple[str, str, int], text: str) -> None:
    table, column, index = cell
    tables = copy.deepcopy(VALID)
    tables[table][index][column] = text
    _check(_written(tables), "bad_date", f"{table}.csv", index + 2, column)


@SETTINGS
@given(_cell("vocab"), st.text(string.ascii_letters + "_- ", min_size=1, max_size=12))
def test_unknown_code(cell: tuple[str, str, int], text: str) -> None:
    table, column, index = cell
    allowed = TABLES[table].column(column).allowed or ()
    if text in allowed or text.strip() == "":
        text = text.strip() + "zz"
    tables = copy.deepcopy(VALID)
    tables[table][index][column] = text
    _check(_written(tables), "unknown_code", f"{table}.csv", index + 2, column)


@SETTINGS
@given(st.sampled_from(sorted(VALID)), st.data())
def test_duplicated_row(table: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(VALID[table]) - 1))
    tables = copy.deepcopy(VALID)
    tables[table].append(dict(tables[table][index]))
    _check(_written(tables), "duplicate_row", f"{table}.csv", len(tables[table]) + 1, None)


@SETTINGS
@given(st.sampled_from(sorted(VALID)), st.data())
def test_truncated_file(table: str, data: st.DataObject) -> None:
    folder = _written(copy.deepcopy(VALID))
    path = folder / f"{table}.csv"
    raw = path.read_bytes()
    start = raw.rindex(b"\n", 0, len(raw) - 1) + 1  # the last row
    last_comma = raw.rindex(b",")
    cut = data.draw(st.integers(start, last_comma))  # cut before the last field
    path.write_bytes(raw[:cut])
    last_row = len(VALID[table]) + 1
    expected = "empty_file" if cut == 0 else "malformed_csv"
    if cut == start:  # cut exactly between rows: one row fewer, still a valid file
        return
    _check(folder, expected, f"{table}.csv", last_row, None)


@SETTINGS
@given(st.sampled_from(sorted(VALID)), st.data(), st.sampled_from(["é", "ü", "ñ", "°"]))
def test_latin1_encoding(table: str, data: st.DataObject, char: str) -> None:
    index = data.draw(st.integers(0, len(VALID[table]) - 1))
    tables = copy.deepcopy(VALID)
    tables[table][index]["patient_id"] += char
    folder = _written(tables)
    path = folder / f"{table}.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    _check(folder, "not_utf8", f"{table}.csv", index + 2, None)


@SETTINGS
@given(st.sampled_from(sorted(VALID)), st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"]))
def test_utf16_encoding(table: str, encoding: str) -> None:
    folder = _written(copy.deepcopy(VALID))
    path = folder / f"{table}.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    report = validate_study(folder)
    p = _first(report.errors, "not_utf8")
    assert p.source == f"{table}.csv"
    assert "UTF-8" in p.fix


@SETTINGS
@given(st.sampled_from(sorted(VALID)), st.sampled_from([b"", b"\r\n", b"\xef\xbb\xbf", b"  "]))
def test_empty_file(table: str, content: bytes) -> None:
    folder = _written(copy.deepcopy(VALID))
    (folder / f"{table}.csv").write_bytes(content)
    _check(folder, "empty_file", f"{table}.csv", None, None)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(VALID)))
def test_empty_sheet(table: str) -> None:
    path = _fresh() / "study.xlsx"
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in VALID.items():
        sheet = book.create_sheet(name)
        if name == table:
            continue
        sheet.append(list(rows[0]))
        for r in rows:
            sheet.append([v or None for v in r.values()])
    book.save(path)
    _check(path, "empty_file", f"study.xlsx[{table}]", None, None)
