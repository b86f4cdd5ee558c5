"""Treatment lines, local therapies and re-biopsies (``treatments``, ``biopsies``).

* Before the index line: chemotherapy (some patients of every cohort), crizotinib (cohort 2,
  and some of cohort 3) and one other second-generation ALK-TKI (cohort 3: ceritinib,
  brigatinib, ensartinib, conteltinib (CT707) or iruplinalkib (WX-0593), as in the 2022
  study's methods), each ended by progression; prior brain radiotherapy (SRS or WBRT) for
  some patients, carrying the number of the systemic line it was given during.
* The index line is alectinib 600 mg twice daily. It ends at the first recorded progression
  (plus up to two weeks), at death, or is ongoing at the end of follow-up.
* After progression: sometimes a re-biopsy (tissue, plasma, or CSF for leptomeningeal
  disease) with resistance findings in proportions like those after second-generation
  ALK-TKIs (2024 progression-pattern study), then a next line (lorlatinib mostly, and almost
  always after an ALK kinase-domain mutation; crizotinib for MET amplification; else
  chemotherapy or another ALK-TKI), possibly a third line, and salvage SRS for some CNS
  progressions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cnsrwe.demo import _arrow as A
from cnsrwe.demo.course import (
    IC,
    PRIOR_CHEMO,
    PRIOR_CRIZOTINIB,
    PRIOR_SECOND_GEN,
    Course,
    categorical,
    exp_median,
    uniform,
)
from cnsrwe.demo.parameters import SimulationParameters
from cnsrwe.io.schema import (
    AGENT_CLASS,
    BIOPSY_METHOD,
    BIOPSY_RESULT,
    END_REASON,
    RT_TECHNIQUE,
    SPECIMEN,
    TARGET_SITE,
)

# regimen name, agent class, agents, dose
_REGIMENS: tuple[tuple[str, str, str | None, str], ...] = (
    ("alectinib", "alk_tki", "alectinib", "600 mg bid"),
    ("crizotinib", "alk_tki", "crizotinib", "250 mg bid"),
    ("ceritinib", "alk_tki", "ceritinib", "450 mg qd"),
    ("brigatinib", "alk_tki", "brigatinib", "180 mg qd"),
    ("ensartinib", "alk_tki", "ensartinib", "225 mg qd"),
    ("conteltinib", "alk_tki", "conteltinib", "600 mg qd"),
    ("iruplinalkib", "alk_tki", "iruplinalkib", "180 mg qd"),
    ("lorlatinib", "alk_tki", "lorlatinib", "100 mg qd"),
    ("pemetrexed + carboplatin", "chemotherapy", "pemetrexed;carboplatin",
     "pemetrexed 500 mg/m2 + carboplatin AUC 5 q3w"),
    ("pemetrexed + carboplatin + bevacizumab", "chemotherapy",
     "pemetrexed;carboplatin;bevacizumab", "q3w"),
    ("SRS", "radiotherapy", None, "24 Gy / 3 fractions"),
    ("WBRT", "radiotherapy", None, "30 Gy / 10 fractions"),
)  # fmt: skip
(ALECTINIB, CRIZOTINIB, CERITINIB, BRIGATINIB, ENSARTINIB, CONTELTINIB, IRUPLINALKIB,
 LORLATINIB, CHEMO, CHEMO_BEV, SRS, WBRT) = range(len(_REGIMENS))  # fmt: skip
_REG_NAMES = tuple(r[0] for r in _REGIMENS)
_REG_CLASS = np.array([AGENT_CLASS.index(r[1]) for r in _REGIMENS])
_REG_DOSE = tuple(r[3] for r in _REGIMENS)
_REG_HAS_AGENTS = np.array([r[2] is not None for r in _REGIMENS])
_AGENT_LISTS = pa.array(
    [r[2].split(";") if r[2] else None for r in _REGIMENS], type=pa.large_list(pa.large_string())
)
_RT_TECH = np.array([RT_TECHNIQUE.index("srs") if i == SRS else RT_TECHNIQUE.index("wbrt")
                     for i in range(len(_REGIMENS))])  # fmt: skip

# finding, result class, weight after alectinib (2024 progression-pattern study, proportions
# rounded; see docs/demo-data.md)
_FINDINGS: tuple[tuple[str | None, str, float], ...] = (
    ("ALK G1202R", "alk_mutation", 0.22),
    ("ALK I1171N", "alk_mutation", 0.07),
    ("ALK I1171T", "alk_mutation", 0.03),
    ("ALK V1180L", "alk_mutation", 0.03),
    ("ALK L1196M", "alk_mutation", 0.03),
    ("MET amplification", "bypass", 0.08),
    ("small cell transformation", "transformation", 0.03),
    ("none detected", "none_detected", 0.43),
    (None, "failed", 0.08),
)
_FIND_NAMES = tuple(f[0] or "" for f in _FINDINGS)
_FIND_RESULT = np.array([BIOPSY_RESULT.index(f[1]) for f in _FINDINGS])
_FIND_WEIGHTS = np.array([f[2] for f in _FINDINGS])
_MET, _TRANSFORMATION, _FAILED = 5, 6, 8


@dataclass(frozen=True)
class History:
    """Treatment and biopsy tables of one block."""

    treatments: pa.Table
    biopsies: pa.Table


def draw_history(
    rng: np.random.Generator, c: Course, p: SimulationParameters, patient_ids: pa.Array
) -> History:
    """Draw the treatment lines, local therapies and re-biopsies of course ``c``."""
    n = c.n
    limit = c.end_rel  # last day an event may fall on (death day, or last day known alive)
    # regimen of the second-generation TKI of cohort 3
    second_gen = np.array([CERITINIB, BRIGATINIB, ENSARTINIB, CONTELTINIB, IRUPLINALKIB])[
        categorical(rng, np.tile([0.4, 0.2, 0.2, 0.1, 0.1], (n, 1)))
    ]
    chemo = np.where(rng.random(n) < 0.3, CHEMO_BEV, CHEMO)

    # index line end
    alec_end = np.where(
        c.pd,
        np.minimum(c.pd_rel + np.floor(uniform(rng, (0.0, 14.0), n)), limit),
        np.maximum(c.end_rel - np.floor(uniform(rng, (0.0, 14.0), n)), 0),
    ).astype(np.int64)
    alec_reason = np.where(
        c.pd, END_REASON.index("progression"),
        np.where(c.died, END_REASON.index("death"), END_REASON.index("ongoing")),
    )  # fmt: skip
    alec_end_valid = c.pd | c.died

    # re-biopsy at progression
    biopsied = c.pd & (rng.random(n) < p.rebiopsy)
    b_day = np.minimum(c.pd_rel + np.floor(uniform(rng, (0.0, 10.0), n)), limit).astype(np.int64)
    finding = categorical(rng, np.tile(_FIND_WEIGHTS, (n, 1)))
    lm_progression = c.has_lm & c.prog[:, IC]
    specimen = np.where(
        lm_progression & (rng.random(n) < 0.4),
        SPECIMEN.index("csf"),
        np.where(rng.random(n) < 0.45, SPECIMEN.index("tissue"), SPECIMEN.index("plasma")),
    )
    specimen = np.where(finding == _TRANSFORMATION, SPECIMEN.index("tissue"), specimen)
    method = np.where(
        finding == _TRANSFORMATION, BIOPSY_METHOD.index("histology"), BIOPSY_METHOD.index("ngs")
    )
    alk_mut = biopsied & (_FIND_RESULT[finding] == BIOPSY_RESULT.index("alk_mutation"))
    second = alk_mut & (rng.random(n) < 0.1)  # co-occurring MET amplification: a second row

    # next lines
    next1 = np.array([LORLATINIB, BRIGATINIB, CERITINIB, CHEMO, CHEMO_BEV])[
        categorical(rng, np.tile([0.55, 0.1, 0.05, 0.2, 0.1], (n, 1)))
    ]
    next1 = np.where(alk_mut & (rng.random(n) < 0.85), LORLATINIB, next1)
    next1 = np.where(biopsied & (finding == _MET) & (rng.random(n) < 0.5), CRIZOTINIB, next1)
    start1 = np.maximum(alec_end, np.where(biopsied, b_day, 0)) + np.floor(
        uniform(rng, p.next_line_delay, n)
    ).astype(np.int64)
    has1 = c.pd & (start1 <= limit - np.where(c.died, 1, 0))
    prog1 = start1 + np.floor(exp_median(rng, p.next_line_progression_median, n)).astype(np.int64)
    start2 = prog1 + np.floor(uniform(rng, p.next_line_delay, n)).astype(np.int64)
    ended1_by_prog = has1 & (prog1 < limit)
    has2 = ended1_by_prog & (start2 <= limit - np.where(c.died, 1, 0))
    death_end = np.floor(uniform(rng, (0.0, 14.0), n)).astype(np.int64)

    def line_end(start: np.ndarray, progressed: np.ndarray, prog_day: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray
    ]:
        end = np.where(progressed, prog_day, np.maximum(c.end_rel - death_end, start))
        reason = np.where(
            progressed, END_REASON.index("progression"),
            np.where(c.died, END_REASON.index("death"), END_REASON.index("ongoing")),
        )  # fmt: skip
        return end, reason, progressed | c.died

    end1, reason1, valid1 = line_end(start1, ended1_by_prog, prog1)
    end2, reason2, valid2 = line_end(start2, np.zeros(n, dtype=bool), start2)
    third = np.where(next1 == LORLATINIB, CHEMO, LORLATINIB)

    # prior brain radiotherapy, and salvage SRS after CNS progression
    prior_rt = rng.random(n) < np.asarray(p.prior_brain_rt)[c.cohort]
    rt_kind = np.where(rng.random(n) < p.srs_share_of_prior_rt, SRS, WBRT)
    rel_dx = c.diagnosis_day - c.index_day
    rt_day = np.clip(-np.floor(uniform(rng, (21.0, 150.0), n)), rel_dx + 1, -2).astype(np.int64)
    rt_len = np.where(rt_kind == SRS, 2, 13)
    rt_line = np.zeros(n, dtype=np.int64)
    line_no = np.cumsum(c.prior, axis=1)
    for slot in (PRIOR_CHEMO, PRIOR_CRIZOTINIB, PRIOR_SECOND_GEN):  # three slots
        during = c.prior[:, slot] & (c.prior_start[:, slot] <= rt_day)
        during &= rt_day <= c.prior_end[:, slot]
        rt_line = np.where(during, line_no[:, slot], rt_line)
    salvage = c.prog[:, IC] & (rng.random(n) < p.salvage_rt_after_cns_progression)
    s_day = c.pd_rel + np.floor(uniform(rng, (5.0, 20.0), n)).astype(np.int64)
    salvage &= s_day + 2 <= limit - np.where(c.died, 1, 0)
    s_line = np.where(
        s_day <= alec_end, c.index_line,
        np.where(has1 & (start1 <= s_day), c.index_line + 1, 0),
    )  # fmt: skip

    # --- treatments: one candidate row per slot, kept where present ---------------------
    il = c.index_line
    slots = [
        # present, line, regimen, start, end, end valid, reason
        (c.prior[:, PRIOR_CHEMO], line_no[:, PRIOR_CHEMO], chemo, c.prior_start[:, 0],
         c.prior_end[:, 0], True, END_REASON.index("progression")),
        (c.prior[:, PRIOR_CRIZOTINIB], line_no[:, PRIOR_CRIZOTINIB], CRIZOTINIB,
         c.prior_start[:, 1], c.prior_end[:, 1], True, END_REASON.index("progression")),
        (c.prior[:, PRIOR_SECOND_GEN], line_no[:, PRIOR_SECOND_GEN], second_gen,
         c.prior_start[:, 2], c.prior_end[:, 2], True, END_REASON.index("progression")),
        (prior_rt, rt_line, rt_kind, rt_day, rt_day + rt_len, True, END_REASON.index("completed")),
        (np.ones(n, dtype=bool), il, ALECTINIB, 0, alec_end, alec_end_valid, alec_reason),
        (salvage, s_line, SRS, s_day, s_day + 2, True, END_REASON.index("completed")),
        (has1, il + 1, next1, start1, end1, valid1, reason1),
        (has2, il + 2, third, start2, end2, valid2, reason2),
    ]  # fmt: skip
    cols = [np.stack([np.broadcast_to(np.asarray(s[j]), (n,)) for s in slots], axis=1)
            for j in range(7)]  # fmt: skip
    present, line, reg, start, end, end_valid, reason = cols
    pi, si = np.nonzero(present.astype(bool))
    by_date = np.lexsort([si, start[pi, si], pi])  # patient, start date, then slot
    pi, si = pi[by_date], si[by_date]
    line, reg, start = line[pi, si], reg[pi, si], start[pi, si]
    end, end_valid, reason = end[pi, si], end_valid[pi, si].astype(bool), reason[pi, si]
    is_rt = _REG_CLASS[reg] == AGENT_CLASS.index("radiotherapy")
    treatments = A.table(
        "treatments",
        {
            "patient_id": patient_ids.take(pa.array(pi)),
            "line": A.ints(line, line > 0),
            "regimen": A.strings(reg, _REG_NAMES),
            "agent_class": A.strings(_REG_CLASS[reg], AGENT_CLASS),
            "agents": A.lists(reg, _AGENT_LISTS, _REG_HAS_AGENTS[reg]),
            "start_date": A.dates(c.index_day[pi] + start),
            "end_date": A.dates(c.index_day[pi] + end, end_valid),
            "end_reason": A.strings(reason, END_REASON),
            "target_site": A.strings(
                np.full(len(pi), TARGET_SITE.index("brain")), TARGET_SITE, is_rt
            ),
            "rt_technique": A.strings(_RT_TECH[reg], RT_TECHNIQUE, is_rt),
            "dose": A.strings(reg, _REG_DOSE),
        },
    )

    # --- biopsies ------------------------------------------------------------------------
    brow = np.concatenate([np.nonzero(biopsied)[0], np.nonzero(second)[0]])
    bfind = np.concatenate([finding[biopsied], np.full(second.sum(), _MET)])
    border = np.lexsort([np.arange(len(brow)), brow])
    brow, bfind = brow[border], bfind[border]
    biopsies = A.table(
        "biopsies",
        {
            "patient_id": patient_ids.take(pa.array(brow)),
            "biopsy_date": A.dates(c.index_day[brow] + b_day[brow]),
            "specimen": A.strings(specimen[brow], SPECIMEN),
            "method": A.strings(method[brow], BIOPSY_METHOD),
            "result": A.strings(_FIND_RESULT[bfind], BIOPSY_RESULT),
            "finding": A.strings(bfind, _FIND_NAMES, bfind != _FAILED),
        },
    )
    return History(treatments=treatments, biopsies=biopsies)
