"""The resistance derivations on a synthetic study in the data format (cnsrwe.demo)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from cnsrwe.demo import generate_block
from cnsrwe.resistance import (
    annotate_findings,
    derive_biopsy_mechanisms,
    derive_lines_of_therapy,
)
from cnsrwe.resistance.lines import SEQUENCE_STAGES
from cnsrwe.resistance.mechanisms import MECHANISM_CLASSES, TIMINGS

DOC = Path(__file__).parents[2] / "docs" / "resistance.md"


def test_demo_block_runs_end_to_end() -> None:
    tables = generate_block(0, 300, seed=11, total_patients=300)
    tr = pl.from_arrow(tables["treatments"])
    bx = pl.from_arrow(tables["biopsies"])
    assert isinstance(tr, pl.DataFrame)
    assert isinstance(bx, pl.DataFrame)
    lot = derive_lines_of_therapy(tr)
    # every agent the generator writes is in the vocabulary
    assert lot.issues.filter(pl.col("code") == "unknown_agent").height == 0
    n_lines = tr.filter(~pl.col("agent_class").is_in(["radiotherapy", "surgery"])).select(
        "patient_id", "line"
    ).unique().height
    assert lot.lines.height == n_lines
    assert set(lot.lines["sequence_stage"].drop_nulls()) <= set(SEQUENCE_STAGES)
    mech = derive_biopsy_mechanisms(bx, lot.lines, check_type="error")  # all findings parse
    assert mech.samples.height == bx.select("patient_id", "biopsy_date", "specimen").unique().height
    assert set(mech.samples["mechanism_class"]) <= set(MECHANISM_CLASSES)
    ann = annotate_findings(mech.samples)
    assert ann.height == mech.samples.filter(pl.col("n_alk_mutations") > 0).height


def test_docs_name_every_class_stage_and_timing() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in (*MECHANISM_CLASSES, *TIMINGS, *SEQUENCE_STAGES):
        assert re.search(rf"`{name}`", text), name
