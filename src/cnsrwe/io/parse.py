"""Parsing text cells to the logical types of the data format, with no silent coercion.

Rules (data format v1; every rejected cell is reported, never altered):

* ``date``: ISO ``YYYY-MM-DD`` and a real calendar day (``2021-02-30`` is rejected).
* ``int``: optional sign and digits only (``2.5``, ``2.0`` and ``two`` are rejected; a
  workbook cell holding the number 2.0 arrives as ``2`` and is fine, see
  :mod:`cnsrwe.io.read_xlsx`).
* ``decimal1``: digits with at most one decimal place (``12.34`` is rejected, not rounded;
  trailing zeros such as ``12.50`` are accepted because the value is still exact). Stored as
  ``Decimal(9, 1)`` so tenths of a millimetre are kept exactly.
* ``number``: a decimal number, optionally with an exponent (no ``nan``/``inf``).
* ``bool``: ``true/false/yes/no/1/0`` in any case.
* ``list``: split on ``;``, each item stripped of surrounding spaces, empty items dropped.
* ``string``: kept as written. An empty cell is null for every type.

Columns outside the format are kept verbatim as text after the format's columns, then
``_source_row``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl

from cnsrwe.io.problem_log import ProblemLog
from cnsrwe.io.raw import SOURCE_ROW, RawTable
from cnsrwe.io.schema import POLARS_TYPES, TABLES, Column, LogicalType

_INT = r"^[+-]?\d{1,18}$"
_DECIMAL1 = r"^[+-]?\d{1,8}(\.\d0*)?$"
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


_TYPE_RULES: dict[LogicalType, tuple[str, str, str]] = {
    # logical type: (rule code, what the value must be, how to fix it)
    "int": ("bad_integer", "a whole number", "Write a whole number such as 2 (no decimals)."),
    "decimal1": (
        "bad_decimal1", "a number with at most one decimal place",
        "Write the value as measured with one decimal at most (e.g. 12.3); cnsrwe never rounds.",
    ),
    "number": ("bad_number", "a number", "Write a plain number such as 4 or 7.5."),
    "date": (
        "bad_date", "an ISO date YYYY-MM-DD",
        "Write the date as YYYY-MM-DD (e.g. 2019-03-02) and check that the day exists.",
    ),
    "bool": ("bad_bool", "true or false", "Write true/false (yes/no and 1/0 are also accepted)."),
}  # fmt: skip


def parse_expr(name: str, logical: LogicalType) -> pl.Expr:
    """Polars expression turning text column ``name`` into ``logical``; invalid cells -> null."""
    c = pl.col(name)
    if logical == "string":
        return c
    if logical == "int":
        return pl.when(c.str.contains(_INT)).then(c.cast(pl.Int64, strict=False))
    if logical == "decimal1":
        normal = c.str.replace(r"^\+", "").str.replace(r"(\.\d)0+$", "$1").str.replace(r"\.$", "")
        return pl.when(c.str.contains(_DECIMAL1)).then(normal.cast(pl.Decimal(9, 1), strict=False))
    if logical == "number":
        return pl.when(c.str.contains(_NUMBER)).then(c.cast(pl.Float64, strict=False))
    if logical == "date":
        return pl.when(c.str.contains(_DATE)).then(c.str.to_date("%Y-%m-%d", strict=False))
    if logical == "bool":
        return c.str.to_lowercase().replace_strict(_BOOL, default=None, return_dtype=pl.Boolean)
    return (
        c.str.split(";")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def suggest(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """The allowed code a mistyped ``value`` most likely meant (case, spaces or a typo)."""
    if value is None:
        return None
    folded = {a.lower(): a for a in allowed}
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    for candidate in (value.strip().lower(), key):
        if candidate in folded:
            return folded[candidate]
    match = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
    return folded[match[0]] if match else None


def _unknown_code_message(col: Column) -> Any:
    allowed = col.allowed or ()
    listed = ", ".join(allowed)

    def message(r: Mapping[str, Any]) -> str:
        text = f"`{col.name}` must be one of {listed}; got {r['value']!r}"
        guess = suggest(r["value"], allowed)
        return text + (f" (did you mean {guess!r}?)" if guess else "") + "."

    def fix(r: Mapping[str, Any]) -> str:
        guess = suggest(r["value"], allowed)
        if guess:
            return f"Replace {r['value']!r} with {guess!r} (codes are case-sensitive)."
        return f"Use one of the allowed codes: {listed}."

    return message, fix


def _bound(col: Column, value: float) -> Any:
    if col.type == "decimal1":
        return Decimal(str(value))
    if col.type == "int":
        return int(value)
    return float(value)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def parse_table(raw: RawTable, log: ProblemLog) -> pl.DataFrame:
    """Typed table from ``raw``: every format column in schema order (absent ones as typed
    nulls), then extra columns as text, then ``_source_row``. Problems go to ``log``.

    Reports missing required columns, cells that do not parse, unknown codes, numbers out of
    range, empty cells in non-nullable columns, and duplicated rows and keys.
    """
    spec = TABLES[raw.table]
    frame = raw.frame
    present = set(raw.header)
    near = {h.strip().lower().replace(" ", "_"): h for h in raw.header}
    for col in spec.columns:
        if col.required and col.name not in present:
            alike = near.get(col.name)
            log.add(
                "missing_column", raw.table, raw.label, column=col.name,
                message=f"Required column `{col.name}` is missing from table {raw.table}"
                        + (f" (the header has `{alike}`)." if alike else "."),
                fix=(f"Rename column `{alike}` to `{col.name}` (names are case-sensitive)."
                     if alike else f"Add a `{col.name}` column ({col.meaning})"),
            )  # fmt: skip
    typed_exprs: list[pl.Expr] = []
    for col in spec.columns:
        dtype = POLARS_TYPES[col.type]
        if col.name in present:
            typed_exprs.append(parse_expr(col.name, col.type).cast(dtype).alias(col.name))
        else:
            typed_exprs.append(pl.lit(None, dtype=dtype).alias(col.name))
    extras = [c for c in raw.header if c not in spec.column_names]
    parsed = frame.select(
        pl.col(SOURCE_ROW),
        *[pl.col(c).alias(f"__raw_{c}") for c in raw.header if c in spec.column_names],
        *typed_exprs,
    )
    flags: list[pl.Series | pl.Expr] = [
        pl.lit(True).alias(invalid_flag(c.name))  # absent required column: already reported
        for c in spec.columns if c.required and c.name not in present
    ]  # fmt: skip
    for col in spec.columns:
        if col.name in present:
            bad = _check_cells(parsed, col, raw, log)
            if bad is not None:
                flags.append(bad)
    _check_duplicates(frame, spec.key, raw, log)
    return parsed.select(
        *[pl.col(c) for c in spec.column_names], *[frame[c] for c in extras], pl.col(SOURCE_ROW)
    ).with_columns(flags)


def invalid_flag(column: str) -> str:
    """Name of the hidden boolean column marking cells of ``column`` whose value is unknown.

    :func:`parse_table` adds it when the column has a cell that failed to parse, or when a
    required column is absent, so later rules can tell an empty cell from one whose problem
    was already reported (with :func:`is_empty`).
    """
    return f"{INTERNAL_PREFIX}bad_{column}"


#: Prefix of hidden working columns; they are dropped before a study is returned.
INTERNAL_PREFIX = "__"


def is_empty(frame: pl.DataFrame, column: str) -> pl.Expr:
    """True where ``column`` was left empty (not where it held a value that failed to parse)."""
    flag = invalid_flag(column)
    if flag in frame.columns:
        return pl.col(column).is_null() & ~pl.col(flag)
    return pl.col(column).is_null()


def is_unknown(frame: pl.DataFrame, column: str) -> pl.Expr:
    """True where ``column``'s value is unknown because of a problem already reported."""
    flag = invalid_flag(column)
    return pl.col(flag) if flag in frame.columns else pl.lit(False)


