"""Write synthetic studies to disk: ``write_demo`` (small, any format) and ``simulate`` (any size).

Layout (what :func:`cnsrwe.io.load_study` reads): one file per table named after the table
(``patients.csv`` ... ``biopsies.csv`` or ``*.parquet``), or one workbook ``study.xlsx`` with a
sheet per table. ``simulate`` streams: patients are generated in fixed blocks of
:data:`~cnsrwe.demo.generator.BLOCK_PATIENTS`, grouped into chunks of about ``chunk_size``
patients; each chunk is appended to every table's file (CSV: appended rows; Parquet: one row
group per chunk through ``pyarrow.parquet.ParquetWriter``), so memory is bounded by the chunk,
not the study. Files are written under a temporary name and renamed when complete, so an
interrupted run never leaves a study that looks whole.

The same seed gives byte-identical files (CSV and XLSX for any chunk size; Parquet for the same
chunk size, and identical rows for any chunk size).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cnsrwe._checks import assert_in
from cnsrwe.demo._arrow import arrow_schema
from cnsrwe.demo.generator import BLOCK_PATIENTS, iter_blocks
from cnsrwe.demo.parameters import DEMO_PATIENTS, DEMO_SEED, SimulationParameters
from cnsrwe.io.schema import TABLES

Format = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")
WORKBOOK_NAME = "study.xlsx"
#: Rows an XLSX sheet can hold (Excel's limit, header excluded).
_XLSX_MAX_ROWS = 1_048_575
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_STAMP = "2000-01-01T00:00:00Z"


@dataclass(frozen=True)
class StudyFiles:
    """What a write produced: the files by table, the row counts by table, and the inputs."""

    out_dir: Path
    format: str
    files: dict[str, Path]
    rows: dict[str, int]
    n_patients: int
    seed: int


def _check_args(fmt: str, n_patients: int, seed: int, chunk_size: int) -> None:
    assert_in("format", fmt, FORMATS)
    for name, value, low in (("n_patients", n_patients, 1), ("seed", seed, 0),
                             ("chunk_size", chunk_size, 1)):  # fmt: skip
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            msg = f"`{name}` must be a whole number >= {low}, got {value!r}"
            raise ValueError(msg)


def _target_paths(out_dir: Path, fmt: str) -> dict[str, Path]:
    if fmt == "xlsx":
        return {t: out_dir / WORKBOOK_NAME for t in TABLES}
    return {t: out_dir / f"{t}.{fmt}" for t in TABLES}


def _prepare_dir(out_dir: Path, *, overwrite: bool) -> None:
    """Create ``out_dir``; refuse (or, with ``overwrite``, remove) existing study files."""
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"`out_dir` must be a folder, got a file: {str(out_dir)!r}"
        raise ValueError(msg)
    existing = [
        p for p in (*(_target_paths(out_dir, "csv").values()),
                    *(_target_paths(out_dir, "parquet").values()), out_dir / WORKBOOK_NAME)
        if p.exists()
    ]  # fmt: skip
    if existing and not overwrite:
        names = ", ".join(sorted(p.name for p in existing))
        msg = (
            f"`out_dir` already holds study files, got {str(out_dir)!r} with {names}\n"
            "  pass overwrite=True (CLI: --overwrite) to replace them"
        )
        raise FileExistsError(msg)
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in existing:
        p.unlink()


def _text_columns(table: pa.Table) -> pa.Table:
    """Lists joined with ';' (how the format writes a list in CSV and XLSX)."""
    sep = pa.scalar(";", pa.large_string())
    cols = [
        pc.binary_join(col, sep) if pa.types.is_large_list(col.type) else col
        for col in table.columns
    ]
    return pa.Table.from_arrays(cols, names=table.column_names)


class _CsvSink:
    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths
        self.tmp = {t: p.with_name(p.name + ".part") for t, p in paths.items()}
        for t, tmp in self.tmp.items():  # header only, so an empty table is still a table
            empty = _text_columns(arrow_schema(t).empty_table())
            with tmp.open("wb") as fh:
                pl.from_arrow(empty).write_csv(fh)  # type: ignore[union-attr]

    def write(self, tables: dict[str, pa.Table]) -> None:
        for t, tab in tables.items():
            if tab.num_rows:
                with self.tmp[t].open("ab") as fh:
                    pl.from_arrow(_text_columns(tab)).write_csv(  # type: ignore[union-attr]
                        fh, include_header=False
                    )

    def close(self) -> None:
        for t, tmp in self.tmp.items():
            tmp.replace(self.paths[t])


class _ParquetSink:
    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths
        self.tmp = {t: p.with_name(p.name + ".part") for t, p in paths.items()}
        self.writers = {
            t: pq.ParquetWriter(str(tmp), arrow_schema(t), compression="zstd")
            for t, tmp in self.tmp.items()
        }

    def write(self, tables: dict[str, pa.Table]) -> None:
        for t, tab in tables.items():
            self.writers[t].write_table(tab, row_group_size=max(tab.num_rows, 1))

    def close(self) -> None:
        for t, w in self.writers.items():
            w.close()
            self.tmp[t].replace(self.paths[t])


class _XlsxSink:
    """Collects every table (XLSX is for demo-sized studies) and writes one workbook."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.path = next(iter(paths.values()))
        self.parts: dict[str, list[pa.Table]] = {t: [] for t in TABLES}
        self.n_rows = dict.fromkeys(TABLES, 0)

    def write(self, tables: dict[str, pa.Table]) -> None:
        for t, tab in tables.items():
            self.n_rows[t] += tab.num_rows
            if self.n_rows[t] > _XLSX_MAX_ROWS:
                msg = (
                    f"`format` 'xlsx' holds at most {_XLSX_MAX_ROWS} rows per sheet, got more"
                    f" in {t!r}\n  use format 'parquet' or 'csv' for large studies"
                )
                raise ValueError(msg)
            self.parts[t].append(tab)

    def close(self) -> None:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        for t in TABLES:
            sheet = wb.create_sheet(t)
            tab = _text_columns(pa.concat_tables(self.parts[t]) if self.parts[t]
                                else arrow_schema(t).empty_table())  # fmt: skip
            sheet.append(tab.column_names)
            for row in zip(*(c.to_pylist() for c in tab.columns), strict=True):
                sheet.append(list(row))
        buf = io.BytesIO()
        wb.save(buf)
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_bytes(_normalise_zip(buf.getvalue()))
        tmp.replace(self.path)


