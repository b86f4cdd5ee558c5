"""Collecting validation problems, with a cap on the rows shown per rule and column.

A broken million-row file must not flood a terminal: each (rule, table, column) shows at
most ``cap`` rows (first by source row); one summary problem then says how many more rows
have the same problem, and :attr:`ProblemLog.totals` keeps the exact count for JSON output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from cnsrwe.io.problems import Problem
from cnsrwe.io.rules import severity_of

#: Default number of problem rows shown per rule, table and column.
DEFAULT_CAP = 50

MessageTemplate = str | Callable[[Mapping[str, Any]], str]


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


class ProblemLog:
    """An append-only list of problems with per-rule caps and exact totals."""

    def __init__(self, *, cap: int = DEFAULT_CAP) -> None:
        if not (isinstance(cap, int) and cap >= 1):
            msg = f"`cap` must be a positive integer, got {cap!r}"
            raise ValueError(msg)
        self.cap = cap
        self.problems: list[Problem] = []
        self.totals: dict[str, int] = {}

    def _count(self, code: str, table: str, column: str | None, n: int) -> None:
        key = f"{code}|{table}|{column or ''}"
        self.totals[key] = self.totals.get(key, 0) + n

    def add(
        self,
        code: str,
        table: str,
        source: str,
        *,
        message: str,
        fix: str,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        """Record one problem (a whole file, a column, or one cell)."""
        self._count(code, table, column, 1)
        self.problems.append(
            Problem(severity_of(code), code, table, source, row, column, value, message, fix)
        )

    def add_rows(
        self,
        code: str,
        table: str,
        source: str,
        rows: pl.DataFrame,
        *,
        column: str | None,
        message: MessageTemplate,
        fix: MessageTemplate,
        value_column: str | None = None,
    ) -> None:
        """Record one problem per row of ``rows`` (which must hold ``_source_row``).

        ``message`` and ``fix`` are ``str.format`` templates over the row's columns (plus
        ``value``, the offending cell as text), or callables taking that mapping. At most
        :attr:`cap` rows are kept, the rest summarised in one extra problem.
        """
        total = rows.height
        if total == 0:
            return
        self._count(code, table, column, total)
        value_column = value_column if value_column is not None else column
        shown = rows.sort("_source_row").head(self.cap)
        severity = severity_of(code)
        for rec in shown.iter_rows(named=True):
            value = _cell_text(rec.get(value_column)) if value_column is not None else None
            fields = {**rec, "value": value}
            text = message(fields) if callable(message) else message.format(**fields)
            hint = fix(fields) if callable(fix) else fix.format(**fields)
            row = rec["_source_row"]
            self.problems.append(
                Problem(severity, code, table, source, int(row) if row is not None else None,
                        column, value, text, hint)
            )
        if total > self.cap:
            more = total - self.cap
            where = f"`{column}`" if column else "rows"
            self.problems.append(
                Problem(
                    severity, code, table, source, None, column, None,
                    f"{more:,} more rows of {where} have this problem (first {self.cap} shown).",
                    "Fix the rows shown, then validate again to see the rest.",
                )
            )
