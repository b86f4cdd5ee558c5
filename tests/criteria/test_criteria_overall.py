"""Non-target (NT-*), overall timepoint (OV-*), selection (SEL-*), compartment (CMP-*)
cases of the response-criteria spec, as small lesion tables with hand-derived answers."""

from __future__ import annotations

import polars as pl
import pytest
from criteria_scenario import L, at, lesions, reference, run

from cnsrwe.criteria import derive_timepoint_responses, get_profile


def test_nt01_node_back_to_8mm_is_cr() -> None:
    rows = [L("P", 0, "N1", "lymph_node", "non_target", 12),
            L("P", 56, "N1", "lymph_node", "non_target", 8)]
    row = at(run(rows), 56)
    assert (row["nontarget_response"], row["response"]) == ("CR", "CR")


def test_nt02_effusion_persists_non_target_only() -> None:
    rows = [L("P", 0, "E", "pleura", "non_target"),
            L("P", 56, "E", "pleura", "non_target", status="present")]
    row = at(run(rows), 56)
    assert (row["nontarget_response"], row["response"]) == ("NON-CR/NON-PD", "NON-CR/NON-PD")
    assert row["target_response"] is None  # OV-09: no target disease -> Table 2


def test_nt03_unequivocal_progression() -> None:
    rows = [L("P", 0, "E", "pleura", "non_target"),
            L("P", 56, "E", "pleura", "non_target", status="unequivocal_progression")]
    row = at(run(rows), 56)
    assert (row["nontarget_response"], row["response"]) == ("PD", "PD")


def test_nt04_one_site_not_imaged_is_ne() -> None:
    rows = [L("P", 0, "E", "pleura", "non_target"), L("P", 0, "B", "bone", "non_target"),
            L("P", 56, "E", "pleura", "non_target", status="present")]
    row = at(run(rows), 56)
    assert (row["nontarget_response"], row["response"]) == ("NE", "NE")


def _ov(target_mm: float | None, nt_status: str | None, new: str) -> dict:
    """Baseline: target 40 mm liver + pleural non-target; follow-up on day 56."""
    rows = [L("P", 0, "T1", "liver", "target", 40), L("P", 0, "E", "pleura", "non_target")]
    if target_mm is not None:
        rows.append(L("P", 56, "T1", "liver", "target", target_mm))
    if nt_status is not None:
        rows.append(L("P", 56, "E", "pleura", "non_target", status=nt_status))
    if new != "NO":
        rows.append(L("P", 56, "X", "liver", "new", 8, eq=new == "EQUIVOCAL"))
    return at(run(rows), 56)


@pytest.mark.parametrize(
    ("case", "target_mm", "nt", "new", "expected"),
    [
        ("OV-01", 0, "absent", "NO", ("CR", "CR", "CR")),
        ("OV-02", 0, "present", "NO", ("CR", "NON-CR/NON-PD", "PR")),
        ("OV-03", 0, None, "NO", ("CR", "NE", "PR")),
        ("OV-04", 20, None, "NO", ("PR", "NE", "PR")),
        ("OV-05", 36, "present", "NO", ("SD", "NON-CR/NON-PD", "SD")),
        ("OV-06", None, "present", "NO", ("NE", "NON-CR/NON-PD", "NE")),
        ("OV-07", 36, "unequivocal_progression", "NO", ("SD", "PD", "PD")),
        ("OV-08", 20, "present", "YES", ("PR", "NON-CR/NON-PD", "PD")),
        ("equivocal new lesion is not PD", 20, "present", "EQUIVOCAL",
         ("PR", "NON-CR/NON-PD", "PR")),
    ],
)
def test_overall_table(case, target_mm, nt, new, expected) -> None:
    row = _ov(target_mm, nt, new)
    got = (row["target_response"], row["nontarget_response"], row["response"])
    assert got == expected, case


def test_ov10_equivocal_then_confirmed_backdates_pd() -> None:
    base = [L("P", 0, "T1", "liver", "target", 40), L("P", 0, "E", "pleura", "non_target")]
    fu = [L("P", d, "T1", "liver", "target", 20) for d in (56, 112)]
    fu += [L("P", d, "E", "pleura", "non_target", status="present") for d in (56, 112)]
    fu += [L("P", 56, "X", "liver", "new", 4, eq=True), L("P", 112, "X", "liver", "new", 9)]
    tp = run(base + fu)
    d56 = at(tp, 56)
    assert (d56["new_lesion_as_read"], d56["new_lesion"]) == ("EQUIVOCAL", "YES")
    assert (d56["response"], d56["rule"]) == ("PD", "PD:new_lesion_confirmed_later")
    assert at(tp, 112)["rule"] == "PD:new_lesion"


def test_new_node_below_10mm_is_not_a_new_lesion() -> None:
    rows = [L("P", 0, "T1", "liver", "target", 40), L("P", 56, "T1", "liver", "target", 38),
            L("P", 56, "N9", "lymph_node", "new", 9)]
    assert at(run(rows), 56)["new_lesion"] == "NO"


def _targets(profile: str, rows: list[dict]) -> list[tuple[str, int]]:
    df = lesions(rows)
    res = derive_timepoint_responses(df, reference(df), profile=profile)
    t = res.lesions.filter(pl.col("is_baseline") & (pl.col("role") == "target"))
    return sorted(zip(t["lesion_id"], t["used_tenths"], strict=True), key=lambda x: -x[1])


