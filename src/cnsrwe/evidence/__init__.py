"""Published CNS evidence: curated trial data, random-effects pooling, cohort comparison and
a consistency checker for published tables (see docs/evidence.md)."""

from __future__ import annotations

from cnsrwe.evidence.checker import CheckResult, check_frame, check_table
from cnsrwe.evidence.compare import CohortComparison, compare_cohort
from cnsrwe.evidence.dataset import filter_evidence, read_evidence
from cnsrwe.evidence.meta import (
    PooledEstimate,
    PooledProportion,
    logit_proportions,
    pool_proportions,
    pool_random_effects,
)
from cnsrwe.evidence.template import write_check_template

__all__ = [
    "CheckResult",
    "CohortComparison",
    "PooledEstimate",
    "PooledProportion",
    "check_frame",
    "check_table",
    "compare_cohort",
    "filter_evidence",
    "logit_proportions",
    "pool_proportions",
    "pool_random_effects",
    "read_evidence",
    "write_check_template",
]
