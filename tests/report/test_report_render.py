"""Renderers: HTML, Word, Excel, results.csv — structure, snapshots, determinism."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from docx import Document

from cnsrwe.report.document import PageBreak, Paragraph, Report, Section
from cnsrwe.report.docx import write_docx
from cnsrwe.report.html import render_html, render_table, write_html
from cnsrwe.report.results_csv import read_results_csv, render_results_csv, write_results_csv
from cnsrwe.report.xlsx import write_xlsx

from .figure_bytes import figures
from .report_fixture import all_ard, cox_table, small_report, survival_table, table1, table2
from .snapshot_text import assert_snapshot


def full_report() -> Report:
    fig_svg, fig_png = figures()
    extra = Section("Figures", (fig_svg, PageBreak(), fig_png,
                                Paragraph("Text with <markup> & ampersands.")))
    return small_report((extra,))


# ----------------------------------------------------------------------------- HTML


def test_table_html_fragments_match_snapshots() -> None:
    for t in (table1(), table2(), survival_table(), cox_table()):
        assert_snapshot(f"html_{t.name}", render_table(t) + "\n")


def test_html_is_self_contained() -> None:
    html = render_html(full_report())
    assert not re.search(r"https?:", html)
    for bad in ("<script", "<link", "@import", "<iframe", "<object"):
        assert bad not in html
    for src in re.findall(r'\bsrc="([^"]*)"', html):
        assert src.startswith("data:image/png;base64,")
    for ref in re.findall(r'href="([^"]*)"', html):
        assert ref.startswith("#")
    assert re.findall(r"url\(([^)]*)\)", html) == ["#fig-km-p1"]
    assert "&lt;markup&gt; &amp; ampersands" in html


def test_html_toc_anchors_and_svg_ids() -> None:
    rep = full_report()
    html = render_html(rep)
    for anchor, sec in zip(rep.anchors(), rep.sections, strict=True):
        assert f'<a href="#{anchor}">{sec.title}</a>' in html
        assert f'id="{anchor}"' in html
    for piece in ('id="fig-km-p1"', 'href="#fig-km-line"'):
        assert piece in html
    for gone in ("<?xml", "<!--", "<metadata>"):
        assert gone not in html
    assert html.count("<svg") == 1  # the PNG-only figure is an <img>


def test_html_is_deterministic(tmp_path: Path) -> None:
    a = write_html(full_report(), tmp_path / "a.html").read_bytes()
    b = write_html(full_report(), tmp_path / "b.html").read_bytes()
    assert a == b
    assert b"\r\n" not in a


# ----------------------------------------------------------------------------- Word


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_dump(path: Path) -> str:
    """Normalised structure of every Word table: per row, header flag, cell text and span."""
    doc = Document(str(path))
    out = []
    for i, table in enumerate(doc.tables):
        out.append(f"table {i}: {len(table.columns)} columns")
        for tr in table._tbl.tr_lst:
            head = "H" if tr.trPr is not None and tr.trPr.find(W + "tblHeader") is not None else "B"
            cells = []
            for tc in tr.tc_lst:
                text = "\\n".join(
                    "".join(el.text or "" if el.tag == W + "t" else "<br>"
                            for el in p.iter(W + "t", W + "br"))
                    for p in tc.p_lst)
                span = f"[span {tc.grid_span}]" if tc.grid_span > 1 else ""
                cells.append(text + span)
            out.append(f"  {head} | " + " | ".join(cells))
    return "\n".join(out) + "\n"


def test_docx_holds_real_tables(tmp_path: Path) -> None:
    path = write_docx(full_report(), tmp_path / "report.docx")
    doc = Document(str(path))
    assert len(doc.tables) == 4
    t1 = doc.tables[0]
    assert t1.cell(1, 0).text == "Characteristic"
    assert t1.cell(1, 2).text == "Cohort 2 (N = 32)"
    assert t1.cell(4, 1).text == "6 (30.0%)"
    # the spanner is one merged cell over the three cohort columns
    assert t1.cell(0, 1)._tc is t1.cell(0, 3)._tc
    assert t1.cell(0, 1).text == "Cohort"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Patients", "Intracranial efficacy", "Survival", "Figures"]
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions[0] == "Table 1. Baseline characteristics"
    assert "Figure 2. A raster-only figure." in captions
    assert len(doc.inline_shapes) == 2
    assert doc.core_properties.author == "cnsrwe"
    # tcBorders children in the order the OOXML schema requires (else Word refuses the file)
    order = [W + e for e in ("top", "left", "bottom", "right")]
    n_borders = 0
    for borders in doc.element.body.iter(W + "tcBorders"):
        tags = [c.tag for c in borders]
        assert tags == sorted(tags, key=order.index)
        assert len(tags) == len(set(tags))
        n_borders += 1
    assert n_borders > 0
    spanner = t1.cell(0, 1)._tc.tcPr.find(W + "tcBorders")
    assert [c.tag for c in spanner] == [W + "top", W + "bottom"]
    assert_snapshot("docx_tables", docx_dump(path))


def test_docx_and_xlsx_are_byte_identical_across_runs(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rep, ard = full_report(), all_ard()
    d1 = write_docx(rep, tmp_path / "1.docx").read_bytes()
    x1 = write_xlsx(rep, ard, tmp_path / "1.xlsx").read_bytes()
    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    d2 = write_docx(rep, tmp_path / "2.docx").read_bytes()
    x2 = write_xlsx(rep, ard, tmp_path / "2.xlsx").read_bytes()
    assert d1 == d2
    assert x1 == x2
    with zipfile.ZipFile(tmp_path / "2.xlsx") as z:
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "2000-01-01T00:00:00Z" in core


# ----------------------------------------------------------------------------- Excel


def test_xlsx_reads_back(tmp_path: Path) -> None:
    rep, ard = full_report(), all_ard()
    wb = openpyxl.load_workbook(write_xlsx(rep, ard, tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["table1", "table2", "aml_km", "lung_cox", "results"]
    ws = wb["table1"]
    assert ws["A1"].value == "Baseline characteristics"
    assert ws["B3"].value == "Cohort"
    assert "B3:D3" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["C4"].value == "Cohort 2 (N = 32)"
    res = wb["results"]
    rows = list(res.iter_rows(values_only=True))
    assert list(rows[0]) == ["analysis", "population", "group", "parameter", "statistic",
                             "value", "method"]
    assert len(rows) - 1 == ard.height
    back = pl.DataFrame([list(r) for r in rows[1:]], schema=rows[0], orient="row")
    want = read_results_csv_text(render_results_csv(ard), tmp_path)
    # openpyxl writes floats with 16 significant digits (results.csv keeps all 17)
    got, exp = back["value"].to_list(), want["value"].to_list()
    assert [g is None for g in got] == [e is None for e in exp]
    assert [g for g in got if g is not None] == pytest.approx(
        [e for e in exp if e is not None], rel=1e-15, abs=0)
    # an empty text field ("" = whole population / no group) is an empty cell in Excel
    assert back.drop("value").fill_null("").equals(want.drop("value"))


def read_results_csv_text(text: str, tmp_path: Path) -> pl.DataFrame:
    p = tmp_path / "tmp_results.csv"
    p.write_text(text, encoding="utf-8")
    return read_results_csv(p)


# ----------------------------------------------------------------------------- results.csv


def test_results_csv_round_trips_exactly_and_is_order_independent(tmp_path: Path) -> None:
    ard = all_ard()
    path = write_results_csv(ard, tmp_path / "results.csv")
    back = read_results_csv(path)
    keys = ["analysis", "population", "group", "parameter", "statistic"]
    expect = ard.sort(keys, maintain_order=True)
    assert back.equals(expect)  # exact doubles, nulls kept
    shuffled = ard.sample(fraction=1.0, shuffle=True, seed=7)
    assert render_results_csv(shuffled) == path.read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("analysis,population,group,parameter,statistic,value,method\n")
    assert "0.9090909090909091" in text  # full precision, not a rounded print


def test_results_csv_rejects_duplicate_keys() -> None:
    ard = all_ard()
    with pytest.raises(ValueError, match="one row per"):
        render_results_csv(pl.concat([ard, ard.head(1)]))
    with pytest.raises(ValueError, match="missing \\['method'\\]"):
        render_results_csv(ard.drop("method"))


def test_figure_from_files(tmp_path: Path) -> None:
    from cnsrwe.report.document import figure_from_files

    from .figure_bytes import SVG, tiny_png

    (tmp_path / "f.svg").write_text(SVG, encoding="utf-8")
    (tmp_path / "f.png").write_bytes(tiny_png())
    fb = figure_from_files("f", "Caption.", "Alt text", svg=tmp_path / "f.svg",
                           png=tmp_path / "f.png")
    assert fb.svg == SVG
    assert fb.png == tiny_png()
    with pytest.raises(ValueError, match="`png` of figure 'g' must be PNG bytes"):
        figure_from_files("g", "Caption.", "Alt", png=tmp_path / "f.svg")
