"""Argument checks shared by every public function, and optional-import handling.

Messages follow one grammar: the problem in one line, the argument in backticks, then
``got {value!r}``.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection
from types import ModuleType
from typing import Any

from cnsrwe.errors import BackendNotAvailableError


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
