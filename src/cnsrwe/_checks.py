"""Argument checks shared by every public function, and optional-import handling.

Messages follow one grammar: the problem in one line, the argument in backticks, then
``got {value!r}``.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from cnsrwe.errors import BackendNotAvailableError, SchemaError

if TYPE_CHECKING:
    import polars as pl

TableKind = Literal["polars", "lazy", "pandas", "arrow"]
#: How each accepted table kind is named in the error message (a LazyFrame is a polars table).
_KIND_WORDS = {"polars": "polars", "lazy": "polars", "pandas": "pandas", "arrow": "pyarrow"}


def assert_in(name: str, value: Any, allowed: Collection[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        msg = f"`{name}` must be one of {choices}, got {value!r}"
        raise ValueError(msg)


def assert_open_unit_interval(name: str, value: float) -> None:
    """Raise ``ValueError`` unless ``0 < value < 1``."""
    if not (isinstance(value, int | float) and 0.0 < float(value) < 1.0):
        msg = f"`{name}` must be in (0, 1), got {value!r}"
        raise ValueError(msg)


def import_optional(module: str, *, extra: str, needed_by: str) -> ModuleType:
    """Import an optional dependency or raise an error naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = (
            f"`{needed_by}` needs the optional package {module!r}; "
            f"install it with: pip install 'cnsrwe[{extra}]'"
        )
        raise BackendNotAvailableError(msg) from exc


def require_columns(frame: pl.DataFrame, name: str, required_columns: Sequence[str]) -> None:
    """Raise ``SchemaError`` naming the first of ``required_columns`` that ``frame`` lacks.

    Message: "`treatments` lacks required column `line`, got columns ['patient_id', ...]".
    """
    missing = [c for c in required_columns if c not in frame.columns]
    if missing:
        msg = f"`{name}` lacks required column `{missing[0]}`, got columns {frame.columns!r}"
        raise SchemaError(msg)


def as_frame(
    data: Any,
    name: str,
    required_columns: Sequence[str] = (),
    *,
    allow: Collection[TableKind] = ("polars",),
) -> pl.DataFrame:
    """``data`` as a polars DataFrame holding ``required_columns``, or ``SchemaError``.

    A polars DataFrame is always accepted; ``allow`` names further kinds: ``"lazy"`` a polars
    LazyFrame (collected), ``"pandas"`` a pandas DataFrame and ``"arrow"`` a pyarrow Table or
    RecordBatch (converted; the input is not changed). Anything else raises
    "`dataset` must be a polars DataFrame, got list" (the kinds listed follow ``allow``);
    a missing column raises as :func:`require_columns` does. Polars is imported on first use,
    so this module stays cheap to import.
    """
    import polars as pl

    for kind in allow:
        assert_in("allow", kind, tuple(_KIND_WORDS))
    frame: Any = data
    if isinstance(frame, pl.LazyFrame) and "lazy" in allow:
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        module = type(frame).__module__.split(".")[0]
        if module == "pandas" and "pandas" in allow:
            frame = pl.from_pandas(frame)
        elif module == "pyarrow" and "arrow" in allow:
            frame = pl.from_arrow(frame)
    if not isinstance(frame, pl.DataFrame):
        kinds_allowed = [k for k in _KIND_WORDS if k in allow or k == "polars"]
        words = list(dict.fromkeys(_KIND_WORDS[k] for k in kinds_allowed))
        kinds = "polars DataFrame" if len(words) == 1 else (
            f"{', '.join(words[:-1])} or {words[-1]} table")
        msg = f"`{name}` must be a {kinds}, got {type(data).__name__}"
        raise SchemaError(msg)
    require_columns(frame, name, required_columns)
    return frame