def test_sel01_greedy_two_per_organ() -> None:
    spec = [("liver", 40), ("lung", 30), ("lung", 25), ("adrenal", 22), ("lung", 20),
            ("lymph_node", 18), ("liver", 15)]
    rows = [L("P", 0, f"L{i}", loc, "non_target", mm) for i, (loc, mm) in enumerate(spec)]
    rows.append(L("P", 56, "L0", "liver", "non_target", 40))
    got = _targets("recist11_extracranial", rows)
    assert [t for _, t in got] == [400, 300, 250, 220, 180]  # SOD 135 mm


def test_sel02_brain_capped_at_two_whole_body() -> None:
    spec = [("brain_parenchyma", 25), ("brain_parenchyma", 18), ("brain_parenchyma", 14),
            ("brain_parenchyma", 12), ("lung", 11)]
    rows = [L("P", 0, f"L{i}", loc, "non_target", mm) for i, (loc, mm) in enumerate(spec)]
    rows.append(L("P", 56, "L0", "brain_parenchyma", "non_target", 25))
    whole_body = get_profile("recist11").with_options(target_selection="auto")
    assert [t for _, t in _targets(whole_body, rows)] == [250, 180, 110]  # SOD 54 mm


def _cmp_rows(follow: list[dict]) -> list[dict]:
    base = [L("P", 0, "B1", "brain_parenchyma", "target", 25),
            L("P", 0, "B2", "brain_parenchyma", "target", 18),
            L("P", 0, "B3", "brain_parenchyma", "non_target", 14),
            L("P", 0, "U1", "lung", "target", 30)]
    return base + follow


PROFILES = ["recist11", "recist11_intracranial", "recist11_extracranial"]


def test_cmp01_three_target_lists() -> None:
    rows = _cmp_rows([L("P", 56, "U1", "lung", "target", 30)])
    assert [t for _, t in _targets("recist11", rows)] == [300, 250, 180]
    rows = _cmp_rows([L("P", 56, "B1", "brain_parenchyma", "target", 25)])
    assert [t for _, t in _targets("recist11_intracranial", rows)] == [250, 180, 140]


def test_cmp02_one_measurement_set_three_responses() -> None:
    rows = _cmp_rows([L("P", 56, "B1", "brain_parenchyma", "target", 8),
                      L("P", 56, "B2", "brain_parenchyma", "target", 5),
                      L("P", 56, "B3", "brain_parenchyma", "non_target", 4),
                      L("P", 56, "U1", "lung", "target", 34)])
    tp = run(rows, PROFILES)
    ic, ex, wb = at(tp, 56, "intracranial"), at(tp, 56, "extracranial"), at(tp, 56, "overall")
    assert (ic["baseline_sum_tenths"], ic["target_sum_tenths"], ic["response"]) == (570, 170, "PR")
    assert (ex["baseline_sum_tenths"], ex["target_sum_tenths"], ex["response"]) == (300, 340, "SD")
    assert (wb["baseline_sum_tenths"], wb["target_sum_tenths"], wb["response"]) == (730, 470, "PR")
    assert wb["nontarget_response"] == "NON-CR/NON-PD"


@pytest.mark.parametrize(
    ("new_loc", "expected"),
    [("brain_parenchyma", {"intracranial": "PD", "extracranial": "SD", "overall": "PD"}),
     ("liver", {"intracranial": "PR", "extracranial": "PD", "overall": "PD"})],
)
def test_cmp03_cmp04_new_lesion_hits_its_compartment_and_whole_body(new_loc, expected) -> None:
    brain = [8, 5, 4] if new_loc == "liver" else [25, 18, 14]
    rows = _cmp_rows([L("P", 56, "B1", "brain_parenchyma", "target", brain[0]),
                      L("P", 56, "B2", "brain_parenchyma", "target", brain[1]),
                      L("P", 56, "B3", "brain_parenchyma", "non_target", brain[2]),
                      L("P", 56, "U1", "lung", "target", 30),
                      L("P", 56, "X", new_loc, "new", 12)])
    tp = run(rows, PROFILES)
    for comp, resp in expected.items():
        assert at(tp, 56, comp)["response"] == resp, comp


def test_cmp05_7mm_brain_lesions_measurable_only_with_5mm_threshold() -> None:
    from cnsrwe.criteria import get_profile

    rows = [L("P", 0, "B1", "brain_parenchyma", "non_target", 7),
            L("P", 56, "B1", "brain_parenchyma", "non_target", 3)]
    tp10 = run(rows, "cns_mrecist")
    assert at(tp10, 56, "intracranial")["n_targets"] == 0
    five = get_profile("cns_mrecist").with_options(name="cns_mrecist_5mm",
                                                   cns_min_measurable_tenths=50)
    row = at(run(rows, five), 56, "intracranial")
    assert (row["n_targets"], row["response"]) == (1, "PR")


def test_leptomeningeal_disease_is_never_a_target() -> None:
    rows = [L("P", 0, "LM", "leptomeninges", "non_target", 20),
            L("P", 56, "LM", "leptomeninges", "non_target", status="present")]
    row = at(run(rows, "rano_bm", dataset_clinical=None), 56)
    assert row["n_targets"] == 0
    assert row["nontarget_response"] == "NON-CR/NON-PD"
