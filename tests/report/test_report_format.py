"""Number formatting rules (cnsrwe.report.format)."""

from __future__ import annotations

import math

import pytest

from cnsrwe.report.format import (
    FormatOptions,
    fmt_ci,
    fmt_estimate_ci,
    fmt_int,
    fmt_median_range,
    fmt_n_pct,
    fmt_number,
    fmt_p,
    fmt_p_phrase,
    fmt_pct,
    fmt_pct_ci,
)

HALF_EVEN = FormatOptions(rounding="half-even")


@pytest.mark.parametrize(
    ("value", "decimals", "half_up", "half_even"),
    [
        (68.75, 1, "68.8", "68.8"),
        (6.25, 1, "6.3", "6.2"),     # exact in binary: printf/R sprintf give 6.2
        (2.675, 2, "2.68", "2.68"),  # decimal repr rounding, not the binary 2.67499...
        (0.125, 2, "0.13", "0.12"),
        (-0.04, 1, "0.0", "0.0"),    # no "-0.0"
        (-1.25, 1, "-1.3", "-1.2"),
        (1234.5, 0, "1235", "1234"),
        (31.0, 0, "31", "31"),
    ],
)
def test_rounding_rules(value: float, decimals: int, half_up: str, half_even: str) -> None:
    assert fmt_number(value, decimals) == half_up
    assert fmt_number(value, decimals, options=HALF_EVEN) == half_even


def test_printf_agrees_with_half_even_on_binary_exact_values() -> None:
    # C printf (which R's sprintf calls) rounds exact binary ties to even.
    for v in (0.5, 1.5, 2.5, 6.25, 68.75, 0.375):
        for d in (0, 1, 2):
            assert fmt_number(v, d, options=HALF_EVEN) == f"{v:.{d}f}"


def test_missing_and_infinite() -> None:
    assert fmt_number(None, 1) == "NE"
    assert fmt_number(math.nan, 1) == "NE"
    assert fmt_number(None, 1, missing="NR") == "NR"
    assert fmt_number(math.inf, 1) == "∞"
    assert fmt_ci(18.0, None, 0, upper_missing="NR") == "18–NR"
    assert fmt_estimate_ci(None, 4.0, None, 1, estimate_missing="NR",
                           upper_missing="NR") == "NR (4.0–NR)"


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.00005, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"), (0.00285, "0.003"),
     (0.0499, "0.050"), (0.06459, "0.065"), (0.5, "0.500"), (0.995, "> 0.99"), (1.0, "> 0.99"),
     (None, "NE")],
)
def test_p_values(p: float | None, text: str) -> None:
    assert fmt_p(p) == text


def test_p_value_phrases() -> None:
    assert fmt_p_phrase(0.00285) == "p = 0.003"
    assert fmt_p_phrase(0.00005) == "p < 0.001"
    assert fmt_p_phrase(0.999) == "p > 0.99"


def test_p_value_options() -> None:
    opts = FormatOptions(p_decimals=4, p_threshold=0.0001)
    assert fmt_p(0.00005, options=opts) == "< 0.0001"
    assert fmt_p(0.00218, options=opts) == "0.0022"


def test_percentages_and_counts() -> None:
    assert fmt_pct(17 / 32) == "53.1"
    assert fmt_n_pct(22, 22 / 32) == "22 (68.8%)"
    assert fmt_n_pct(22, 22 / 32, options=FormatOptions(pct_sign=False)) == "22 (68.8)"
    assert fmt_int(12.0) == "12"
    assert fmt_pct_ci(17 / 32, 0.3469, 0.7093) == "53.1 (34.7–70.9)"
    assert fmt_median_range(2.7, 1.0, 5.3) == "2.7 (1.0–5.3)"
    assert fmt_median_range(52, 30, 76, 0) == "52 (30–76)"
    assert fmt_estimate_ci(1.0, 0.5, 2.0, 2, options=FormatOptions(ci_separator=", ")) == (
        "1.00 (0.50, 2.00)")


def test_bad_input_is_rejected_with_house_grammar() -> None:
    with pytest.raises(ValueError, match=r"`p` must be in \[0, 1\], got 1.5"):
        fmt_p(1.5)
    with pytest.raises(ValueError, match=r"`value` must be a whole number for a count, got 2\.5"):
        fmt_int(2.5)
    with pytest.raises(ValueError, match=r"`p_threshold` must be in \(0, 1\), got 1.5"):
        FormatOptions(p_threshold=1.5)
    with pytest.raises(ValueError, match=r"`decimals` must be an integer in \[0, 10\], got -1"):
        FormatOptions(decimals=-1)
    with pytest.raises(ValueError, match="`rounding` must be one of"):
        FormatOptions(rounding="banker")  # type: ignore[arg-type]
