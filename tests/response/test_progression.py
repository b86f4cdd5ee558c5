"""Progression characterisation: endpoints.md EP-08 and EP-14..EP-17, plus symptoms."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.errors import CriteriaError
from cnsrwe.response.progression import ProgressionRule, characterise_progression

from ._scenarios import day

LES_COLS = ["patient_id", "assessment_date", "lesion_id", "location", "organ", "lesion_role",
            "diameter_mm", "non_target_status", "too_small_to_measure", "equivocal"]  # fmt: skip
TP_COLS = ["patient_id", "line", "assessment_date", "compartment", "baseline_date", "response"]


def _df(cols: list[str], rows: list[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], orient="row")


def _tp(pid: str, ic: list[tuple[int, str]], ex: list[tuple[int, str]]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for comp, seq in (("intracranial", ic), ("extracranial", ex)):
        out += [(pid, 1, day(d), comp, day(-7), r) for d, r in seq]
    return out


TP = _df(TP_COLS, [
    # EP-14: 2 new brain lesions + 1 enlarging adrenal target at d112
    *_tp("EP14", [(56, "SD"), (112, "PD")], [(56, "PR"), (112, "PD")]),
    # EP-15: 1 new brain lesion + new malignant pleural effusion
    *_tp("EP15", [(56, "SD"), (112, "PD")], [(56, "SD"), (112, "PD")]),
    # EP-16: 5 new liver lesions
    *_tp("EP16", [(56, "SD"), (112, "SD")], [(56, "SD"), (112, "PD")]),
    # EP-17: new leptomeningeal enhancement only
    *_tp("EP17", [(56, "SD"), (112, "PD")], [(56, "SD"), (112, "SD")]),
    # EP-08: extracranial PD at d56, CNS PD at d120
    *_tp("EP08", [(56, "SD"), (120, "PD")], [(56, "PD")]),
    # never progressed
    *_tp("NOPD", [(56, "SD")], [(56, "SD")]),
])  # fmt: skip

LES = _df(LES_COLS, [
    ("EP14", day(-7), "T1", "adrenal", "left adrenal", "target", 20.0, None, False, None),
    ("EP14", day(-7), "T2", "brain_parenchyma", "frontal", "target", 15.0, None, False, None),
    ("EP14", day(56), "T1", "adrenal", "left adrenal", "target", 14.0, None, False, None),
    ("EP14", day(56), "T2", "brain_parenchyma", "frontal", "target", 15.0, None, False, None),
    # adrenal 14 -> 20 mm: +43 % and +6 mm over its nadir 14 -> progressing
    ("EP14", day(112), "T1", "adrenal", "left adrenal", "target", 20.0, None, False, None),
    # brain target 15 -> 17: +13 % -> not progressing
    ("EP14", day(112), "T2", "brain_parenchyma", "frontal", "target", 17.0, None, False, None),
    ("EP14", day(112), "N1", "brain_parenchyma", "parietal", "new", 6.0, None, False, False),
    ("EP14", day(112), "N2", "brain_parenchyma", "occipital", "new", 4.0, None, False, False),
    ("EP15", day(112), "N1", "brain_parenchyma", "frontal", "new", 8.0, None, False, False),
    ("EP15", day(112), "N2", "pleura", "malignant pleural effusion", "new", None, None, False,
     False),
    *[("EP16", day(112), f"N{i}", "liver", "segment", "new", 12.0, None, False, False)
      for i in range(5)],
    ("EP17", day(112), "N1", "leptomeninges", "cerebellar folia", "new", None, None, False,
     False),
    ("EP08", day(56), "N1", "bone", "T8 vertebra", "new", None, None, False, False),
    ("EP08", day(120), "N2", "brain_parenchyma", "frontal", "new", 7.0, None, False, False),
])  # fmt: skip


def test_endpoint_cases() -> None:
    got = characterise_progression(TP, LES)
    rows = {r["patient_id"]: r for r in got.to_dicts()}
    ep14 = rows["EP14"]
    assert (ep14["site"], ep14["extent"], ep14["cns_oligo"]) == ("BOTH", "OLIGO", True)
    assert (ep14["n_new_lesions"], ep14["n_progressing_lesions"], ep14["n_counted"]) == (2, 1, 3)
    assert rows["EP15"]["extent"] == "EXTENSIVE"
    assert "effusion" in rows["EP15"]["extensive_features"]
    assert (rows["EP16"]["site"], rows["EP16"]["extent"]) == ("EXTRACRANIAL_ONLY", "MULTI")
    assert rows["EP16"]["cns_oligo"] is False
    assert (rows["EP17"]["site"], rows["EP17"]["extent"]) == ("CNS_ONLY", "EXTENSIVE")
    assert rows["EP17"]["cns_oligo"] is False
    assert (rows["EP08"]["first_pd_date"], rows["EP08"]["site"]) == (day(56), "EXTRACRANIAL_ONLY")
    assert rows["EP08"]["n_counted"] == 1
    assert (rows["NOPD"]["site"], rows["NOPD"]["extent"]) == ("NONE", "NONE")
    assert rows["NOPD"]["symptomatic"] is None


def test_rule_options() -> None:
    wide = characterise_progression(TP, LES, rule=ProgressionRule(site_window_days=64))
    assert wide.filter(pl.col("patient_id") == "EP08")["site"][0] == "BOTH"
    five = characterise_progression(TP, LES, rule=ProgressionRule(oligo_max_lesions=5))
    assert five.filter(pl.col("patient_id") == "EP16")["extent"][0] == "OLIGO"
    organ = characterise_progression(TP, LES, rule=ProgressionRule(count_unit="organ_site"))
    assert organ.filter(pl.col("patient_id") == "EP16")["n_counted"][0] == 1
    with pytest.raises(CriteriaError, match="`oligo_max_lesions` must be"):
        ProgressionRule(oligo_max_lesions=-1)
    with pytest.raises(CriteriaError, match="`count_unit` must be one of"):
        ProgressionRule(count_unit="organ")  # type: ignore[arg-type]


def test_symptomatic_progression() -> None:
    clin = pl.DataFrame({
        "patient_id": ["EP14", "EP14", "EP16", "EP16", "EP17"],
        "visit_date": [day(50), day(110), day(50), day(120), day(200)],
        "ecog": [1, 1, 1, 2, 1],
        "cns_symptoms": [False, True, False, False, True],
        "symptom_change": [None, None, None, None, "deterioration"],
    })  # fmt: skip
    got = characterise_progression(TP, LES, dataset_clinical=clin)
    rows = {r["patient_id"]: r for r in got.to_dicts()}
    assert (rows["EP14"]["symptomatic"], rows["EP14"]["symptomatic_reason"]) == (
        True, "new CNS symptoms"
    )
    assert (rows["EP16"]["symptomatic"], rows["EP16"]["symptomatic_reason"]) == (True, "ECOG worse")
    assert rows["EP17"]["symptomatic"] is None  # the only visit is 88 days after PD


@pytest.mark.parametrize("window", [0, 64])
def test_column_fallback_matches_packed_keys(
    monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """Keys too wide for 64 bits (forced) and lesion keys with nulls take the key-column
    path, which gives the same rows as the packed keys; a missing lesion id is not definite."""
    import cnsrwe._packed_keys as packed

    rule = ProgressionRule(site_window_days=window)
    # two profiles progressing on the same date share their lesion work: both get the rows
    tp = pl.concat([TP.with_columns(pl.lit(p).alias("profile")) for p in ("a", "b")])
    les = pl.concat([LES, LES.filter(pl.col("patient_id") == "EP14").with_columns(
        pl.col("assessment_date") + pl.duration(days=3))])  # fmt: skip
    fast = characterise_progression(tp, les, rule=rule)
    assert fast.filter(pl.col("patient_id") == "EP14")["n_counted"].to_list() == [3, 3]
    monkeypatch.setattr(packed, "_MAX_BITS", 0)
    slow = characterise_progression(tp, les, rule=rule)
    assert fast.equals(slow)
    monkeypatch.undo()
    no_id = les.with_columns(
        pl.when(pl.col("lesion_id") == "N2").then(None).otherwise(pl.col("lesion_id"))
        .alias("lesion_id")
    )  # fmt: skip
    nulls = characterise_progression(tp, no_id, rule=rule)
    # EP14 loses its new lesion N2, EP15 its pleural effusion
    assert nulls.filter(pl.col("patient_id") == "EP14")["n_new_lesions"].to_list() == [1, 1]
    assert nulls.filter(pl.col("patient_id") == "EP15")["extent"].to_list() == ["OLIGO"] * 2


def _random_study(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Timepoints and lesion reads of 40 patients: lesions with a fixed role and random
    sizes per scan (so targets grow past their nadir), random PD calls and baselines."""
    import numpy as np

    rng = np.random.default_rng(seed)
    les_rows: list[tuple[object, ...]] = []
    tp_rows: list[tuple[object, ...]] = []
    roles = ["target", "target", "non_target", "new"]
    locations = ["brain_parenchyma", "liver", "leptomeninges", "bone"]
    for p in range(40):
        pid = f"R{p:02d}"
        scans = sorted({int(x) for x in rng.integers(-30, 300, 6)})
        lesions = [(f"L{i}", roles[int(rng.integers(0, 4))], locations[int(rng.integers(0, 4))])
                   for i in range(int(rng.integers(1, 7)))]  # fmt: skip
        for d in scans:
            for lesion, role, loc in lesions:
                if rng.random() < 0.15:
                    continue  # not read at this scan
                size = None if rng.random() < 0.1 else float(rng.integers(30, 300)) / 10
                les_rows.append((
                    pid, day(d), lesion, loc, None if rng.random() < 0.7 else "diffuse",
                    role, size, "unequivocal_progression" if rng.random() < 0.05 else None,
                    bool(rng.random() < 0.1),
                    None if rng.random() < 0.5 else bool(rng.random() < 0.3),
                ))  # fmt: skip
            for comp in ("intracranial", "extracranial"):
                resp = "PD" if rng.random() < 0.3 else "SD"
                u = rng.random()  # baseline: none, a scan date of the patient, or any day
                at = scans[min(int(rng.integers(0, 2)), len(scans) - 1)]
                base = None if u < 0.2 else day(at if u < 0.7 else int(rng.integers(-40, 60)))
                tp_rows.append((pid, 1 + int(d > 150), day(d), comp, base, resp))
    return _df(TP_COLS, tp_rows), _df(LES_COLS, les_rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_patient_sorted_lesions_match_other_paths(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Lesions sorted by patient take the (patient, day) range path; on the same input it
    gives the rows of the packed-key path and of the key-column path (both forced), window
    0 or not, with the dates inside a patient in order or not."""
    import cnsrwe._packed_keys as packed
    from cnsrwe.response import progression

    tp, les = _random_study(seed)
    shuffled = les.sample(fraction=1.0, shuffle=True, seed=seed)
    for window in (0, 20):
        rule = ProgressionRule(site_window_days=window)
        for ordered in (les.sort("patient_id", "assessment_date", "lesion_id"),
                        shuffled.sort("patient_id", maintain_order=True)):  # fmt: skip
            got = characterise_progression(tp, ordered, rule=rule)
            assert got["n_new_lesions"].sum() > 0
            assert got["n_progressing_lesions"].sum() > 10  # mostly targets past their nadir
            with monkeypatch.context() as m:
                m.setattr(progression.PatientDays, "build", lambda *a: None)
                assert characterise_progression(tp, ordered, rule=rule).equals(got)
                m.setattr(packed, "_MAX_BITS", 0)
                assert characterise_progression(tp, ordered, rule=rule).equals(got)
