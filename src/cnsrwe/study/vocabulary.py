"""Controlled vocabularies of the study file: baseline facts, progression sites, endpoint
events and the statistical methods an analysis may name.

The fact list is the contract between :func:`cnsrwe.study.facts.baseline_facts` (which
computes them) and the subgroup, eligibility and covariate rules of a study file (which
may only name them). Definitions follow the 2022 six-hospital alectinib study (Zou et al.,
BMC Med 2022;20:12, Methods and Table 1) and ``clinical/endpoints.md`` section 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FactType = Literal["bool", "int", "number", "string"]


@dataclass(frozen=True)
class Fact:
    """One baseline fact: its name, value type and what it means."""

    name: str
    type: FactType
    meaning: str


FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact("imaged_at_baseline", "bool",
             "At least one lesion row within the baseline imaging window (false = not imaged;"
             " every lesion fact is then missing, never 'none')."),
        Fact("any_cns", "bool", "Any CNS lesion (brain parenchyma, leptomeninges, spinal cord)"
             " at the baseline scan."),
        Fact("n_brain_mets", "int", "Number of distinct brain-parenchyma lesions at baseline."),
        Fact("measurable_cns", "bool", "A CNS target lesion with diameter >= the measurability"
             " threshold (10 mm by default; RECIST 1.1 section 3.1.1) at baseline."),
        Fact("sum_cns_target_mm", "number", "Sum of the diameters of the CNS target lesions at"
             " baseline, mm (Table 1 of the 2022 study)."),
        Fact("leptomeningeal", "bool", "Leptomeningeal disease at baseline."),
        Fact("brain_parenchymal", "bool", "Brain-parenchyma metastases at baseline."),
        Fact("extracranial", "bool", "Any extracranial lesion at baseline."),
        Fact("measurable_extracranial", "bool",
             "An extracranial target lesion at baseline (Table 1: extracranial target lesion)."),
        Fact("cns_symptoms", "bool", "CNS symptoms at the baseline clinical visit."),
        Fact("ecog", "int", "ECOG at the baseline visit (patients.ecog_at_index if no visit)."),
        Fact("corticosteroids", "bool", "Corticosteroid dose > 0 at the baseline visit."),
        Fact("mannitol", "bool", "Mannitol at the baseline visit."),
        Fact("steroids_or_mannitol", "bool", "Corticosteroids or mannitol at baseline (Table 5)."),
        Fact("prior_brain_radiotherapy", "bool",
             "Radiotherapy aimed at the brain or leptomeninges started before the index date."),
        Fact("prior_brain_surgery", "bool", "Brain surgery before the index date."),
        Fact("prior_brain_local", "bool", "Prior brain radiotherapy or surgery (Table 1)."),
        Fact("cns_progression_after_local", "bool",
             "A prior systemic line ended with CNS progression (site CNS_ONLY or BOTH) after the"
             " last prior brain local therapy started; missing when that site is unknown."),
        Fact("uncontrolled_cns", "bool",
             "CNS metastases present and either never treated locally or progressing after the"
             " last local treatment (2022 study, Results: 'uncontrolled CNS metastases')."),
        Fact("n_prior_lines", "int", "Number of systemic lines before the index line."),
        Fact("n_prior_alk_tki", "int", "Number of prior systemic lines with an ALK TKI."),
        Fact("age_at_index", "number", "Age in years at the index date (from patients)."),
        Fact("sex", "string", "Sex (from patients)."),
        Fact("smoking_status", "string", "Smoking history (from patients)."),
        Fact("histology", "string", "Histology (from patients)."),
        Fact("stage_at_diagnosis", "string", "Stage at diagnosis (from patients)."),
        Fact("site_id", "string", "Contributing site (from patients)."),
    )
}  # fmt: skip

#: Site of progression of a prior line, as the response engine writes it
#: (``cnsrwe.response.characterise_progression``, endpoints.md section 4.1).
PROGRESSION_SITES: tuple[str, ...] = ("CNS_ONLY", "EXTRACRANIAL_ONLY", "BOTH")

#: What an endpoint may count as an event (or as a competing event).
EVENTS: tuple[str, ...] = (
    "progression",  # first RECIST PD at any site
    "cns_progression",
    "extracranial_progression",
    "extracranial_only_progression",  # first progression extracranial without CNS
    "death",
)

#: Populations (denominators) a response rate may use besides a boolean fact.
POPULATIONS_BUILTIN: tuple[str, ...] = ("all",)

#: Statistical tests and estimators an analysis may name, with where they are implemented
#: (module, attribute). ``cnsrwe check-study`` verifies each one is importable.
METHODS: dict[str, tuple[str, str]] = {
    "fisher_exact": ("cnsrwe.stats.contingency", "fisher_exact"),
    "chi_square": ("cnsrwe.stats.contingency", "chi_square"),
    "mcnemar": ("cnsrwe.stats.contingency", "mcnemar"),
    "bowker": ("cnsrwe.stats.contingency", "bowker"),
    "t_test": ("scipy.stats", "ttest_ind"),
    "welch_t_test": ("scipy.stats", "ttest_ind"),
    "mann_whitney": ("scipy.stats", "mannwhitneyu"),
    "wilcoxon_signed_rank": ("scipy.stats", "wilcoxon"),
    "logrank": ("cnsrwe.stats.logrank", "logrank_test"),
    "pairwise_logrank": ("cnsrwe.stats.logrank", "pairwise_logrank"),
    "gray": ("cnsrwe.stats.gray", "gray_test"),
    "kaplan_meier": ("cnsrwe.stats.kaplan_meier", "kaplan_meier"),
    "reverse_km_follow_up": ("cnsrwe.stats.kaplan_meier", "median_follow_up"),
    "cox": ("cnsrwe.stats.cox", "cox_ph"),
    "firth_cox": ("cnsrwe.stats.firth", "firth_cox"),
    "aalen_johansen": ("cnsrwe.stats.cuminc", "cumulative_incidence"),
    "fine_gray": ("cnsrwe.stats.fine_gray", "fine_gray"),
    "binomial_ci": ("cnsrwe.stats.proportions", "binomial_ci"),
}

#: Which test names suit which analysis kind (first = default when none is given).
TESTS_FOR_KIND: dict[str, tuple[str, ...]] = {
    "response_rate": ("binomial_ci", "fisher_exact", "chi_square"),
    "survival": ("logrank", "pairwise_logrank", "cox", "firth_cox", "reverse_km_follow_up"),
    "competing_risks": ("gray", "fine_gray"),
    "cox": ("cox", "firth_cox"),
    "compare_groups": ("fisher_exact", "chi_square", "t_test", "welch_t_test", "mann_whitney"),
    "paired_before_after": ("mcnemar", "bowker", "wilcoxon_signed_rank", "fisher_exact"),
}
