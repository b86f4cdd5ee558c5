"""Competing risks: one import point for cumulative incidence, Gray's test and Fine-Gray.

The methods live in :mod:`cnsrwe.stats.cuminc` (Aalen-Johansen with cmprsk's variance),
:mod:`cnsrwe.stats.gray` (Gray's K-sample test) and :mod:`cnsrwe.stats.fine_gray`
(``cmprsk::crr``); each is proven against cmprsk's own recorded test output
(tests/reference/cmprsk/).
"""

from __future__ import annotations

from cnsrwe.stats.cuminc import CumulativeIncidence, cumulative_incidence
from cnsrwe.stats.fine_gray import FineGrayResult, fine_gray
from cnsrwe.stats.gray import GrayTest, gray_test

__all__ = [
    "CumulativeIncidence",
    "FineGrayResult",
    "GrayTest",
    "cumulative_incidence",
    "fine_gray",
    "gray_test",
]
