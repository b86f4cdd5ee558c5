"""Write the report as an editable Word document (python-docx) with real tables.

* headings: the report title (Title style), sections as Heading 1 / Heading 2;
* tables: a caption paragraph ("Table n. ...") above, a real Word table whose header rows
  repeat on every page (``w:tblHeader``) and whose spanner cells are merged cells, three
  horizontal rules in the journal style (top and bottom of the header, bottom of the body),
  footnotes in small type below;
* figures: the PNG as a picture with a caption ("Figure n. ..."); a figure that has only SVG
  is named with a note pointing to the HTML report (Word cannot embed SVG portably);
* page breaks as Word page breaks.

Determinism: core properties (created, modified, last printed, revision, author) are fixed
and the zip is normalised (:mod:`cnsrwe.report._zip_determinism`), so the same report gives
a byte-identical .docx.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from docx.table import Table, _Cell

from cnsrwe.report._zip_determinism import normalise_zip
from cnsrwe.report.document import FigureBlock, PageBreak, Paragraph, Report, Row, TableBlock

_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
          "right": WD_ALIGN_PARAGRAPH.RIGHT}
_FIXED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


_EDGES = ("top", "left", "bottom", "right")  # the order CT_TcBorders requires


def _border(cell: _Cell, edge: str, size: int) -> None:
    """Set one border of a cell, keeping the child order the OOXML schema demands (Word
    rejects a file whose ``w:tcBorders`` children are out of order)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    old = borders.find(qn(f"w:{edge}"))
    if old is not None:
        borders.remove(old)
    el = OxmlElement(f"w:{edge}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), "0")
    el.set(qn("w:color"), "000000")
    rank = _EDGES.index(edge)
    later = [c for c in borders if c.tag in {qn(f"w:{e}") for e in _EDGES[rank + 1:]}]
    if later:
        later[0].addprevious(el)
    else:
        borders.append(el)


def _fill_row(table: Table, r: int, row: Row, *, header: bool) -> None:
    c = 0
    for cell in row.cells:
        target = table.cell(r, c)
        if cell.colspan > 1:
            target = target.merge(table.cell(r, c + cell.colspan - 1))
        par = target.paragraphs[0]
        par.alignment = _ALIGN[cell.align]
        if cell.indent:
            par.paragraph_format.left_indent = Inches(0.2 * cell.indent)
        for i, line in enumerate(cell.text.split("\n")):
            if i:
                par.add_run().add_break()  # a line break inside the cell
            run = par.add_run(line)
            run.font.size = Pt(9)
            run.bold = header or cell.bold or row.kind == "group"
        if header and cell.colspan > 1 and cell.text:
            _border(target, "bottom", 4)
        c += cell.colspan


def _add_table(doc: DocxDocument, block: TableBlock, number: int) -> None:
    cap = doc.add_paragraph(style="Caption")
    cap.add_run(f"Table {number}. ").bold = True
    cap.add_run(block.caption)
    n_rows = len(block.header) + len(block.body)
    table = doc.add_table(rows=n_rows, cols=block.n_columns)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, row in enumerate(block.header):
        _fill_row(table, i, row, header=True)
        tr_pr = table.rows[i]._tr.get_or_add_trPr()
        flag = OxmlElement("w:tblHeader")
        flag.set(qn("w:val"), "true")
        tr_pr.append(flag)
    for j, row in enumerate(block.body):
        _fill_row(table, len(block.header) + j, row, header=False)
    last_header = len(block.header) - 1
    for col in range(block.n_columns):
        _border(table.cell(0, col), "top", 12)
        _border(table.cell(last_header, col), "bottom", 8)
        _border(table.cell(n_rows - 1, col), "bottom", 12)
    for note in block.footnotes:
        p = doc.add_paragraph()
        run = p.add_run(note)
        run.font.size = Pt(8)
        run.italic = True
        p.paragraph_format.space_after = Pt(0)


def _add_figure(doc: DocxDocument, block: FigureBlock, number: int) -> None:
    if block.png is not None:
        doc.add_picture(io.BytesIO(block.png), width=Inches(block.width_inches))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        doc.add_paragraph(
            f"[{block.alt} — vector figure; see the HTML report]")
    cap = doc.add_paragraph(style="Caption")
    cap.add_run(f"Figure {number}. ").bold = True
    cap.add_run(block.caption)


def build_docx(report: Report) -> DocxDocument:
    """The python-docx ``Document`` of ``report`` (not yet saved)."""
    doc = Document()
    doc.add_heading(report.title, level=0)
    for line in report.subtitle:
        doc.add_paragraph(line)
    n_table = n_figure = 0
    for sec in report.sections:
        doc.add_heading(sec.title, level=sec.level)
        for b in sec.blocks:
            if isinstance(b, Paragraph):
                doc.add_paragraph(b.text)
            elif isinstance(b, TableBlock):
                n_table += 1
                _add_table(doc, b, n_table)
            elif isinstance(b, FigureBlock):
                n_figure += 1
                _add_figure(doc, b, n_figure)
            elif isinstance(b, PageBreak):
                doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    props = doc.core_properties
    props.title = report.title
    props.author = "cnsrwe"
    props.last_modified_by = "cnsrwe"
    props.created = _FIXED
    props.modified = _FIXED
    props.last_printed = _FIXED
    props.revision = 1
    return doc


def write_docx(report: Report, path: str | Path) -> Path:
    """Write ``report.docx`` (module notes) and return its path."""
    p = Path(path)
    build_docx(report).save(str(p))
    normalise_zip(p)
    return p
