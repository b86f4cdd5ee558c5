"""Knobs of the synthetic study generator, as one frozen, printable object.

The defaults shape a cohort like the 2022 six-hospital real-world study of alectinib in
ALK-positive NSCLC with brain or leptomeningeal metastases (BMC Medicine 2022; methods,
Table 1 and Table 2; ``/work/shared/papers/2022-alectinib-cns-realworld-six-hospitals.txt``):
six sites, alectinib as the index treatment, three cohorts (ALK-TKI-naive; crizotinib-pretreated
with intracranial progression; CNS-only progression after another second-generation ALK-TKI),
patients enrolled July 2017 to September 2020 and followed to a data cutoff on 1 June 2021.

Every probability and threshold is a field, so a simulation plan can be reviewed and diffed
as data (house convention 3). The numbers are plausible, not estimates: see
``docs/demo-data.md`` for what is and is not realistic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

#: Patients in the ``cnsrwe demo`` study (the 2022 study had 65; a few more give every
#: pattern of the generator a chance to appear).
DEMO_PATIENTS = 100
#: Seed of the ``cnsrwe demo`` study.
DEMO_SEED = 2022

#: Latent response classes of one compartment, in code order (0..3).
RESPONSE_CLASSES = ("CR", "PR", "SD", "PD")

#: The three cohorts of the 2022 study, in code order (0..2).
COHORTS = ("alk_tki_naive", "crizotinib_pretreated", "second_generation_pretreated")


@dataclass(frozen=True)
class SimulationParameters:
    """Parameters of :func:`cnsrwe.demo.generate_block` (defaults: the 2022 study's shape).

    Probabilities are per patient unless stated; tuples indexed by cohort follow
    :data:`COHORTS`; tuples of class probabilities follow :data:`RESPONSE_CLASSES`.
    Durations are in days, diameters in millimetres.
    """

    # --- cohorts and sites (2022 study, Table 1: 20 / 32 / 13 patients, six hospitals) ------
    cohort_weights: tuple[float, float, float] = (20.0, 32.0, 13.0)
    site_weights: tuple[float, ...] = (0.26, 0.22, 0.17, 0.14, 0.12, 0.09)
    female: tuple[float, float, float] = (0.70, 0.50, 0.31)
    never_smoker: tuple[float, float, float] = (0.80, 0.72, 0.38)
    age_mean: float = 52.0
    age_sd: float = 10.5
    age_range: tuple[int, int] = (23, 80)
    adenocarcinoma: float = 0.97
    de_novo_stage_iv: tuple[float, float, float] = (0.55, 0.66, 0.77)
    #: ECOG 0, 1, 2, 3 at index for patients with and without CNS symptoms (Table 1: about
    #: 30 % had ECOG >= 2; symptomatic patients more often).
    ecog_symptomatic: tuple[float, float, float, float] = (0.10, 0.40, 0.35, 0.15)
    ecog_asymptomatic: tuple[float, float, float, float] = (0.34, 0.50, 0.13, 0.03)

    # --- calendar ---------------------------------------------------------------------------
    enrolment_start: dt.date = dt.date(2017, 7, 1)
    enrolment_end: dt.date = dt.date(2020, 9, 30)
    data_cutoff: dt.date = dt.date(2021, 6, 1)
    #: Median of an exponential loss-to-follow-up time (per patient).
    loss_to_follow_up_median: float = 3650.0

    # --- CNS and extracranial disease at baseline -------------------------------------------
    brain_metastases: float = 0.88
    leptomeningeal: tuple[float, float, float] = (0.20, 0.063, 0.23)
    #: A leptomeningeal patient also has a spinal-cord lesion (case report of LM + cord).
    spinal_cord_given_lm: float = 0.15
    #: Number of brain lesions = 1 + geometric draw with this success probability.
    brain_count_p: float = 0.18
    brain_count_max: int = 12
    brain_median_mm: float = 7.5
    extracranial: tuple[float, float, float] = (0.60, 0.906, 0.923)
    lung_primary: float = 0.75
    node_mean: float = 2.4
    liver_mean: float = 0.5
    adrenal: float = 0.12
    bone_mean: float = 1.4
    pleural: float = 0.15
    lung_median_mm: float = 21.0
    liver_median_mm: float = 17.0
    #: Lymph-node short axis = 10 mm + a log-normal excess with this median.
    node_excess_median_mm: float = 4.0
    size_log_sd: float = 0.55

    # --- RECIST 1.1 entry rules (Eisenhauer 2009 §3.1.1 and §4.2) ---------------------------
    target_min_mm: float = 10.0
    node_target_min_mm: float = 15.0
    max_targets_per_organ: int = 2
    #: The 2022 study used up to five targets in the whole body (so also per compartment).
    max_targets_total: int = 5

    # --- latent response per compartment (2022 study, Table 2: ic-ORR 82 / 76 / 43 %) -------
    intracranial_class: tuple[tuple[float, float, float, float], ...] = (
        (0.25, 0.55, 0.17, 0.03),
        (0.20, 0.55, 0.20, 0.05),
        (0.10, 0.33, 0.47, 0.10),
    )
    extracranial_class: tuple[tuple[float, float, float, float], ...] = (
        (0.10, 0.60, 0.25, 0.05),
        (0.05, 0.35, 0.45, 0.15),
        (0.05, 0.15, 0.75, 0.05),
    )
    #: Median time to progression of a compartment by latent class CR, PR, SD (days).
    progression_median: tuple[float, float, float] = (1800.0, 1300.0, 600.0)
    #: Multiplier of those medians by cohort (cohort 3 progresses sooner).
    progression_scale: tuple[float, float, float] = (1.3, 1.0, 0.6)
    #: Nadir fraction of the baseline diameter for PR and SD lesions (uniform range).
    pr_nadir: tuple[float, float] = (0.15, 0.60)
    sd_nadir: tuple[float, float] = (0.78, 1.10)
    #: Time constant of shrinkage towards the nadir (uniform range, days).
    shrink_tau: tuple[float, float] = (25.0, 60.0)
    #: Relative (sd) and absolute (sd, mm) measurement noise of a reader.
    noise_relative: float = 0.04
    noise_absolute_mm: float = 0.4
    #: A non-nodal lesion whose true size falls below this is reported as gone (0 mm).
    disappear_below_mm: float = 2.0
    #: A measured target below 5 mm is reported "too small to measure" with this probability.
    too_small_report: float = 0.4
    #: Sites (0-based) whose radiologists record whole millimetres only.
    integer_mm_sites: tuple[int, ...] = (0, 2, 4)
    #: How a progression shows: new lesion, target regrowth, non-target progression.
    progression_pattern: tuple[float, float, float] = (0.45, 0.35, 0.20)

    # --- imaging and visits -----------------------------------------------------------------
    baseline_scan_days_before: tuple[float, float] = (0.0, 21.0)
    scan_interval: tuple[float, float] = (56.0, 84.0)
    scan_jitter_sd: float = 5.0
    max_scans: int = 40
    #: Patients whose imaging is given only as radiologist timepoint calls (no lesion rows).
    calls_only: float = 0.05

    # --- after progression -------------------------------------------------------------------
    #: Median survival after a recorded progression, and of death without progression (days).
    post_progression_survival_median: float = 600.0
    death_without_progression_median: float = 3600.0
    next_line_delay: tuple[float, float] = (7.0, 35.0)
    next_line_progression_median: float = 300.0
    rebiopsy: float = 0.45
    salvage_rt_after_cns_progression: float = 0.25

    # --- history before the index line --------------------------------------------------------
    prior_chemotherapy: tuple[float, float, float] = (0.15, 0.25, 0.20)
    crizotinib_before_second_generation: float = 0.35
    prior_brain_rt: tuple[float, float, float] = (0.25, 0.19, 0.15)
    srs_share_of_prior_rt: float = 0.6

    # --- symptoms and supportive care (2022 study, Tables 4-7) -------------------------------
    cns_symptomatic: float = 0.40
    cns_symptomatic_lm: float = 0.89
    corticosteroid_if_symptomatic: float = 0.6
    mannitol_if_symptomatic: float = 0.35
    steroid_stop_in_responders: float = 0.85

    def __post_init__(self) -> None:
        """Check the probabilities and ranges at construction (clear message, nothing built)."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and f.name in _PROBABILITIES and not 0.0 <= value <= 1.0:
                msg = f"`{f.name}` must be in [0, 1], got {value!r}"
                raise ValueError(msg)
        if not self.enrolment_start <= self.enrolment_end < self.data_cutoff:
            msg = (
                "`enrolment_start` <= `enrolment_end` < `data_cutoff` must hold, got "
                f"{self.enrolment_start}, {self.enrolment_end}, {self.data_cutoff}"
            )
            raise ValueError(msg)
        if len(self.site_weights) < 1:
            msg = f"`site_weights` must name at least one site, got {self.site_weights!r}"
            raise ValueError(msg)
        if self.scan_interval[0] < 28.0:
            msg = f"`scan_interval` must start at 28 days or more, got {self.scan_interval!r}"
            raise ValueError(msg)

    @property
    def n_sites(self) -> int:
        """Number of contributing sites."""
        return len(self.site_weights)


_PROBABILITIES = frozenset(
    {
        "adenocarcinoma", "brain_metastases", "spinal_cord_given_lm", "brain_count_p",
        "lung_primary", "adrenal", "pleural", "too_small_report", "calls_only", "rebiopsy",
        "salvage_rt_after_cns_progression", "crizotinib_before_second_generation",
        "srs_share_of_prior_rt", "cns_symptomatic", "cns_symptomatic_lm",
        "corticosteroid_if_symptomatic", "mannitol_if_symptomatic", "steroid_stop_in_responders",
    }
)  # fmt: skip
