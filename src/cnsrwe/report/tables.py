"""Publication tables built from ARD rows (one import point for the table builders).

* :func:`tab_baseline` — Table 1 by cohort, n (%) and median (range), p-value and SMD columns
  (:mod:`cnsrwe.report.tables_baseline`);
* :func:`tab_response` — response rates with exact CIs and CR/PR split, median shrinkage
  (:mod:`cnsrwe.report.tables_efficacy`);
* :func:`tab_survival`, :func:`tab_cox` — survival summaries and Cox models
  (:mod:`cnsrwe.report.tables_survival`).

Each returns a frozen :class:`~cnsrwe.report.document.TableBlock`; none computes a statistic.
"""

from __future__ import annotations

from cnsrwe.report.tables_baseline import Variable, tab_baseline
from cnsrwe.report.tables_efficacy import MedianRow, RateRow, tab_response
from cnsrwe.report.tables_survival import tab_cox, tab_survival

__all__ = ["MedianRow", "RateRow", "Variable", "tab_baseline", "tab_cox", "tab_response",
           "tab_survival"]
