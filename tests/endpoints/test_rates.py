"""Response rates: endpoints.md EP-01..EP-07 and the 2022 study's published exact CIs.

The 2022 published numbers (Tables 2 and 3) are read from
tests/reference/published_2022/binomial_ci_tables_2_3.csv (provenance in its README; the
17/32 upper limit printed 74.9 % is a typo for 70.9 %). Tolerance: half a unit of the printed
0.1 % (0.0005 as a fraction).
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from tests.endpoints._build import assessments, index

from cnsrwe.endpoints.rates import (
    IC_CR_ANY,
    IC_DCR,
    IC_ORR,
    IC_ORR_ANY,
    RateDefinition,
    landmark_disease_control,
    response_rates,
)

REF = Path(__file__).parents[1] / "reference" / "published_2022" / "binomial_ci_tables_2_3.csv"


def cohort(n_cr: int, n_pr: int, n_other: int, *, measurable: bool = True,
           prefix: str = "p", group: str = "") -> tuple[pl.DataFrame, pl.DataFrame]:
    bors = ["CR"] * n_cr + ["PR"] * n_pr + ["SD"] * n_other
    ids = [f"{prefix}{i}" for i in range(len(bors))]
    bor = pl.DataFrame({"patient_id": ids, "compartment": ["intracranial"] * len(ids),
                        "bor": bors})
    pop = pl.DataFrame({"patient_id": ids, "measurable_cns": [measurable] * len(ids),
                        "any_cns": [True] * len(ids), "cohort": [group] * len(ids)})
    return bor, pop


def one(res, rate: str, group: str = "") -> dict:
    sub = res.table.filter((pl.col("rate") == rate) & (pl.col("group") == group))
    assert sub.height == 1
    return sub.row(0, named=True)


@pytest.mark.parametrize(
    ("cr", "pr", "n", "est", "lo", "hi"),
    [(2, 7, 11, 0.818, 0.482, 0.977),  # EP-01 (2022 cohort 1: 2CR + 7PR)
     (2, 11, 17, 0.765, 0.501, 0.932),  # EP-02 (cohort 2: 2CR + 11PR)
     (1, 2, 7, 0.429, 0.099, 0.816)],  # EP-03 (cohort 3: 1CR + 2PR; printed 42.8 %)
)
def test_ep01_03_ic_orr_with_exact_ci(cr, pr, n, est, lo, hi):
    bor, pop = cohort(cr, pr, n - cr - pr)
    r = one(response_rates(bor, pop, rates=[IC_ORR]), "ic-ORR")
    assert (r["k"], r["n"], r["n_cr"], r["n_pr"]) == (cr + pr, n, cr, pr)
    for key, want in (("estimate", est), ("lower", lo), ("upper", hi)):
        assert r[key] == pytest.approx(want, abs=0.0005)


def test_ep04_denominator_is_the_measurable_population():
    bor_m, pop_m = cohort(2, 7, 2, measurable=True, prefix="m")
    bor_n, pop_n = cohort(3, 0, 6, measurable=False, prefix="n")
    res = response_rates(pl.concat([bor_m, bor_n]), pl.concat([pop_m, pop_n]),
                         rates=[IC_ORR, IC_ORR_ANY])
    assert one(res, "ic-ORR")["n"] == 11
    assert one(res, "ic-ORR (any CNS)")["n"] == 20


def test_ep05_non_measurable_cr_counts_for_any_cns_cr_only():
    bor = pl.DataFrame({"patient_id": ["nm"], "compartment": ["intracranial"], "bor": ["CR"]})
    pop = pl.DataFrame({"patient_id": ["nm"], "measurable_cns": [False], "any_cns": [True]})
    res = response_rates(bor, pop, rates=[IC_ORR, IC_CR_ANY])
    assert one(res, "ic-CR (any CNS)")["k"] == 1
    assert one(res, "ic-ORR")["n"] == 0
    assert one(res, "ic-ORR")["estimate"] is None


def test_ep06_bor_pd_after_short_sd_is_not_disease_control():
    # the BOR engine turns "SD at d35 only, PD at d70, sd_min_days=42" into PD
    # (tests/response/test_flags_shrinkage.py, EP-06); the rate must count it as a failure
    bor = pl.DataFrame({"patient_id": ["a", "b"], "compartment": ["intracranial"] * 2,
                        "bor": ["PD", "SD"]})
    pop = pl.DataFrame({"patient_id": ["a", "b"], "measurable_cns": [True, True]})
    r = one(response_rates(bor, pop, rates=[IC_DCR]), "ic-DCR")
    assert (r["k"], r["n"], r["n_pd"], r["n_sd"]) == (1, 2, 1, 1)


def test_ep07_landmark_dcr_week_12():
    tp = assessments([("A", 84, "intracranial", "SD"),  # EP-07: SD at d84 -> yes
                      ("B", 40, "intracranial", "SD"), ("B", 84, "intracranial", "PD"),
                      ("C", 40, "intracranial", "PD"), ("C", 84, "intracranial", "SD"),
                      ("D", 40, "intracranial", "PR")])  # no assessment near week 12
    out = landmark_disease_control(index("ABCD"), dataset_assessments=tp, weeks=12)
    assert dict(out.select("patient_id", "disease_control").rows()) == {
        "A": True, "B": False, "C": False, "D": False}


def test_missing_bor_counts_in_denominator_and_groups():
    bor1, pop1 = cohort(2, 7, 2, prefix="a", group="1")
    bor2, pop2 = cohort(2, 11, 4, prefix="b", group="2")
    bor = pl.concat([bor1, bor2]).filter(pl.col("patient_id") != "a10")  # a10: no BOR row
    res = response_rates(bor, pl.concat([pop1, pop2]), by="cohort", rates=[IC_ORR])
    r1 = one(res, "ic-ORR", "1")
    assert (r1["k"], r1["n"], r1["n_missing"]) == (9, 11, 1)
    assert one(res, "ic-ORR", "2")["k"] == 13
    ard = res.to_ard()
    est = ard.filter((pl.col("group") == "2") & (pl.col("statistic") == "estimate"))
    assert est["value"].item() == pytest.approx(13 / 17, rel=1e-12)
    assert ard.filter(pl.col("statistic") == "n_cr")["value"].to_list() == [2.0, 2.0]


def test_2022_published_exact_cis():
    with REF.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12
    rate = RateDefinition("x", "x", "intracranial", ("CR", "PR"), "all")
    for ref in rows:
        k, n = int(ref["k"]), int(ref["n"])
        bor, pop = cohort(0, k, n - k)
        r = one(response_rates(bor, pop, rates=[rate]), "x")
        assert 100 * r["lower"] == pytest.approx(float(ref["printed_lower_pct"]), abs=0.05)
        assert 100 * r["upper"] == pytest.approx(float(ref["exact_upper_pct"]), abs=0.05)
        if ref["printed_upper_pct"] != ref["exact_upper_pct"]:  # the 17/32 typo
            assert (k, n) == (17, 32)
            assert abs(100 * r["upper"] - float(ref["printed_upper_pct"])) > 3


def test_bad_input():
    bor, pop = cohort(1, 1, 1)
    with pytest.raises(ValueError, match=r"`conf_level` must be in \(0, 1\), got 1.5"):
        response_rates(bor, pop, conf_level=1.5)
    with pytest.raises(ValueError, match="population/group columns"):
        response_rates(bor, pop.drop("measurable_cns"), rates=[IC_ORR])
    with pytest.raises(ValueError, match="one row per patient and compartment"):
        response_rates(pl.concat([bor, bor]), pop, rates=[IC_ORR])
    with pytest.raises(ValueError, match="`responses` must be a non-empty subset"):
        RateDefinition("x", "x", "intracranial", ("OR",), "all")
