"""Read numbers out of an ARD table by key, with errors that say what is missing.

The report layer never computes statistics: table builders only *look up* the numbers
``cnsrwe.stats`` (or the caller) put in the ARD (:mod:`cnsrwe.stats.ard`).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from cnsrwe.stats.ard import ARD_SCHEMA

Key = tuple[str, str, str, str]  # analysis, group, parameter, statistic


def column_labels(groups: Sequence[str], group_labels: Sequence[str] | None) -> list[str]:
    """The printed label of each group column: ``group_labels``, or the group names."""
    labels = list(groups if group_labels is None else group_labels)
    if len(labels) != len(groups):
        msg = f"`group_labels` must have {len(groups)} labels, got {len(labels)}"
        raise ValueError(msg)
    return labels


class ArdLookup:
    """Index an ARD frame once; ``get`` returns one value or raises a clear ``KeyError``."""

    def __init__(self, ard: pl.DataFrame, *, name: str = "ard") -> None:
        if not isinstance(ard, pl.DataFrame):
            msg = f"`{name}` must be a polars DataFrame of ARD rows, got {type(ard).__name__}"
            raise TypeError(msg)
        missing = [c for c in ARD_SCHEMA if c not in ard.columns]
        if missing:
            msg = f"`{name}` must have the ARD columns {list(ARD_SCHEMA)}, missing {missing!r}"
            raise ValueError(msg)
        self.name = name
        self._values: dict[Key, float | None] = {}
        self._methods: dict[Key, str] = {}
        cols = [ard[c].to_list() for c in ("analysis", "group", "parameter", "statistic",
                                            "value", "method")]
        for a, g, p, s, v, m in zip(*cols, strict=True):
            key = (a, g, p, s)
            if key in self._values and self._values[key] != v:
                msg = (f"`{name}` holds two different values for analysis={a!r}, group={g!r}, "
                       f"parameter={p!r}, statistic={s!r}, got {self._values[key]!r} and {v!r}"
                       "\n  hint: filter the ARD to one `population` before building a table")
                raise ValueError(msg)
            self._values[key] = v
            self._methods[key] = m

    def has(self, analysis: str, group: str, parameter: str, statistic: str) -> bool:
        """Whether the row exists."""
        return (analysis, group, parameter, statistic) in self._values

    def get(self, analysis: str, group: str, parameter: str, statistic: str) -> float | None:
        """The value of one row (``None`` when the ARD stores a missing value)."""
        key = (analysis, group, parameter, statistic)
        if key not in self._values:
            msg = (f"`{self.name}` has no row analysis={analysis!r}, group={group!r}, "
                   f"parameter={parameter!r}, statistic={statistic!r}")
            raise KeyError(msg)
        return self._values[key]

    def method(self, analysis: str, group: str, parameter: str, statistic: str) -> str:
        """The ``method`` text of one row."""
        self.get(analysis, group, parameter, statistic)
        return self._methods[(analysis, group, parameter, statistic)]

    def find(self, group: str, parameter: str, statistic: str) -> list[str]:
        """Analyses (sorted) that hold ``(group, parameter, statistic)``."""
        return sorted(a for (a, g, p, s) in self._values
                      if g == group and p == parameter and s == statistic)
