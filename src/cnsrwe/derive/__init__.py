"""Derivation of the response analysis datasets over a study (``cnsrwe derive``).

See ``docs/derive.md``: :func:`derive_reference_dates` (line start, end and next therapy),
:func:`derive_study` (the pure, per-patient pipeline returning :class:`AnalysisDatasets`) and
:func:`derive_into_store` (patient chunks written as ``ad_*`` store tables in one transaction
with an audit row).
"""

from cnsrwe.derive.pipeline import AnalysisDatasets, derive_study
from cnsrwe.derive.reference import ReferenceDates, derive_reference_dates
from cnsrwe.derive.schemas import AD_KEYS, AD_SCHEMAS
from cnsrwe.derive.write import DeriveRun, derive_into_store

__all__ = [
    "AD_KEYS",
    "AD_SCHEMAS",
    "AnalysisDatasets",
    "DeriveRun",
    "ReferenceDates",
    "derive_into_store",
    "derive_reference_dates",
    "derive_study",
]
