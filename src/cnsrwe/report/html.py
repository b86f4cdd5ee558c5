"""Render a :class:`~cnsrwe.report.document.Report` as one self-contained HTML file.

Self-contained means: inline CSS, figures inlined as SVG (or base64 PNG data URIs), no
scripts, no fonts, links or images fetched from anywhere — the file can be e-mailed,
archived with the study and opened offline years later. A table of contents links to every
section by anchor (a long run of subsections, such as the per-patient appendix, collapsed
in a ``<details>`` element); a print style sheet starts level-1 sections on a new page and keeps
tables and figures whole.

The output is a pure function of the report: same report, byte-identical file (no dates,
no random ids; SVG element ids are prefixed per figure so two figures cannot clash).
"""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path

from cnsrwe.report.document import (
    Cell,
    FigureBlock,
    PageBreak,
    Paragraph,
    Report,
    Row,
    Section,
    TableBlock,
    slugify,
)

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #222; --light: #d0d4da; --accent: #0b5394; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif;
  color: var(--ink); line-height: 1.5; margin: 0; background: #f4f5f7; }
main { max-width: 60rem; margin: 0 auto; padding: 2.5rem 3rem 4rem; background: #fff;
  box-shadow: 0 0 0.6rem rgba(0,0,0,0.08); }
header.report-title { border-bottom: 3px solid var(--accent); margin-bottom: 1.5rem; }
header.report-title h1 { font-size: 1.9rem; margin: 0 0 0.3rem; color: var(--accent); }
header.report-title p { margin: 0.1rem 0; color: var(--muted); }
nav.toc { background: #f7f9fc; border: 1px solid var(--light); padding: 0.8rem 1.2rem;
  margin-bottom: 2rem; }
