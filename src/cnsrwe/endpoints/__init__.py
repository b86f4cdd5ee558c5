"""The endpoint layer: time-to-event datasets with explicit censoring, response rates,
competing CNS progression, follow-up, clinical before/after analyses and progression tables.

See ``docs/endpoints.md``. Every function takes tables and returns tables or results with
``to_ard()``; nothing formats or draws.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnsrwe.endpoints.clinical import (
        before_after,
        mcnemar_bounds,
        paired_binary,
        shift_table,
        symptom_improvement,
    )
    from cnsrwe.endpoints.competing import cns_progression_competing
    from cnsrwe.endpoints.definitions import STANDARD_ENDPOINTS, TteEndpoint
    from cnsrwe.endpoints.followup import follow_up
    from cnsrwe.endpoints.progression_table import progression_tables
    from cnsrwe.endpoints.rates import (
        STANDARD_RATES,
        RateDefinition,
        landmark_disease_control,
        response_rates,
    )
    from cnsrwe.endpoints.sources import DAYS_PER_MONTH, CensorSource, EventSource, WindowRule
    from cnsrwe.endpoints.tte import ADTTE_SCHEMA, derive_tte

#: Public name -> submodule. Loaded on first use, so that importing one submodule (the
#: derivation imports ``tte``) does not import the statistics layer and scipy (~0.6 s per
#: process, paid again by every worker process of the scale engines).
_SOURCES = {
    "before_after": "clinical", "mcnemar_bounds": "clinical", "paired_binary": "clinical",
    "shift_table": "clinical", "symptom_improvement": "clinical",
    "cns_progression_competing": "competing",
    "STANDARD_ENDPOINTS": "definitions", "TteEndpoint": "definitions",
    "follow_up": "followup", "progression_tables": "progression_table",
    "STANDARD_RATES": "rates", "RateDefinition": "rates",
    "landmark_disease_control": "rates", "response_rates": "rates",
    "DAYS_PER_MONTH": "sources", "CensorSource": "sources", "EventSource": "sources",
    "WindowRule": "sources", "ADTTE_SCHEMA": "tte", "derive_tte": "tte",
}  # fmt: skip

__all__ = [
    "ADTTE_SCHEMA",
    "DAYS_PER_MONTH",
    "STANDARD_ENDPOINTS",
    "STANDARD_RATES",
    "CensorSource",
    "EventSource",
    "RateDefinition",
    "TteEndpoint",
    "WindowRule",
    "before_after",
    "cns_progression_competing",
    "derive_tte",
    "follow_up",
    "landmark_disease_control",
    "mcnemar_bounds",
    "paired_binary",
    "progression_tables",
    "response_rates",
    "shift_table",
    "symptom_improvement",
]


def __getattr__(name: str) -> Any:
    if name in _SOURCES:
        value = getattr(import_module(f"cnsrwe.endpoints.{_SOURCES[name]}"), name)
        globals()[name] = value
        return value
    msg = f"module 'cnsrwe.endpoints' has no attribute {name!r}"
    raise AttributeError(msg)
