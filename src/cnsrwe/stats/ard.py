"""Analysis results data (ARD): the long table every statistic is exported to.

The report layer renders only ARD rows, so a number in a table, a figure label and
``results.csv`` can never disagree. One row is one number:

``analysis``   what was run (``"kaplan_meier"``, ``"cox_ph"``, ``"binomial_ci"`` ...)
``population`` the analysis population, filled in by the caller (``""`` when not set)
``group``      the group or stratum the number belongs to (``""`` for the whole population)
``parameter``  what the number is about (a covariate, a time point, ``"median"`` ...)
``statistic``  which number it is (``"estimate"``, ``"lower"``, ``"upper"``, ``"p_value"`` ...)
``value``      the number, unrounded (formatting happens only in the report layer)
``method``     how it was computed (``"Clopper-Pearson exact, 95%"``, ``"Efron ties"`` ...)

This follows the ARD idea of the R packages cards/gtsummary v2 (compute, then a long results
table, then presentation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

ARD_SCHEMA: dict[str, pl.DataType] = {
    "analysis": pl.String(),
    "population": pl.String(),
    "group": pl.String(),
    "parameter": pl.String(),
    "statistic": pl.String(),
    "value": pl.Float64(),
    "method": pl.String(),
}


@dataclass(frozen=True)
class ArdRow:
    """One number of an analysis, before it is put in a table."""

    analysis: str
    parameter: str
    statistic: str
    value: float | None
    method: str
    group: str = ""
    population: str = ""


def ard_frame(rows: Iterable[ArdRow]) -> pl.DataFrame:
    """Build an ARD table (columns of :data:`ARD_SCHEMA`, in that order) from rows."""
    records = [
        {
            "analysis": r.analysis,
            "population": r.population,
            "group": r.group,
            "parameter": r.parameter,
            "statistic": r.statistic,
            "value": None if r.value is None else float(r.value),
            "method": r.method,
        }
        for r in rows
    ]
    return pl.DataFrame(records, schema=ARD_SCHEMA)


def concat_ard(frames: Sequence[pl.DataFrame], *, population: str | None = None) -> pl.DataFrame:
    """Stack ARD tables; optionally stamp every row with ``population``."""
    if not frames:
        return pl.DataFrame(schema=ARD_SCHEMA)
    out = pl.concat([f.select(list(ARD_SCHEMA)) for f in frames], how="vertical")
    if population is not None:
        out = out.with_columns(pl.lit(population).alias("population"))
    return out
