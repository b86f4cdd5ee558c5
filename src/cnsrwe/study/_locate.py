"""Map a key path of a TOML document back to its line and column.

``tomllib`` parses without positions, so error messages about a study file would otherwise
name a key but not where it is. This scanner walks a document that ``tomllib`` has already
accepted and records where every key, table header and array element starts, under the same
path a decoder uses: table names and keys as strings, array (and array-of-tables) positions
as integers, e.g. ``("cohorts", 1, "prior_lines", 0, "match", "agents_any", 2)``.

It relies on the document being valid TOML (TOML 1.0 grammar: headers ``[a.b]`` and
``[[a.b]]``, dotted keys, basic/literal/multi-line strings, inline tables, arrays).
"""

from __future__ import annotations

from dataclasses import dataclass

PathKey = tuple[str | int, ...]

_SCALAR_STOP = frozenset(",]}#\n\r")


@dataclass(frozen=True)
class Position:
    """1-based line and column of a key or value in the study file."""

    line: int
    column: int


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.positions: dict[PathKey, Position] = {}
        self.aot_counts: dict[PathKey, int] = {}
        # line starts for offset -> (line, column)
        self.line_starts = [0]
        for k, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(k + 1)

    # -- positions ---------------------------------------------------------------------------
    def pos(self, offset: int) -> Position:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return Position(lo + 1, offset - self.line_starts[lo] + 1)

    def record(self, path: PathKey, offset: int) -> None:
        self.positions.setdefault(path, self.pos(offset))

    # -- lexing helpers ----------------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def skip_ws(self, *, newlines: bool) -> None:
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.i += 1
            elif ch == "#":
                while self.i < len(self.text) and self.text[self.i] != "\n":
                    self.i += 1
            else:
                return

    def read_string(self) -> str:
        text = self.text
        for quote in ('"""', "'''"):
            if text.startswith(quote, self.i):
                end = text.find(quote, self.i + 3)
                while quote == '"""' and end > 0 and _escaped(text, end):
                    end = text.find(quote, end + 1)
                # a closing delimiter may be followed by up to two more quote characters
                stop = end + 3
                while stop < len(text) and text[stop] == quote[0]:
                    stop += 1
                value = text[self.i + 3 : stop - 3]
                self.i = stop
                return value
        quote = text[self.i]
        j = self.i + 1
        out: list[str] = []
        while text[j] != quote:
            if quote == '"' and text[j] == "\\":
                out.append(text[j : j + 2])
                j += 2
                continue
            out.append(text[j])
            j += 1
        self.i = j + 1
        return "".join(out)

    def read_key_part(self) -> str:
        if self.peek() in "\"'":
            return self.read_string()
        j = self.i
        while j < len(self.text) and (self.text[j].isalnum() or self.text[j] in "_-"):
            j += 1
        part = self.text[self.i : j]
        self.i = j
        return part

    def read_key(self) -> list[tuple[str, int]]:
        parts: list[tuple[str, int]] = []
        while True:
            self.skip_ws(newlines=False)
            start = self.i
            parts.append((self.read_key_part(), start))
            self.skip_ws(newlines=False)
            if self.peek() == ".":
                self.i += 1
                continue
            return parts

    # -- grammar -----------------------------------------------------------------------------
    def resolve(self, parts: list[str]) -> PathKey:
        """Table path with the current index inserted after every array of tables."""
        path: PathKey = ()
        for part in parts:
            path = (*path, part)
            if path in self.aot_counts:
                path = (*path, self.aot_counts[path] - 1)
        return path

    def document(self) -> None:
        table: PathKey = ()
        while True:
            self.skip_ws(newlines=True)
            if self.i >= len(self.text):
                return
            if self.peek(2) == "[[":
                start = self.i
                self.i += 2
                parts = self.read_key()
                self.i += 2  # "]]"
                parent = self.resolve([p for p, _ in parts[:-1]])
                base = (*parent, parts[-1][0])
                self.aot_counts[base] = self.aot_counts.get(base, 0) + 1
                table = (*base, self.aot_counts[base] - 1)
                self.record(base, start)
                self.record(table, start)
            elif self.peek() == "[":
                start = self.i
                self.i += 1
                parts = self.read_key()
                self.i += 1  # "]"
                table = self.resolve([p for p, _ in parts])
                self.record(table, start)
            else:
                self.key_value(table)

    def key_value(self, table: PathKey) -> None:
        parts = self.read_key()
        path = table
        for name, start in parts:
            path = (*path, name)
            self.record(path, start)
        self.skip_ws(newlines=False)
        self.i += 1  # "="
        self.skip_ws(newlines=False)
        self.value(path)

    def value(self, path: PathKey) -> None:
        ch = self.peek()
        if ch in "\"'":
            self.read_string()
        elif ch == "{":
            self.i += 1
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "}":
                    self.i += 1
                    return
                if self.peek() == ",":
                    self.i += 1
                    continue
                self.key_value(path)
        elif ch == "[":
            self.i += 1
            index = 0
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "]":
                    self.i += 1
                    return
                if self.peek() == ",":
                    self.i += 1
                    continue
                self.record((*path, index), self.i)
                self.value((*path, index))
                index += 1
        else:
            while self.i < len(self.text) and self.text[self.i] not in _SCALAR_STOP:
                self.i += 1


def _escaped(text: str, at: int) -> bool:
    backslashes = 0
    k = at - 1
    while k >= 0 and text[k] == "\\":
        backslashes += 1
        k -= 1
    return backslashes % 2 == 1


def locate_keys(text: str) -> dict[PathKey, Position]:
    """Return the position of every key, table and array element of a valid TOML text.

    Examples
    --------
    >>> pos = locate_keys('[study]\\ntitle = "x"\\n[[cohorts]]\\nname = "a"\\n')
    >>> pos[("study", "title")], pos[("cohorts", 0, "name")]
    (Position(line=2, column=1), Position(line=4, column=1))
    """
    scanner = _Scanner(text)
    scanner.document()
    return scanner.positions


def nearest_position(positions: dict[PathKey, Position], path: PathKey) -> Position | None:
    """Position of ``path``, or of its closest enclosing key when the path itself is absent
    (e.g. a missing required key is reported at its table's header)."""
    for n in range(len(path), 0, -1):
        found = positions.get(path[:n])
        if found is not None:
            return found
    return None
