"""Sankey and sunburst figures: FigureData snapshots from small hand-built tables, layout rules
checked by hand, errors, drawing and byte-identical SVG/PDF re-save; and both figures built
from the reconstructed 2024 example (examples/progression-2024) through cnsrwe.resistance."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cnsrwe.errors import SchemaError
from cnsrwe.io import load_study
from cnsrwe.report.figures import (
    plot_sankey,
    plot_sunburst,
    sankey_figure_data,
    save_figure,
    sunburst_figure_data,
)
from cnsrwe.report.figures.style import LIGHT_GREY, group_colour
from cnsrwe.resistance import (
    derive_biopsy_mechanisms,
    derive_lines_of_therapy,
    treatment_sequences,
)

from ._figure_snapshots import assert_matches_snapshot

EXAMPLE_DATA = Path(__file__).resolve().parents[2] / "examples" / "progression-2024" / "data"

# 10 patients: 7 crizotinib -> (5 alectinib, 2 ceritinib), 3 alectinib -> lorlatinib; then
# alectinib -> 4 lorlatinib + 1 stop, ceritinib -> 2 chemotherapy, lorlatinib -> 3 ongoing
FLOWS = pl.DataFrame({
    "step": [1, 1, 1, 2, 2, 2, 2],
    "from_label": ["crizotinib", "crizotinib", "alectinib", "alectinib", "alectinib",
                   "ceritinib", "lorlatinib"],
    "to_label": ["alectinib", "ceritinib", "lorlatinib", "lorlatinib", "no further line",
                 "chemotherapy", "ongoing"],
    "n": [5, 2, 3, 4, 1, 2, 3],
})  # fmt: skip

# 10 biopsies: tissue 8 (6 at progression: 3 ALK, 2 bypass, 1 failed -> no mechanism ring;
# 2 later: 2 ALK), plasma 2 (at progression, none detected)
RINGS = pl.DataFrame({
    "specimen": ["tissue", "tissue", "tissue", "tissue", "plasma"],
    "timing": ["at progression", "at progression", "at progression", "later line",
               "at progression"],
    "mechanism": ["ALK mutation", "bypass", None, "ALK mutation", "none detected"],
    "n": [3, 2, 1, 2, 2],
})  # fmt: skip


def _node(data: dict, column: int, label: str) -> dict:
    (node,) = [n for n in data["nodes"] if n["column"] == column and n["label"] == label]
    return node


def test_sankey_snapshot_and_rules() -> None:
    fd = sankey_figure_data(FLOWS)
    assert_matches_snapshot("figure_sankey", fd)
    c = fd.to_dict()["content"]
    assert [col["header"] for col in c["columns"]] == ["Line 1", "Line 2", "Line 3"]
    assert [col["total"] for col in c["columns"]] == [10, 10, 10]
    # node height = max(in, out); column 0 ordered by size, terminal labels at the bottom
    assert [(n["label"], n["n"]) for n in c["nodes"] if n["column"] == 0] == [
        ("crizotinib", 7), ("alectinib", 3)]
    assert [n["label"] for n in c["nodes"] if n["column"] == 2] == [
        "lorlatinib", "chemotherapy", "ongoing", "no further line"]
    alec = _node(c, 1, "alectinib")
    assert (alec["n_in"], alec["n_out"], alec["n"]) == (5, 5, 5)
    # gap = 0.04 x 10 = 0.4; tallest column (3 nodes + 3 gaps = 11.2) sets the height
    assert c["ylim"] == [0.0, pytest.approx(11.2)]
    assert _node(c, 0, "crizotinib")["y1"] - _node(c, 0, "alectinib")["y1"] == pytest.approx(7.4)
    for band in c["bands"]:
        assert band["source_y1"] - band["source_y0"] == pytest.approx(band["n"])
        assert band["target_y1"] - band["target_y0"] == pytest.approx(band["n"])
        src = _node(c, band["step"], band["source"])
        tgt = _node(c, band["step"] + 1, band["target"])
        assert src["y0"] - 1e-9 <= band["source_y0"] <= band["source_y1"] <= src["y1"] + 1e-9
        assert tgt["y0"] - 1e-9 <= band["target_y0"] <= band["target_y1"] <= tgt["y1"] + 1e-9
        assert band["colour"] == src["colour"]
    # bands leaving crizotinib tile it top-down in the order of their targets
    out = [b for b in c["bands"] if b["source"] == "crizotinib"]
    assert [b["target"] for b in out] == ["alectinib", "ceritinib"]
    assert out[0]["source_y1"] == _node(c, 0, "crizotinib")["y1"]
    assert out[0]["source_y0"] == pytest.approx(out[1]["source_y1"])
    # one colour per label in every column; terminal labels grey
    assert _node(c, 1, "lorlatinib")["colour"] == _node(c, 2, "lorlatinib")["colour"]
    assert _node(c, 2, "ongoing")["colour"] == LIGHT_GREY
    assert _node(c, 0, "alectinib")["colour"] == group_colour(0)


def test_sankey_options() -> None:
    c = sankey_figure_data(FLOWS, order=["alectinib", "crizotinib"], gap=0.0,
                           column_labels=["2G", "next", "after"],
                           colours={"lorlatinib": "#000000"}).to_dict()["content"]
    assert [n["label"] for n in c["nodes"] if n["column"] == 0] == ["alectinib", "crizotinib"]
    assert c["ylim"] == [0.0, 10.0]
    assert [col["header"] for col in c["columns"]] == ["2G", "next", "after"]
    assert _node(c, 2, "lorlatinib")["colour"] == "#000000"


def test_sankey_errors() -> None:
    with pytest.raises(SchemaError, match="`dataset` must have column\\(s\\) 'n'"):
        sankey_figure_data(FLOWS.drop("n"))
    with pytest.raises(ValueError, match=r"`dataset\.n` must be patient counts >= 1, got 0\.0"):
        sankey_figure_data(FLOWS.with_columns(pl.lit(0).alias("n")))
    msg = r"`dataset\.step` must be consecutive steps, got \[1, 3\]"
    with pytest.raises(ValueError, match=msg):
        sankey_figure_data(FLOWS.with_columns(pl.col("step").replace(2, 3)))
    with pytest.raises(ValueError, match="one row per \\(step, from_label, to_label\\)"):
        sankey_figure_data(pl.concat([FLOWS, FLOWS.head(1)]))
    with pytest.raises(ValueError, match="flows out of 'ceritinib' in column 2 \\(5\\) exceed"):
        sankey_figure_data(FLOWS.with_columns(
            pl.when(pl.col("from_label") == "ceritinib").then(5).otherwise(pl.col("n")).alias("n")
        ))
    with pytest.raises(ValueError, match=r"`column_labels` must have 3 labels"):
        sankey_figure_data(FLOWS, column_labels=["a"])
    with pytest.raises(ValueError, match=r"`gap` must be in \[0, 0\.5\], got 2"):
        sankey_figure_data(FLOWS, gap=2)


def test_sunburst_snapshot_and_rules() -> None:
    fd = sunburst_figure_data(RINGS, levels=["specimen", "timing", "mechanism"])
    assert_matches_snapshot("figure_sunburst", fd)
    c = fd.to_dict()["content"]
    assert c["total"] == 10
    assert c["centre_text"] == "n = 10"
    by_path = {tuple(w["path"]): w for w in c["wedges"]}
    # ring 0: tissue 8 (288 degrees) from 12 o'clock clockwise, then plasma 2 (72 degrees)
    tissue, plasma = by_path[("tissue",)], by_path[("plasma",)]
    assert (tissue["theta1"], tissue["theta2"]) == (pytest.approx(-198.0), 90.0)
    assert (plasma["theta1"], plasma["theta2"]) == (pytest.approx(-270.0), pytest.approx(-198.0))
    ring0 = [w for w in c["wedges"] if w["ring"] == 0]
    assert sum(w["theta2"] - w["theta1"] for w in ring0) == pytest.approx(360.0)
    # children inside their parent, by count: at progression (6) before later line (2)
    at = by_path[("tissue", "at progression")]
    later = by_path[("tissue", "later line")]
    assert (at["n"], later["n"]) == (6, 2)
    assert at["theta2"] == tissue["theta2"]
    assert later["theta1"] == pytest.approx(tissue["theta1"])
    # the failed biopsy (null mechanism) leaves 36 degrees empty on the outer ring
    outer = [w for w in c["wedges"] if w["ring"] == 2]
    assert sum(w["theta2"] - w["theta1"] for w in outer) == pytest.approx(324.0)
    # colours: inner ring Okabe-Ito; outer rings the ancestor's colour mixed with white
    assert tissue["colour"] == group_colour(0)
    # ring 1 mixes 30 % white, ring 2 60 %: #0072B2 -> (0 + 0.6 x 255, 114 + 0.6 x 141,
    # 178 + 0.6 x 77) = (153, 198.6, 224.2) -> #99C7E0
    assert by_path[("tissue", "at progression")]["colour"] == "#4C9CC9"  # 76.5 -> 76 (half even)
    assert by_path[("tissue", "at progression", "bypass")]["colour"] == "#99C7E0"
    # labels only on wedges >= 12 degrees
    assert all(w["labelled"] == (w["theta2"] - w["theta1"] >= 12) for w in c["wedges"])
    assert [r["r_outer"] for r in c["rings"]] == pytest.approx([0.5333333, 0.7666667, 1.0])


def test_sunburst_order_and_errors() -> None:
    c = sunburst_figure_data(RINGS, levels=["specimen", "timing"],
                             order={"specimen": ["plasma", "tissue"]}).to_dict()["content"]
    assert [w["label"] for w in c["wedges"] if w["ring"] == 0] == ["plasma", "tissue"]
    with pytest.raises(ValueError, match="`levels` must be a non-empty list of column names"):
        sunburst_figure_data(RINGS, levels="specimen")
    with pytest.raises(SchemaError, match="`dataset` must have column\\(s\\) 'site'"):
        sunburst_figure_data(RINGS, levels=["site"])
    with pytest.raises(ValueError, match="row 1 has a value after a missing level"):
        sunburst_figure_data(RINGS.with_columns(pl.lit(None, pl.String).alias("timing")),
                             levels=["specimen", "timing", "mechanism"])
    with pytest.raises(ValueError, match=r"`dataset\.n` must be counts >= 0, got -1\.0"):
        sunburst_figure_data(RINGS.with_columns(pl.lit(-1).alias("n")), levels=["specimen"])
    with pytest.raises(ValueError, match=r"`lighten` must be in \[0, 0\.5\), got 0\.9"):
        sunburst_figure_data(RINGS, levels=["specimen"], lighten=0.9)


def test_drawing_and_deterministic_files(tmp_path: Path) -> None:
    fig = plot_sankey(FLOWS, title="Treatment sequences")
    axes = fig.axes[0]
    # 7 bands + 9 nodes (2 + 3 + 4)
    assert len(axes.patches) == 16
    files = save_figure(fig, tmp_path / "sankey", formats=("svg", "pdf"))
    blobs = [p.read_bytes() for p in files]
    again = save_figure(fig, tmp_path / "sankey", formats=("svg", "pdf"))
    assert [p.read_bytes() for p in again] == blobs
    fig = plot_sunburst(RINGS, levels=["specimen", "timing", "mechanism"])
    n_wedges = len(sunburst_figure_data(RINGS, levels=["specimen", "timing",
                                                        "mechanism"]).content["wedges"])
    assert len(fig.axes[0].patches) == n_wedges == 9


def test_figures_from_the_2024_example() -> None:
    """The sankey of lines 1 -> 2 -> 3 and the re-biopsy sunburst of the reconstructed data."""
    tables = load_study(EXAMPLE_DATA).tables
    lot = derive_lines_of_therapy(tables["treatments"])
    seq = treatment_sequences(lot.lines, max_steps=2).table
    fd = sankey_figure_data(seq, terminal_labels=("ongoing", "no further line"))
    assert_matches_snapshot("figure_sankey_2024", fd)
    c = fd.to_dict()["content"]
    # two cohort-1 patients had no line after alectinib: they end in column 2
    assert [col["total"] for col in c["columns"]] == [73, 73, 71]
    assert _node(c, 1, "no further line")["n"] == 2
    assert _node(c, 0, "crizotinib")["n"] == 53
    assert _node(c, 1, "alectinib")["n_in"] == 33 + 1  # 33 after crizotinib, 1 after alectinib
    mech = derive_biopsy_mechanisms(tables["biopsies"], lot.lines, check_type="error")
    first_2g = (
        lot.lines.filter(pl.col("alk_generation") == "2G", pl.col("end_reason") == "progression")
        .group_by("patient_id").agg(pl.col("line").min().alias("index_line"))
    )  # fmt: skip
    rings = (
        mech.samples.join(first_2g, on="patient_id")
        .filter(pl.col("line") >= pl.col("index_line"))
        .with_columns(
            pl.when(pl.col("line") == pl.col("index_line")).then(pl.lit("at 2G progression"))
            .otherwise(pl.lit("after a later line")).alias("timing_label"),
            pl.when(pl.col("mechanism_class") == "failed").then(None)
            .otherwise(pl.col("mechanism_class")).alias("mechanism"),
        )
        .group_by("specimen", "timing_label", "mechanism")
        .agg(pl.len().alias("n"))
    )  # fmt: skip
    fd = sunburst_figure_data(rings, levels=["specimen", "timing_label", "mechanism"],
                              order={"specimen": ["tissue", "plasma"]})
    assert_matches_snapshot("figure_sunburst_2024", fd)
    c = fd.to_dict()["content"]
    by_path = {tuple(w["path"]): w["n"] for w in c["wedges"]}
    assert c["total"] == 47
    assert by_path[("tissue",)] == 46
    assert by_path[("tissue", "at 2G progression")] == 40 - 1  # the liquid biopsy is plasma
    assert sum(n for p, n in by_path.items()
               if len(p) == 3 and p[0] == "tissue" and p[2] in ("alk_single", "alk_compound")) == 25
