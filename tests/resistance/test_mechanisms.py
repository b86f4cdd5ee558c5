"""Finding grammar, mechanism class per sample and re-biopsy timing (scenario tables)."""

from __future__ import annotations

import polars as pl
import pytest

from cnsrwe.errors import DataQualityError, DataQualityWarning, SchemaError
from cnsrwe.resistance.findings import parse_findings
from cnsrwe.resistance.lines import derive_lines_of_therapy
from cnsrwe.resistance.mechanisms import BiopsyTimingRule, derive_biopsy_mechanisms

from ._data import SEQUENCES, D, biopsies

LINES = derive_lines_of_therapy(SEQUENCES).lines


@pytest.mark.parametrize(
    ("text", "result", "kind", "gene", "alteration", "muts", "cn", "trans"),
    [
        ("ALK G1202R", "alk_mutation", "alk_mutation", "ALK", "mutation", ["G1202R"], None, None),
        ("alk g1202r", "alk_mutation", "alk_mutation", "ALK", "mutation", ["G1202R"], None, None),
        ("ALK G1202R + L1196M", "alk_mutation", "alk_mutation", "ALK", "mutation",
         ["L1196M", "G1202R"], None, None),
        ("ALK G1202R/L1196M", "alk_mutation", "alk_mutation", "ALK", "mutation",
         ["L1196M", "G1202R"], None, None),
        ("ALK I1171N and ALK D1203N", "alk_mutation", "alk_mutation", "ALK", "mutation",
         ["I1171N", "D1203N"], None, None),
        ("p.Gly1202Arg", "alk_mutation", "alk_mutation", "ALK", "mutation", ["G1202R"], None,
         None),
        ("G1202R", "alk_mutation", "alk_mutation", "ALK", "mutation", ["G1202R"], None, None),
        ("G1202R", "bypass", "unparseable", None, None, [], None, None),
        ("ALK I1151Tins", "alk_mutation", "alk_mutation", "ALK", "mutation", ["I1151Tins"],
         None, None),
        ("ALK amplification", "alk_mutation", "alk_amplification", None, None, [], None, None),
        ("MET amplification", "bypass", "bypass", "MET", "amplification", [], None, None),
        ("MET amplification (CN 4.5)", "bypass", "bypass", "MET", "amplification", [], 4.5, None),
        ("KRAS amplification, copy number 3.4", "bypass", "bypass", "KRAS", "amplification", [],
         3.4, None),
        ("AKAP9-BRAF fusion", "bypass", "bypass", "BRAF", "fusion", [], None, None),
        ("BRAF V600E", "bypass", "bypass", "BRAF", "mutation", [], None, None),
        ("KRAS G12A", "bypass", "bypass", "KRAS", "mutation", [], None, None),
        ("EGFR exon 19 deletion", "bypass", "bypass", "EGFR", "mutation", [], None, None),
        ("SCLC transformation", "transformation", "transformation", None, None, [], None, "sclc"),
        ("small cell transformation", "transformation", "transformation", None, None, [], None,
         "sclc"),
        ("SCC transformation", "transformation", "transformation", None, None, [], None, "scc"),
        ("transformed to squamous cell carcinoma", "transformation", "transformation", None,
         None, [], None, "scc"),
        ("EML4-ALK", "none_detected", "alk_fusion", None, None, [], None, None),
        ("none detected", "none_detected", "none_detected", None, None, [], None, None),
        ("No resistance mechanism detected", "none_detected", "none_detected", None, None, [],
         None, None),
        ("insufficient tissue", "failed", "failed", None, None, [], None, None),
        ("QNS", "failed", "failed", None, None, [], None, None),
        ("see report", "alk_mutation", "unparseable", None, None, [], None, None),
        ("SCLC", "transformation", "unparseable", None, None, [], None, None),
    ],
)
def test_finding_grammar(
    text: str, result: str, kind: str, gene: str | None, alteration: str | None,
    muts: list[str], cn: float | None, trans: str | None,
) -> None:
    frame = pl.DataFrame({"t": [text], "r": [result]})
    got = parse_findings(frame, text="t", result="r", into="p").select("p").unnest("p").row(
        0, named=True
    )
    assert (got["kind"], got["gene"], got["alteration"]) == (kind, gene, alteration)
    assert got["alk_mutations"] == muts
    assert got["copy_number"] == cn
    assert got["transformation"] == trans


