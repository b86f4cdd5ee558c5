"""What an executed analysis hands to the report: ARD rows, figure specifications and notes.

A :class:`FigureSpec` names a ``cnsrwe.report.figures`` plot function and its inputs (result
objects from ``cnsrwe.stats``/``cnsrwe.endpoints`` or analysis tables); drawing happens only
when the runner renders figures (STYLE.md convention 8: computation never draws).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cnsrwe.stats.ard import ARD_SCHEMA


@dataclass(frozen=True)
class FigureSpec:
    """One figure: file stem ``name``, caption, alt text, the ``plot`` function name in
    ``cnsrwe.report.figures``, its positional ``data`` and keyword ``options``."""

    name: str
    caption: str
    alt: str
    plot: str
    data: Any
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisResult:
    """One analysis part: its ARD (``population`` = ``population``), groups in display order
    with labels, figures and plain-text notes (methods caveats, tests not run)."""

    name: str
    kind: str
    population: str
    title: str
    ard: pl.DataFrame
    groups: tuple[str, ...] = ()
    group_labels: tuple[str, ...] = ()
    figures: tuple[FigureSpec, ...] = ()
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def stamp(ard: pl.DataFrame, population: str) -> pl.DataFrame:
    """ARD rows with ``population`` set (columns in ARD order)."""
    return ard.select(list(ARD_SCHEMA)).with_columns(pl.lit(population).alias("population"))
