"""Decode a parsed TOML mapping into the frozen dataclasses of the study model.

The decoder is driven by each dataclass's type hints (``str``, ``int``, ``float``, ``bool``,
``datetime.date``, ``Literal[...]``, ``tuple[X, ...]``, ``X | None``, ``dict[str, X]``,
nested dataclasses, and ``Any`` for a value checked later). It never stops at the first
problem: every problem becomes an :class:`Issue` with the key path it belongs to, so the
loader can report all of them, each with its line in the file.

A field whose TOML key differs from its Python name (``in``, ``not``) carries
``metadata={"key": "in"}``. A dataclass may define ``check(self) -> list[Issue]`` for rules
that involve several fields; the decoder calls it after construction and prefixes the paths.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from cnsrwe.study._locate import PathKey

T = TypeVar("T")


@dataclass(frozen=True)
class Issue:
    """One problem in a study file: where (key path) and what (house-grammar message)."""

    path: PathKey
    message: str


class DecodeFailed(Exception):
    """Internal: a value could not be decoded; the issues explain why."""


def toml_key(f: dataclasses.Field[Any]) -> str:
    """The TOML key of a dataclass field (its name unless metadata says otherwise)."""
    return str(f.metadata.get("key", f.name))


def dotted(path: PathKey) -> str:
    """``("cohorts", 0, "name")`` -> ``cohorts[0].name`` (how messages name a key)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dt.datetime):
        return "a date-time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if tp is str:
        return "a string"
    if tp is bool:
        return "true or false"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a number"
    if tp is dt.date:
        return "a date (YYYY-MM-DD, unquoted)"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin is tuple:
        return "an array"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


class Decoder:
    """Collects issues while decoding; one instance per file."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def fail(self, path: PathKey, message: str) -> DecodeFailed:
        self.issues.append(Issue(path, message))
        return DecodeFailed(message)

    def decode(self, tp: Any, value: Any, path: PathKey) -> Any:
        """Decode ``value`` as type ``tp``; raise :class:`DecodeFailed` after recording."""
        origin = get_origin(tp)
        name = dotted(path) or "the file"
        if tp is Any:
            return value
        if origin in (Union, types.UnionType):
            options = [a for a in get_args(tp) if a is not type(None)]
            if value is None:
                return None
            if len(options) == 1:
                return self.decode(options[0], value, path)
            for option in options:  # scalar unions: first type that accepts the value wins
                if _accepts(option, value):
                    return self.decode(option, value, path)
            wanted = " or ".join(_describe(o) for o in options)
            raise self.fail(path, f"`{name}` must be {wanted}, got {_type_name(value)} {value!r}")
        if dataclasses.is_dataclass(tp):
            return self.decode_dataclass(typing.cast(type, tp), value, path)
        if origin is tuple:
            args = get_args(tp)
            if not isinstance(value, list):
                raise self.fail(path, f"`{name}` must be an array, got {_type_name(value)}")
            fixed = len(args) != 2 or args[1] is not Ellipsis
            if fixed and len(value) != len(args):
                raise self.fail(
                    path, f"`{name}` must be an array of {len(args)} values, got {len(value)}"
                )
            items, ok = [], True
            for k, item in enumerate(value):
                item_tp = args[k] if fixed else args[0]
                try:
                    items.append(self.decode(item_tp, item, (*path, k)))
                except DecodeFailed:
                    ok = False
            if not ok:
                raise DecodeFailed(name)
            return tuple(items)
        if origin is dict:
            item_tp = get_args(tp)[1]
            if not isinstance(value, dict):
                raise self.fail(path, f"`{name}` must be a table, got {_type_name(value)}")
            out, ok = {}, True
            for key, item in value.items():
                try:
                    out[key] = self.decode(item_tp, item, (*path, key))
                except DecodeFailed:
                    ok = False
            if not ok:
                raise DecodeFailed(name)
            return out
        if origin is Literal:
            allowed = get_args(tp)
            same_kind = [a for a in allowed if type(a) is type(value)]
            if value not in same_kind:
                hint = _closest(str(value), [str(a) for a in allowed])
                raise self.fail(
                    path, f"`{name}` must be one of {list(allowed)!r}, got {value!r}{hint}"
                )
            return value
        if not _accepts(tp, value):
            raise self.fail(
                path, f"`{name}` must be {_describe(tp)}, got {_type_name(value)} {value!r}"
            )
        return float(value) if tp is float else value

    def decode_dataclass(self, cls: type[T], value: Any, path: PathKey) -> T:
        name = dotted(path) or "the file"
        if not isinstance(value, dict):
            raise self.fail(path, f"`{name}` must be a table, got {_type_name(value)}")
        hints = get_type_hints(cls)
        fields = {toml_key(f): f for f in dataclasses.fields(typing.cast(Any, cls))}
        ok = True
        for key in value:
            if key not in fields:
                hint = _closest(key, list(fields))
                known = ", ".join(fields)
                self.fail(
                    (*path, key),
                    f"`{dotted((*path, key))}` is not a valid key{hint}; valid keys here: {known}",
                )
                ok = False
        kwargs: dict[str, Any] = {}
        for key, f in fields.items():
            if key not in value:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.fail(path, f"`{dotted((*path, key))}` is required but missing in `{name}`")
                    ok = False
                continue
            try:
                kwargs[f.name] = self.decode(hints[f.name], value[key], (*path, key))
            except DecodeFailed:
                ok = False
        if not ok:
            raise DecodeFailed(name)
        obj = cls(**kwargs)
        check = getattr(obj, "check", None)
        if check is not None:
            found = check()
            for issue in found:
                self.issues.append(Issue((*path, *issue.path), issue.message))
            if found:
                raise DecodeFailed(name)
        return obj


def _accepts(tp: Any, value: Any) -> bool:
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if tp is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if get_origin(tp) is Literal:
        return value in get_args(tp)
    if get_origin(tp) is tuple:
        return isinstance(value, list)
    return isinstance(value, dict)


def _closest(word: str, choices: list[str]) -> str:
    """`` (did you mean `x`?)`` when a choice is close to ``word``, else ``""``."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean `{match[0]}`?)" if match else ""


def closest_hint(word: str, choices: list[str]) -> str:
    """Public form of the did-you-mean hint, for cross-reference checks."""
    return _closest(word, choices)
