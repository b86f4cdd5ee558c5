"""Reading a study input: a folder of CSV/Parquet files, or one XLSX workbook.

Rules (data format v1, see ``docs/data-format.md``):

* A folder holds one file per table, named after the table: ``patients.csv``,
  ``lesions.parquet``, ... Formats may be mixed. A file with any other name is reported
  (``unknown_file``, warning) and ignored; two files for one table are an error
  (``duplicate_table``). Hidden files and Office lock files (``~$...``) are skipped.
* A workbook (``.xlsx``) holds one sheet per table (see :mod:`cnsrwe.io.read_xlsx`).
* CSV cells are read as text: no library ever infers a type. The file must be UTF-8 (a
  byte-order mark is allowed); ragged rows and unclosed quotes are errors with the row number.
* Typed Parquet columns must be able to hold the column's logical type; every value is then
  turned into its text form so one parser (:mod:`cnsrwe.io.parse`) applies to every format.

Row numbers are spreadsheet rows: the header is row 1 and the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cnsrwe.io.loaded import SourceFile
from cnsrwe.io.problem_log import ProblemLog
from cnsrwe.io.raw import (
    SOURCE_ROW,
    RawStudy,
    RawTable,
    blank_to_null,
    check_header,
    with_source_row,
)
from cnsrwe.io.read_xlsx import read_workbook
from cnsrwe.io.schema import TABLES, LogicalType

__all__ = ["RawStudy", "RawTable", "read_study"]

_BOM = b"\xef\xbb\xbf"
_NON_SPACE = re.compile(rb"[^\s\xef\xbb\xbf]")
_HEADER_BYTES = 1 << 20  # a header row longer than 1 MiB is not a study table
_CHUNK = 1 << 24


def _first_non_utf8(body: memoryview) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or ``None`` (checked in 16 MiB
    chunks so a large file is never held twice in memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(body), _CHUNK):
            decoder.decode(body[start : start + _CHUNK], final=start + _CHUNK >= len(body))
    except UnicodeDecodeError:
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start
    return None
_FOLDER_SUFFIXES = (".csv", ".parquet")


def read_study(path: str | Path) -> RawStudy:
    """Read every table file of a study folder or workbook as text, without validating values.

    Parameters
    ----------
    path
        A folder of ``<table>.csv`` / ``<table>.parquet`` files, or one ``.xlsx`` workbook.

    Returns
    -------
    RawStudy
        The readable tables (text cells, ``_source_row``), their :class:`SourceFile` records and
        the problems met while reading (unknown files, encoding, malformed rows, ...).
    """
    log = ProblemLog()
    root = Path(path)
    tables: dict[str, RawTable] = {}
    unreadable: set[str] = set()
    if root.is_dir():
        _read_folder(root, log, tables, unreadable)
    elif root.is_file() and root.suffix.lower() == ".xlsx":
        read_workbook(root, log, tables, unreadable)
    else:
        what = "does not exist" if not root.exists() else "is neither a folder nor an .xlsx file"
        log.add(
            "input_not_found", "-", str(root),
            message=f"The study input `{root}` {what}.",
            fix="Give a folder of <table>.csv / <table>.parquet files or one .xlsx workbook.",
        )  # fmt: skip
    return RawStudy(root, tables, frozenset(unreadable), tuple(log.problems), dict(log.totals))


def _read_folder(
    root: Path, log: ProblemLog, tables: dict[str, RawTable], unreadable: set[str]
) -> None:
    by_table: dict[str, list[Path]] = {}
    for file in sorted(p for p in root.iterdir() if p.is_file()):
        name = file.name
        if name.startswith((".", "~$")):
            continue
        stem, suffix = file.stem, file.suffix.lower()
        if suffix in _FOLDER_SUFFIXES and stem in TABLES:
            by_table.setdefault(stem, []).append(file)
            continue
        hint = _closest_table(stem) if suffix in _FOLDER_SUFFIXES else None
        log.add(
            "unknown_file", "-", name,
            message=f"`{name}` is not a table of the data format and is ignored.",
            fix=(f"Rename it to `{hint}{suffix}` if it holds that table." if hint else
                 "Name table files <table>.csv or <table>.parquet, tables: "
                 + ", ".join(TABLES) + "."),
        )  # fmt: skip
    if not by_table:
        log.add(
            "input_not_found", "-", str(root),
            message=f"The folder `{root}` holds no table file.",
            fix="Put patients.csv, treatments.csv (and the optional tables) in the folder.",
        )  # fmt: skip
    for table, files in by_table.items():
        if len(files) > 1:
            names = ", ".join(f"`{f.name}`" for f in files)
            log.add(
                "duplicate_table", table, files[0].name,
                message=f"Table {table} is given by more than one file: {names}.",
                fix="Keep exactly one file per table.",
            )  # fmt: skip
            unreadable.add(table)
            continue
        file = files[0]
        reader = _read_csv if file.suffix.lower() == ".csv" else _read_parquet
        raw = reader(file, table, log)
        if raw is None:
            unreadable.add(table)
        else:
            tables[table] = raw


def _closest_table(stem: str) -> str | None:
    import difflib

    lowered = stem.strip().lower()
    if lowered in TABLES:
        return lowered
    match = difflib.get_close_matches(lowered, list(TABLES), n=1, cutoff=0.75)
    return match[0] if match else None


def _source(table: str, path: Path, data: bytes, n_rows: int) -> SourceFile:
    return SourceFile(table, str(path), None, hashlib.sha256(data).hexdigest(), n_rows)


def _read_csv(path: Path, table: str, log: ProblemLog) -> RawTable | None:
    label = path.name
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.add(
            "not_utf8", table, label,
            message=f"`{label}` is UTF-16 text, not UTF-8.",
            fix="Re-save the file as 'CSV UTF-8 (comma delimited)'.",
        )  # fmt: skip
        return None
    body = memoryview(data)[len(_BOM) :] if data.startswith(_BOM) else memoryview(data)
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        log.add(
            "not_utf8", table, label, row=row, value="byte 0x00",
            message=f"`{label}` contains NUL bytes (row {row}): it is UTF-16 or binary, not"
                    " UTF-8 text.",
            fix="Re-save the file as 'CSV UTF-8 (comma delimited)'.",
        )  # fmt: skip
        return None
    bad_byte = _first_non_utf8(body)
    if bad_byte is not None:
        row = body[:bad_byte].tobytes().count(b"\n") + 1
        log.add(
            "not_utf8", table, label, row=row, value=f"byte 0x{body[bad_byte]:02x}",
            message=f"`{label}` is not UTF-8 text (first bad byte in row {row}).",
            fix="Re-save the file as 'CSV UTF-8 (comma delimited)'.",
        )  # fmt: skip
        return None
    if _NON_SPACE.search(data) is None:
        log.add(
            "empty_file", table, label,
            message=f"`{label}` is empty: it has no header row.",
            fix="Write the header row (the column names) on the first line, or delete the file.",
        )  # fmt: skip
        return None
    head = bytes(body[:_HEADER_BYTES]).decode("utf-8", errors="ignore")
    header = next(csv.reader(io.StringIO(head)))
    if not check_header(header, table, label, log):
        return None
    bad: list[dict[str, int | None]] = []

    def _on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append({"number": row.number, "expected": row.expected_columns,
                    "actual": row.actual_columns})  # fmt: skip
        return "skip"

    try:
        arrow = _arrow_csv(body, header, _on_invalid, serial=False)
        if bad:  # read again serially: only then does Arrow number the invalid rows
            bad.clear()
            arrow = _arrow_csv(body, header, _on_invalid, serial=True)
    except (pa.ArrowInvalid, ValueError) as exc:
        log.add(
            "malformed_csv", table, label,
            message=f"`{label}` cannot be parsed as CSV ({str(exc).splitlines()[0]}).",
            fix="Open the file in a spreadsheet, check the rows, and re-save it as CSV UTF-8.",
        )  # fmt: skip
        return None
    if bad:
        _report_malformed(bad, table, label, log)
        return None
    columns: list[pl.Series] = []
    for name in header:  # convert column by column so Arrow memory is released as we go
        converted = pl.from_arrow(arrow.column(name))
        assert isinstance(converted, pl.Series)
        columns.append(converted.alias(name))
        arrow = arrow.drop_columns([name])
    frame = with_source_row(blank_to_null(pl.DataFrame(columns)))
    return RawTable(table, label, _source(table, path, data, frame.height), frame)


def _arrow_csv(
    body: memoryview,
    header: list[str],
    on_invalid: Callable[[pacsv.InvalidRow], str],
    *,
    serial: bool,
) -> pa.Table:
    """Every cell as text; invalid rows go to ``on_invalid`` (numbered only when ``serial``)."""
    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(body)),
        read_options=pacsv.ReadOptions(use_threads=not serial),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )


def _report_malformed(
    bad: list[dict[str, int | None]], table: str, label: str, log: ProblemLog
) -> None:
    rows = pl.DataFrame(bad, schema={"number": pl.Int64, "expected": pl.Int64,
                                     "actual": pl.Int64}).rename({"number": SOURCE_ROW})

    def message(r: object) -> str:
        assert isinstance(r, dict)
        where = f"Row {r[SOURCE_ROW]}" if r[SOURCE_ROW] is not None else "A row"
        if r["actual"] < r["expected"]:
            return (f"{where} has {r['actual']} fields but the header has {r['expected']}"
                    " (a missing field, an unclosed quote, or a truncated file).")
        return f"{where} has {r['actual']} fields but the header has {r['expected']}."

    log.add_rows(
        "malformed_csv", table, label, rows, column=None, message=message,
        fix="Give every row exactly one field per header column; quote fields that contain"
            " commas, quotes or line breaks.",
    )  # fmt: skip


# --- Parquet -------------------------------------------------------------------------------


def _compatible(logical: LogicalType, dtype: pl.DataType) -> bool:
    """Whether a typed Parquet column of ``dtype`` may carry a column of type ``logical``."""
    if dtype == pl.String or dtype == pl.Null:
        return True
    integer = dtype.is_integer()
    numeric = integer or dtype.is_float() or isinstance(dtype, pl.Decimal)
    if logical == "string":
        return integer
    if logical in ("int", "decimal1", "number"):
        return numeric
    if logical == "date":
        return isinstance(dtype, pl.Date | pl.Datetime)
    if logical == "bool":
        return dtype == pl.Boolean or integer
    if logical == "list":
        return isinstance(dtype, pl.List) and dtype.inner in (pl.String, pl.Null)
    return False


def _as_text(col: str, dtype: pl.DataType) -> pl.Expr:
    """Text form of a typed column, matching what a person would type into a CSV cell."""
    c = pl.col(col)
    if dtype == pl.String:
        return c
    if dtype == pl.Boolean:
        return pl.when(c).then(pl.lit("true")).when(~c).then(pl.lit("false")).alias(col)
    if dtype.is_float():
        whole = c.is_finite() & (c == c.round(0)) & (c.abs() < 1e15)
        return (
            pl.when(whole).then(c.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(c.cast(pl.String)).alias(col)
        )  # fmt: skip
    if isinstance(dtype, pl.Datetime):
        midnight = c.dt.time() == pl.time(0, 0, 0)
        return (
            pl.when(midnight).then(c.dt.date().cast(pl.String))
            .otherwise(c.dt.to_string("%Y-%m-%d %H:%M:%S")).alias(col)
        )  # fmt: skip
    if isinstance(dtype, pl.List):
        return c.list.eval(pl.element().cast(pl.String)).list.join(";").alias(col)
    return c.cast(pl.String).alias(col)


def _read_parquet(path: Path, table: str, log: ProblemLog) -> RawTable | None:
    label = path.name
    data = path.read_bytes()
    try:
        frame = pl.from_arrow(pq.read_table(io.BytesIO(data)))
    except (pa.ArrowException, OSError, ValueError) as exc:
        log.add(
            "unreadable_file", table, label,
            message=f"`{label}` cannot be read as Parquet ({str(exc).splitlines()[0]}).",
            fix="Write the file again with a Parquet writer (pyarrow, polars, R arrow).",
        )  # fmt: skip
        return None
    assert isinstance(frame, pl.DataFrame)
    if frame.width == 0:
        log.add(
            "empty_file", table, label, message=f"`{label}` has no columns.",
            fix="Write the table with its columns, or delete the file.",
        )  # fmt: skip
        return None
    spec = TABLES[table]
    texts: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        logical: LogicalType = (spec.column(name).type if name in spec.column_names
                                else "string")  # fmt: skip
        if name in spec.column_names and not _compatible(logical, dtype):
            log.add(
                "parquet_type", table, label, column=name, value=str(dtype),
                message=f"Parquet column `{name}` has type {dtype}, which cannot hold a"
                        f" {logical} value.",
                fix=f"Write `{name}` as {_PARQUET_HINT[logical]}.",
            )  # fmt: skip
            texts.append(pl.lit(None, dtype=pl.String).alias(name))
            continue
        try:
            texts.append(_as_text(name, dtype))
        except pl.exceptions.PolarsError:  # pragma: no cover - exotic nested types
            texts.append(pl.lit(None, dtype=pl.String).alias(name))
    try:
        text = with_source_row(blank_to_null(frame.select(texts)))
    except pl.exceptions.PolarsError as exc:
        log.add(
            "parquet_type", table, label,
            message=f"`{label}` has a column that cannot be turned into text ({exc}).",
            fix="Write columns as strings, numbers, dates, booleans or lists of strings.",
        )  # fmt: skip
        return None
    return RawTable(table, label, _source(table, path, data, text.height), text)


_PARQUET_HINT: dict[LogicalType, str] = {
    "string": "a string column",
    "int": "an integer column",
    "decimal1": "a decimal(9,1) or string column",
    "number": "a float column",
    "date": "a date32 column (or ISO text)",
    "bool": "a boolean column",
    "list": "a list<string> column (or semicolon-separated text)",
}
