"""Write the report's tables and its ARD to one Excel workbook (openpyxl).

One sheet per :class:`~cnsrwe.report.document.TableBlock` (named after ``table.name``,
cut to Excel's 31 characters and made unique): caption in A1, header rows with spanner
cells merged, body rows, footnotes below. A last sheet ``results`` holds the full ARD
(numbers as numbers, full precision), sorted as ``results.csv``.

Determinism: zip member times and the workbook's created/modified properties are fixed
(:mod:`cnsrwe.report._zip_determinism`), so the same inputs give a byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from cnsrwe.report._zip_determinism import normalise_zip
from cnsrwe.report.document import Report, TableBlock
from cnsrwe.report.results_csv import KEY, validated_ard

_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})
_THIN = Side(style="thin", color="000000")
_FIXED = dt.datetime(2000, 1, 1)


def _sheet_title(name: str, used: set[str]) -> str:
    base = name.translate(_BAD_SHEET_CHARS)[:31] or "table"
    title, i = base, 2
    while title.lower() in used or title.lower() == "results":
        suffix = f"_{i}"
        title, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(title.lower())
    return title


def _write_table(wb: Workbook, table: TableBlock, title: str) -> None:
    ws = wb.create_sheet(title)
    ws.cell(row=1, column=1, value=table.caption).font = Font(bold=True, size=12)
    r = 3
    for hrow in table.header:
        c = 1
        for cell in hrow.cells:
            x = ws.cell(row=r, column=c, value=cell.text or None)
            x.font = Font(bold=True)
            x.alignment = Alignment(horizontal=cell.align, vertical="bottom", wrap_text=True)
            if cell.colspan > 1:
                ws.merge_cells(start_row=r, start_column=c, end_row=r,
                               end_column=c + cell.colspan - 1)
            c += cell.colspan
        r += 1
    for col in range(1, table.n_columns + 1):
        ws.cell(row=3, column=col).border = Border(top=_THIN)
        ws.cell(row=r - 1, column=col).border = Border(bottom=_THIN)
    for brow in table.body:
        c = 1
        for cell in brow.cells:
            x = ws.cell(row=r, column=c, value=cell.text or None)
            x.alignment = Alignment(horizontal=cell.align, indent=2 * cell.indent,
                                    wrap_text="\n" in cell.text)
            if cell.bold or brow.kind == "group":
                x.font = Font(bold=True)
            c += cell.colspan
        r += 1
    for col in range(1, table.n_columns + 1):
        ws.cell(row=r - 1, column=col).border = Border(bottom=_THIN)
    for note in table.footnotes:
        r += 1
        ws.cell(row=r, column=1, value=note).font = Font(italic=True, size=9)
    ws.column_dimensions["A"].width = 48
    for col in range(2, table.n_columns + 1):
        ws.column_dimensions[get_column_letter(col)].width = 26


def _write_results(wb: Workbook, ard: pl.DataFrame) -> None:
    ws = wb.create_sheet("results")
    out = validated_ard(ard).sort(list(KEY), maintain_order=True, nulls_last=True)
    ws.append(out.columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for rec in out.iter_rows():
        row = list(rec)
        v = row[5]
        row[5] = None if v is None or math.isnan(v) else v
        ws.append(row)
    ws.freeze_panes = "A2"


def write_xlsx(report: Report, ard: pl.DataFrame, path: str | Path) -> Path:
    """Write ``report.xlsx`` (module notes) and return its path."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for table in report.tables():
        _write_table(wb, table, _sheet_title(table.name, used))
    _write_results(wb, ard)
    wb.properties.creator = "cnsrwe"
    wb.properties.title = report.title
    wb.properties.created = _FIXED
    wb.properties.modified = _FIXED
    p = Path(path)
    wb.save(p)
    normalise_zip(p)
    return p
