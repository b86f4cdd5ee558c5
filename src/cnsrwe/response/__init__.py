"""Response engine, patient level: best overall response, response flags, tumour shrinkage,
progression characterisation, data-quality signals and analysis datasets.

Timepoint responses themselves come from :mod:`cnsrwe.criteria` or from radiologist calls;
every function here takes plain tables (polars, pandas or pyarrow).
"""

from cnsrwe.response.bor import best_overall_response
from cnsrwe.response.datasets import ResponseDatasets, derive_response_datasets
from cnsrwe.response.flags import derive_response_flags, duration_of_response_inputs
from cnsrwe.response.progression import ProgressionRule, characterise_progression
from cnsrwe.response.rules import (
    BOR_CODES,
    DISEASE_CONTROL,
    OBJECTIVE_RESPONSE,
    RECIST_BOR,
    RECIST_CONFIRMED_BOR,
    RESPONSE_CODES,
    BorRule,
)
from cnsrwe.response.shrinkage import best_target_change, shrinkage_tables, target_change_series
from cnsrwe.response.signals import (
    get_last_issues,
    signal_baseline_too_early,
    signal_crpr,
    signal_new_lesion_inconsistent,
    signal_pd_then_response,
    signal_target_missing,
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
    "ProgressionRule",
    "ResponseDatasets",
    "analysis_window",
    "best_overall_response",
    "best_target_change",
    "characterise_progression",
    "derive_response_datasets",
    "derive_response_flags",
    "duration_of_response_inputs",
    "get_last_issues",
    "shrinkage_tables",
    "signal_baseline_too_early",
    "signal_crpr",
    "signal_new_lesion_inconsistent",
    "signal_pd_then_response",
    "signal_target_missing",
    "target_change_series",
]
