"""Property: whatever the treatment histories, every patient with an index line is either
in exactly one cohort or listed as unassigned with a reason (never lost, never twice)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsrwe.study import assign_cohorts, load_study, select_index_lines

from ._tables import EXAMPLE, line, progression, treatments

STUDY = load_study(EXAMPLE).spec
AGENTS = ["alectinib", "crizotinib", "ceritinib", "brigatinib", "pemetrexed"]
SITES = ["CNS_ONLY", "EXTRACRANIAL_ONLY", "BOTH", None]

history = st.lists(st.tuples(st.sampled_from(AGENTS), st.sampled_from(SITES)),
                   min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(st.lists(history, min_size=1, max_size=8),
       st.sampled_from(["unassigned", "first_listed"]))
def test_nobody_lost_or_counted_twice(histories: list, policy: str) -> None:
    rows, sites = [], []
    for p, hist in enumerate(histories):
        for k, (agent, site) in enumerate(hist, start=1):
            cls = "chemotherapy" if agent == "pemetrexed" else "alk_tki"
            rows.append(line(f"P{p}", k, agent, f"201{k + 4}-01-01", f"201{k + 4}-12-01",
                             "progression", cls=cls))
            if site is not None:
                sites.append((f"P{p}", k, site))
    t = treatments(rows)
    index = select_index_lines(t, STUDY.index)
    res = assign_cohorts(t, index, STUDY.cohorts, prior_line_progression=progression(sites),
                         on_multiple=policy)  # type: ignore[arg-type]
    assigned = res.cohorts["patient_id"].to_list()
    unassigned = res.unassigned["patient_id"].to_list()
    assert len(set(assigned)) == len(assigned)
    assert set(assigned).isdisjoint(unassigned)
    assert sorted(assigned + unassigned) == sorted(index["patient_id"].to_list())
    assert res.unassigned["reason"].is_in(["no_cohort", "undetermined",
                                           "multiple_cohorts"]).all()
    # the three 2022 rules are mutually exclusive by construction ("last" ALK-TKI line)
    assert res.unassigned.filter(pl.col("reason") == "multiple_cohorts").height == 0
