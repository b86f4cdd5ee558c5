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
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Inches, Pt

from cnsrwe.report._zip_determinism import normalise_zip
from cnsrwe.report.document import (
    Cell,
    FigureBlock,
    PageBreak,
    Paragraph,
    Report,
    TableBlock,
)

_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
          "right": WD_ALIGN_PARAGRAPH.RIGHT}
_FIXED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


_EDGES = ("top", "left", "bottom", "right")  # the order CT_TcBorders requires
_BORDER = ('<w:{edge} w:val="single" w:sz="{size}" w:space="0" w:color="000000"/>')
_RUN_PROPS = {True: "<w:rPr><w:b/><w:sz w:val=\"18\"/></w:rPr>",   # 9 pt = 18 half-points
              False: "<w:rPr><w:b w:val=\"0\"/><w:sz w:val=\"18\"/></w:rPr>"}
_INDENT_TWIPS = Inches(0.2).twips  # one indent level


def _text_xml(line: str) -> str:
    """One ``w:t`` element; ``xml:space="preserve"`` when the text has edge whitespace (as
    python-docx writes it)."""
    space = ' xml:space="preserve"' if line != line.strip() else ""
    return f"<w:t{space}>{xml_escape(line)}</w:t>"


def _cell_xml(cell: Cell, width: int, borders: dict[str, int], *, bold: bool) -> str:
    """One ``w:tc``: width (summed over the spanned grid columns), span, borders in schema
    order, a paragraph with alignment and indent, one 9 pt run per text line separated by
    line breaks."""
    props = [f'<w:tcW w:type="dxa" w:w="{width * cell.colspan}"/>']
    if cell.colspan > 1:
        props.append(f'<w:gridSpan w:val="{cell.colspan}"/>')
    if borders:
        props.append("<w:tcBorders>" + "".join(
            _BORDER.format(edge=e, size=borders[e]) for e in _EDGES if e in borders)
            + "</w:tcBorders>")
    ppr = ""
    if cell.indent:
        ppr += f'<w:ind w:left="{_INDENT_TWIPS * cell.indent}"/>'
    ppr += f'<w:jc w:val="{cell.align}"/>'
    runs = []
    for i, line in enumerate(cell.text.split("\n")):
        if i:
            runs.append("<w:r><w:br/></w:r>")  # a line break inside the cell
        runs.append(f"<w:r>{_RUN_PROPS[bold]}{_text_xml(line) if line else ''}</w:r>")
    return (f"<w:tc><w:tcPr>{''.join(props)}</w:tcPr>"
            f"<w:p><w:pPr>{ppr}</w:pPr>{''.join(runs)}</w:p></w:tc>")


def _rows_xml(block: TableBlock, width: int) -> str:
    """All rows of ``block`` as WordprocessingML text, built in one pass (linear in cells).

    Rules (journal style): a 1.5 pt rule above the first row, 1 pt below the last header
    row, 1.5 pt below the last body row; a 0.5 pt rule under each spanner header cell that
    has text. Header rows carry ``w:tblHeader`` so Word repeats them on every page."""
    rows = (*block.header, *block.body)
    last_header = len(block.header) - 1
    out = []
    for r, row in enumerate(rows):
        header = r <= last_header
        cells = []
        for cell in row.cells:
            borders: dict[str, int] = {}
            if r == 0:
                borders["top"] = 12
            if r == len(rows) - 1:
                borders["bottom"] = 12
            elif r == last_header:
                borders["bottom"] = 8
            elif header and cell.colspan > 1 and cell.text:
                borders["bottom"] = 4
            bold = header or cell.bold or row.kind == "group"
            cells.append(_cell_xml(cell, width, borders, bold=bold))
        tr_pr = '<w:trPr><w:tblHeader w:val="true"/></w:trPr>' if header else ""
        out.append(f"<w:tr>{tr_pr}{''.join(cells)}</w:tr>")
    return "".join(out)


def _add_table(doc: DocxDocument, block: TableBlock, number: int) -> None:
    """Caption, table and footnotes of ``block``. The rows are written as XML in one pass and
    parsed once: python-docx's ``table.cell(r, c)`` rebuilds the cell grid on every call,
    which made filling quadratic in the number of cells."""
    cap = doc.add_paragraph(style="Caption")
    cap.add_run(f"Table {number}. ").bold = True
    cap.add_run(block.caption)
    table = doc.add_table(rows=0, cols=block.n_columns)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl = table._tbl
    width = int(tbl.tblGrid.gridCol_lst[0].get(qn("w:w")))
    parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{_rows_xml(block, width)}</w:tbl>")
    for tr in list(parsed):
        tbl.append(tr)
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
