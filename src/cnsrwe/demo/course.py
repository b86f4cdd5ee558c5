"""Patient-level latent course of a block of synthetic patients (all numpy, one row each).

Everything later tables need is drawn here, once per patient: cohort, demographics, the
treatment history before the index line, baseline disease, a latent response class per
compartment (intracranial, extracranial), the imaging schedule, the first recorded
progression, death and the end of follow-up. Lesions, treatments, visits and biopsies are
then derived from this course, so the tables agree with each other by construction: no
dated event falls after death or after the last date known alive.

Days are counted from each patient's index date (alectinib start) unless named ``*_day``
(days since 1970-01-01).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from cnsrwe.demo.parameters import SimulationParameters

_EPOCH = dt.date(1970, 1, 1)
IC, EX = 0, 1  # compartment columns: intracranial, extracranial
CR, PR, SD, PD = 0, 1, 2, 3  # latent response classes
#: Slots of the prior systemic lines, in time order.
PRIOR_CHEMO, PRIOR_CRIZOTINIB, PRIOR_SECOND_GEN = 0, 1, 2


def epoch_day(date: dt.date) -> int:
    """Days from 1970-01-01 to ``date``."""
    return (date - _EPOCH).days


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (rows need not be normalised)."""
    p = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    cum = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0]) * cum[:, -1]
    return (u[:, None] >= cum).sum(axis=1)


def uniform(rng: np.random.Generator, bounds: tuple[float, float], size: object) -> np.ndarray:
    """Uniform draws in ``[bounds[0], bounds[1])``."""
    return bounds[0] + (bounds[1] - bounds[0]) * rng.random(size)  # type: ignore[arg-type]


def exp_median(
    rng: np.random.Generator, median: np.ndarray | float, size: int | tuple[int, ...]
) -> np.ndarray:
    """Exponential draws with the given median(s)."""
    return rng.exponential(1.0, size) * np.asarray(median) / np.log(2.0)


@dataclass(frozen=True)
class Course:
    """Latent course of ``n`` patients; every array has ``n`` rows."""

    n: int
    cohort: np.ndarray
    site: np.ndarray
    index_day: np.ndarray
    # demographics
    female: np.ndarray
    birth_day: np.ndarray
    never_smoker: np.ndarray
    de_novo: np.ndarray
    diagnosis_day: np.ndarray
    ecog0: np.ndarray
    symptomatic: np.ndarray
    # history before the index line: (n, 3) slots PRIOR_CHEMO, PRIOR_CRIZOTINIB, PRIOR_SECOND_GEN
    prior: np.ndarray
    prior_start: np.ndarray
    prior_end: np.ndarray
    index_line: np.ndarray
    # disease at baseline
    has_bm: np.ndarray
    has_lm: np.ndarray
    has_spinal: np.ndarray
    has_ex: np.ndarray
    # latent response, (n, 2) by compartment
    cls: np.ndarray
    nadir: np.ndarray
    tau: np.ndarray
    t_prog: np.ndarray
    # imaging and outcome
    scan: np.ndarray  # (n, K) days; column 0 is the baseline scan
    n_scans: np.ndarray  # scans recorded, baseline included
    pd: np.ndarray
    pd_k: np.ndarray
    pd_rel: np.ndarray
    prog: np.ndarray  # (n, 2) compartment progressed at the PD scan
    died: np.ndarray
    end_rel: np.ndarray  # death day if died, else last day known alive
    calls_only: np.ndarray

    @property
    def responder_ic(self) -> np.ndarray:
        """Latent intracranial class is CR or PR."""
        return self.cls[:, IC] <= PR


