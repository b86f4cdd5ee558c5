"""Confirmation search (``confirmed_responses``) against a plain reading of the rule.

The reference below walks each CR/PR row forward, row by row, exactly as the rule is worded
in :mod:`cnsrwe.response.bor` (RECIST 1.1 section 4.4.1; admiralonco ``cbor_cr``/``cbor_pr``);
the vectorised implementation must flag the same rows with the same confirming date and
response, whatever the row order of its input.
"""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsrwe.response import BorRule
from cnsrwe.response.bor import CONF, CONF_DATE, CONF_RESP, confirmed_responses
from cnsrwe.response.window import GK, analysis_window

DAY0 = dt.date(2020, 1, 1)
CALLS = ["CR", "PR", "SD", "NE", "PD", "NON-CR/NON-PD"]


def _reference(series: pl.DataFrame, rule: BorRule) -> dict[tuple[str, int], tuple]:
    """(patient, row in group) -> (confirmed, confirmation date, confirmation response)."""
    out: dict[tuple[str, int], tuple] = {}
    for (pid,), grp in series.sort("patient_id", "assessment_date").group_by(
        "patient_id", maintain_order=True
    ):
        dates, resp = grp["assessment_date"].to_list(), grp["response"].to_list()
        for i, r in enumerate(resp):
            result: tuple = (False, None, None)
            if r in ("CR", "PR"):
                closing = {"CR"} if r == "CR" else {"CR", "PR"}
                allowed = {"CR", "NE"} if r == "CR" else {"CR", "PR", "NE", "SD"}
                for j in range(i + 1, len(resp)):
                    gap = (dates[j] - dates[i]).days
                    if resp[j] in closing and gap >= rule.confirm_min_days:
                        between = resp[i + 1 : j + 1]
                        seen_cr, pr_after_cr = False, False
                        for b in between:
                            pr_after_cr |= seen_cr and b == "PR"
                            seen_cr |= b == "CR"
                        ok = (
                            all(b in allowed for b in between)
                            and between.count("NE") <= rule.max_ne_between
                            and between.count("SD") <= rule.max_sd_between
                            and not pr_after_cr
                            and (rule.confirm_max_days is None or gap <= rule.confirm_max_days)
                        )
                        if ok:
                            result = (True, dates[j], resp[j])
                        break
            out[(pid, i)] = result
    return out


_patient = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(CALLS)), min_size=1, max_size=9
)
_rules = st.builds(
    lambda lo, extra, ne, sd: BorRule(
        confirm=True, confirm_min_days=lo, confirm_max_days=None if extra < 0 else lo + extra,
        max_ne_between=ne, max_sd_between=sd, truncate_after_pd=False,
    ),
    st.sampled_from([0, 14, 28, 35]), st.integers(-1, 40), st.integers(0, 2), st.integers(0, 2),
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(data=st.lists(_patient, min_size=1, max_size=5), rule=_rules, seed=st.randoms())
def test_matches_row_by_row_reading(data, rule, seed: random.Random) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"patient_id": f"P{p}", "assessment_date": DAY0 + dt.timedelta(days=14 * step),
         "response": r}
        for p, seq in enumerate(data) for step, r in seq
    ]  # fmt: skip
    a = pl.DataFrame(rows, schema={"patient_id": pl.String, "assessment_date": pl.Date,
                                   "response": pl.String})  # fmt: skip
    ref = pl.DataFrame({"patient_id": [f"P{p}" for p in range(len(data))],
                        "reference_date": [DAY0] * len(data)})  # fmt: skip
    w = analysis_window(a, ref, rule=rule)
    expected = _reference(w.series, rule)
    shuffled = list(range(w.series.height))
    seed.shuffle(shuffled)
    for frame in (w.series, w.series[shuffled], w.series.drop(GK)):
        got = confirmed_responses(frame, w.keys, rule)
        assert got.columns == [*frame.columns, CONF, CONF_DATE, CONF_RESP]
        assert got.drop(CONF, CONF_DATE, CONF_RESP).equals(frame)
        seen = {
            (r["patient_id"], r["__cnsrwe_i"]): (r[CONF], r[CONF_DATE], r[CONF_RESP])
            for r in got.iter_rows(named=True)
        }
        assert seen == expected


def test_empty_series() -> None:
    a = pl.DataFrame(schema={"patient_id": pl.String, "assessment_date": pl.Date,
                             "response": pl.String})  # fmt: skip
    ref = pl.DataFrame({"patient_id": ["P1"], "reference_date": [DAY0]})
    w = analysis_window(a, ref, rule=BorRule(confirm=True))
    got = confirmed_responses(w.series, w.keys, BorRule(confirm=True))
    assert got.height == 0
    assert got.schema[CONF_DATE] == pl.Date
    assert got.schema[CONF_RESP] == pl.String
