"""The XLSX data-entry template of the data format (``cnsrwe template --out FILE.xlsx``).

One sheet per table of :data:`cnsrwe.io.schema.TABLES`, named after the table, with:

* the header row (row 1, bold, frozen), one column per format column in documented order;
* a cell comment on every header cell: meaning, type, whether required/nullable, allowed
  values and an example (descriptions are comments, not a second row, so that row 2 is the
  first data row exactly as :func:`cnsrwe.io.read_study` reads it);
* data validation on the data rows: a drop-down list for every controlled vocabulary and for
  yes/no columns, whole-number / decimal ranges for numbers, a date range (1900-2100) and the
  ``yyyy-mm-dd`` display format for dates;

plus an ``About`` sheet with the format version and how to fill and check the workbook.
``read_study`` skips the ``About`` sheet without a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnsrwe.io.read_xlsx import TEMPLATE_ABOUT_SHEET
from cnsrwe.io.schema import FORMAT_VERSION, TABLES, Column, Table

__all__ = ["TEMPLATE_ROWS", "write_template"]

#: Data rows (2 .. TEMPLATE_ROWS + 1) that carry the drop-downs and checks.
TEMPLATE_ROWS = 5000
_WIDTH_MIN, _WIDTH_MAX = 12, 40


def _comment_text(col: Column) -> str:
    need = "required column" if col.required else "optional column"
    empty = "may be empty" if col.nullable else "must not be empty"
    lines = [col.meaning, f"Type: {col.type}; {need}; {empty}."]
    if col.allowed is not None:
        lines.append("Allowed: " + ", ".join(col.allowed))
    if col.minimum is not None or col.maximum is not None:
        lo = "" if col.minimum is None else f"{col.minimum:g}"
        hi = "" if col.maximum is None else f"{col.maximum:g}"
        lines.append(f"Range: {lo} to {hi}")
    if col.type == "date":
        lines.append("Write dates as YYYY-MM-DD (or a real date cell).")
    if col.type == "list":
        lines.append("Separate several items with ;")
    if col.example:
        lines.append(f"Example: {col.example}")
    return "\n".join(lines)


def _validation(col: Column, cells: str) -> Any:
    from openpyxl.worksheet.datavalidation import DataValidation

    title = col.name
    if col.allowed is not None or col.type == "bool":
        values = col.allowed if col.allowed is not None else ("true", "false")
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                            allow_blank=True)  # fmt: skip
        dv.error = f"{title} must be one of: {', '.join(values)}"
    elif col.type in ("int", "decimal1", "number"):
        kind = "whole" if col.type == "int" else "decimal"
        lo = -1e9 if col.minimum is None else col.minimum
        hi = 1e9 if col.maximum is None else col.maximum
        dv = DataValidation(type=kind, operator="between", formula1=f"{lo:g}",
                            formula2=f"{hi:g}", allow_blank=True)  # fmt: skip
        dv.error = f"{title} must be a {'whole ' if kind == 'whole' else ''}number" + (
            f" from {lo:g} to {hi:g}" if col.minimum is not None or col.maximum is not None
            else "")  # fmt: skip
    elif col.type == "date":
        dv = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                            formula2="DATE(2100,12,31)", allow_blank=True)  # fmt: skip
        dv.error = f"{title} must be a date (YYYY-MM-DD)"
    else:
        return None
    dv.errorTitle = "Not allowed by the cnsrwe data format"
    dv.showErrorMessage = True
    dv.add(cells)
    return dv


def _table_sheet(book: Any, table: Table) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(table.name)
    for j, col in enumerate(table.columns, start=1):
        cell = sheet.cell(row=1, column=j, value=col.name)
        cell.font = Font(bold=True)
        comment = Comment(_comment_text(col), "cnsrwe")
        comment.width, comment.height = 320, 160
        cell.comment = comment
        letter = get_column_letter(j)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        dv = _validation(col, cells)
        if dv is not None:
            sheet.add_data_validation(dv)
        dim = sheet.column_dimensions[letter]
        if col.type == "date":
            dim.number_format = "yyyy-mm-dd"  # column style: no empty cells are written
        elif col.type in ("string", "list"):
            dim.number_format = "@"  # text, so Excel does not turn codes like 1/2 into dates
        dim.width = max(_WIDTH_MIN, min(_WIDTH_MAX, len(col.name) + 4))
    sheet.freeze_panes = "A2"


def _about_sheet(book: Any) -> None:
    from openpyxl.styles import Font

    sheet = book.active
    sheet.title = TEMPLATE_ABOUT_SHEET
    lines = [
        f"cnsrwe study data format, version {FORMAT_VERSION}: data-entry template",
        "",
        "One sheet per table; row 1 is the header (do not rename or reorder it), data start"
        " in row 2. Hover over a header cell for what the column means and which values it"
        " takes.",
        "patients and treatments are required; the other sheets may stay empty or be deleted.",
        "Dates: YYYY-MM-DD (real date cells are fine). Lists: items separated by ;",
        "Drop-downs list the allowed codes; codes are case-sensitive.",
        "Use study patient identifiers only, never hospital numbers or names.",
        "Check the workbook with: cnsrwe validate FILE.xlsx   Import it with:"
        " cnsrwe import FILE.xlsx --study STUDY.duckdb",
        "This About sheet is skipped when the workbook is read.",
        "",
        "Tables: " + ", ".join(f"{t.name} ({t.row_is} per row)" for t in TABLES.values()),
    ]
    for i, text in enumerate(lines, start=1):
        sheet.cell(row=i, column=1, value=text)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 110


def write_template(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the XLSX data-entry template to ``path`` and return the path.

    Raises
    ------
    ValueError
        When ``path`` does not end in ``.xlsx``.
    FileExistsError
        When ``path`` exists and ``overwrite`` is false.
    """
    import openpyxl

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        msg = f"`path` must end in .xlsx, got {str(target)!r}"
        raise ValueError(msg)
    if target.exists() and not overwrite:
        msg = f"`path` already exists, got {str(target)!r} (use overwrite=True to replace it)"
        raise FileExistsError(msg)
    book = openpyxl.Workbook()
    _about_sheet(book)
    for table in TABLES.values():
        _table_sheet(book, table)
    book.save(target)
    return target
