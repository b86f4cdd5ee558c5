"""Drug vocabulary and lines of therapy (generation, sequence stage, local therapy)."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.errors import SchemaError
from cnsrwe.resistance.drugs import ALK_TKI_GENERATION, canonical_drug, normalise_drug_key
from cnsrwe.resistance.lines import derive_lines_of_therapy

from ._data import SEQUENCES, D, treatments


@pytest.mark.parametrize(
    ("name", "drug", "generation"),
    [
        ("crizotinib", "crizotinib", "1G"),
        ("Xalkori", "crizotinib", "1G"),
        ("ALECTINIB", "alectinib", "2G"),
        ("ceritinib", "ceritinib", "2G"),
        ("LDK378", "ceritinib", "2G"),
        ("brigatinib", "brigatinib", "2G"),
        ("AP26113", "brigatinib", "2G"),
        ("X-396", "ensartinib", "2G"),
        ("x396", "ensartinib", "2G"),
        ("WX-0593", "iruplinalkib", "2G"),
        ("wx 0593", "iruplinalkib", "2G"),
        ("iruplinalkib", "iruplinalkib", "2G"),
        ("CT707", "conteltinib", "2G"),
        ("CT-707", "conteltinib", "2G"),
        ("conteltinib", "conteltinib", "2G"),
        ("lorlatinib", "lorlatinib", "3G"),
        ("PF-06463922", "lorlatinib", "3G"),
        ("Lorbrena", "lorlatinib", "3G"),
    ],
)
def test_alk_tki_vocabulary(name: str, drug: str, generation: str) -> None:
    entry = canonical_drug(name)
    assert entry is not None
    assert (entry.name, entry.drug_class, entry.generation) == (drug, "alk_tki", generation)


def test_generation_table_is_the_2024_paper_grouping() -> None:
    assert ALK_TKI_GENERATION == {
        "crizotinib": "1G", "alectinib": "2G", "ceritinib": "2G", "brigatinib": "2G",
        "ensartinib": "2G", "iruplinalkib": "2G", "conteltinib": "2G", "lorlatinib": "3G",
    }  # fmt: skip


@pytest.mark.parametrize("name", ["alectinibb", "entrectinib", "ALK inhibitor", "", "X-397"])
def test_unknown_names_are_not_guessed(name: str) -> None:
    assert canonical_drug(name) is None


def test_normalise_key() -> None:
    assert normalise_drug_key(" WX-0593 ") == "wx0593"
    assert canonical_drug("pemetrexed").drug_class == "chemotherapy"  # type: ignore[union-attr]


def _line(result: pl.DataFrame, pid: str, line: int) -> dict:
    rows = result.filter((pl.col("patient_id") == pid) & (pl.col("line") == line)).to_dicts()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("pid", "line", "alk_tki", "generation", "stage", "n_prior", "previous"),
    [
        ("P1", 1, "crizotinib", "1G", "first_line", 0, None),
        ("P1", 2, "alectinib", "2G", "post_crizotinib", 1, "crizotinib"),
        ("P1", 3, "lorlatinib", "3G", "post_2g", 2, "alectinib"),
        ("P2", 1, None, None, None, 0, None),
        ("P2", 2, "iruplinalkib", "2G", "tki_naive_later_line", 0, None),
        ("P3", 1, "alectinib", "2G", "first_line", 0, None),
        ("P3", 2, None, None, None, 1, "alectinib"),
        ("P4", 1, "ensartinib", "2G", "first_line", 0, None),
        ("P4", 2, "conteltinib", "2G", "post_2g", 1, "ensartinib"),
        ("P4", 3, "brigatinib", "2G", "post_2g", 2, "conteltinib"),
    ],
)
def test_sequence_stage(
    pid: str, line: int, alk_tki: str | None, generation: str | None, stage: str | None,
    n_prior: int, previous: str | None,
) -> None:
    got = _line(derive_lines_of_therapy(SEQUENCES).lines, pid, line)
    assert got["alk_tki"] == alk_tki
    assert got["alk_generation"] == generation
    assert got["sequence_stage"] == stage
    assert got["n_prior_alk_tki_lines"] == n_prior
    assert got["previous_alk_tki"] == previous


def test_post_3g_stage() -> None:
    tr = treatments([
        ("Q", 1, "lorlatinib", "alk_tki", ["lorlatinib"], D(2019, 1, 1), D(2020, 1, 1),
         "progression"),
        ("Q", 2, "brigatinib", "alk_tki", ["brigatinib"], D(2020, 2, 1), None, "ongoing"),
    ])  # fmt: skip
    assert _line(derive_lines_of_therapy(tr).lines, "Q", 2)["sequence_stage"] == "post_3g"


def test_unknown_agent_reported_not_guessed() -> None:
    res = derive_lines_of_therapy(SEQUENCES)
    unknown = res.issues.filter(pl.col("code") == "unknown_agent")
    assert unknown.select("patient_id", "line").rows() == [("P3", 2)]
    assert "zz-999" in unknown["message"][0]
    assert _line(res.lines, "P3", 2)["agents"] == ["pemetrexed"]


def test_agent_class_mismatch_reported() -> None:
    tr = treatments([
        ("Q", 1, "alectinib", "chemotherapy", ["alectinib"], D(2019, 1, 1), None, "ongoing"),
    ])  # fmt: skip
    res = derive_lines_of_therapy(tr)
    assert res.issues["code"].to_list() == ["agent_class_mismatch"]


def test_several_tkis_in_one_line_take_highest_generation() -> None:
    tr = treatments([
        ("Q", 1, "crizotinib", "alk_tki", ["crizotinib"], D(2019, 1, 1), D(2019, 3, 1), "toxicity"),
        ("Q", 1, "alectinib", "alk_tki", ["alectinib"], D(2019, 3, 2), None, "ongoing"),
    ])  # fmt: skip
    res = derive_lines_of_therapy(tr)
    got = _line(res.lines, "Q", 1)
    assert got["alk_tkis"] == ["crizotinib", "alectinib"]
    assert got["alk_generation"] == "2G"
    assert "several_alk_tkis_in_line" in res.issues["code"].to_list()


def test_local_therapy_during_a_line() -> None:
    lt = derive_lines_of_therapy(SEQUENCES).local_therapies.sort("patient_id")
    assert lt.select(
        "patient_id", "line", "line_assignment", "target_site", "line_alk_tki", "days_added"
    ).rows() == [
        # SRS 2019-06-01, alectinib line ends 2020-02-01: 245 days added
        ("P1", 2, "recorded", "brain", "alectinib", 245),
        # RT 2017-09-01 without line number, WX-0593 line ends 2018-01-01: 122 days
        ("P2", 2, "by_date", "extracranial", "iruplinalkib", 122),
    ]


def test_local_therapy_in_ongoing_line_and_outside_any_line() -> None:
    tr = treatments([
        ("Q", 1, "alectinib", "alk_tki", ["alectinib"], D(2019, 1, 1), None, "ongoing"),
        ("Q", 1, "SRS", "radiotherapy", None, D(2019, 5, 1), D(2019, 5, 1), "completed", "brain"),
        ("Q", 1, "surgery", "surgery", None, D(2018, 5, 1), D(2018, 5, 1), "completed", "brain"),
        ("R", None, "WBRT", "radiotherapy", None, D(2018, 5, 1), D(2018, 5, 9), "completed"),
    ])  # fmt: skip
    res = derive_lines_of_therapy(tr)
    lt = res.local_therapies
    assert lt.select("patient_id", "line_assignment", "line_ongoing", "days_added").rows() == [
        ("Q", "recorded", True, None),
        ("Q", "recorded", True, None),
        ("R", "none", False, None),
    ]
    outside = res.issues.filter(pl.col("code") == "local_therapy_outside_line")
    assert outside.height == 1
    assert "Q" not in outside["message"][0]


def test_bad_input_is_refused() -> None:
    with pytest.raises(SchemaError, match="`dataset_treatments` must be a polars DataFrame"):
        derive_lines_of_therapy({"a": 1})  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="lacks required column `agents`"):
        derive_lines_of_therapy(SEQUENCES.drop("agents"))


def test_input_not_mutated() -> None:
    before = SEQUENCES.clone()
    derive_lines_of_therapy(SEQUENCES)
    assert SEQUENCES.equals(before)
