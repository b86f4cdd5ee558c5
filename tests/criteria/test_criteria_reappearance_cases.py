"""The reappearance-after-CR rule read from the overall cases equals the rule applied to the
response text (:func:`reappearance_after_cr`), over every combination of inputs."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from cnsrwe.criteria.overall import overall_response, reappearance_after_cr

TARGET = [None, "CR", "PR", "SD", "PD", "NE"]
NONTARGET = [None, "CR", "NON-CR/NON-PD", "PD", "NE", "NA"]
NEW = [("NO", "NO"), ("YES", "YES"), ("YES", "EQUIVOCAL"), ("EQUIVOCAL", "EQUIVOCAL")]


def _timepoints(seed: int) -> pl.DataFrame:
    combos = list(itertools.product(TARGET, NONTARGET, NEW, (0, 2), (0, 1)))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(combos), 20000)
    rows = [combos[i] for i in picks]
    return pl.DataFrame({
        "_pl": np.sort(rng.integers(0, 4000, len(rows))).astype(np.uint64),
        "target_response": [r[0] for r in rows], "nontarget_response": [r[1] for r in rows],
        "new_lesion": [r[2][0] for r in rows], "new_lesion_as_read": [r[2][1] for r in rows],
        "n_targets": [r[3] for r in rows], "n_nontargets": [r[4] for r in rows],
        "_trule": [f"rule-{r[0]}" for r in rows],
    })  # fmt: skip


def test_reappearance_from_cases_equals_text_rule() -> None:
    for seed in range(4):
        tp = _timepoints(seed)
        text = reappearance_after_cr(overall_response(tp))
        fired = (text["rule"] == "PD:reappearance_after_CR").sum()
        assert fired > 20  # the rule is exercised
        assert_frame_equal(overall_response(tp, reappearance=True), text)
