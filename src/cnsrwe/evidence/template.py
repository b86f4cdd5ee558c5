"""Write the XLSX template of the consistency checker's input (one sheet to fill, one explaining).

Every input column is formatted as text so Excel keeps the printed precision ("15.0" stays
"15.0"; a number cell would become 15 and the checker could no longer tell the decimals).
"""

from __future__ import annotations

from pathlib import Path

from cnsrwe.evidence.checker import CI_METHODS, INPUT_COLUMNS, P_TESTS

_EXAMPLES = [
    [
        "Table 2",
        "CNS ORR in all cohort patients",
        "cohort 2",
        "17",
        "32",
        "53",
        "34.7",
        "74.9",
        "95",
        "",
        "",
        "",
        "",
    ],
    [
        "Abstract",
        "CNS response, CNS target lesions",
        "cohort 3",
        "3",
        "7",
        "42.8",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "Table 2",
        "CNS progression rate",
        "alectinib vs crizotinib",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "3,17;30,23",
        "0.002",
        "pearson",
    ],
]


def write_check_template(path: str | Path) -> Path:
    """Write the checker template to ``path`` (.xlsx) and return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        msg = f"`path` must end in .xlsx, got {out.name!r}"
        raise ValueError(msg)
    if not out.parent.is_dir():
        msg = f"`path` must be in an existing folder, got {str(out.parent)!r}"
        raise FileNotFoundError(msg)
    wb = Workbook()
    ws = wb.active
    ws.title = "input"
    columns = list(INPUT_COLUMNS)
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in _EXAMPLES:
        ws.append(row)
    for col_cells in ws.iter_cols(min_row=1, max_row=500, max_col=len(columns)):
        for cell in col_cells:
            cell.number_format = "@"
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(name) + 2)
    doc = wb.create_sheet("explanations")
    doc.append(["column", "meaning"])
    for cell in doc[1]:
        cell.font = Font(bold=True)
    for name, meaning in INPUT_COLUMNS.items():
        doc.append([name, meaning])
    doc.append([])
    doc.append(
        [
            "rules",
            "Type every number exactly as printed (keep trailing zeros); the cells "
            "are text so Excel keeps them. One row per printed number set; leave unused "
            "columns empty. Delete the example rows before checking your paper.",
        ]
    )
    doc.append(["CI methods tried", ", ".join(CI_METHODS)])
    doc.append(["p-value tests tried", ", ".join(P_TESTS)])
    doc.append(["run", "cnsrwe check-table FILE.xlsx"])
    doc.column_dimensions["A"].width = 22
    doc.column_dimensions["B"].width = 110
    wb.save(out)
    return out