def is_absent(frame: pl.DataFrame, column: str) -> bool:
    """Whether a required ``column`` was absent from the input (reported as missing_column)."""
    return invalid_flag(column) in frame.columns and frame[column].null_count() == frame.height


def _check_cells(
    parsed: pl.DataFrame, col: Column, raw: RawTable, log: ProblemLog
) -> pl.Series | None:
    """Report this column's cell problems; return the flag of unparsable cells, if any."""
    name, text = col.name, pl.col(f"__raw_{col.name}")
    value = f"__raw_{name}"
    flag: pl.Series | None = None
    if not col.nullable:
        log.add_rows(
            "null_not_allowed", raw.table, raw.label, parsed.filter(text.is_null()),
            column=name, value_column=value,
            message=f"`{name}` must not be empty (row {{_source_row}}).",
            fix=f"Fill in `{name}` ({col.meaning})",
        )  # fmt: skip
    if col.type in _TYPE_RULES:
        code, what, fix = _TYPE_RULES[col.type]
        failed = text.is_not_null() & pl.col(name).is_null()
        bad = parsed.filter(failed)
        if bad.height:
            flag = parsed.select(failed.alias(invalid_flag(name))).to_series()
        log.add_rows(
            code, raw.table, raw.label, bad, column=name, value_column=value,
            message=lambda r, n=name, w=what: f"`{n}` must be {w}, got {r['value']!r}.",
            fix=fix,
        )  # fmt: skip
    if col.allowed is not None:
        message, fix_fn = _unknown_code_message(col)
        bad = parsed.filter(text.is_not_null() & ~pl.col(name).is_in(list(col.allowed)))
        log.add_rows(
            "unknown_code", raw.table, raw.label, bad, column=name, value_column=value,
            message=message, fix=fix_fn,
        )  # fmt: skip
    if col.minimum is not None or col.maximum is not None:
        v = pl.col(name)
        outside = pl.lit(False)
        if col.minimum is not None:
            outside = outside | (v < _bound(col, col.minimum))
        if col.maximum is not None:
            outside = outside | (v > _bound(col, col.maximum))
        lo, hi = _fmt(col.minimum), _fmt(col.maximum)
        log.add_rows(
            "out_of_range", raw.table, raw.label, parsed.filter(v.is_not_null() & outside),
            column=name, value_column=value,
            message=lambda r, n=name: f"`{n}` must be between {lo} and {hi}, got {r['value']!r}.",
            fix=f"Check the value; `{name}` is {col.meaning[:1].lower()}{col.meaning[1:]}",
        )  # fmt: skip
    return flag


