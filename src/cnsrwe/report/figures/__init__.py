"""Publication figures drawn from computed results (STYLE.md convention 8).

Every ``plot_*`` function takes results from :mod:`cnsrwe.stats` or analysis tables from
:mod:`cnsrwe.response` / :mod:`cnsrwe.study`, accepts ``ax=None`` and returns the matplotlib
Figure. Its ``*_figure_data`` companion returns a frozen :class:`FigureData` holding exactly
what is drawn (step coordinates, risk-table counts, bar heights and colours, annotation
text), which is what the tests snapshot. matplotlib is imported only when drawing, figures
are plain ``matplotlib.figure.Figure`` objects (no pyplot state), and :func:`save_figure`
writes PNG + SVG + PDF with deterministic metadata.
"""

from __future__ import annotations

from cnsrwe.report.figures._data import FigureData
from cnsrwe.report.figures.cif import cif_figure_data, plot_cumulative_incidence
from cnsrwe.report.figures.consort import consort_figure_data, plot_consort
from cnsrwe.report.figures.forest import forest_figure_data, plot_forest
from cnsrwe.report.figures.km import km_figure_data, plot_km
from cnsrwe.report.figures.sankey import plot_sankey, sankey_figure_data
from cnsrwe.report.figures.save import save_figure
from cnsrwe.report.figures.spider import plot_spider, spider_figure_data
from cnsrwe.report.figures.sunburst import plot_sunburst, sunburst_figure_data
from cnsrwe.report.figures.swimmer import EVENT_KINDS, plot_swimmer, swimmer_figure_data
from cnsrwe.report.figures.waterfall import plot_waterfall, waterfall_figure_data

__all__ = [
    "EVENT_KINDS",
    "FigureData",
    "cif_figure_data",
    "consort_figure_data",
    "forest_figure_data",
    "km_figure_data",
    "plot_consort",
    "plot_cumulative_incidence",
    "plot_forest",
    "plot_km",
    "plot_sankey",
    "plot_spider",
    "plot_sunburst",
    "plot_swimmer",
    "plot_waterfall",
    "sankey_figure_data",
    "save_figure",
    "spider_figure_data",
    "sunburst_figure_data",
    "swimmer_figure_data",
    "waterfall_figure_data",
]
