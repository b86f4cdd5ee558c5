"""The endpoint layer: time-to-event datasets with explicit censoring, response rates,
competing CNS progression, follow-up, clinical before/after analyses and progression tables.

See ``docs/endpoints.md``. Every function takes tables and returns tables or results with
``to_ard()``; nothing formats or draws.
"""

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
from cnsrwe.endpoints.progression_tables import progression_tables
from cnsrwe.endpoints.rates import (
    STANDARD_RATES,
    RateDefinition,
    landmark_disease_control,
    response_rates,
)
from cnsrwe.endpoints.sources import DAYS_PER_MONTH, CensorSource, EventSource, WindowRule
from cnsrwe.endpoints.tte import ADTTE_SCHEMA, derive_tte

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
