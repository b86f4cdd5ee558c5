"""Lesion-level imaging series (``lesions``) and radiologist calls (``timepoint_responses``).

Model, per patient and compartment (intracranial = CNS lesions, extracranial = the rest):

* Baseline lesions are drawn by kind (brain parenchyma, leptomeninges, spinal cord, lung,
  lymph node, liver, adrenal, bone, pleura). Targets are picked as RECIST 1.1 asks
  (Eisenhauer 2009, §3.1.1 and §4.2): measurable kinds only, non-nodal longest diameter
  >= 10 mm, lymph-node short axis >= 15 mm (10-15 mm nodes are non-targets), greedy by
  size with at most 2 per organ (organ = location: the brain is one organ, all lymph nodes
  one) and 5 in the whole body (the 2022 study's rule); ties go to the lesion drawn first.
  Everything else present at baseline is a non-target.
* A lesion's true size shrinks from its baseline size ``d0`` towards ``nadir * d0`` with an
  exponential time constant (latent class CR: non-nodal lesions vanish, nodes fall below
  10 mm; PR: nadir 15-60 %; SD: 78-110 %; PD: no shrinkage). Readers add relative and
  absolute noise and round to 0.1 mm, or to whole millimetres at some sites.
* At the first recorded progression the progressing compartment shows one pattern: new
  lesion(s) (role ``new``), regrowth of every measurable lesion by 25-60 % plus 5-10 mm
  (always a RECIST PD against the nadir), or unequivocal progression of one non-target.
  Imaging of the index line stops at that scan.
* A non-nodal target measured under 5 mm is sometimes reported "too small to measure"
  (diameter empty; RECIST 1.1 §4.3.2 counts it as 5 mm).

Patients flagged ``calls_only`` get no lesion rows; their scans are reported as radiologist
timepoint calls per compartment (RECIST 1.1), derived from the same hidden lesions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cnsrwe.demo import _arrow as A
from cnsrwe.demo.course import CR, EX, IC, PR, Course, expand, uniform
from cnsrwe.demo.parameters import SimulationParameters
from cnsrwe.io.schema import COMPARTMENT, LESION_ROLE, LOCATION, MODALITY, NON_TARGET_STATUS
from cnsrwe.io.schema import RESPONSE as RESPONSES

# kinds of lesion: location, compartment, organ choices, measurable, nodal
_KINDS: tuple[tuple[str, int, tuple[str, ...], bool], ...] = (
    ("brain_parenchyma", IC, (
        "left frontal lobe", "right frontal lobe", "left parietal lobe", "right parietal lobe",
        "left temporal lobe", "right temporal lobe", "left occipital lobe",
        "right occipital lobe", "cerebellum", "brainstem",
    ), True),
    ("leptomeninges", IC, ("cerebral leptomeninges", "cerebellar folia", "basal cisterns"), False),
    ("spinal_cord", IC, ("cervical cord", "thoracic cord", "cauda equina"), False),
    ("lung", EX, (
        "right upper lobe", "right middle lobe", "right lower lobe", "left upper lobe",
        "left lower lobe",
    ), True),
    ("lymph_node", EX, (
        "mediastinal lymph node", "hilar lymph node", "supraclavicular lymph node",
        "abdominal lymph node",
    ), True),
    ("liver", EX, ("liver",), True),
    ("adrenal", EX, ("left adrenal", "right adrenal"), True),
    ("bone", EX, ("thoracic spine", "lumbar spine", "pelvis", "rib", "femur"), False),
    ("pleura", EX, ("pleura",), False),
)  # fmt: skip
BRAIN, LM, SPINAL, LUNG, NODE, LIVER, ADRENAL, BONE, PLEURA = range(len(_KINDS))
_N_KINDS = len(_KINDS)
_KIND_LOCATION = np.array([LOCATION.index(k[0]) for k in _KINDS])
_KIND_COMPARTMENT = np.array([k[1] for k in _KINDS])
_KIND_MEASURABLE = np.array([k[3] for k in _KINDS])
ORGANS: tuple[str, ...] = tuple(o for k in _KINDS for o in k[2])
_ORGAN_OFFSET = np.cumsum([0] + [len(k[2]) for k in _KINDS])[:-1]
_ORGAN_COUNT = np.array([len(k[2]) for k in _KINDS])
_MAX_PER_ROLE = 60
#: Lesion identifiers: T1.., NT1.., N1.. (code = role * _MAX_PER_ROLE + number - 1).
LESION_IDS: tuple[str, ...] = tuple(
    f"{prefix}{i}" for prefix in ("T", "NT", "N") for i in range(1, _MAX_PER_ROLE + 1)
)
TARGET, NON_TARGET, NEW = (LESION_ROLE.index(r) for r in ("target", "non_target", "new"))
PRESENT, ABSENT, UNEQUIVOCAL = (
    NON_TARGET_STATUS.index(s) for s in ("present", "absent", "unequivocal_progression")
)
_MRI, _CT = MODALITY.index("mri"), MODALITY.index("ct")
# progression patterns
P_NEW, P_REGROWTH, P_NON_TARGET = 0, 1, 2


@dataclass(frozen=True)
class Imaging:
    """The two imaging tables of one block (either may have zero rows)."""

    lesions: pa.Table
    timepoint_responses: pa.Table


def _group_rank(keys: list[np.ndarray], group_len: int) -> np.ndarray:
    """Rank (0-based) of each item within its group, sorted by ``keys`` (last key = primary).

    The first ``group_len`` entries of ``keys`` counted from the end define the group.
    """
    order = np.lexsort(keys)
    group_keys = [k[order] for k in keys[len(keys) - group_len :]]
    new_group = np.ones(len(order), dtype=bool)
    if len(order):
        same = np.ones(len(order) - 1, dtype=bool)
        for g in group_keys:
            same &= g[1:] == g[:-1]
        new_group[1:] = ~same
    start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - start
    return rank


def _round_to_site(rng_values: np.ndarray, integer_mm: np.ndarray) -> np.ndarray:
    """Millimetres -> whole tenths, rounded to whole millimetres where ``integer_mm``."""
    tenths = np.rint(rng_values * 10.0)
    return np.where(integer_mm, np.rint(rng_values) * 10.0, tenths).astype(np.int64)


def draw_imaging(
    rng: np.random.Generator, c: Course, p: SimulationParameters, patient_ids: pa.Array
) -> Imaging:
    """Draw the lesion series and radiologist calls of the patients of course ``c``."""
    n = c.n
    # --- baseline lesions -------------------------------------------------------------
    counts = np.zeros((n, _N_KINDS), dtype=np.int64)
    counts[:, BRAIN] = np.where(
        c.has_bm, np.minimum(rng.geometric(p.brain_count_p, n), p.brain_count_max), 0
    )
    counts[:, LM] = c.has_lm
    counts[:, SPINAL] = c.has_spinal
    ex = c.has_ex
    counts[:, LUNG] = ex & (rng.random(n) < p.lung_primary)
    counts[:, NODE] = np.where(ex, np.minimum(rng.poisson(p.node_mean, n), 8), 0)
    counts[:, LIVER] = np.where(ex, np.minimum(rng.poisson(p.liver_mean, n), 6), 0)
    counts[:, ADRENAL] = ex & (rng.random(n) < p.adrenal)
    counts[:, BONE] = np.where(ex, np.minimum(rng.poisson(p.bone_mean, n), 8), 0)
    counts[:, PLEURA] = ex & (rng.random(n) < p.pleural)
    counts[:, NODE] += ex & (counts[:, LUNG:].sum(axis=1) == 0)

    owner, _ = expand(counts.ravel())
    pat, kind = owner // _N_KINDS, owner % _N_KINDS
    m = len(pat)
    comp = _KIND_COMPARTMENT[kind]
    nodal = kind == NODE
    organ = _ORGAN_OFFSET[kind] + np.floor(rng.random(m) * _ORGAN_COUNT[kind]).astype(np.int64)
    median = np.select(
        [kind == BRAIN, kind == LUNG, kind == LIVER, kind == ADRENAL, nodal],
        [p.brain_median_mm, p.lung_median_mm, p.liver_median_mm, p.liver_median_mm,
         p.node_excess_median_mm],
        1.0,
    )  # fmt: skip
    d0 = median * np.exp(rng.normal(0.0, p.size_log_sd, m))
    d0 = np.where(nodal, 10.0 + d0, np.clip(d0, 3.0, 90.0))
    integer_mm = np.isin(c.site, p.integer_mm_sites)[pat]

    def measure(true: np.ndarray, integer: np.ndarray, size: int) -> np.ndarray:
        noisy = true * (1.0 + rng.normal(0.0, p.noise_relative, size))
        noisy += rng.normal(0.0, p.noise_absolute_mm, size)
        return _round_to_site(np.maximum(noisy, 1.0), integer)

    m0 = measure(d0, integer_mm, m)
    threshold = np.where(nodal, p.node_target_min_mm, p.target_min_mm) * 10.0
    eligible = _KIND_MEASURABLE[kind] & (m0 >= threshold)
    seq = np.arange(m)
    # RECIST 1.1 greedy selection: by size within organ (cap 2), then within patient (cap 5).
    # The organ is the location (the brain is one organ, all lymph nodes one organ), as
    # cnsrwe's validator counts it.
    rank_org = _group_rank([seq, -m0, ~eligible, kind, pat], 3)
    organ_ok = eligible & (rank_org < p.max_targets_per_organ)
    rank_all = _group_rank([seq, -m0, ~organ_ok, pat], 2)
    role = np.where(organ_ok & (rank_all < p.max_targets_total), TARGET, NON_TARGET)
    number = _group_rank([seq, -m0, comp, role, pat], 2)
    lesion_code = role * _MAX_PER_ROLE + number

    # per-lesion response parameters
    cls = c.cls[pat, comp]
    f = np.clip(c.nadir[pat, comp] * np.exp(rng.normal(0.0, 0.15, m)), 0.05, 1.3)
    f = np.where(cls == CR, np.where(nodal, uniform(rng, (4.0, 9.0), m) / d0, 0.0), f)
    tau = c.tau[pat, comp]
    nt_clears = (cls == CR) | ((cls == PR) & (rng.random(m) < 0.3))

    # progression pattern per patient and compartment, given what the compartment holds
    pc = pat * 2 + comp
    n_target = np.bincount(pc[role == TARGET], minlength=2 * n).reshape(n, 2)
    n_nt = np.bincount(pc[role == NON_TARGET], minlength=2 * n).reshape(n, 2)
    pattern = np.searchsorted(
        np.cumsum(p.progression_pattern) / sum(p.progression_pattern), rng.random((n, 2))
    )
    pattern = np.where((pattern == P_REGROWTH) & (n_target == 0), P_NEW, pattern)
    pattern = np.where(
        (pattern == P_NON_TARGET) & ((n_nt == 0) | (c.cls == CR)), P_NEW, pattern
    )
    first_nt = (role == NON_TARGET) & (number == 0)  # the largest non-target of its compartment

    # --- rows: every baseline lesion at every recorded scan ----------------------------
    li, k = expand(c.n_scans[pat])
    rp = pat[li]
    t = c.scan[rp, k].astype(np.float64)
    t_prev = c.scan[rp, np.maximum(k - 1, 0)].astype(np.float64)
    shrink = np.exp(-np.maximum(t, 0.0) / tau[li])
    true = d0[li] * (f[li] + (1.0 - f[li]) * shrink)
    prev = d0[li] * (f[li] + (1.0 - f[li]) * np.exp(-np.maximum(t_prev, 0.0) / tau[li]))
    gone = ~nodal[li] & (true < p.disappear_below_mm)
    prev = np.where(~nodal[li] & (prev < p.disappear_below_mm), 0.0, prev)
    at_pd = (k == c.pd_k[rp]) & c.prog[rp, comp[li]]
    pat_at_pd = np.where(at_pd, pattern[rp, comp[li]], -1)
    r = len(li)
    regrown = prev * uniform(rng, (1.25, 1.6), r) + uniform(rng, (5.0, 10.0), r)
    true = np.where(pat_at_pd == P_REGROWTH, regrown, np.where(gone, 0.0, true))
    tenths = measure(true, integer_mm[li], r)
    tenths = np.where(true == 0.0, 0, tenths)
    tenths = np.where(k == 0, m0[li], tenths)
    is_target = role[li] == TARGET
    too_small = (
        is_target & ~nodal[li] & (k > 0) & (tenths > 0) & (tenths < 50)
        & (rng.random(r) < p.too_small_report)
    )  # fmt: skip
    cleared = nt_clears[li] & (t >= 3.0 * tau[li])
    status = np.where(cleared, ABSENT, PRESENT)
    status = np.where(pat_at_pd == P_NON_TARGET, PRESENT, status)
    status = np.where((pat_at_pd == P_NON_TARGET) & first_nt[li], UNEQUIVOCAL, status)

    # --- new lesions at the progression scan -------------------------------------------
    new_count = np.where(
        c.prog & (pattern == P_NEW),
        1 + (rng.random((n, 2)) < 0.35) + (rng.random((n, 2)) < 0.1),
        0,
    )
    nown, _ = expand(new_count.ravel())
    npat, ncomp = nown // 2, nown % 2
    q = len(npat)
    ex_kinds = np.array([LUNG, NODE, LIVER, ADRENAL, BONE])
    nkind = np.where(
        ncomp == IC,
        np.where(rng.random(q) < 0.1, LM, BRAIN),
        ex_kinds[np.searchsorted([0.2, 0.45, 0.7, 0.8], rng.random(q))],
    )
    norgan = _ORGAN_OFFSET[nkind] + np.floor(rng.random(q) * _ORGAN_COUNT[nkind]).astype(
        np.int64
    )
    nsize = np.where(
        nkind == NODE, uniform(rng, (10.0, 25.0), q),
        np.where(ncomp == IC, uniform(rng, (3.0, 15.0), q), uniform(rng, (6.0, 25.0), q)),
    )  # fmt: skip
    ntenths = _round_to_site(nsize, np.isin(c.site, p.integer_mm_sites)[npat])
    nmeasured = nkind != LM
    nnumber = _group_rank([np.arange(q), npat], 1)

    # --- assemble the lesion table (calls-only patients dropped) ------------------------
    keep = ~c.calls_only[rp]
    nkeep = ~c.calls_only[npat]
    row_pat = np.concatenate([rp[keep], npat[nkeep]])
    row_k = np.concatenate([k[keep], c.pd_k[npat][nkeep]])
    row_kind = np.concatenate([kind[li][keep], nkind[nkeep]])
    row_role = np.concatenate([role[li][keep], np.full(nkeep.sum(), NEW)])
    row_code = np.concatenate(
        [lesion_code[li][keep], (NEW * _MAX_PER_ROLE + nnumber)[nkeep]]
    )
    row_organ = np.concatenate([organ[li][keep], norgan[nkeep]])
    tgt = is_target[keep]
    row_diam = np.concatenate([np.where(tgt & ~too_small[keep], tenths[keep], 0),
                               np.where(nmeasured, ntenths, 0)[nkeep]])  # fmt: skip
    row_diam_valid = np.concatenate([tgt & ~too_small[keep], nmeasured[nkeep]])
    row_status = np.concatenate([status[keep], np.zeros(nkeep.sum(), dtype=np.int64)])
    row_small = np.concatenate([too_small[keep], np.zeros(nkeep.sum(), dtype=bool)])
    row_small_valid = np.concatenate([tgt, nmeasured[nkeep]])
    is_new = row_role == NEW
    order = np.lexsort([row_code, row_k, row_pat])
    comp_row = _KIND_COMPARTMENT[row_kind]
    lesions = A.table(
        "lesions",
        {
            "patient_id": patient_ids.take(pa.array(row_pat[order])),
            "assessment_date": A.dates((c.index_day[row_pat] + c.scan[row_pat, row_k])[order]),
            "lesion_id": A.strings(row_code[order], LESION_IDS),
            "location": A.strings(_KIND_LOCATION[row_kind][order], LOCATION),
            "organ": A.strings(row_organ[order], ORGANS),
            "lesion_role": A.strings(row_role[order], LESION_ROLE),
            "diameter_mm": A.tenths(row_diam[order], row_diam_valid[order]),
            "non_target_status": A.strings(
                row_status[order], NON_TARGET_STATUS, (row_role == NON_TARGET)[order]
            ),
            "modality": A.strings(np.where(comp_row == IC, _MRI, _CT)[order], MODALITY),
            "too_small_to_measure": A.bools(row_small[order], row_small_valid[order]),
            "equivocal": A.bools(np.zeros(len(order), dtype=bool), is_new[order]),
        },
    )

    calls = _calls(
        c, rp, k, comp[li], nodal[li], role[li], true, status, patient_ids
    )
    return Imaging(lesions=lesions, timepoint_responses=calls)


def _calls(
    c: Course,
    rp: np.ndarray,
    k: np.ndarray,
    comp: np.ndarray,
    nodal: np.ndarray,
    role: np.ndarray,
    true: np.ndarray,
    status: np.ndarray,
    patient_ids: pa.Array,
) -> pa.Table:
    """RECIST 1.1 timepoint calls of the calls-only patients, from their hidden lesions.

    Arguments are per lesion row (patient, scan, compartment, nodal, role, true size,
    non-target status). Per compartment: PD at the progression scan of a progressing
    compartment; otherwise CR when every target is gone (nodes < 10 mm) and every non-target
    absent; NON-CR/NON-PD when the compartment has no target; PR when the sum of target
    diameters is at most 70 % of baseline; SD otherwise. Overall: PD if any compartment is
    PD, CR if all are CR, PR if any is CR or PR, NON-CR/NON-PD if all are, else SD. A
    compartment without disease at baseline gets no call unless it progresses.
    """
    n, kmax = c.n, c.scan.shape[1]
    g = (rp * kmax + k) * 2 + comp
    size = n * kmax * 2
    is_t = role == TARGET
    tsum = np.bincount(g[is_t], true[is_t], minlength=size).reshape(n, kmax, 2)
    tsum0 = tsum[:, :1, :]
    present_t = is_t & np.where(nodal, true >= 10.0, true > 0.0)
    n_present_t = np.bincount(g[present_t], minlength=size).reshape(n, kmax, 2)
    is_nt = role == NON_TARGET
    nt_left = np.bincount(g[is_nt & (status != ABSENT)], minlength=size).reshape(n, kmax, 2)
    n_t = np.bincount(g[(k == 0) & is_t], minlength=size).reshape(n, kmax, 2)[:, :1, :]
    n_any = np.bincount(g[k == 0], minlength=size).reshape(n, kmax, 2)[:, :1, :]

    code = {name: RESPONSES.index(name) for name in RESPONSES}
    resp = np.where(
        (n_present_t == 0) & (nt_left == 0),
        code["CR"],
        np.where(
            n_t == 0,
            code["NON-CR/NON-PD"],
            np.where(10.0 * tsum <= 7.0 * tsum0, code["PR"], code["SD"]),
        ),
    )
    kk = np.arange(kmax)[None, :, None]
    at_pd = (kk == c.pd_k[:, None, None]) & c.prog[:, None, :]
    resp = np.where(at_pd, code["PD"], resp)
    has_call = (n_any > 0) | at_pd
    overall = np.where(
        (has_call & (resp == code["PD"])).any(axis=2),
        code["PD"],
        np.where(
            (~has_call | (resp == code["CR"])).all(axis=2),
            code["CR"],
            np.where(
                (has_call & ((resp == code["CR"]) | (resp == code["PR"]))).any(axis=2),
                code["PR"],
                np.where(
                    (~has_call | (resp == code["NON-CR/NON-PD"])).all(axis=2),
                    code["NON-CR/NON-PD"],
                    code["SD"],
                ),
            ),
        ),
    )
    allr = np.concatenate([resp, overall[:, :, None]], axis=2)  # (n, K, 3)
    allc = np.concatenate([has_call, np.ones((n, kmax, 1), dtype=bool)], axis=2)
    fu = (kk >= 1) & (kk < c.n_scans[:, None, None]) & c.calls_only[:, None, None]
    mask = allc & fu
    pi, ki, ci = np.nonzero(mask)  # C order: patient, scan, compartment
    comp_codes = np.array([COMPARTMENT.index(x) for x in ("intracranial", "extracranial",
                                                          "overall")])  # fmt: skip
    return A.table(
        "timepoint_responses",
        {
            "patient_id": patient_ids.take(pa.array(pi)),
            "assessment_date": A.dates(c.index_day[pi] + c.scan[pi, ki]),
            "compartment": A.strings(comp_codes[ci], COMPARTMENT),
            "response": A.strings(allr[pi, ki, ci], RESPONSES),
            "criteria": A.strings(np.zeros(len(pi), dtype=np.int64), ("recist11",)),
        },
    )
