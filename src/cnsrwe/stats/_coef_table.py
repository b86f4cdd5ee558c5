"""Coefficient tables and ARD rows shared by the Cox-type results (Cox and Firth fits).

A result lists its per-covariate statistics once, as ``(name, values)`` pairs in display
order (``values`` is ``None`` for a statistic the fit did not compute, such as the robust
standard error of a model-based fit); the wide ``.table`` and the long ``.to_ard()`` rows are
both built from that list, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from cnsrwe.stats.ard import ArdRow

FloatArray = npt.NDArray[np.float64]
Stat = tuple[str, FloatArray | None]


def coefficient_table(covariates: Sequence[str], columns: Sequence[Stat]) -> pl.DataFrame:
    """One row per covariate: ``covariate`` then each present column, in the order given."""
    cols: dict[str, object] = {"covariate": list(covariates)}
    cols.update({name: values for name, values in columns if values is not None})
    return pl.DataFrame(cols)


def coefficient_ard(
    analysis: str, covariates: Sequence[str], stats: Sequence[Stat], method: str
) -> list[ArdRow]:
    """ARD rows covariate by covariate (parameter = covariate), each present statistic in order."""
    present = [(name, values) for name, values in stats if values is not None]
    return [
        ArdRow(analysis, covariate, name, float(values[i]), method)
        for i, covariate in enumerate(covariates)
        for name, values in present
    ]


def chisq_test_ard(
    analysis: str, test: str, statistic: float, df: int, p_value: float, method: str
) -> list[ArdRow]:
    """The three ARD rows of a chi-square test: ``statistic``, ``df`` and ``p_value``."""
    return [
        ArdRow(analysis, test, "statistic", statistic, method),
        ArdRow(analysis, test, "df", float(df), method),
        ArdRow(analysis, test, "p_value", p_value, method),
    ]