def _samples(rows: list[tuple], **kw: object) -> pl.DataFrame:
    return derive_biopsy_mechanisms(biopsies(rows), LINES, check_type="none", **kw).samples


@pytest.mark.parametrize(
    ("rows", "cls", "muts"),
    [
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R")],
         "alk_single", ["G1202R"]),
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R/L1196M")],
         "alk_compound", ["L1196M", "G1202R"]),
        # two rows of one sample make a compound
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R"),
          ("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK L1196M")],
         "alk_compound", ["L1196M", "G1202R"]),
        # the same mutation twice is still single
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R"),
          ("P1", D(2020, 2, 10), "tissue", "pcr", "alk_mutation", "G1202R")],
         "alk_single", ["G1202R"]),
        # two specimens on one day are two samples: each single
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R"),
          ("P1", D(2020, 2, 10), "plasma", "ngs", "alk_mutation", "ALK L1196M")],
         "alk_single", ["G1202R"]),
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R"),
          ("P1", D(2020, 2, 10), "tissue", "ngs", "bypass", "MET amplification")],
         "on_and_off_target", ["G1202R"]),
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "bypass", "MET amplification")], "bypass", []),
        ([("P1", D(2020, 2, 10), "tissue", "histology", "transformation", "SCLC transformation")],
         "transformation", []),
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "none_detected", None)], "none_detected", []),
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "failed", None)], "failed", []),
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK amplification")],
         "alk_amplification", []),
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "unreadable note")],
         "unparseable", []),
        # an ALK mutation outside the kinase domain does not count
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK R401Q")],
         "none_detected", []),
        # two findings in one cell
        ([("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK G1202R; KRAS G12A")],
         "on_and_off_target", ["G1202R"]),
    ],
)
def test_mechanism_class(rows: list[tuple], cls: str, muts: list[str]) -> None:
    s = _samples(rows).sort("specimen", descending=True)
    assert s["mechanism_class"][0] == cls
    assert s["alk_mutations"][0].to_list() == muts


def test_compound_in_plasma_flags_unknown_phase() -> None:
    s = _samples([("P1", D(2020, 2, 10), "plasma", "ngs", "alk_mutation", "ALK G1202R+L1196M")])
    assert s.select("compound_in_one_finding", "compound_phase_unknown").row(0) == (True, True)


def test_bypass_and_transformation_columns() -> None:
    s = _samples([
        ("P1", D(2020, 2, 10), "tissue", "ngs", "bypass", "MET amplification (CN 4.5)"),
        ("P1", D(2020, 2, 10), "tissue", "ngs", "bypass", "KRAS G12A"),
        ("P1", D(2020, 2, 10), "tissue", "histology", "transformation", "SCC transformation"),
    ])  # fmt: skip
    row = s.row(0, named=True)
    assert row["bypass"] == ["MET amplification", "KRAS mutation"]
    assert row["transformation"] == "scc"
    assert row["mechanism_class"] == "transformation"
    assert row["methods"] == ["ngs", "histology"]


@pytest.mark.parametrize(
    ("pid", "date", "line", "days", "timing"),
    [
        # P1 line 2 (alectinib) progressed 2020-02-01; lorlatinib started 2020-03-01
        ("P1", D(2020, 1, 15), 2, -17, "at_progression"),  # within 30 days before
        ("P1", D(2020, 2, 1), 2, 0, "at_progression"),
        ("P1", D(2020, 2, 29), 2, 28, "at_progression"),
        ("P1", D(2020, 3, 1), 2, 29, "after_next_line_start"),
        # during line 2 and earlier than its progression window: a mid-line biopsy of line 2
        ("P1", D(2019, 12, 1), 2, -62, "before_progression"),
        ("P1", D(2018, 6, 1), 1, -183, "before_progression"),
        # during the ongoing line 3 (never progressed): after line 2's next line started
        ("P1", D(2021, 1, 1), 2, 335, "after_next_line_start"),
        ("P1", D(2017, 6, 1), None, None, "no_prior_progression"),
        # P3 line 1 (alectinib) progressed 2021-01-01; chemo from 2021-02-01
        ("P3", D(2021, 1, 20), 1, 19, "at_progression"),
        # P2 line 2 progressed 2018-01-01 and no next line: late biopsy after the window
        ("P2", D(2018, 6, 1), 2, 151, "after_progression"),
        ("P9", D(2018, 6, 1), None, None, "no_prior_progression"),
    ],
)
def test_timing(pid: str, date: object, line: int | None, days: int | None, timing: str) -> None:
    s = _samples([(pid, date, "tissue", "ngs", "alk_mutation", "ALK G1202R")])
    row = s.row(0, named=True)
    assert (row["line"], row["days_from_progression"], row["timing"]) == (line, days, timing)


