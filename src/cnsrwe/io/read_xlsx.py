"""Reading a study workbook (``.xlsx``): one sheet per table, read with openpyxl (read-only).

Cell rules:

* Row 1 is the header; fully empty rows are skipped (row numbers stay those Excel shows).
* A real Excel date, or a date-time at midnight, becomes the ISO date ``YYYY-MM-DD``; a
  date-time with a time of day keeps it (and is then rejected for a date column).
* A number stored as an integral float (``3.0``) is written ``3``, so it is fine for a
  whole-number column; other floats keep their shortest exact text (``12.3``), so a
  ``decimal1`` column still rejects ``12.34``.
* ``TRUE``/``FALSE`` cells become ``true``/``false``; empty cells are null.
* A sheet whose name is not a table is reported (``unknown_file``, warning) and ignored,
  except the ``About`` sheet of the entry template (``cnsrwe template``), ignored silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
import zipfile
from pathlib import Path
from typing import Any

import polars as pl

from cnsrwe.io.loaded import SourceFile
from cnsrwe.io.problem_log import ProblemLog
from cnsrwe.io.raw import SOURCE_ROW, RawTable, check_header
from cnsrwe.io.schema import TABLES

#: Name of the explanation sheet of the entry template (``cnsrwe template``); never a table.
TEMPLATE_ABOUT_SHEET = "About"


def cell_text(value: Any) -> str | None:
    """Text form of one workbook cell value (see module docstring)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = str(value)
    return None if text == "" else text


def read_workbook(
    path: Path, log: ProblemLog, tables: dict[str, RawTable], unreadable: set[str]
) -> None:
    """Read every sheet of ``path`` named after a table into ``tables``."""
    import openpyxl

    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it does not read (data validation,
            # conditional formats); they do not affect cell values.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        log.add(
            "unreadable_file", "-", path.name,
            message=f"`{path.name}` cannot be opened as an .xlsx workbook ({exc}).",
            fix="Save the workbook again from Excel as 'Excel Workbook (.xlsx)'.",
        )  # fmt: skip
        return
    try:
        for sheet in book.worksheets:
            name = sheet.title
            label = f"{path.name}[{name}]"
            if name == TEMPLATE_ABOUT_SHEET:
                continue  # the entry template's explanation sheet (cnsrwe.io.template)
            if name not in TABLES:
                log.add(
                    "unknown_file", "-", label,
                    message=f"Sheet `{name}` is not a table of the data format and is ignored.",
                    fix="Name sheets after tables: " + ", ".join(TABLES) + ".",
                )  # fmt: skip
                continue
            raw = _read_sheet(sheet, name, label, path, digest, log)
            if raw is None:
                unreadable.add(name)
            else:
                tables[name] = raw
    finally:
        book.close()


def _read_sheet(
    sheet: Any, table: str, label: str, path: Path, digest: str, log: ProblemLog
) -> RawTable | None:
    rows = sheet.iter_rows(values_only=True)
    header_cells = next(rows, None)
    header_text = [cell_text(v) for v in header_cells] if header_cells else []
    while header_text and header_text[-1] is None:
        header_text.pop()
    if not header_text:
        log.add(
            "empty_file", table, label,
            message=f"Sheet `{table}` is empty: it has no header row.",
            fix="Write the column names in row 1, or delete the sheet.",
        )  # fmt: skip
        return None
    header = [h or "" for h in header_text]
    if not check_header(header, table, label, log):
        return None
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in header]
    source_rows: list[int] = []
    outside: list[dict[str, Any]] = []
    for number, cells in enumerate(rows, start=2):
        texts = [cell_text(v) for v in cells]
        if all(t is None for t in texts):
            continue
        for j, t in enumerate(texts[width:], start=width + 1):
            if t is not None:
                outside.append({SOURCE_ROW: number, "col": j, "text": t})
        texts.extend([None] * (width - len(texts)))
        for j in range(width):
            columns[j].append(texts[j])
        source_rows.append(number)
    if outside:
        log.add_rows(
            "cell_outside_header", table, label, pl.DataFrame(outside), column=None,
            value_column="text",
            message="Row {_source_row} has a value in column {col}, right of the last header.",
            fix="Give the column a header name, or clear the cell.",
        )  # fmt: skip
        return None
    frame = pl.DataFrame(
        {**{h: pl.Series(h, c, dtype=pl.String) for h, c in zip(header, columns, strict=True)},
         SOURCE_ROW: pl.Series(SOURCE_ROW, source_rows, dtype=pl.Int64)}
    )  # fmt: skip
    source = SourceFile(table, str(path), table, digest, frame.height)
    return RawTable(table, label, source, frame)
