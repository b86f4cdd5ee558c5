"""Response engine, patient level: best overall response, response flags, tumour shrinkage,
progression characterisation, data-quality signals and analysis datasets.

Timepoint responses themselves come from :mod:`cnsrwe.criteria` or from radiologist calls;
every function here takes plain tables (polars, pandas or pyarrow).
"""

from cnsrwe.response.bor import best_overall_response
from cnsrwe.response.rules import (
    BOR_CODES,
    DISEASE_CONTROL,
    OBJECTIVE_RESPONSE,
    RECIST_BOR,
    RECIST_CONFIRMED_BOR,
    RESPONSE_CODES,
    BorRule,
)
from cnsrwe.response.window import analysis_window

__all__ = [
    "BOR_CODES",
    "DISEASE_CONTROL",
    "OBJECTIVE_RESPONSE",
    "RECIST_BOR",
    "RECIST_CONFIRMED_BOR",
    "RESPONSE_CODES",
    "BorRule",
    "analysis_window",
    "best_overall_response",
]
