"""Knowledge-base integrity, lookup semantics and finding annotation."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

import cnsrwe
from cnsrwe.resistance.kb import (
    KB_VERSION,
    NOTICE,
    annotate_findings,
    load_kb,
    lookup,
    normalise_mutation,
    summarise_lookup,
)
from cnsrwe.resistance.lines import derive_lines_of_therapy
from cnsrwe.resistance.mechanisms import derive_biopsy_mechanisms

from ._data import SEQUENCES, D, biopsies

KB_FILE = Path(cnsrwe.__file__).parent / "data" / "kb" / "alk_resistance.csv"
SEED_TAGS_UNVERIFIED = ("M-high", "M-moderate", "M-low", "M (not")


def _rows() -> list[dict[str, str]]:
    with KB_FILE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_shipped_row_has_a_source_and_a_verification_status() -> None:
    rows = _rows()
    assert len(rows) == 167
    for r in rows:
        assert r["source"].strip(), r["row_id"]
        assert r["verification"] in ("verified", "unverified"), r["row_id"]
        assert r["verification_method"].strip(), r["row_id"]
    assert len({r["row_id"] for r in rows}) == len(rows)


def test_recalled_seed_rows_are_never_shipped_as_verified() -> None:
    for r in _rows():
        if r["seed_tag"].startswith(SEED_TAGS_UNVERIFIED):
            assert r["verification"] == "unverified", r["row_id"]
        if r["verification"] == "unverified":
            assert r["verification_method"].startswith("not verified"), r["row_id"]


def test_kb_readme_states_version_and_counts() -> None:
    text = (KB_FILE.parent / "README.md").read_text(encoding="utf-8")
    rows = _rows()
    n_ver = sum(r["verification"] == "verified" for r in rows)
    assert KB_VERSION in text
    assert f"{len(rows)} rows ship: {n_ver} `verified`, {len(rows) - n_ver} `unverified`" in text


def test_categories_and_kinds_use_the_documented_vocabulary() -> None:
    kb = load_kb()
    assert set(kb["category"]) <= {
        "SENSITIVE", "INTERMEDIATE", "RESISTANT", "TARGETED", "REPORTED_RESISTANCE",
        "CLINICAL_RESPONSE", "CLINICAL_NO_RESPONSE", "MIXED", "NA",
    }  # fmt: skip
    assert set(kb["mutation_kind"]) <= {"single", "compound", "reference", "any", "NA"}
    # every single/compound label expands to at least one match key
    named = kb.filter(pl.col("mutation_kind").is_in(["single", "compound"]))
    assert named.filter(pl.col("members").list.len() == 0).height == 0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("G1202R", "G1202R"),
        ("ALK G1202R", "G1202R"),
        ("p.Gly1202Arg", "G1202R"),
        ("G1202R+L1196M", "L1196M+G1202R"),
        ("ALK G1202R/L1196M", "L1196M+G1202R"),
    ],
)
def test_normalise_mutation(text: str, key: str) -> None:
    assert normalise_mutation(text) == key


@pytest.mark.parametrize("bad", ["", "MET amplification", "hello", 1202])
def test_bad_mutation_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="`mutation` must be an ALK protein change"):
        lookup(bad)  # type: ignore[arg-type]


def test_bad_drug_is_refused() -> None:
    with pytest.raises(ValueError, match="`drug` must be an ALK inhibitor"):
        lookup("G1202R", drug="pemetrexed")


def test_lookup_g1202r_verified_rows_and_hidden_unverified_ic50() -> None:
    rows = lookup("G1202R")
    direct = rows.filter(pl.col("match") == "exact")
    # verified label statements (lorlatinib SmPC) and the 2017 review list
    assert set(direct.filter(pl.col("drug") == "alectinib")["row_id"]) == {
        "RES-043", "RES-124", "RES-147",
    }  # fmt: skip
    unverified = rows.filter(pl.col("verification") == "unverified")
    assert unverified.height > 0
    assert unverified["ic50_nM"].null_count() == unverified.height
    summary = {r["drug"]: r["activity"] for r in summarise_lookup(rows).iter_rows(named=True)}
    assert summary["lorlatinib"] == "reported active"
    assert summary["alectinib"] == "reported inactive"
    # the 2017 review lists G1202R both as targeted (footnote a) and reported for brigatinib
    assert summary["brigatinib"] == "conflicting"


def test_group_labels_expand_and_aliases_filter() -> None:
    rows = lookup("I1171S", drug="lorlatinib", include_unverified=False)
    # I1171T/N/S in the 2017 review (TARGETED) plus the "any ALK mutation" cohort rows
    assert rows.select("row_id", "match").rows() == [
        ("RES-097", "group_member"), ("RES-157", "any_alk_mutation"),
        ("RES-158", "any_alk_mutation"),
    ]  # fmt: skip
    wild = lookup("I1171N", drug="AP26113", include_unverified=False)
    assert ("RES-155", "group_member") in wild.select("row_id", "match").rows()
    assert lookup("V1180L", drug="X-396").height == 0


def test_compound_lookup_uses_exact_rows_and_marks_components() -> None:
    rows = lookup("I1171N+D1203N", drug="lorlatinib")
    exact = rows.filter(pl.col("match") == "exact")
    assert set(exact["row_id"]) == {"RES-163", "RES-165"}
    assert set(rows["match"]) == {"exact", "component", "any_alk_mutation"}
    summary = summarise_lookup(rows).row(0, named=True)
    assert summary["activity"] == "reported inactive"  # from the verified 2024 case only
    assert summary["unverified_categories"] == ["RESISTANT"]


def test_annotate_findings() -> None:
    lines = derive_lines_of_therapy(SEQUENCES).lines
    mech = derive_biopsy_mechanisms(biopsies([
        ("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R"),
        ("P3", D(2021, 1, 20), "tissue", "ngs", "alk_mutation", "ALK I1171N"),
        ("P3", D(2021, 1, 20), "tissue", "ngs", "alk_mutation", "ALK D1203N"),
        ("P4", D(2020, 6, 20), "tissue", "ngs", "bypass", "MET amplification"),
    ]), lines).samples  # fmt: skip
    ann = annotate_findings(mech).sort("patient_id")
    assert ann["patient_id"].to_list() == ["P1", "P3"]
    p1, p3 = ann.iter_rows(named=True)
    assert p1["kb_query"] == "G1202R"
    assert p1["inhibitors_reported_active"] == ["lorlatinib"]
    assert p1["inhibitors_reported_inactive"] == ["crizotinib", "ceritinib", "alectinib"]
    assert p1["inhibitors_conflicting"] == ["brigatinib"]
    assert p1["kb_notice"] == NOTICE
    assert p3["kb_query"] == "I1171N+D1203N"
    assert p3["inhibitors_reported_active"] == []
    assert p3["inhibitors_reported_inactive"] == ["lorlatinib"]
    assert "RES-163" not in p3["kb_row_ids"]  # unverified row not used by default
    with_unverified = annotate_findings(mech, include_unverified=True).sort("patient_id")
    assert "RES-163" in with_unverified["kb_row_ids"][1].to_list()


def test_notice_says_not_treatment_advice() -> None:
    assert "not treatment advice" in NOTICE
