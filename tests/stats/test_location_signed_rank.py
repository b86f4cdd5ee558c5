"""``wilcoxon_signed_rank`` against R ``wilcox.test(..., paired = TRUE)`` printed outputs
(tests/reference/stats_exact/r_wilcoxon_signed_rank.json; provenance in its README), plus
the exact null distribution checked by full enumeration and the input rules."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cnsrwe.stats import wilcoxon_signed_rank
from cnsrwe.stats.location import _signrank_counts

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "stats_exact"
                  / "r_wilcoxon_signed_rank.json").read_text(encoding="utf-8"))
HW = REF["hollander_wolfe_depression"]


def _half_unit(printed: float) -> float:
    """Half a unit of the last of R's 4 significant digits."""
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(printed))) - 3)


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for key in ("hollander_wolfe_depression", "hollander_wolfe_depression_other_sessions",
                "likert_ties_and_zeros"):
        data = REF[key] if "x" in REF[key] else HW
        out += [(key, data, case) for case in REF[key]["cases"]]
    return out


@pytest.mark.parametrize(("key", "data", "case"), _cases(),
                         ids=[c["call"][:60] for _, _, c in _cases()])
def test_matches_r(key: str, data: dict[str, Any], case: dict[str, Any]) -> None:
    x, y = np.array(data["x"], float), np.array(data["y"], float)
    args = (x, y) if case["on"] == "x,y" else (y - x,)
    res = wilcoxon_signed_rank(*args, exact=case["exact"], correction=case["correction"],
                               alternative=case["alternative"])
    assert res.statistic == case["V"]
    if case.get("digits") == "full":
        tol = 1e-12
    elif case.get("digits") == "12 decimals":
        tol = 0.5e-12
    else:
        tol = _half_unit(case["p_value"])
    assert abs(res.p_value - case["p_value"]) <= tol, (res.p_value, case)


def test_methods_say_which_p_was_computed() -> None:
    x, y = HW["x"], HW["y"]
    assert wilcoxon_signed_rank(x, y).method == "Wilcoxon signed-rank exact test"
    lk = REF["likert_ties_and_zeros"]
    res = wilcoxon_signed_rank(lk["x"], lk["y"], exact=True)  # R falls back, so do we
    assert "exact p not available with ties or zeros" in res.method
    assert "13 zero difference(s) dropped" in res.method
    assert res.p_value == wilcoxon_signed_rank(lk["x"], lk["y"]).p_value


@pytest.mark.parametrize("n", [1, 2, 5, 9, 12])
def test_null_distribution_by_enumeration(n: int) -> None:
    sums = [sum(k for k, s in zip(range(1, n + 1), signs, strict=True) if s)
            for signs in itertools.product((0, 1), repeat=n)]
    expected = np.bincount(sums, minlength=n * (n + 1) // 2 + 1)
    assert np.array_equal(_signrank_counts(n), expected)


def test_exact_p_by_enumeration() -> None:
    d = np.array([3.0, -1.0, 4.0, 1.5, -5.0, 9.0, 2.6])  # distinct |d|, no zeros
    n = d.size
    ranks = np.argsort(np.argsort(np.abs(d))) + 1
    v = ranks[d > 0].sum()
    all_v = np.array([sum(r for r, s in zip(range(1, n + 1), signs, strict=True) if s)
                      for signs in itertools.product((0, 1), repeat=n)])
    p_greater = float(np.mean(all_v >= v))
    p_less = float(np.mean(all_v <= v))
    assert wilcoxon_signed_rank(d, alternative="greater").p_value == pytest.approx(p_greater,
                                                                                   abs=1e-15)
    assert wilcoxon_signed_rank(d, alternative="less").p_value == pytest.approx(p_less,
                                                                                abs=1e-15)
    two = wilcoxon_signed_rank(d).p_value
    assert two == pytest.approx(min(1.0, 2 * min(p_greater, p_less)), abs=1e-15)


def test_fifty_pairs_use_the_normal_approximation() -> None:
    d = np.arange(1, 51, dtype=float) * np.where(np.arange(50) % 3 == 0, -1, 1)
    assert "normal approximation" in wilcoxon_signed_rank(d).method
    assert wilcoxon_signed_rank(d[:49]).method == "Wilcoxon signed-rank exact test"


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"`x` and `y` must be paired \(same length\), got 3 "
                                         r"and 2"):
        wilcoxon_signed_rank([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="`x - y` must have at least one non-zero difference"):
        wilcoxon_signed_rank([1, 2], [1, 2])
    with pytest.raises(ValueError, match="`alternative` must be"):
        wilcoxon_signed_rank([1, 2], alternative="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`x` must be finite"):
        wilcoxon_signed_rank([1.0, float("nan")])
    with pytest.raises(ValueError, match="`exact` must be True, False or None, got 1"):
        wilcoxon_signed_rank([1.0, 2.0], exact=1)  # type: ignore[arg-type]
