"""Lines of therapy, resistance mechanisms and the ALK mutation x inhibitor knowledge base.

See ``docs/resistance.md``: :func:`derive_lines_of_therapy` (ALK-TKI generation, sequence
stage, local therapy during a line), :func:`derive_biopsy_mechanisms` (mechanism class and
timing of each re-biopsy sample), :func:`lookup` / :func:`annotate_findings` (cited evidence;
research use only, never treatment advice).
"""

from cnsrwe.resistance.analyses import (
    ResultTable,
    local_therapy_use,
    progression_incidence,
    rebiopsy_timing,
    subsequent_therapy_after_2g,
    treatment_sequences,
)
from cnsrwe.resistance.drugs import ALK_TKI_GENERATION, DRUG_VOCABULARY, canonical_drug
from cnsrwe.resistance.kb import (
    KB_VERSION,
    NOTICE,
    annotate_findings,
    load_kb,
    lookup,
    normalise_mutation,
    summarise_lookup,
)
from cnsrwe.resistance.lines import LinesOfTherapy, derive_lines_of_therapy
from cnsrwe.resistance.mechanisms import (
    BiopsyMechanisms,
    BiopsyTimingRule,
    derive_biopsy_mechanisms,
)

__all__ = [
    "ALK_TKI_GENERATION",
    "DRUG_VOCABULARY",
    "KB_VERSION",
    "NOTICE",
    "BiopsyMechanisms",
    "BiopsyTimingRule",
    "LinesOfTherapy",
    "ResultTable",
    "annotate_findings",
    "canonical_drug",
    "derive_biopsy_mechanisms",
    "derive_lines_of_therapy",
    "load_kb",
    "local_therapy_use",
    "lookup",
    "normalise_mutation",
    "progression_incidence",
    "rebiopsy_timing",
    "subsequent_therapy_after_2g",
    "summarise_lookup",
    "treatment_sequences",
]