def _check_duplicates(
    frame: pl.DataFrame, key: tuple[str, ...], raw: RawTable, log: ProblemLog
) -> None:
    cells = list(raw.header)
    if not cells or frame.height < 2:
        return
    # Hash whole rows first (8 bytes a row); compare cells only among rows whose hash repeats.
    candidate = frame.select(cells).hash_rows(seed=0).is_duplicated()
    repeated = pl.Series(SOURCE_ROW, [], dtype=pl.Int64)
    if candidate.any():
        pool = frame.filter(candidate)
        repeated = pool.filter(~pl.struct(cells).is_first_distinct())[SOURCE_ROW]
    flagged = frame.with_columns(pl.col(SOURCE_ROW).is_in(repeated.implode()).alias("__repeat"))
    if flagged["__repeat"].any():
        dups = flagged.filter(pl.col("__repeat"))
        first = frame.join(dups.select(cells).unique(), on=cells, how="semi", nulls_equal=True)
        first = first.group_by(cells).agg(pl.col(SOURCE_ROW).min().alias("__first_row"))
        log.add_rows(
            "duplicate_row", raw.table, raw.label,
            dups.join(first, on=cells, how="left", nulls_equal=True), column=None,
            message="Row {_source_row} repeats row {__first_row} exactly.",
            fix="Delete the repeated row.",
        )  # fmt: skip
    if not all(k in frame.columns for k in key):
        return
    keyed = flagged.filter(
        ~pl.col("__repeat") & pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    )
    key_hash = keyed.select(key).hash_rows(seed=0)
    maybe = keyed.filter(key_hash.is_duplicated())
    again = maybe.filter(~pl.struct(list(key)).is_first_distinct())
    if again.height == 0:
        return
    first_key = keyed.join(again.select(key).unique(), on=list(key), how="semi").group_by(
        list(key)
    ).agg(pl.col(SOURCE_ROW).min().alias("__first_key"))
    key_text = ", ".join(key)
    what = ("The same lesion appears twice on one assessment date" if raw.table == "lesions"
            else f"Two rows have the same ({key_text})")  # fmt: skip
    log.add_rows(
        "duplicate_key", raw.table, raw.label, again.join(first_key, on=list(key), how="left"),
        column=None,
        message=what + ": row {_source_row} and row {__first_key}.",
        fix=f"Keep one row per ({key_text}), or correct the key of one of them.",
    )  # fmt: skip
