"""Validation problems: what is wrong, where, and how to fix it.

Every check in ``cnsrwe.io`` reports :class:`Problem` objects; nothing stops at the first one,
so a data manager sees every problem of an import at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One validation finding.

    Attributes
    ----------
    severity : ``"error"`` blocks the import; ``"warning"`` is reported and imported.
    code : stable machine-readable rule code, e.g. ``"date_order"``.
    table : table name of the data format (``"lesions"``).
    source : file name, with ``[sheet]`` for a workbook (``"study.xlsx[lesions]"``).
    row : 1-based row number as a spreadsheet user sees it (header = row 1, first data row = 2),
        or ``None`` for a problem with a whole file or column.
    column : column name, or ``None``.
    value : the offending cell value as read (string), or ``None``.
    message : what is wrong, one sentence.
    fix : how to fix it, one sentence.
    """

    severity: Severity
    code: str
    table: str
    source: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for ``--format json``."""
        return asdict(self)

    def location(self) -> str:
        """``source, row N, column c`` as a person reads it."""
        parts = [self.source]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)
