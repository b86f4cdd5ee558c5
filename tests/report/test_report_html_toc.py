"""The HTML table of contents: a long run of subsections (the per-patient appendix) is
collapsed in a ``<details>`` element under its section link; short runs stay listed."""

from __future__ import annotations

import re

from cnsrwe.report.document import Paragraph, Report, Section
from cnsrwe.report.html import TOC_CHILD_LIMIT, render_html


def _report(n_patients: int) -> Report:
    secs = [Section("Efficacy", (Paragraph("x"),)),
            Section("Subgroup A", (Paragraph("a"),), level=2),
            Section("Per-patient appendix", (Paragraph("intro"),))]
    secs += [Section(f"Patient P{i:03d}", (Paragraph("p"),), level=2)
             for i in range(n_patients)]
    secs.append(Section("After", (Paragraph("z"),)))
    return Report(title="T", sections=tuple(secs))


def _toc(html: str) -> str:
    return html[html.index('<nav class="toc">'):html.index("</nav>")]


def test_long_appendix_is_collapsed() -> None:
    rep = _report(65)
    html = render_html(rep)
    toc = _toc(html)
    assert toc.count("<details") == 1
    assert "<script" not in html
    head, details = toc.split('<details class="toc-more">')
    # before the collapsed list: the three level-1 links and the one short subsection
    assert re.findall(r">([^<>]+)</a>", head) == ["Efficacy", "Subgroup A",
                                                  "Per-patient appendix"]
    assert "Per-patient appendix</a> (65 sections)" in head
    assert "<summary>List all 65</summary>" in details
    names = re.findall(r">(Patient P\d+)</a>", details)
    assert names == [f"Patient P{i:03d}" for i in range(65)]
    assert details.index("</details>") < details.index(">After</a>")
    for anchor in rep.anchors():  # every section is still reachable from the contents
        assert f'href="#{anchor}"' in toc
        assert f'id="{anchor}"' in html


def test_short_runs_are_not_collapsed() -> None:
    toc = _toc(render_html(_report(TOC_CHILD_LIMIT)))
    assert "<details" not in toc
    assert toc.count('<li class="toc-2">') == TOC_CHILD_LIMIT + 1
