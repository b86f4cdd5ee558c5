"""Clinical visits (``clinical``): ECOG, CNS symptoms, corticosteroids and mannitol.

Visits: one at baseline (up to 10 days before the index date), one about two weeks after it
(the 2022 study compared supportive care "a half-month after" alectinib, Table 5), then one
within a week of every recorded scan. Patients with CNS symptoms at baseline report
headache, dizziness, vomiting, fatigue, nausea and, rarely, hemiplegia, diplopia, tinnitus
or seizures (the study's frequency order). For intracranial responders (latent CR/PR) the
symptoms mostly improve significantly and steroids/mannitol stop; ECOG improves by one or
two points in most; at an intracranial progression symptoms often deteriorate.
``symptom_change`` is the change since the index treatment start (empty at baseline and for
patients who never had CNS symptoms).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cnsrwe.demo import _arrow as A
from cnsrwe.demo.course import IC, Course, categorical, uniform
from cnsrwe.demo.parameters import SimulationParameters
from cnsrwe.io.schema import SYMPTOM_CHANGE

SYMPTOMS = (
    "headache", "dizziness", "vomiting", "fatigue", "nausea", "hemiplegia", "diplopia",
    "tinnitus", "seizure",
)  # fmt: skip
_SYMPTOM_P = np.array([0.75, 0.45, 0.40, 0.40, 0.30, 0.07, 0.04, 0.04, 0.05])
_SYMPTOM_LISTS = A.bitmask_lists(SYMPTOMS)
_STEROID_DOSES = np.array([2.0, 4.0, 8.0, 12.0, 16.0])
SIG, MOD, NONE, WORSE = range(len(SYMPTOM_CHANGE))


def draw_clinical(
    rng: np.random.Generator, c: Course, p: SimulationParameters, patient_ids: pa.Array
) -> pa.Table:
    """Draw the clinical visits of the patients of course ``c``."""
    n, kmax = c.n, c.scan.shape[1]
    v = kmax + 1  # baseline, early, then one per follow-up scan
    day = np.empty((n, v), dtype=np.int64)
    day[:, 0] = -np.floor(uniform(rng, (0.0, 10.0), n)).astype(np.int64)
    day[:, 1] = np.floor(uniform(rng, (12.0, 20.0), n)).astype(np.int64)
    day[:, 2:] = c.scan[:, 1:] + np.floor(uniform(rng, (0.0, 7.0), (n, kmax - 1))).astype(
        np.int64
    )
    col = np.arange(v)[None, :]
    last = np.where(c.died, c.end_rel - 1, c.end_rel)
    valid = (col < c.n_scans[:, None] + 1) & (day <= last[:, None])
    valid[:, 0] = True
    scan_k = col - 1  # scan index of follow-up visits (visit 2 -> scan 1)
    at_pd = (scan_k == c.pd_k[:, None]) & (c.pd_k[:, None] > 0) & c.prog[:, IC][:, None]

    # baseline symptoms and supportive care
    sympt0 = c.symptomatic
    mask0 = (rng.random((n, len(SYMPTOMS))) < _SYMPTOM_P) @ (1 << np.arange(len(SYMPTOMS)))
    mask0 = np.where(sympt0, np.where(mask0 == 0, 1, mask0), 0)
    steroid0 = np.where(
        sympt0 & (rng.random(n) < p.corticosteroid_if_symptomatic),
        _STEROID_DOSES[categorical(rng, np.tile([0.1, 0.35, 0.35, 0.1, 0.1], (n, 1)))],
        0.0,
    )
    mannitol0 = sympt0 & (rng.random(n) < p.mannitol_if_symptomatic)

    # response of symptoms and performance status on treatment
    responder = c.responder_ic
    change = np.where(
        responder,
        categorical(rng, np.tile([0.80, 0.15, 0.05, 0.0], (n, 1))),
        categorical(rng, np.tile([0.30, 0.35, 0.35, 0.0], (n, 1))),
    )
    resolved = (change == SIG) & (rng.random(n) < 0.7)
    stop = (change <= MOD) & (rng.random(n) < p.steroid_stop_in_responders)
    imp = np.where(
        responder,
        categorical(rng, np.tile([0.25, 0.55, 0.20], (n, 1))),
        categorical(rng, np.tile([0.75, 0.15, 0.0, 0.10], (n, 1))),
    )
    imp = np.where(imp == 3, -1, imp)
    ecog_fu = np.clip(c.ecog0 - imp, 0, 4)
    worse_at_pd = rng.random(n) < 0.4
    deteriorate = sympt0 & (rng.random(n) < 0.7)
    new_sympt = ~sympt0 & (rng.random(n) < 0.3)
    restart = rng.random(n) < 0.5

    fu = col >= 1
    ecog = np.where(fu, ecog_fu[:, None], c.ecog0[:, None])
    ecog = np.where(at_pd & worse_at_pd[:, None], np.minimum(ecog + 1, 4), ecog)
    chg = np.where(fu, change[:, None], -1)
    chg = np.where(at_pd & (deteriorate | new_sympt)[:, None], WORSE, chg)
    chg = np.where(sympt0[:, None] | (chg == WORSE), chg, -1)
    cns = np.where(fu, sympt0[:, None] & ~resolved[:, None], sympt0[:, None]) | (chg == WORSE)
    mask = np.where(cns, np.where(sympt0[:, None], mask0[:, None], 1 | 2), 0)
    steroid = np.where(
        fu, np.where(stop[:, None], 0.0, np.round(steroid0[:, None]) / 2.0), steroid0[:, None]
    )
    steroid = np.where(
        at_pd & (chg == WORSE) & restart[:, None], np.maximum(steroid, 4.0), steroid
    )
    mannitol = np.where(col == 0, mannitol0[:, None], (col == 1) & (mannitol0 & ~stop)[:, None])
    mannitol |= at_pd & (chg == WORSE) & (rng.random((n, v)) < 0.2)

    pi, vi = np.nonzero(valid)
    return A.table(
        "clinical",
        {
            "patient_id": patient_ids.take(pa.array(pi)),
            "visit_date": A.dates(c.index_day[pi] + day[pi, vi]),
            "ecog": A.ints(ecog[pi, vi]),
            "cns_symptoms": A.bools(cns[pi, vi]),
            "symptoms": A.lists(mask[pi, vi], _SYMPTOM_LISTS),
            "symptom_change": A.strings(
                np.maximum(chg[pi, vi], 0), SYMPTOM_CHANGE, chg[pi, vi] >= 0
            ),
            "corticosteroid_mg_dexamethasone_eq": A.numbers(steroid[pi, vi]),
            "mannitol": A.bools(mannitol[pi, vi]),
        },
    )
