"""Waterfall, spider, swimmer, forest and CONSORT figures: FigureData snapshots from small
hand-built tables, hand-checked drawing rules, errors; and deterministic PNG/SVG/PDF files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from cnsrwe.errors import SchemaError
from cnsrwe.report.figures import (
    consort_figure_data,
    forest_figure_data,
    plot_consort,
    plot_forest,
    plot_km,
    plot_spider,
    plot_swimmer,
    plot_waterfall,
    save_figure,
    spider_figure_data,
    swimmer_figure_data,
    waterfall_figure_data,
)
from cnsrwe.report.figures.style import RESPONSE_COLOURS
from cnsrwe.stats import kaplan_meier

from ._figure_snapshots import assert_matches_snapshot

WATERFALL = pl.DataFrame({
    "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
    "best_pct_change": [-100.0, -45.5, 12.0, 150.0, None, 12.0, -10.0],
    "bor": ["CR", "PR", "PD", "PD", "NE", "SD", "PD"],
    "pd_new_lesion": [False, False, False, True, False, False, True],
})  # fmt: skip

SPIDER = pl.DataFrame({
    "patient_id": ["A", "A", "A", "B", "B", "B", "C", "C"],
    "days_from_baseline": [0, 56, 112, 0, 60, 120, 0, 63],
    "pct_change_baseline": [0.0, -40.0, -100.0, 0.0, 15.0, 25.0, 0.0, None],
    "bor": ["CR", "CR", "CR", "PD", "PD", "PD", "NE", "NE"],
    "new_lesion": [False, False, False, False, False, True, False, False],
})  # fmt: skip

SEGMENTS = pl.DataFrame({
    "patient_id": ["A", "A", "B", "C", "C"],
    "start": [0.0, 14.0, 0.0, 0.0, 8.5],
    "end": [14.0, 30.0, 9.0, 8.5, 20.0],
    "category": ["2nd-generation ALK TKI", "3rd-generation ALK TKI", "2nd-generation ALK TKI",
                 "2nd-generation ALK TKI", "Chemotherapy"],
    "ongoing": [False, True, False, False, False],
})  # fmt: skip

EVENTS = pl.DataFrame({
    "patient_id": ["A", "A", "B", "B", "C", "C", "C"],
    "time": [2.0, 14.0, 3.0, 9.0, 8.5, 20.0, 4.0],
    "event": ["first_pr", "cns_progression", "first_cr", "death", "extracranial_progression",
              "death", "cns_radiotherapy"],
})  # fmt: skip

FOREST = pl.DataFrame({
    "label": ["All patients", "Age", "< 65", ">= 65", "Prior brain RT", "Yes", "No"],
    "estimate": [0.62, None, 0.55, 0.80, None, 0.40, 0.75],
    "lower": [0.45, None, 0.35, 0.45, None, 0.20, 0.50],
    "upper": [0.85, None, 0.86, 1.42, None, 0.80, 1.12],
    "n": [120, None, 80, 40, None, 30, 90],
    "events": [60, None, 38, 22, None, 12, 48],
    "kind": ["pooled", "header", "subgroup", "subgroup", "header", "subgroup", "subgroup"],
})  # fmt: skip

FLOW = pl.DataFrame({
    "step": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "stage": ["screened", "no_index_line", "with_index_line", "excluded_age", "excluded_ecog",
              "eligible", "unassigned_no_cohort", "cohort_alectinib", "cohort_brigatinib"],
    "label": ["Patients screened", "No index line", "With an index line", "Age < 18 years",
              "ECOG > 2", "Eligible", "Treatment history matches no cohort rule",
              "Alectinib first line", "Brigatinib first line"],
    "n": [120, 5, 115, 2, 3, 110, 4, 70, 36],
    "kind": ["included", "excluded", "included", "excluded", "excluded", "included",
             "excluded", "included", "included"],
})  # fmt: skip


# --- waterfall -----------------------------------------------------------------------------

def test_waterfall_snapshot_and_rules() -> None:
    data = waterfall_figure_data(WATERFALL)
    assert_matches_snapshot("figure_waterfall", data)
    bars = data.content["bars"]
    # sorted from largest increase to largest decrease; tie (12.0) ordered by patient id
    assert [b["patient"] for b in bars] == ["P4", "P3", "P6", "P7", "P2", "P1"]
    p4 = bars[0]
    assert (p4["value"], p4["height"], p4["capped"], p4["cap_marker_y"]) == (150.0, 100.0,
                                                                            True, 104.0)
    assert p4["new_lesion_y"] == 92.0  # star inside the capped bar's top
    assert bars[3]["new_lesion_y"] == 5.0  # P7: star just above the zero line
    assert [b["colour"] for b in bars] == [RESPONSE_COLOURS[r] for r in
                                           ("PD", "PD", "SD", "PD", "PR", "CR")]
    assert data.content["thresholds"] == (-30.0, 20.0)
    assert data.content["xlabel"] == (
        "Patients (n = 6; 1 without an evaluable change, not shown)"
    )
    assert [e["label"] for e in data.content["legend"]] == ["CR", "PR", "SD", "PD"]


def test_waterfall_errors() -> None:
    with pytest.raises(SchemaError, match="`dataset` must have column\\(s\\) 'bor'"):
        waterfall_figure_data(WATERFALL.drop("bor"))
    with pytest.raises(SchemaError, match=r"`dataset.bor` must hold values among .* got 'uPR'"):
        waterfall_figure_data(WATERFALL.with_columns(pl.lit("uPR").alias("bor")))
    with pytest.raises(ValueError, match="one row per patient"):
        waterfall_figure_data(pl.concat([WATERFALL, WATERFALL.head(1)]))
    with pytest.raises(ValueError, match="`cap` must be a positive percentage, got -5"):
        waterfall_figure_data(WATERFALL, cap=-5)
    with pytest.raises(SchemaError, match="must be numeric"):
        waterfall_figure_data(WATERFALL.with_columns(pl.col("best_pct_change").cast(pl.String)))
    with pytest.raises(SchemaError, match="must be a polars, pandas or pyarrow table"):
        waterfall_figure_data([1, 2, 3])


# --- spider --------------------------------------------------------------------------------

def test_spider_snapshot_and_rules() -> None:
    data = spider_figure_data(SPIDER)
    assert_matches_snapshot("figure_spider", data)
    lines = {ln["patient"]: ln for ln in data.content["lines"]}
    assert lines["A"]["y"] == (0.0, -40.0, -100.0)
    assert lines["C"]["x"] == (0.0,)  # the non-evaluable assessment is left out
    assert lines["B"]["new_lesion_x"] == (120.0,)
    assert lines["B"]["colour"] == RESPONSE_COLOURS["PD"]


def test_spider_errors() -> None:
    with pytest.raises(ValueError, match="one best response per patient"):
        spider_figure_data(SPIDER.with_columns(
            pl.when(pl.col("days_from_baseline") == 56).then(pl.lit("PR"))
            .otherwise(pl.col("bor")).alias("bor")))  # fmt: skip
    with pytest.raises(SchemaError, match=r"`dataset.days_from_baseline` must not be missing"):
        spider_figure_data(SPIDER.with_columns(pl.lit(None, pl.Int64).alias("days_from_baseline")))
    with pytest.raises(ValueError, match="`thresholds` must be finite percentages"):
        spider_figure_data(SPIDER, thresholds=[float("nan")])


# --- swimmer -------------------------------------------------------------------------------

def test_swimmer_snapshot_and_rules() -> None:
    data = swimmer_figure_data(SEGMENTS, EVENTS)
    assert_matches_snapshot("figure_swimmer", data)
    lanes = data.content["lanes"]
    assert [ln["patient"] for ln in lanes] == ["A", "C", "B"]  # longest follow-up on top
    assert [ln["y"] for ln in lanes] == [2.0, 1.0, 0.0]
    assert lanes[0]["arrow_x"] == 30.0
    assert lanes[1]["arrow_x"] is None
    assert [e["event"] for e in lanes[1]["events"]] == ["cns_radiotherapy",
                                                       "extracranial_progression", "death"]
    assert [c["label"] for c in data.content["categories"]] == [
        "2nd-generation ALK TKI", "3rd-generation ALK TKI", "Chemotherapy"]


def test_swimmer_errors() -> None:
    with pytest.raises(SchemaError, match=r"`events.event` must hold values among"):
        swimmer_figure_data(SEGMENTS, EVENTS.with_columns(pl.lit("relapse").alias("event")))
    with pytest.raises(ValueError, match="0 <= start <= end"):
        swimmer_figure_data(SEGMENTS.with_columns(pl.lit(50.0).alias("start")))
    with pytest.raises(ValueError, match="must name patients present in `segments`"):
        swimmer_figure_data(SEGMENTS, EVENTS.with_columns(pl.lit("Z").alias("patient_id")))
    with pytest.raises(SchemaError, match=r"`segments.category` must hold values among"):
        swimmer_figure_data(SEGMENTS, category_order=["Chemotherapy"])


# --- forest --------------------------------------------------------------------------------

def test_forest_snapshot_and_rules() -> None:
    data = forest_figure_data(FOREST)
    assert_matches_snapshot("figure_forest", data)
    rows = data.content["rows"]
    assert rows[0]["estimate_text"] == "0.62 (0.45\u20130.85)"
    assert rows[0]["n_text"] == "120/60"
    assert rows[1]["kind"] == "header"
    assert rows[1]["estimate"] is None
    assert data.content["reference"] == 1.0
    # readable ratio ticks clipped to the data (0.20 to 1.42 and the reference 1)
    assert data.content["xticks"] == (0.1, 0.25, 0.5, 1.0, 2.0)
    assert data.content["xlim"] == (0.1, 2.0)
    linear = forest_figure_data(FOREST.filter(pl.col("kind") != "pooled"), scale="linear",
                                estimate_label="Difference (95% CI)")
    assert linear.content["reference"] == 0.0


def test_forest_errors() -> None:
    with pytest.raises(ValueError, match="lower <= estimate <= upper"):
        forest_figure_data(FOREST.with_columns(pl.col("lower") * 2))
    with pytest.raises(ValueError, match="must be > 0 on `scale` 'log'"):
        forest_figure_data(FOREST.with_columns(pl.col("lower") - 1))
    with pytest.raises(ValueError, match="`scale` must be"):
        forest_figure_data(FOREST, scale="logit")


# --- CONSORT -------------------------------------------------------------------------------

def test_consort_snapshot_and_rules() -> None:
    data = consort_figure_data(FLOW)
    assert_matches_snapshot("figure_consort", data)
    boxes = {b["id"]: b for b in data.content["boxes"]}
    assert boxes["screened"]["text"] == "Patients screened\n(n = 120)"
    assert boxes["excluded_before_eligible"]["text"] == (
        "Excluded:\n\u2022 Age < 18 years (n = 2)\n\u2022 ECOG > 2 (n = 3)"
    )
    assert {b["kind"] for b in data.content["boxes"] if b["id"].startswith("cohort_")} == {
        "branch"}
    # branch arrows start below the last exclusion box, so they cross nothing
    split = next(a for a in data.content["arrows"] if a["to"]["box"] == "cohort_alectinib")
    assert split["from"]["box"] is None
    assert split["from"]["y"] < boxes["excluded_after_eligible"]["y"]


def test_consort_errors() -> None:
    with pytest.raises(SchemaError, match=r"`flow.kind` must hold values among"):
        consort_figure_data(FLOW.with_columns(pl.lit("dropped").alias("kind")))
    with pytest.raises(ValueError, match="must start with an included stage"):
        consort_figure_data(FLOW.tail(8))
    with pytest.raises(ValueError, match="whole numbers >= 0"):
        consort_figure_data(FLOW.with_columns(pl.lit(-1).alias("n")))
    with pytest.raises(ValueError, match="must end with its branch rows"):
        consort_figure_data(FLOW.with_columns(
            pl.when(pl.col("step") == 3).then(pl.lit("cohort_x")).otherwise(pl.col("stage"))
            .alias("stage")))  # fmt: skip


# --- drawing and files ---------------------------------------------------------------------

def test_every_plot_function_returns_a_plain_figure() -> None:
    from matplotlib.figure import Figure

    figs = [plot_waterfall(WATERFALL), plot_spider(SPIDER), plot_swimmer(SEGMENTS, EVENTS),
            plot_forest(FOREST), plot_consort(FLOW)]
    assert all(isinstance(f, Figure) for f in figs)
    own = Figure()
    ax = own.add_subplot(1, 1, 1)
    assert plot_waterfall(WATERFALL, ax=ax) is own


def test_save_writes_three_formats_with_identical_bytes_on_resave(tmp_path: Path) -> None:
    fig = plot_km(kaplan_meier([9, 13, 13, 18, 23, 28, 31], [1, 1, 0, 1, 1, 0, 1]),
                  title="Example")
    first = save_figure(fig, tmp_path / "km")
    assert [p.name for p in first] == ["km.png", "km.svg", "km.pdf"]
    blobs = {p.suffix: p.read_bytes() for p in first}
    assert blobs[".png"].startswith(b"\x89PNG")
    assert blobs[".pdf"].startswith(b"%PDF")
    assert b"<svg" in blobs[".svg"]
    again = save_figure(fig, tmp_path / "km.pdf")  # an extension is replaced
    for p in again:
        assert p.read_bytes() == blobs[p.suffix], f"{p.name} differs on re-save"
    # no dates or software versions in the files
    assert b"CreationDate" not in blobs[".pdf"]
    assert b"Matplotlib" not in blobs[".pdf"]
    assert b"<dc:date>" not in blobs[".svg"]
    assert b"matplotlib.org" not in blobs[".svg"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_save_errors(tmp_path: Path) -> None:
    fig = plot_forest(FOREST)
    with pytest.raises(ValueError, match="`formats` must be distinct values among"):
        save_figure(fig, tmp_path / "f", formats=("png", "jpg"))
    with pytest.raises(ValueError, match="`dpi` must be a whole number in \\[50, 2400\\]"):
        save_figure(fig, tmp_path / "f", dpi=10)
    with pytest.raises(FileNotFoundError, match="`path` must be in an existing folder"):
        save_figure(fig, tmp_path / "missing" / "f")
    assert list(tmp_path.iterdir()) == []


def test_importing_figures_does_not_import_matplotlib() -> None:
    code = ("import sys, cnsrwe.report.figures; "
            "sys.exit(1 if 'matplotlib' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