def _normalise_zip(data: bytes) -> bytes:
    """Fix the timestamps openpyxl and zipfile write, so the same data give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                stamp = r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)"
                text = re.sub(stamp, rf"\g<1>{_FIXED_STAMP}\2", text)
                content = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, content)
    return out.getvalue()


def _chunks(
    n_patients: int, seed: int, chunk_size: int, params: SimulationParameters | None
) -> Iterator[tuple[int, dict[str, pa.Table]]]:
    """Group generator blocks into chunks of whole blocks (about ``chunk_size`` patients)."""
    blocks_per_chunk = max(1, round(chunk_size / BLOCK_PATIENTS))
    pending: list[dict[str, pa.Table]] = []
    done = 0
    for block in iter_blocks(n_patients, seed=seed, params=params):
        pending.append(block)
        done += block["patients"].num_rows
        if len(pending) == blocks_per_chunk or done == n_patients:
            yield done, {t: pa.concat_tables([b[t] for b in pending]) for t in TABLES}
            pending = []


def simulate(
    out_dir: str | Path,
    *,
    n_patients: int,
    seed: int = 0,
    fmt: Format = "parquet",
    chunk_size: int = 10_000,
    overwrite: bool = False,
    params: SimulationParameters | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> StudyFiles:
    """Write a synthetic study of ``n_patients`` patients to ``out_dir``, streamed in chunks.

    Parameters
    ----------
    out_dir : folder to write (created if missing).
    n_patients : number of patients (>= 1).
    seed : random seed (>= 0); the same seed gives the same study for any ``chunk_size``.
    fmt : ``"parquet"`` (default), ``"csv"`` or ``"xlsx"`` (small studies only).
        Permitted values: "csv", "parquet", "xlsx".
    chunk_size : patients generated and written per step (rounded to whole blocks of
        1000 patients; bounds memory).
    overwrite : replace existing study files in ``out_dir`` instead of failing.
    params : simulation parameters (default: the 2022 study's shape).
    on_progress : called with (patients written, total) after each chunk.

    Returns
    -------
    StudyFiles : paths and row counts per table.
    """
    _check_args(fmt, n_patients, seed, chunk_size)
    out = Path(out_dir)
    _prepare_dir(out, overwrite=overwrite)
    paths = _target_paths(out, fmt)
    sink: _CsvSink | _ParquetSink | _XlsxSink
    sink = {"csv": _CsvSink, "parquet": _ParquetSink, "xlsx": _XlsxSink}[fmt](paths)
    rows = dict.fromkeys(TABLES, 0)
    for done, tables in _chunks(n_patients, seed, chunk_size, params):
        sink.write(tables)
        for t, tab in tables.items():
            rows[t] += tab.num_rows
        if on_progress is not None:
            on_progress(done, n_patients)
    sink.close()
    return StudyFiles(out, fmt, paths, rows, n_patients, seed)


def write_demo(
    out_dir: str | Path,
    *,
    seed: int = DEMO_SEED,
    fmt: Format = "csv",
    overwrite: bool = False,
    params: SimulationParameters | None = None,
) -> StudyFiles:
    """Write the demo study (:data:`DEMO_PATIENTS` patients, six sites) to ``out_dir``.

    The same as ``simulate(out_dir, n_patients=DEMO_PATIENTS, ...)``, CSV by default.
    Permitted values of ``fmt``: "csv", "parquet", "xlsx".
    """
    return simulate(
        out_dir, n_patients=DEMO_PATIENTS, seed=seed, fmt=fmt, overwrite=overwrite, params=params
    )
