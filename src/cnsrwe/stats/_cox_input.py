"""Input checks for the Cox models (``cox_ph``, ``firth_cox``): table columns to numpy arrays.

``data`` may be a polars DataFrame, a pandas DataFrame or a dict of array-likes.  Every check
raises ``ValueError`` in the house grammar and names the column and the *row position* of a bad
value (never a row label, so no patient identifier can leak into a log).  The caller's data are
never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cnsrwe.stats._arrays import finite_floats, raise_first, to_1d

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CoxInput:
    """Checked model inputs, one row per observation (rows kept in the caller's order)."""

    x: FloatArray  # (n, p) covariates
    stop: FloatArray  # event / censoring time
    start: FloatArray | None  # entry time of a counting-process row, or None
    event: BoolArray
    weight: FloatArray
    strata: IntArray  # 0-based stratum codes
    strata_labels: tuple[str, ...]
    cluster: IntArray | None  # 0-based cluster codes
    covariates: tuple[str, ...]


def _column(data: Any, name: str, role: str) -> np.ndarray:
    if not isinstance(name, str):
        msg = f"`{role}` must be a column name (str), got {name!r}"
        raise TypeError(msg)
    try:
        col = data[name]
    except Exception as exc:  # KeyError, TypeError, IndexError; polars' ColumnNotFoundError
        msg = f"`{role}` names a column that is not in `data`, got {name!r}"
        raise ValueError(msg) from exc
    return to_1d(col, f"column {name!r} (`{role}`)")


def _numeric(arr: np.ndarray, name: str, role: str) -> FloatArray:
    return finite_floats(arr, f"column {name!r} (`{role}`)", "row", numeric_only=True,
                         hint="\n  i factors must be dummy-coded into 0/1 columns first")


def _codes(arr: np.ndarray) -> tuple[IntArray, tuple[str, ...]]:
    if arr.dtype == object and any(v is None for v in arr):
        msg = "stratum/cluster columns must not contain missing values, got None"
        raise ValueError(msg)
    labels, inverse = np.unique(arr.astype(str) if arr.dtype == object else arr,
                                return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), tuple(str(v) for v in labels)


def read_cox_input(
    data: Any,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None = None,
    weights: str | None = None,
    start: str | None = None,
    cluster: str | None = None,
) -> CoxInput:
    """Pull and check the model columns; raise ``ValueError`` naming the column and row."""
    if data is None:
        msg = "`data` must be a polars/pandas DataFrame or a dict of arrays, got None"
        raise TypeError(msg)
    if isinstance(covariates, str) or not isinstance(covariates, Sequence):
        msg = f"`covariates` must be a list of column names, got {covariates!r}"
        raise TypeError(msg)
    covs = tuple(covariates)
    if not covs:
        msg = "`covariates` must name at least one column, got []"
        raise ValueError(msg)
    if len(set(covs)) != len(covs):
        msg = f"`covariates` must not repeat a column, got {list(covs)!r}"
        raise ValueError(msg)

    stop = _numeric(_column(data, duration, "duration"), duration, "duration")
    n = stop.shape[0]
    if n == 0:
        msg = "`data` must have at least one row, got 0 rows"
        raise ValueError(msg)

    ev_raw = _column(data, event, "event")
    ev_num = _numeric(ev_raw, event, "event")
    bad = ~((ev_num == 0) | (ev_num == 1))
    raise_first(bad, ev_num, f"column {event!r} (`event`)", "0/1 or boolean", "row")
    ev = ev_num == 1

    xs = [_numeric(_column(data, c, "covariates"), c, "covariates") for c in covs]
    x = np.column_stack(xs) if xs else np.empty((n, 0))

    start_arr: FloatArray | None = None
    if start is not None:
        start_arr = _numeric(_column(data, start, "start"), start, "start")
        bad = start_arr >= stop
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            msg = (
                f"column {start!r} (`start`) must be < `duration` on every row, got start "
                f"{start_arr[i]!r} >= stop {stop[i]!r} at row {i}"
            )
            raise ValueError(msg)
    else:
        raise_first(stop < 0, stop, f"column {duration!r} (`duration`)", ">= 0", "row")

    if weights is not None:
        w = _numeric(_column(data, weights, "weights"), weights, "weights")
        raise_first(w <= 0, w, f"column {weights!r} (`weights`)", "> 0", "row")
    else:
        w = np.ones(n)

    if strata is None:
        st = np.zeros(n, dtype=np.int64)
        labels: tuple[str, ...] = ("",)
    else:
        names = [strata] if isinstance(strata, str) else list(strata)
        cols = [_column(data, s, "strata") for s in names]
        if len(cols) == 1:
            st, labels = _codes(cols[0])
        else:
            joined = np.array(
                [", ".join(f"{nm}={v}" for nm, v in zip(names, vals, strict=True))
                 for vals in zip(*[c.astype(str) for c in cols], strict=True)],
                dtype=object,
            )
            st, labels = _codes(joined)

    cl: IntArray | None = None
    if cluster is not None:
        cl, _ = _codes(_column(data, cluster, "cluster"))

    for arr, nm in [(ev, event), (w, weights), (st, strata), (cl, cluster), (start_arr, start)]:
        if arr is not None and arr.shape[0] != n:
            msg = f"column {nm!r} must have {n} rows like `duration`, got {arr.shape[0]}"
            raise ValueError(msg)

    return CoxInput(
        x=np.ascontiguousarray(x, dtype=np.float64),
        stop=stop,
        start=start_arr,
        event=ev,
        weight=w,
        strata=st,
        strata_labels=labels,
        cluster=cl,
        covariates=covs,
    )


def check_collinearity(x: FloatArray, weight: FloatArray, names: Sequence[str]) -> None:
    """Raise ``ValueError`` naming a covariate that is constant or a linear combination of others.

    The check uses the weighted, centred cross-product matrix and a pivot-free Cholesky-like
    sweep with R's ``toler.chol`` (``.Machine$double.eps^0.75``) relative tolerance.
    """
    if x.shape[1] == 0:
        return
    wsum = weight.sum()
    xc = x - (weight @ x) / wsum
    scale = np.sqrt((weight @ (xc * xc)) / wsum)
    for j, s in enumerate(scale):
        if not s > 0:
            msg = f"covariate {names[j]!r} is constant, got the single value {x[0, j]!r}"
            raise ValueError(msg)
    z = xc / scale
    cross = (z * weight[:, None]).T @ z / wsum
    tol = np.finfo(float).eps ** 0.75
    p = cross.shape[0]
    for j in range(1, p):
        sub = cross[:j, :j]
        b = cross[:j, j]
        resid = cross[j, j] - b @ np.linalg.solve(sub, b)
        if resid < tol * 1e3:
            msg = (
                f"covariate {names[j]!r} is collinear with {list(names[:j])!r} "
                f"(a linear combination of them), got residual variance {resid:.3g}"
                "\n  i drop or recode one of these columns"
            )
            raise ValueError(msg)
