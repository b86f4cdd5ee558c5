"""The names the issue fixes are importable from ``cnsrwe.stats`` and give R's numbers."""

from __future__ import annotations

import cnsrwe.stats as st


def test_fixed_names_exist() -> None:
    for name in (
        "kaplan_meier", "median_follow_up", "logrank_test", "cox_ph", "firth_cox",
        "cumulative_incidence", "gray_test", "fine_gray", "binomial_ci", "binomial_test",
        "fisher_exact", "chi_square", "mcnemar", "bowker", "t_test", "mann_whitney",
    ):  # fmt: skip
        assert callable(getattr(st, name)), name
    assert set(st.__all__) <= set(dir(st))


def test_exact_ci_of_the_2022_typo_through_the_public_name() -> None:
    # 17/32 responders (2022 study, Table 2, cohort 2): printed 34.7-74.9 %, exact 34.7-70.9 %.
    ci = st.binomial_ci(17, 32)
    assert round(ci.lower * 100, 1) == 34.7
    assert round(ci.upper * 100, 1) == 70.9
