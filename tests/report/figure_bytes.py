"""Tiny, valid figure payloads for renderer tests (no plotting library needed)."""

from __future__ import annotations

import struct
import zlib

from cnsrwe.report.document import FigureBlock


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A grey RGB PNG built by hand (PNG spec: signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="200pt" height="100pt" viewBox="0 0 200 100"
 xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/"></rdf:RDF></metadata>
 <defs><clipPath id="p1"><rect x="10" y="10" width="180" height="80"/></clipPath></defs>
 <!-- a comment -->
 <path id="line" d="M 10 90 L 60 50 L 110 60 L 190 20" style="fill:none;stroke:#0072b2"
  clip-path="url(#p1)"/>
 <use xlink:href="#line" x="0" y="5"/>
</svg>
"""


def figures() -> tuple[FigureBlock, FigureBlock]:
    return (FigureBlock(name="km", caption="Kaplan-Meier curve (test drawing).",
                        alt="A falling step curve", svg=SVG, png=tiny_png()),
            FigureBlock(name="png_only", caption="A raster-only figure.", alt="Grey square",
                        png=tiny_png()))
