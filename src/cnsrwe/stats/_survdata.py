"""Input checking shared by the survival statistics (time, event, weights, group, strata).

Every public survival function accepts plain array-likes (lists, numpy arrays, polars or
pandas Series).  The ``*_by`` helpers take a table (polars or pandas DataFrame) plus column
names and call :func:`column` to pull each column out.  All checks raise ``ValueError`` in the
house grammar ("`time` must be ..., got ...") and never modify the caller's data.  Error
messages name the *position* of a bad value, never its row label, so no patient identifier
can leak into a log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cnsrwe.stats._arrays import as_float, finite_floats, raise_first, reject_none, to_1d

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _to_numpy(name: str, values: Any) -> np.ndarray:
    """Turn an array-like (list, numpy, polars/pandas Series) into a 1-d numpy array."""
    if values is None:
        msg = f"`{name}` is required, got None"
        raise ValueError(msg)
    return to_1d(values, f"`{name}`")


def _same_length(name: str, values: Any, n: int) -> np.ndarray:
    arr = _to_numpy(name, values)
    if arr.shape[0] != n:
        msg = f"`{name}` must have the same length as `time` ({n}), got {arr.shape[0]}"
        raise ValueError(msg)
    return arr


def as_times(name: str, values: Any) -> FloatArray:
    """Check follow-up times: numeric, finite, not missing, >= 0."""
    out = finite_floats(_to_numpy(name, values), f"`{name}`", "position")
    raise_first(out < 0, out, f"`{name}`", ">= 0", "position")
    return out


def as_events(name: str, values: Any, n: int) -> BoolArray:
    """Check event indicators: 0/1 or False/True (1 = event, 0 = censored), not missing."""
    arr = _same_length(name, values, n)
    if arr.dtype == np.bool_:
        return arr.copy()
    try:
        num = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"`{name}` must be 0/1 or boolean, got dtype {arr.dtype!s}"
        raise ValueError(msg) from exc
    bad = ~((num == 0) | (num == 1))
    raise_first(bad, num, f"`{name}`", "0 (censored) or 1 (event)", "position")
    return num == 1


def as_weights(name: str, values: Any, n: int) -> FloatArray | None:
    """Check case weights: finite and > 0 (``None`` means every weight is 1)."""
    if values is None:
        return None
    out = as_float(_same_length(name, values, n), f"`{name}`")
    raise_first(~np.isfinite(out) | (out <= 0), out, f"`{name}`", "finite and > 0", "position")
    return out


def as_labels(name: str, values: Any, n: int) -> tuple[np.ndarray, list[str]]:
    """Check a grouping vector; return integer codes and the sorted level labels.

    Levels are sorted as R sorts factor levels of a character vector (here: by their string
    form, or numerically when every value is numeric).
    """
    arr = _same_length(name, values, n)
    if arr.dtype.kind == "f":
        bad = np.isnan(arr)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            msg = f"`{name}` must not contain missing values, got nan at position {pos}"
            raise ValueError(msg)
    reject_none(arr, f"`{name}`", "position", nan_too=True)
    if arr.dtype.kind in "iufb":
        levels_raw, codes = np.unique(arr, return_inverse=True)
        labels = [_fmt_level(v) for v in levels_raw]
    else:
        levels_raw, codes = np.unique(arr.astype(str), return_inverse=True)
        labels = [str(v) for v in levels_raw]
    return codes.astype(np.int64), labels


def _fmt_level(v: Any) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class SurvInput:
    """Checked right-censored survival data (one row per subject)."""

    time: FloatArray
    event: BoolArray
    weights: FloatArray | None

    @property
    def n(self) -> int:
        return int(self.time.shape[0])

    def subset(self, mask: np.ndarray) -> SurvInput:
        w = None if self.weights is None else self.weights[mask]
        return SurvInput(self.time[mask], self.event[mask], w)


def surv_input(time: Any, event: Any, weights: Any = None) -> SurvInput:
    """Check ``time``, ``event`` and ``weights`` together and return a :class:`SurvInput`."""
    t = as_times("time", time)
    if t.shape[0] == 0:
        msg = "`time` must contain at least one subject, got 0"
        raise ValueError(msg)
    e = as_events("event", event, t.shape[0])
    w = as_weights("weights", weights, t.shape[0])
    return SurvInput(t, e, w)


def column(data: Any, name: str | None, role: str) -> Any:
    """Return column ``name`` of a polars or pandas table (``None`` passes through)."""
    if name is None:
        return None
    if not isinstance(name, str):
        msg = f"`{role}` must be a column name (str), got {name!r}"
        raise ValueError(msg)
    columns = list(getattr(data, "columns", []))
    if name not in columns:
        shown = ", ".join(repr(c) for c in columns[:20])
        msg = f"`{role}` names a column that is not in the table, got {name!r}; columns: {shown}"
        raise ValueError(msg)
    return data[name]
