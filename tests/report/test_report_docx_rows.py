"""The Word writer builds table rows as XML in one pass: check what it writes cell by cell
(text with XML-special characters and edge spaces, line breaks, indent, alignment, bold,
spans, header flags, rules) on a small table and on a large one."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from cnsrwe.report.document import Cell, Report, Row, Section, TableBlock
from cnsrwe.report.docx import write_docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _report(*tables: TableBlock) -> Report:
    return Report(title="T", sections=(Section("S", tables),))


def test_cell_content_and_formatting(tmp_path: Path) -> None:
    block = TableBlock(
        name="t", caption="Caption <&>",
        header=(Row((Cell(""), Cell("Arm & dose", colspan=2, align="center"))),
                Row((Cell("Item"), Cell("A"), Cell("B")))),
        body=(Row((Cell("Group"), Cell(""), Cell("")), kind="group"),
              Row((Cell("x < 5", indent=1), Cell(" 3 (10%)", align="right"),
                   Cell("line 1\nline 2", align="right", bold=True)))),
        footnotes=("note",))
    doc = Document(str(write_docx(_report(block), tmp_path / "r.docx")))
    (t,) = doc.tables
    assert t.cell(0, 1)._tc is t.cell(0, 2)._tc  # the spanner is one merged cell
    assert t.cell(0, 1).text == "Arm & dose"
    assert t.cell(3, 0).text == "x < 5"
    assert t.cell(3, 1).text == " 3 (10%)"
    assert t.cell(3, 2).text == "line 1\nline 2"
    trs = t._tbl.tr_lst
    heads = [tr.trPr is not None and tr.trPr.find(W + "tblHeader") is not None for tr in trs]
    assert heads == [True, True, False, False]
    par = t.cell(3, 0).paragraphs[0]
    assert par.paragraph_format.left_indent.inches == 0.2
    assert par.alignment == 0  # left
    assert t.cell(3, 1).paragraphs[0].alignment == 2  # right
    assert all(r.bold for r in t.cell(3, 2).paragraphs[0].runs if r.text.strip())
    assert not any(r.bold for r in t.cell(3, 1).paragraphs[0].runs)
    assert all(r.bold for r in t.cell(2, 0).paragraphs[0].runs)  # group row
    assert all(r.bold for r in t.cell(1, 0).paragraphs[0].runs)  # header row
    sizes = {r.font.size.pt for c in t._cells for p in c.paragraphs for r in p.runs
             if r.text.strip()}
    assert sizes == {9.0}

    def bottom(r: int, c: int) -> str | None:
        b = t.cell(r, c)._tc.tcPr.find(W + "tcBorders")
        el = None if b is None else b.find(W + "bottom")
        return None if el is None else el.get(W + "sz")

    assert bottom(0, 1) == "4"   # under the spanner
    assert bottom(0, 0) is None  # empty stub above the column labels
    assert bottom(1, 0) == bottom(1, 2) == "8"  # below the header
    assert bottom(2, 0) is None
    assert bottom(3, 0) == bottom(3, 2) == "12"  # below the body
    widths = [int(tc.tcPr.find(W + "tcW").get(W + "w")) for tc in trs[0].tc_lst]
    assert widths[1] == 2 * widths[0]  # a merged cell is as wide as its grid columns


def test_large_table_keeps_every_cell(tmp_path: Path) -> None:
    n = 2000
    body = tuple(Row((Cell(f"P{i:04d}"), Cell(str(i), align="right"), Cell(f"{i % 7}")))
                 for i in range(n))
    block = TableBlock(name="big", caption="Big",
                       header=(Row((Cell("id"), Cell("i"), Cell("k"))),), body=body)
    doc = Document(str(write_docx(_report(block), tmp_path / "big.docx")))
    rows = doc.tables[0]._tbl.tr_lst
    assert len(rows) == n + 1
    texts = ["".join(t.text for t in tr.tc_lst[1].iter(W + "t")) for tr in rows[1:]]
    assert texts == [str(i) for i in range(n)]
