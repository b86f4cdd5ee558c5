"""Inline SVG id rewriting (``cnsrwe.report.html._inline_svg``): every id and each of its
references is prefixed once, undefined references are left alone, and
a figure with thousands of ids (a large waterfall) is rewritten in full."""

from __future__ import annotations

import re

from cnsrwe.report.html import _inline_svg

SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">
<!-- Created with matplotlib -->
<svg xmlns:xlink="http://www.w3.org/1999/xlink" xmlns="http://www.w3.org/2000/svg">
<metadata><rdf>x</rdf></metadata>
<defs><clipPath id="p1"><rect/></clipPath><path id="m0" d="M 0 0"/></defs>
<g id="patch_1" clip-path="url(#p1)"><use xlink:href="#m0"/><use href="#m0"/></g>
<g id="p1x" clip-path="url(#nowhere)"><a href="#m0x">url(#p1</a></g>
</svg>"""


def test_ids_and_references_are_prefixed_once() -> None:
    out = _inline_svg(SVG, "fig-a")
    assert out.startswith("<svg")
    for gone in ("<!--", "metadata", "xmlns", "<?xml", "DOCTYPE"):
        assert gone not in out
    assert re.findall(r'\bid="([^"]+)"', out) == ["fig-a-p1", "fig-a-m0", "fig-a-patch_1",
                                                 "fig-a-p1x"]
    assert 'clip-path="url(#fig-a-p1)"' in out
    assert out.count('href="#fig-a-m0"') == 2
    assert "url(#nowhere)" in out  # not defined here: unchanged
    assert 'href="#m0x"' in out
    assert "fig-a-fig-a" not in out


def test_many_ids_all_rewritten() -> None:
    n = 9000
    bars = "".join(f'<g id="patch_{i}" clip-path="url(#c{i % 7})"><path/></g>' for i in range(n))
    clips = "".join(f'<clipPath id="c{k}"><rect/></clipPath>' for k in range(7))
    out = _inline_svg(f"<svg><defs>{clips}</defs>{bars}</svg>", "fig-w")
    assert len(re.findall(r'id="fig-w-patch_\d+"', out)) == n
    assert len(re.findall(r'url\(#fig-w-c\d\)', out)) == n
    assert 'id="patch_' not in out
    assert "url(#c" not in out