def draw_course(rng: np.random.Generator, n: int, p: SimulationParameters) -> Course:
    """Draw the latent course of ``n`` patients (a fixed sequence of vectorised draws)."""
    cohort = categorical(rng, np.tile(p.cohort_weights, (n, 1)))
    site = categorical(rng, np.tile(p.site_weights, (n, 1)))
    start, end = epoch_day(p.enrolment_start), epoch_day(p.enrolment_end)
    index_day = start + np.floor(rng.random(n) * (end - start + 1)).astype(np.int64)
    female = rng.random(n) < np.asarray(p.female)[cohort]
    age = np.clip(np.round(rng.normal(p.age_mean, p.age_sd, n)), *p.age_range)
    birth_day = index_day - np.floor(age * 365.25 + rng.random(n) * 364.0).astype(np.int64)
    never_smoker = rng.random(n) < np.asarray(p.never_smoker)[cohort]
    de_novo = rng.random(n) < np.asarray(p.de_novo_stage_iv)[cohort]

    # disease at baseline: every patient has CNS disease (inclusion rule of the 2022 study)
    has_lm = rng.random(n) < np.asarray(p.leptomeningeal)[cohort]
    has_bm = (rng.random(n) < p.brain_metastases) | ~has_lm
    has_spinal = has_lm & (rng.random(n) < p.spinal_cord_given_lm)
    has_ex = rng.random(n) < np.asarray(p.extracranial)[cohort]
    symptomatic = rng.random(n) < np.where(has_lm, p.cns_symptomatic_lm, p.cns_symptomatic)
    ecog0 = categorical(
        rng,
        np.where(
            symptomatic[:, None], np.asarray(p.ecog_symptomatic), np.asarray(p.ecog_asymptomatic)
        ),
    )

    # treatment lines before alectinib, laid out backwards from the index date
    prior = np.zeros((n, 3), dtype=bool)
    prior[:, PRIOR_CHEMO] = rng.random(n) < np.asarray(p.prior_chemotherapy)[cohort]
    prior[:, PRIOR_CRIZOTINIB] = (cohort == 1) | (
        (cohort == 2) & (rng.random(n) < p.crizotinib_before_second_generation)
    )
    prior[:, PRIOR_SECOND_GEN] = cohort == 2
    gap = np.floor(uniform(rng, (3.0, 21.0), (n, 3))).astype(np.int64)
    dur = np.floor(uniform(rng, (150.0, 800.0), (n, 3))).astype(np.int64)
    dur[:, PRIOR_CHEMO] = np.floor(uniform(rng, (60.0, 180.0), n)).astype(np.int64)
    prior_start = np.zeros((n, 3), dtype=np.int64)
    prior_end = np.zeros((n, 3), dtype=np.int64)
    nxt = np.zeros(n, dtype=np.int64)  # start of the following line, relative to index
    for slot in (PRIOR_SECOND_GEN, PRIOR_CRIZOTINIB, PRIOR_CHEMO):  # three slots, not patients
        e = nxt - gap[:, slot] - np.where(slot == PRIOR_CHEMO, 14, 0)
        s = e - dur[:, slot]
        prior_end[:, slot] = np.where(prior[:, slot], e, 0)
        prior_start[:, slot] = np.where(prior[:, slot], s, 0)
        nxt = np.where(prior[:, slot], s, nxt)
    first_start = nxt
    index_line = 1 + prior.sum(axis=1)
    dx_gap = np.where(
        de_novo, uniform(rng, (7.0, 45.0), n), uniform(rng, (200.0, 2000.0), n)
    ).astype(np.int64)
    diagnosis_day = index_day + first_start - dx_gap
    birth_day = np.minimum(birth_day, diagnosis_day - 365 * 18)

    # latent response per compartment
    cls = np.stack(
        [
            categorical(rng, np.asarray(p.intracranial_class)[cohort]),
            categorical(rng, np.asarray(p.extracranial_class)[cohort]),
        ],
        axis=1,
    )
    nadir = np.select(
        [cls == CR, cls == PR, cls == SD],
        [np.zeros((n, 2)), uniform(rng, p.pr_nadir, (n, 2)), uniform(rng, p.sd_nadir, (n, 2))],
        1.0,
    )
    tau = uniform(rng, p.shrink_tau, (n, 2))
    scale = np.asarray(p.progression_scale)[cohort][:, None]
    med = np.asarray((*p.progression_median, 1.0))[cls] * scale
    t_prog = np.where(
        cls == PD, uniform(rng, (21.0, 60.0), (n, 2)), exp_median(rng, med, (n, 2))
    )

    # imaging schedule: baseline, then every 8-12 weeks with jitter
    k = p.max_scans
    interval = uniform(rng, p.scan_interval, n)
    inc = np.maximum(interval[:, None] + rng.normal(0.0, p.scan_jitter_sd, (n, k - 1)), 28.0)
    scan = np.empty((n, k), dtype=np.int64)
    scan[:, 0] = -np.floor(uniform(rng, p.baseline_scan_days_before, n)).astype(np.int64)
    scan[:, 1:] = np.floor(np.cumsum(inc, axis=1)).astype(np.int64)

    # follow-up, first recorded progression, death
    cutoff = epoch_day(p.data_cutoff) - index_day
    ltfu = exp_median(rng, p.loss_to_follow_up_median, n)
    death0 = exp_median(rng, p.death_without_progression_median, n)
    t_first = t_prog.min(axis=1)
    after = scan[:, 1:] >= t_first[:, None]
    has_after = after.any(axis=1)
    pd_k = np.where(has_after, after.argmax(axis=1) + 1, 0)
    pd_scan = scan[np.arange(n), pd_k]
    pd = has_after & (pd_scan <= np.minimum(np.minimum(cutoff, ltfu), death0 - 1))
    pd_rel = np.where(pd, pd_scan, 0)
    prog = pd[:, None] & (t_prog <= pd_rel[:, None])
    death = np.where(
        pd, pd_rel + 1 + exp_median(rng, p.post_progression_survival_median, n), death0
    )
    death = np.floor(death).astype(np.int64)
    censor = np.floor(np.minimum(cutoff, ltfu)).astype(np.int64)
    died = death <= censor
    end_rel = np.where(died, death, censor)
    last_scan_allowed = np.where(pd, pd_rel, np.where(died, end_rel - 1, end_rel))
    n_scans = 1 + (scan[:, 1:] <= last_scan_allowed[:, None]).sum(axis=1)
    pd_k = np.where(pd, pd_k, -1)
    calls_only = rng.random(n) < p.calls_only

    return Course(
        n=n, cohort=cohort, site=site, index_day=index_day, female=female, birth_day=birth_day,
        never_smoker=never_smoker, de_novo=de_novo, diagnosis_day=diagnosis_day, ecog0=ecog0,
        symptomatic=symptomatic, prior=prior, prior_start=prior_start, prior_end=prior_end,
        index_line=index_line, has_bm=has_bm, has_lm=has_lm, has_spinal=has_spinal,
        has_ex=has_ex, cls=cls, nadir=nadir, tau=tau, t_prog=t_prog, scan=scan,
        n_scans=n_scans, pd=pd, pd_k=pd_k, pd_rel=pd_rel, prog=prog, died=died,
        end_rel=end_rel, calls_only=calls_only,
    )  # fmt: skip


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner and position of every item when owner ``i`` has ``counts[i]`` items."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(owner)) - starts[owner]
    return owner, pos
