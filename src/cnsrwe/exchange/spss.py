"""SPSS (.sav) and Stata (.dta) files: analysis datasets out, input tables in.

Export: each ADaM-style dataset (ADSL, ADRS, ADTR, ADTTE) becomes ``adsl.sav`` (or ``.dta``)
with the variable labels of :mod:`cnsrwe.exchange.variables`. Coded character variables
(``SEX``, ``AVALC``, flags, ...) are written as whole-number codes 1..n in the order of their
codelist, with value labels giving the text, because SPSS and Stata attach value labels to
numbers only; response ``AVAL`` carries the response labels (CR 1 ... MISSING 7). A value
outside the codelist is an error (nothing is written). Dates are SPSS/Stata dates.

Import: a folder of ``patients.sav`` / ``.sas7bdat`` / ``.dta`` files (one per table, as for
CSV) is read with value labels applied (the label text is the cell), turned into text and
validated by :func:`cnsrwe.io.validate.validate_raw_study`, exactly like a CSV folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import polars as pl

from cnsrwe.errors import SchemaError
from cnsrwe.exchange.sdtm_files import REC, as_text
from cnsrwe.exchange.variables import ADAM_LABELS, ADAM_VARS, RESPONSE_CODES, Var
from cnsrwe.exchange.xpt import pyreadstat_module
from cnsrwe.io.loaded import SourceFile
from cnsrwe.io.problems import Problem
from cnsrwe.io.raw import SOURCE_ROW, RawStudy, RawTable
from cnsrwe.io.schema import TABLES
from cnsrwe.io.validate import ValidationReport, validate_raw_study

__all__ = ["read_stat_study", "validate_stat_study", "write_stat_datasets"]

StatFormat = Literal["sav", "dta"]
_READERS = {".sav": "read_sav", ".dta": "read_dta", ".sas7bdat": "read_sas7bdat"}


def _coded(df: pl.DataFrame, name: str, variables: Sequence[Var]
           ) -> tuple[pl.DataFrame, dict[str, dict[int | float, str]]]:  # fmt: skip
    labels: dict[str, dict[int | float, str]] = {}
    exprs: list[pl.Expr] = []
    for v in variables:
        if v.kind == "char" and v.codes:
            mapping = {c: i for i, c in enumerate(v.codes, start=1)}
            bad = df.filter(pl.col(v.name).is_not_null() & ~pl.col(v.name).is_in(v.codes))
            if bad.height:
                msg = (f"{name}.{v.name} values must be in its codelist {list(v.codes)!r}, got"
                       f" {bad[v.name][0]!r}")  # fmt: skip
                raise SchemaError(msg)
            exprs.append(pl.col(v.name).replace_strict(mapping, default=None,
                                                       return_dtype=pl.Float64))  # fmt: skip
            labels[v.name] = {float(i): c for c, i in mapping.items()}
        elif v.name == "AVAL" and "AVALC" in df.columns and name == "ADRS":
            labels[v.name] = {float(i): c for c, i in RESPONSE_CODES.items()}
    return (df.with_columns(exprs) if exprs else df), labels


def write_stat_datasets(datasets: Mapping[str, pl.DataFrame], out_dir: str | Path, *,
                        file_format: StatFormat = "sav") -> list[Path]:  # fmt: skip
    """Write each dataset as ``<name>.sav`` or ``<name>.dta`` with variable and value labels.

    Returns the paths written.
    """
    if file_format not in ("sav", "dta"):
        msg = f"`file_format` must be 'sav' or 'dta', got {file_format!r}"
        raise ValueError(msg)
    prs = pyreadstat_module("write_stat_datasets")
    prepared = {}
    for name, df in datasets.items():
        if name not in ADAM_VARS:
            msg = f"`datasets` must be among {list(ADAM_VARS)!r}, got {name!r}"
            raise ValueError(msg)
        prepared[name] = _coded(df, name, ADAM_VARS[name])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, (df, value_labels) in prepared.items():
        path = out / f"{name.lower()}.{file_format}"
        col_labels = {v.name: v.label for v in ADAM_VARS[name]}
        if file_format == "sav":
            prs.write_sav(df, str(path), file_label=ADAM_LABELS[name], column_labels=col_labels,
                          variable_value_labels=value_labels)  # fmt: skip
        else:
            int_labels = {k: {int(c): t for c, t in v.items()} for k, v in value_labels.items()}
            prs.write_dta(df, str(path), file_label=ADAM_LABELS[name], column_labels=col_labels,
                          variable_value_labels=int_labels)  # fmt: skip
        paths.append(path)
    return paths


def read_stat_study(path: str | Path) -> RawStudy:
    """Read a folder of ``<table>.sav`` / ``.sas7bdat`` / ``.dta`` files as text tables.

    Value labels are applied (a labelled code is read as its label); numbers are written in
    their shortest form and dates as ``YYYY-MM-DD``. Files named after no table are reported
    (``unknown_file``, warning) and skipped.
    """
    root = Path(path)
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    unreadable: set[str] = set()
    if not root.is_dir():
        problems.append(Problem("error", "input_not_found", "-", str(root), None, None, None,
                                f"The folder `{root}` does not exist.",
                                "Give a folder of <table>.sav / .sas7bdat / .dta files."))
        return RawStudy(root, {}, problems=tuple(problems))
    prs = None
    for file in sorted(p for p in root.iterdir() if p.is_file()):
        suffix = file.suffix.lower()
        if suffix not in _READERS:
            continue
        if file.stem not in TABLES:
            problems.append(Problem("warning", "unknown_file", "-", file.name, None, None, None,
                                    f"`{file.name}` is not a table of the data format and is"
                                    " ignored.", "Name files <table>.sav, e.g. patients.sav."))
            continue
        prs = prs or pyreadstat_module("read_stat_study")
        reader = getattr(prs, _READERS[suffix])
        kwargs = {} if suffix == ".sas7bdat" else {"apply_value_formats": True,
                                                   "formats_as_category": False}
        try:
            df, _ = reader(str(file), output_format="polars", **kwargs)
        except Exception as exc:  # any ReadStat failure is reported, not raised
            problems.append(Problem("error", "unreadable_file", file.stem, file.name, None, None,
                                    None, f"`{file.name}` cannot be read: {exc}",
                                    "Save the file again from SPSS, SAS or Stata."))
            unreadable.add(file.stem)
            continue
        frame = as_text(df, upper=False).rename({REC: SOURCE_ROW}).with_columns(
            pl.col(SOURCE_ROW) + 1)  # header = row 1, as in a spreadsheet
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        source = SourceFile(file.stem, str(file), None, digest, frame.height)
        tables[file.stem] = RawTable(file.stem, file.name, source, frame)
    return RawStudy(root, tables, frozenset(unreadable), tuple(problems))


def validate_stat_study(path: str | Path) -> ValidationReport:
    """:func:`read_stat_study` followed by the standard validation."""
    return validate_raw_study(read_stat_study(path))
