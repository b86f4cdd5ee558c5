"""Report layer: tables, documents and their renderers (HTML, Word, Excel, results.csv,
manifest). Renders ARD results only; never computes statistics (STYLE.md convention 8).

Figures live in :mod:`cnsrwe.report.figures` (imported on demand, matplotlib is lazy).
"""

from cnsrwe.report.appendix import build_patient_appendix
from cnsrwe.report.document import (
    Cell,
    FigureBlock,
    PageBreak,
    Paragraph,
    Report,
    Row,
    Section,
    TableBlock,
)
from cnsrwe.report.docx import write_docx
from cnsrwe.report.format import FormatOptions
from cnsrwe.report.html import render_html, write_html
from cnsrwe.report.manifest import build_manifest, verify_manifest, write_manifest
from cnsrwe.report.methods import MethodsDescription, write_methods_paragraph
from cnsrwe.report.results_csv import read_results_csv, write_results_csv
from cnsrwe.report.tables import (
    MedianRow,
    RateRow,
    Variable,
    tab_baseline,
    tab_cox,
    tab_response,
    tab_survival,
)
from cnsrwe.report.xlsx import write_xlsx

__all__ = [
    "Cell",
    "FigureBlock",
    "FormatOptions",
    "MedianRow",
    "MethodsDescription",
    "PageBreak",
    "Paragraph",
    "RateRow",
    "Report",
    "Row",
    "Section",
    "TableBlock",
    "Variable",
    "build_manifest",
    "build_patient_appendix",
    "read_results_csv",
    "render_html",
    "tab_baseline",
    "tab_cox",
    "tab_response",
    "tab_survival",
    "verify_manifest",
    "write_docx",
    "write_html",
    "write_manifest",
    "write_methods_paragraph",
    "write_results_csv",
    "write_xlsx",
]