nav.toc h2 { font-size: 1.05rem; margin: 0 0 0.4rem; border: 0; }
nav.toc ol { margin: 0; padding-left: 1.4rem; }
nav.toc li.toc-2 { margin-left: 1.2rem; list-style-type: circle; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc details.toc-more { margin: 0.2rem 0 0.2rem 1.2rem; }
nav.toc details.toc-more summary { cursor: pointer; color: var(--muted); }
nav.toc details.toc-more ol { columns: 3; padding-left: 1.4rem; }
nav.toc details.toc-more li.toc-2 { margin-left: 0; }
h2 { font-size: 1.4rem; border-bottom: 1px solid var(--light); padding-bottom: 0.2rem;
  margin-top: 2.4rem; }
h3 { font-size: 1.15rem; margin-top: 1.8rem; }
p { margin: 0.6rem 0; text-align: justify; }
figure.table { margin: 1.4rem 0; overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; width: 100%;
  font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
thead { border-top: 2px solid var(--rule); border-bottom: 1px solid var(--rule); }
tbody { border-bottom: 2px solid var(--rule); }
th { font-weight: 600; padding: 0.3rem 0.6rem; vertical-align: bottom; }
th.spanner { border-bottom: 1px solid var(--muted); }
td { padding: 0.25rem 0.6rem; vertical-align: top; }
tbody tr:nth-child(even) td { background: #fafbfc; }
tr.group td { font-weight: 600; padding-top: 0.5rem; }
.al-left { text-align: left; } .al-center { text-align: center; } .al-right { text-align: right; }
.ind-1 { padding-left: 1.6rem; } .ind-2 { padding-left: 2.6rem; }
td.bold { font-weight: 600; }
figcaption.notes { font-size: 0.8rem; color: var(--muted); margin-top: 0.35rem; }
figcaption.notes p { margin: 0.1rem 0; text-align: left; }
figure.figure { margin: 1.6rem 0; text-align: center; }
figure.figure svg, figure.figure img { max-width: 100%; height: auto; }
figure.figure figcaption { font-size: 0.9rem; text-align: left; margin-top: 0.4rem; }
hr.page-break { border: 0; border-top: 1px dashed var(--light); margin: 2rem 0; }
@media print {
  html { font-size: 10.5pt; }
  body { background: #fff; }
  main { max-width: none; padding: 0; box-shadow: none; }
  nav.toc { page-break-after: always; background: none; }
  section.level-1 { page-break-before: always; }
  figure.table, figure.figure, tr { page-break-inside: avoid; }
  thead { display: table-header-group; }
  hr.page-break { page-break-after: always; border: 0; margin: 0; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 18mm 15mm; }
""".strip()

_XML_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.DOTALL)
# namespace declarations are implied for inline SVG in HTML5; dropping them keeps the file
# free of any "http:" text (nothing is ever fetched from a namespace URI anyway)
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
#: More level-2 sections than this under one level-1 section are collapsed in the contents.
TOC_CHILD_LIMIT = 12
_ID_DEF = re.compile(r'\bid="([^"]+)"')
# a definition id="x" or reference href="#x" (also xlink:href): groups 1-2; url(#x): 3-4
_ID_USE = re.compile(r'(\bid="|href="#)([^"]+)(?=")|(url\(#)([^)]+)(?=\))')


def _cell(tag: str, c: Cell, extra_class: str = "") -> str:
    classes = [f"al-{c.align}"]
    if c.indent:
        classes.append(f"ind-{c.indent}")
    if c.bold and tag == "td":
        classes.append("bold")
    if extra_class:
        classes.append(extra_class)
    span = f' colspan="{c.colspan}"' if c.colspan > 1 else ""
    scope = ' scope="col"' if tag == "th" else ""
    text = "<br>".join(escape(line) for line in c.text.split("\n"))
    return f'<{tag} class="{" ".join(classes)}"{span}{scope}>{text}</{tag}>'


def _row(tag: str, row: Row) -> str:
    cls = ' class="group"' if row.kind == "group" else ""
    cells = "".join(
        _cell(tag, c, "spanner" if tag == "th" and c.colspan > 1 and c.text else "")
        for c in row.cells
    )
    return f"<tr{cls}>{cells}</tr>"


def render_table(table: TableBlock) -> str:
    """One table as an HTML fragment (``<figure class="table">`` with caption and notes)."""
    parts = [f'<figure class="table" id="tbl-{slugify(table.name)}">',
             f"<table><caption>{escape(table.caption)}</caption>",
             "<thead>", *(_row("th", r) for r in table.header), "</thead>",
             "<tbody>", *(_row("td", r) for r in table.body), "</tbody>", "</table>"]
    if table.footnotes:
        parts.append('<figcaption class="notes">')
        parts += [f"<p>{escape(n)}</p>" for n in table.footnotes]
        parts.append("</figcaption>")
    parts.append("</figure>")
    return "\n".join(parts)


def _inline_svg(svg: str, prefix: str) -> str:
    """Drop the XML prolog, comments, metadata and namespace declarations; prefix every id
    (and its references ``url(#id)`` and ``href="#id"``) by ``prefix``.

    One pass: the ids are collected, then a single regular-expression substitution rewrites
    each definition or reference whose name is one of them (linear in the SVG size; a
    replace per id was quadratic, about a minute for a 9,000-bar waterfall). A reference to
    a name that is not defined in the SVG is left as it is."""
    body = _COMMENT.sub("", _XML_PROLOG.sub("", svg, count=1))
    body = _XMLNS.sub("", _METADATA.sub("", body)).strip()
    ids = set(_ID_DEF.findall(body))
    if not ids:
        return body

    def rename(m: re.Match[str]) -> str:
        lead, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return f"{lead}{prefix}-{name}" if name in ids else m.group(0)

    return _ID_USE.sub(rename, body)


def render_figure(fig: FigureBlock) -> str:
    """One figure as an HTML fragment: inline SVG when available, else a PNG data URI."""
    anchor = f"fig-{slugify(fig.name)}"
    if fig.svg is not None:
        media = (f'<div role="img" aria-label="{escape(fig.alt)}">'
                 f"{_inline_svg(fig.svg, anchor)}</div>")
    else:
        assert fig.png is not None
        data = base64.b64encode(fig.png).decode("ascii")
        media = f'<img alt="{escape(fig.alt)}" src="data:image/png;base64,{data}">'
    return (f'<figure class="figure" id="{anchor}">{media}'
            f"<figcaption>{escape(fig.caption)}</figcaption></figure>")


def _section(sec: Section, anchor: str) -> str:
    h = "h2" if sec.level == 1 else "h3"
    out = [f'<section class="level-{sec.level}" id="{anchor}">',
           f"<{h}>{escape(sec.title)}</{h}>"]
    for b in sec.blocks:
        if isinstance(b, Paragraph):
            out.append(f"<p>{escape(b.text)}</p>")
        elif isinstance(b, TableBlock):
            out.append(render_table(b))
        elif isinstance(b, FigureBlock):
            out.append(render_figure(b))
        elif isinstance(b, PageBreak):
            out.append('<hr class="page-break">')
    out.append("</section>")
    return "\n".join(out)


def _toc_item(sec: Section, anchor: str) -> str:
    return f'<li class="toc-{sec.level}"><a href="#{anchor}">{escape(sec.title)}</a></li>'


def render_toc(sections: tuple[Section, ...], anchors: list[str]) -> str:
    """The table of contents items (``<li>``), one per section, in order.

    A level-1 section followed by more than ``TOC_CHILD_LIMIT`` level-2 sections (the
    per-patient appendix: one per patient) shows its link with the count, and its
    subsections collapsed in a ``<details>`` element that opens on a click (no script)."""
    pairs = list(zip(sections, anchors, strict=True))
    out: list[str] = []
    i = 0
    while i < len(pairs):
        sec, anchor = pairs[i]
        j = i + 1
        while j < len(pairs) and pairs[j][0].level > 1:
            j += 1
        children = pairs[i + 1:j]
        if sec.level == 1 and len(children) > TOC_CHILD_LIMIT:
            items = "\n".join(_toc_item(s, a) for s, a in children)
            out.append(f'<li class="toc-1"><a href="#{anchor}">{escape(sec.title)}</a> '
                       f'({len(children)} sections)\n<details class="toc-more">'
                       f"<summary>List all {len(children)}</summary><ol>\n{items}\n</ol>"
                       "</details></li>")
        else:
            out += [_toc_item(s, a) for s, a in pairs[i:j]]
        i = j
    return "\n".join(out)


def render_html(report: Report) -> str:
    """The complete HTML document as text (UTF-8, LF line endings, deterministic)."""
    anchors = report.anchors()
    toc = render_toc(report.sections, anchors)
    subtitle = "".join(f"<p>{escape(s)}</p>" for s in report.subtitle)
    body = "\n".join(_section(s, a) for s, a in zip(report.sections, anchors, strict=True))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="cnsrwe">\n'
        f"<title>{escape(report.title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
        f'<main>\n<header class="report-title"><h1>{escape(report.title)}</h1>{subtitle}'
        "</header>\n"
        f'<nav class="toc"><h2>Contents</h2><ol>\n{toc}\n</ol></nav>\n'
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def write_html(report: Report, path: str | Path) -> Path:
    """Write ``report.html`` (UTF-8, ``\\n`` newlines) and return its path."""
    out = Path(path)
    out.write_bytes(render_html(report).encode("utf-8"))
    return out
