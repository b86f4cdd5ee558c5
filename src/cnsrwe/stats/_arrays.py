"""Array checks shared by the statistics input modules (``_survdata``, ``_cox_input``).

Each check takes the ``subject`` of its message already formatted by the caller (for example
"`time`" or "column 'age' (`covariates`)") and the word for a location ("position" for plain
vectors, "row" for table columns), so every module keeps its own wording while the rule lives
here once. Messages follow the house grammar "SUBJECT must be RULE, got VALUE at WHERE I" and
name the *position* of a bad value, never a row label, so no patient identifier reaches a log.
Nothing here modifies the caller's data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def to_1d(values: Any, subject: str) -> np.ndarray:
    """An array-like (list, numpy array, polars/pandas Series) as a one-dimensional array."""
    to_numpy = getattr(values, "to_numpy", None)
    arr = np.asarray(to_numpy()) if callable(to_numpy) else np.asarray(values)
    if arr.ndim != 1:
        msg = f"{subject} must be one-dimensional, got shape {arr.shape!r}"
        raise ValueError(msg)
    return arr


def raise_first(mask: np.ndarray, values: np.ndarray, subject: str, rule: str, where: str) -> None:
    """Raise ``ValueError`` for the first position where ``mask`` is true (else do nothing)."""
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        msg = f"{subject} must be {rule}, got {float(values[i])!r} at {where} {i}"
        raise ValueError(msg)


def reject_none(arr: np.ndarray, subject: str, where: str, *, nan_too: bool = False) -> None:
    """Raise ``ValueError`` if an object array holds ``None`` (or a float NaN with ``nan_too``)."""
    if arr.dtype != object:
        return
    bad = np.array(
        [v is None or (nan_too and isinstance(v, float) and v != v) for v in arr], dtype=bool
    )
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{subject} must not contain missing values, got None at {where} {i}"
        raise ValueError(msg)


def as_float(arr: np.ndarray, subject: str, *, numeric_only: bool = False, hint: str = "") -> (
    FloatArray
):
    """``arr`` as float64, or ``ValueError`` "SUBJECT must be numeric, got dtype ...".

    With ``numeric_only``, arrays that are neither numeric, boolean nor object (for example
    strings or dates) are refused before any conversion, with ``hint`` appended to the message.
    """
    if numeric_only and arr.dtype.kind not in "biuf" and arr.dtype != object:
        msg = f"{subject} must be numeric, got dtype {arr.dtype!s}{hint}"
        raise ValueError(msg)
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{subject} must be numeric, got dtype {arr.dtype!s}"
        raise ValueError(msg) from exc


def finite_floats(arr: np.ndarray, subject: str, where: str, *, numeric_only: bool = False,
                  hint: str = "") -> FloatArray:  # fmt: skip
    """Numbers that are present and finite: ``None``, NaN and infinities are refused."""
    reject_none(arr, subject, where)
    out = as_float(arr, subject, numeric_only=numeric_only, hint=hint)
    raise_first(~np.isfinite(out), out, subject, "finite and not missing", where)
    return out
