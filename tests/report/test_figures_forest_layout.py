"""Forest plot axis and layout: readable log-scale ticks however close a lower limit gets to
0, and label / n / estimate columns that never overlap each other or the intervals."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.report.figures.forest import MAX_TICKS, forest_figure_data, log_axis, plot_forest


@pytest.mark.parametrize(("lo", "hi", "expected"), [
    (0.2, 1.42, (0.1, 2.0, [0.1, 0.25, 0.5, 1.0, 2.0])),
    (0.45, 1.0, (0.25, 1.0, [0.25, 0.5, 1.0])),
    (0.33, 5.5, (0.25, 10.0, [0.25, 0.5, 1.0, 2.0, 4.0, 10.0])),
    (1.0, 1.0, (0.5, 2.0, [0.5, 1.0, 2.0])),
    # a Firth lower limit near 0: powers of ten only, no crowding
    (0.08, 312.69, (0.05, 400.0, [0.1, 1.0, 10.0, 100.0])),
    (0.004, 1.42, (0.0025, 2.0, [0.01, 0.1, 1.0])),
    (1e-9, 1e9, (2.5e-07, 4e06, [1e-06, 1e-04, 0.01, 1.0, 100.0, 1e04, 1e06])),
])
def test_log_axis_ticks(lo: float, hi: float, expected: tuple[float, float, list[float]]) -> None:
    lo_x, hi_x, ticks = log_axis(lo, hi)
    assert (lo_x, hi_x) == pytest.approx(expected[:2], rel=1e-12)
    assert ticks == pytest.approx(expected[2], rel=1e-12)
    assert len(ticks) <= MAX_TICKS
    assert lo_x <= max(lo, 2.5e-7)  # the ladder ends at 2.5e-7 and 4e6
    assert hi_x >= min(hi, 4e6)


LONG = pl.DataFrame({
    "label": ["CNS time to progression: Symptomatic BM vs Asymptomatic BM \u2014 Cohort 2: "
              "intracranial progression on crizotinib",
              "A rather long subgroup label that used to run into the n column", "Short"],
    "estimate": [None, 1.45, 2.14],
    "lower": [None, 0.33, 0.004],
    "upper": [None, 5.50, 312.69],
    "n": [None, 1234, 12],
    "events": [None, 567, 3],
    "kind": ["header", "subgroup", "subgroup"],
})


def test_columns_do_not_overlap() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    assert forest_figure_data(LONG).content["xticks"] == (0.01, 0.1, 1.0, 10.0, 100.0)
    fig = plot_forest(LONG, title="Forest")
    renderer = FigureCanvasAgg(fig).get_renderer()
    (axes,) = fig.axes
    box = axes.get_window_extent(renderer)
    texts = [t for t in axes.texts if t.get_text()]
    by_text = {t.get_text().replace("\n", " "): t.get_window_extent(renderer) for t in texts}
    fig_box = fig.bbox
    for text, ext in by_text.items():  # everything inside the figure
        assert ext.x0 >= fig_box.x0 - 0.5, text
        assert ext.x1 <= fig_box.x1 + 0.5, text
    labels = [by_text[k] for k in LONG["label"].to_list()]
    counts = [by_text[k] for k in ("1234/567", "12/3", "n/events")]
    estimates = [by_text[k] for k in ("1.45 (0.33\u20135.50)", "2.14 (0.00\u2013312.69)")]
    for lab in labels:
        assert lab.x1 < min(c.x0 for c in counts)  # label column left of the n column
    assert max(c.x1 for c in counts) < box.x0  # n column left of the plotting area
    assert min(e.x0 for e in estimates) > box.x1  # estimates right of it
    assert "\n" in next(t.get_text() for t in texts if t.get_text().startswith("CNS"))
