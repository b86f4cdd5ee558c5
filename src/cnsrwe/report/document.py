"""The report document model: a small, frozen tree that every renderer walks.

A :class:`Report` holds :class:`Section` objects; a section holds blocks, each one of
:class:`Paragraph`, :class:`TableBlock`, :class:`FigureBlock` or :class:`PageBreak`.
Tables carry already formatted text only (formatting lives in :mod:`cnsrwe.report.format`),
so the HTML, Word and Excel renderers cannot disagree about a number.

Every object is a frozen dataclass; "changing" one means building a new one with
:func:`dataclasses.replace` (STYLE.md convention 7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Align = Literal["left", "center", "right"]
_ALIGNS = ("left", "center", "right")


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, how many columns it spans and its alignment.

    A ``"\n"`` in ``text`` is a line break inside the cell (every renderer keeps it).

    ``indent`` (0, 1, 2) indents the text of a stub cell, as category levels under a
    variable label in a Table 1.
    """

    text: str
    colspan: int = 1
    align: Align = "left"
    bold: bool = False
    indent: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            msg = f"`text` must be a string, got {self.text!r}"
            raise TypeError(msg)
        if self.colspan < 1:
            msg = f"`colspan` must be >= 1, got {self.colspan!r}"
            raise ValueError(msg)
        if self.align not in _ALIGNS:
            msg = f"`align` must be one of {_ALIGNS}, got {self.align!r}"
            raise ValueError(msg)
        if self.indent not in (0, 1, 2):
            msg = f"`indent` must be 0, 1 or 2, got {self.indent!r}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Row:
    """A row of cells; ``kind="group"`` marks a variable/label row in the body."""

    cells: tuple[Cell, ...]
    kind: Literal["data", "group"] = "data"

    @property
    def width(self) -> int:
        """Number of grid columns the row covers (sum of the colspans)."""
        return sum(c.colspan for c in self.cells)


def slugify(text: str) -> str:
    """A stable HTML anchor from a title: lower case, ASCII letters/digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "item"


@dataclass(frozen=True)
class TableBlock:
    """A publication table: caption, header rows (with spanners), body rows, footnotes.

    Every header and body row must cover the same number of grid columns; spanner cells
    use ``colspan``. ``name`` is the short name used for the Excel sheet and anchors.
    """

    name: str
    caption: str
    header: tuple[Row, ...]
    body: tuple[Row, ...]
    footnotes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            msg = f"`name` must be a non-empty string, got {self.name!r}"
            raise ValueError(msg)
        if not self.header:
            msg = "`header` must hold at least one row, got none"
            raise ValueError(msg)
        width = self.header[0].width
        for where, rows in (("header", self.header), ("body", self.body)):
            for i, row in enumerate(rows):
                if row.width != width:
                    msg = (f"`{where}` row {i} covers {row.width} columns but the table has "
                           f"{width}, got cells {[c.text for c in row.cells]!r}")
                    raise ValueError(msg)

    @property
    def n_columns(self) -> int:
        """Number of grid columns."""
        return self.header[0].width

    def grid(self, rows: tuple[Row, ...]) -> list[list[str]]:
        """Rows expanded to the full grid: a spanned cell's text in its first column,
        ``""`` in the columns it covers (used by the Excel and CSV-like dumps)."""
        out = []
        for row in rows:
            line: list[str] = []
            for c in row.cells:
                line.append(("  " * c.indent) + c.text)
                line.extend([""] * (c.colspan - 1))
            out.append(line)
        return out


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text (no markup; renderers escape it)."""

    text: str


@dataclass(frozen=True)
class FigureBlock:
    """A figure: SVG text or PNG bytes (exactly one), a caption and alternative text.

    ``svg`` must be a complete ``<svg ...>`` document (an XML declaration/doctype before it
    is allowed and dropped when inlined). ``png`` is used for Word, which cannot show SVG.
    When both are given, HTML uses the SVG and Word the PNG.
    """

    name: str
    caption: str
    alt: str
    svg: str | None = None
    png: bytes | None = None
    width_inches: float = 6.0

    def __post_init__(self) -> None:
        if self.svg is None and self.png is None:
            msg = f"figure {self.name!r} needs `svg` or `png`, got neither"
            raise ValueError(msg)
        if self.svg is not None and "<svg" not in self.svg:
            msg = (f"`svg` of figure {self.name!r} must contain an <svg> element, "
                   f"got {self.svg[:40]!r}")
            raise ValueError(msg)
        if self.png is not None and not self.png.startswith(b"\x89PNG\r\n\x1a\n"):
            msg = f"`png` of figure {self.name!r} must be PNG bytes, got {self.png[:8]!r}"
            raise ValueError(msg)
        if not self.alt.strip():
            msg = f"`alt` of figure {self.name!r} must describe the figure, got {self.alt!r}"
            raise ValueError(msg)


def figure_from_files(name: str, caption: str, alt: str, *, svg: str | Path | None = None,
                      png: str | Path | None = None, width_inches: float = 6.0) -> FigureBlock:
    """A :class:`FigureBlock` from files already written (e.g. by the figures package's
    ``save_figure``), so the document layer never touches a plotting library."""
    return FigureBlock(name=name, caption=caption, alt=alt,
                       svg=None if svg is None else Path(svg).read_text(encoding="utf-8"),
                       png=None if png is None else Path(png).read_bytes(),
                       width_inches=width_inches)


@dataclass(frozen=True)
class PageBreak:
    """Start a new page (Word; ``page-break-before`` in the HTML print CSS)."""


Block = Paragraph | TableBlock | FigureBlock | PageBreak


@dataclass(frozen=True)
class Section:
    """A titled section of blocks; ``level`` 1 or 2 (heading depth)."""

    title: str
    blocks: tuple[Block, ...] = ()
    level: int = 1

    def __post_init__(self) -> None:
        if not self.title.strip():
            msg = f"`title` must be a non-empty string, got {self.title!r}"
            raise ValueError(msg)
        if self.level not in (1, 2):
            msg = f"`level` must be 1 or 2, got {self.level!r}"
            raise ValueError(msg)
        for b in self.blocks:
            if not isinstance(b, Paragraph | TableBlock | FigureBlock | PageBreak):
                msg = f"`blocks` must hold Paragraph/TableBlock/FigureBlock/PageBreak, got {b!r}"
                raise TypeError(msg)


@dataclass(frozen=True)
class Report:
    """The whole document: title, optional subtitle lines, sections in order."""

    title: str
    sections: tuple[Section, ...]
    subtitle: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.title.strip():
            msg = f"`title` must be a non-empty string, got {self.title!r}"
            raise ValueError(msg)

    def anchors(self) -> list[str]:
        """One unique anchor per section, in order (``slug``, ``slug-2``, ...)."""
        seen: dict[str, int] = {}
        out = []
        for s in self.sections:
            base = "sec-" + slugify(s.title)
            seen[base] = seen.get(base, 0) + 1
            out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
        return out

    def tables(self) -> list[TableBlock]:
        """Every table in document order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, TableBlock)]
