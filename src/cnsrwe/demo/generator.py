"""The vectorised synthetic-study engine shared by ``cnsrwe demo`` and ``cnsrwe simulate``.

Patients are generated in fixed blocks of :data:`BLOCK_PATIENTS`. Block ``b`` draws from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(b,)))``, so a patient's data
depend only on the seed, the total number of patients (which fixes the identifier width
and the size of the last block) and the parameters, never on how blocks are grouped into
chunks for writing. Inside a block every step is a numpy operation over all patients,
lesions or visits at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from cnsrwe.demo import _arrow as A
from cnsrwe.demo.clinical import draw_clinical
from cnsrwe.demo.course import Course, categorical, draw_course
from cnsrwe.demo.history import draw_history
from cnsrwe.demo.lesions import draw_imaging
from cnsrwe.demo.parameters import SimulationParameters
from cnsrwe.io.schema import HISTOLOGY, SEX, SMOKING_STATUS, STAGE, TABLES

#: Patients per random-number block (fixed: changing it changes every simulated study).
BLOCK_PATIENTS = 1000

_ALK_METHODS = ("ihc", "fish", "ngs", "rt_pcr")
_VARIANTS = ("EML4-ALK v1", "EML4-ALK v3", "EML4-ALK v2", "EML4-ALK (variant not reported)",
             "KIF5B-ALK")  # fmt: skip


def patient_id_width(n_patients: int) -> int:
    """Digits of the patient number in ``P001``-style identifiers (at least 3)."""
    return max(3, len(str(n_patients)))


def _patient_ids(first: int, n: int, width: int) -> pa.Array:
    numbers = np.arange(first + 1, first + n + 1)
    return pa.array(np.char.add("P", np.char.zfill(numbers.astype(str), width)).tolist(),
                    type=pa.large_string())  # fmt: skip


def _year(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _patients(rng: np.random.Generator, c: Course, ids: pa.Array) -> pa.Table:
    n = c.n
    smoking = np.where(
        c.never_smoker, SMOKING_STATUS.index("never"),
        np.where(rng.random(n) < 0.7, SMOKING_STATUS.index("former"),
                 SMOKING_STATUS.index("current")),
    )  # fmt: skip
    histology = np.where(
        rng.random(n) < 0.97,
        HISTOLOGY.index("adenocarcinoma"),
        np.array([HISTOLOGY.index(h) for h in ("adenosquamous", "nsclc_nos", "large_cell")])[
            categorical(rng, np.tile([0.5, 0.35, 0.15], (n, 1)))
        ],
    )
    iv = np.array([STAGE.index(s) for s in ("IV", "IVA", "IVB")])
    early = np.array([STAGE.index(s) for s in ("IB", "IIA", "IIB", "IIIA", "IIIB")])
    stage = np.where(
        c.de_novo,
        iv[categorical(rng, np.tile([0.2, 0.3, 0.5], (n, 1)))],
        early[categorical(rng, np.tile([0.15, 0.15, 0.2, 0.35, 0.15], (n, 1)))],
    )
    method = categorical(rng, np.tile([0.45, 0.2, 0.3, 0.05], (n, 1)))
    variant = categorical(rng, np.tile([0.38, 0.33, 0.09, 0.15, 0.05], (n, 1)))
    age = np.floor((c.index_day - c.birth_day) / 365.25)
    # sites differ in how they record age: site 6 gives birth year only, site 3 age only
    has_birth_year = c.site != 2
    has_age = c.site != 5
    death_day = c.index_day + c.end_rel
    return A.table(
        "patients",
        {
            "patient_id": ids,
            "site_id": A.strings(c.site, [f"S{i}" for i in range(1, 10)]),
            "sex": A.strings(np.where(c.female, SEX.index("female"), SEX.index("male")), SEX),
            "birth_year": A.ints(_year(c.birth_day), has_birth_year),
            "age_at_index": A.numbers(age, has_age),
            "smoking_status": A.strings(smoking, SMOKING_STATUS),
            "histology": A.strings(histology, HISTOLOGY),
            "diagnosis_date": A.dates(c.diagnosis_day),
            "stage_at_diagnosis": A.strings(stage, STAGE),
            "ecog_at_index": A.ints(c.ecog0),
            "death_date": A.dates(death_day, c.died),
            "last_known_alive_date": A.dates(death_day, ~c.died),
            "alk_test_method": A.strings(method, _ALK_METHODS),
            "alk_fusion_variant": A.strings(variant, _VARIANTS, method >= 2),
        },
    )


def generate_block(
    block: int,
    n_patients: int,
    *,
    seed: int,
    total_patients: int,
    params: SimulationParameters | None = None,
) -> dict[str, pa.Table]:
    """Generate one block of ``n_patients`` patients (numbered from ``block * BLOCK_PATIENTS``).

    Returns every table of :data:`cnsrwe.io.schema.TABLES`, typed by
    :func:`cnsrwe.demo._arrow.arrow_schema`, rows sorted by patient then date.
    """
    p = params or SimulationParameters()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    width = patient_id_width(total_patients)
    ids = _patient_ids(block * BLOCK_PATIENTS, n_patients, width)
    course = draw_course(rng, n_patients, p)
    patients = _patients(rng, course, ids)
    history = draw_history(rng, course, p, ids)
    imaging = draw_imaging(rng, course, p, ids)
    clinical = draw_clinical(rng, course, p, ids)
    out = {
        "patients": patients,
        "treatments": history.treatments,
        "lesions": imaging.lesions,
        "timepoint_responses": imaging.timepoint_responses,
        "clinical": clinical,
        "biopsies": history.biopsies,
    }
    assert list(out) == list(TABLES)
    return out


def iter_blocks(
    n_patients: int, *, seed: int, params: SimulationParameters | None = None
) -> Iterator[dict[str, pa.Table]]:
    """Yield the tables of ``n_patients`` patients block by block (bounded memory)."""
    if not isinstance(n_patients, int) or isinstance(n_patients, bool) or n_patients < 1:
        msg = f"`n_patients` must be a positive whole number, got {n_patients!r}"
        raise ValueError(msg)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        msg = f"`seed` must be a non-negative whole number, got {seed!r}"
        raise ValueError(msg)
    n_blocks = -(-n_patients // BLOCK_PATIENTS)
    for b in range(n_blocks):
        size = min(BLOCK_PATIENTS, n_patients - b * BLOCK_PATIENTS)
        yield generate_block(b, size, seed=seed, total_patients=n_patients, params=params)


__all__ = ["BLOCK_PATIENTS", "generate_block", "iter_blocks", "patient_id_width"]