def test_timing_rule_is_configurable_and_described() -> None:
    rule = BiopsyTimingRule(days_before_progression=0, days_after_progression=10)
    s = _samples([("P1", D(2020, 1, 15), "tissue", "ngs", "alk_mutation", "ALK G1202R"),
                  ("P1", D(2020, 2, 20), "plasma", "ngs", "alk_mutation", "ALK G1202R")],
                 rule=rule).sort("biopsy_date")  # fmt: skip
    assert s.select("line", "days_from_progression", "timing").rows() == [
        (2, -17, "before_progression"), (2, 19, "after_progression"),
    ]  # fmt: skip
    assert "0 days before to 10 days after" in rule.description


def test_progression_dates_can_be_given() -> None:
    prog = pl.DataFrame({"patient_id": ["P1"], "line": [2], "progression_date": [D(2019, 12, 1)]})
    s = _samples([("P1", D(2019, 12, 20), "tissue", "ngs", "alk_mutation", "ALK G1202R")],
                 dataset_progression=prog)  # fmt: skip
    assert s.select("line", "days_from_progression", "timing").row(0) == (2, 19, "at_progression")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days_before_progression": -1}, "`days_before_progression` must be a whole number"),
        ({"days_after_progression": 1.5}, "`days_after_progression` must be a whole number"),
        ({"kinase_domain": (1300, 1200)}, "`kinase_domain` must be two residues"),
    ],
)
def test_bad_rule(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BiopsyTimingRule(**kwargs)


BAD = [
    ("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "see attached report"),
    ("P1", D(2020, 2, 10), "tissue", "ngs", "bypass", "ALK G1202R"),
    ("P1", D(2020, 2, 10), "tissue", "ngs", "alk_mutation", "ALK R401Q"),
]


def test_data_quality_rows() -> None:
    res = derive_biopsy_mechanisms(biopsies(BAD), LINES, check_type="none")
    assert res.issues.select("source_row", "code", "value").rows() == [
        (1, "unparseable_finding", "see attached report"),
        (2, "result_finding_mismatch", "ALK G1202R"),
        (3, "alk_mutation_outside_kinase_domain", "R401Q"),
    ]
    assert all("P1" not in m for m in res.issues["message"])


def test_check_type_warning_and_error() -> None:
    with pytest.warns(DataQualityWarning, match="3 biopsy finding") as rec:
        derive_biopsy_mechanisms(biopsies(BAD), LINES)
    assert rec[0].message.rows.height == 3  # type: ignore[union-attr]
    with pytest.raises(DataQualityError, match="could not be read") as err:
        derive_biopsy_mechanisms(biopsies(BAD), LINES, check_type="error")
    assert err.value.rows.height == 3
    with pytest.raises(ValueError, match="`check_type` must be one of"):
        derive_biopsy_mechanisms(biopsies(BAD), LINES, check_type="loud")  # type: ignore[arg-type]


def test_bad_input() -> None:
    with pytest.raises(SchemaError, match="lacks required column `finding`"):
        derive_biopsy_mechanisms(biopsies(BAD).drop("finding"), LINES)
    with pytest.raises(SchemaError, match="must be a Date column"):
        derive_biopsy_mechanisms(
            biopsies(BAD).with_columns(pl.col("biopsy_date").cast(pl.String)), LINES
        )
