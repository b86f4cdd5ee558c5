"""The data-definition table of an export: one row per dataset variable.

Columns follow the variable-level metadata of Define-XML v2.1 (CDISC, 2019) as a flat table:
``dataset``, ``variable``, ``label``, ``type`` (``text``, ``float``, ``integer``, ``date``),
``length`` (bytes for text: the longest value, at least 1; 8 for numbers), ``display_format``
(``DATE9.`` for dates), ``origin`` (Predecessor / Derived / Assigned), ``source`` (the
data-format column or the derivation), ``codelist`` (the coded values, ``|``-separated) and
``adam_standard`` (``Y`` when the ADaM IG defines the variable, ``N`` for a cnsrwe variable).
It is written as ``define.csv`` and as the ``variables`` sheet of ``define.xlsx`` (with a
``datasets`` sheet: name, label, rows, key variables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from cnsrwe.exchange.variables import Var

__all__ = ["DEFINE_COLUMNS", "build_define", "write_define"]

DEFINE_COLUMNS = ("dataset", "variable", "label", "type", "length", "display_format", "origin",
                  "source", "codelist", "adam_standard")  # fmt: skip


def _type(v: Var, dtype: pl.DataType) -> str:
    if v.kind == "char":
        return "text"
    if v.kind == "date":
        return "date"
    return "integer" if dtype.is_integer() else "float"


def build_define(datasets: Mapping[str, pl.DataFrame],
                 variables: Mapping[str, Sequence[Var]]) -> pl.DataFrame:  # fmt: skip
    """One row per variable of each dataset (lengths measured on the data)."""
    rows: list[dict[str, object]] = []
    for name, df in datasets.items():
        for v in variables[name]:
            if v.kind == "char":
                longest = df[v.name].str.len_bytes().max() if df.height else None
                length = max(1, int(longest)) if longest is not None else 1  # type: ignore[arg-type]
            else:
                length = 8
            rows.append({
                "dataset": name, "variable": v.name, "label": v.label,
                "type": _type(v, df.schema[v.name]), "length": length,
                "display_format": "DATE9." if v.kind == "date" else "",
                "origin": v.origin, "source": v.source,
                "codelist": "|".join(v.codes) if v.codes else "",
                "adam_standard": "Y" if v.standard else "N",
            })  # fmt: skip
    return pl.DataFrame(rows, schema={c: (pl.Int64 if c == "length" else pl.String)
                                      for c in DEFINE_COLUMNS})  # fmt: skip


def write_define(define: pl.DataFrame, datasets: Mapping[str, pl.DataFrame],
                 labels: Mapping[str, str], out_dir: str | Path) -> tuple[Path, Path]:  # fmt: skip
    """Write ``define.csv`` and ``define.xlsx`` (sheets ``datasets`` and ``variables``)."""
    from openpyxl import Workbook

    out = Path(out_dir)
    csv_path = out / "define.csv"
    define.write_csv(csv_path)
    wb = Workbook()
    ds = wb.active
    assert ds is not None
    ds.title = "datasets"
    ds.append(["dataset", "label", "rows", "variables"])
    for name, df in datasets.items():
        ds.append([name, labels.get(name, ""), df.height, df.width])
    var_sheet = wb.create_sheet("variables")
    var_sheet.append(list(define.columns))
    for row in define.iter_rows():
        var_sheet.append(list(row))
    xlsx_path = out / "define.xlsx"
    wb.save(xlsx_path)
    return csv_path, xlsx_path
