"""Exact messages of the shared input checks (stats._arrays) as the public functions show them."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest

from cnsrwe.stats import cox_ph, kaplan_meier, logrank_test


def _exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


DATA = pl.DataFrame(
    {"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 0, 1, 1], "x": [0.0, 1.0, 0.0, 1.0], "w": [1.0] * 4}
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"t": [1.0, -2.0, 3.0, 4.0]}, "column 't' (`duration`) must be >= 0, got -2.0 at row 1"),
        ({"x": [0.0, 1.0, np.nan, 1.0]},
         "column 'x' (`covariates`) must be finite and not missing, got nan at row 2"),
        ({"x": [0.0, 1.0, None, 1.0]},
         "column 'x' (`covariates`) must be finite and not missing, got nan at row 2"),
        ({"e": [1, 2, 1, 1]}, "column 'e' (`event`) must be 0/1 or boolean, got 2.0 at row 1"),
        ({"w": [1.0, 1.0, 1.0, 0.0]}, "column 'w' (`weights`) must be > 0, got 0.0 at row 3"),
        ({"x": ["a", "b", "a", "b"]}, "column 'x' (`covariates`) must be numeric, got dtype"),
    ],
)  # fmt: skip
def test_cox_input_messages(change: dict[str, list[object]], message: str) -> None:
    data = DATA.with_columns(**{k: pl.Series(v) for k, v in change.items()})
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        cox_ph(data, duration="t", event="e", covariates=["x"], weights="w")


def test_cox_factor_hint_and_one_dimensional() -> None:
    # a numpy string column (a polars string column arrives as dtype object: no hint)
    data = {"t": [1.0, 2.0], "e": [1, 0], "x": np.array(["a", "b"])}
    message = ("column 'x' (`covariates`) must be numeric, got dtype <U1"
               "\n  i factors must be dummy-coded into 0/1 columns first")
    with pytest.raises(ValueError, match=_exact(message)):
        cox_ph(data, duration="t", event="e", covariates=["x"])
    data = {"t": np.ones((2, 2)), "e": [1, 0], "x": [0, 1]}
    with pytest.raises(ValueError, match=r"^column 't' \(`duration`\) must be one-dimensional"):
        cox_ph(data, duration="t", event="e", covariates=["x"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time": [1, None], "event": [1, 0]},
         "`time` must not contain missing values, got None at position 1"),
        ({"time": [1, np.inf], "event": [1, 0]},
         "`time` must be finite and not missing, got inf at position 1"),
        ({"time": [1, 2], "event": [1, 3]},
         "`event` must be 0 (censored) or 1 (event), got 3.0 at position 1"),
        ({"time": [1, 2], "event": [1]}, "`event` must have the same length as `time` (2), got 1"),
        ({"time": [1, 2], "event": [1, 0], "weights": [1, -1]},
         "`weights` must be finite and > 0, got -1.0 at position 1"),
        ({"time": [[1, 2]], "event": [1]}, "`time` must be one-dimensional, got shape (1, 2)"),
    ],
)  # fmt: skip
def test_survival_input_messages(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=_exact(message)):
        kaplan_meier(**kwargs)  # type: ignore[arg-type]


def test_group_labels_messages() -> None:
    # (a plain list ["a", nan, "b"] becomes numpy strings, "nan" a level: unchanged behaviour)
    for group in (["a", None, "b"], np.array(["a", float("nan"), "b"], dtype=object)):
        with pytest.raises(ValueError, match=_exact(
                "`group` must not contain missing values, got None at position 1")):
            logrank_test([1, 2, 3], [1, 0, 1], group)
    with pytest.raises(ValueError, match=_exact(
            "`group` must not contain missing values, got nan at position 2")):
        logrank_test([1, 2, 3], [1, 0, 1], [1.0, 2.0, np.nan])
