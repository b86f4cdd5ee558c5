"""`cnsrwe kb`: text and JSON output, the standing notice, unverified labels, errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.resistance.kb import KB_VERSION, NOTICE

runner = CliRunner()


def test_kb_text_has_notice_verification_labels_and_no_unverified_ic50() -> None:
    res = runner.invoke(app, ["kb", "G1202R"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.count(f"NOTICE: {NOTICE}") == 2  # at the top and at the end
    assert f"knowledge base {KB_VERSION}" in out
    assert "lorlatinib: reported active" in out
    assert "alectinib: reported inactive" in out
    assert "brigatinib: conflicting" in out
    # the recalled Gainor 2016 G1202R IC50s must never be printed as numbers
    assert "RES-043  RESISTANT             in_vitro_IC50; IC50 not shown (unverified)" in out
    assert "[UNVERIFIED]" in out
    assert "[verified]" in out
    for recalled in ("560.2", "595.1", "80.2"):
        assert recalled not in out
    assert "Lorviqua (lorlatinib) EU Summary of Product Characteristics" in out


def test_kb_drug_filter_and_alias() -> None:
    res = runner.invoke(app, ["kb", "ALK G1202R", "--drug", "PF-06463922"])
    assert res.exit_code == 0, res.output
    assert "lorlatinib: reported active" in res.output
    assert "alectinib" not in res.output.replace("Lorviqua (lorlatinib)", "")


def test_kb_json() -> None:
    res = runner.invoke(app, ["kb", "G1202R/L1196M", "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["query"] == "L1196M+G1202R"
    assert payload["notice"] == NOTICE
    assert payload["kb_version"] == KB_VERSION
    exact = [r for r in payload["evidence"] if r["match"] == "exact"]
    assert [(r["row_id"], r["verification"]) for r in exact] == [("RES-162", "unverified")]
    assert all(r["ic50_nM"] is None for r in payload["evidence"] if r["verification"] != "verified")
    assert payload["summary"][0]["activity"] == "no verified direct evidence"


def test_kb_list() -> None:
    res = runner.invoke(app, ["kb", "--list"])
    assert res.exit_code == 0, res.output
    assert NOTICE in res.output
    assert "I1171T/N/S" in res.output
    res = runner.invoke(app, ["kb", "--list", "--format", "json"])
    muts = {m["mutation"] for m in json.loads(res.output)["mutations"]}
    assert {"G1202R", "I1171N+D1203N", "G1202R+L1196M"} <= muts


def test_kb_errors() -> None:
    res = runner.invoke(app, ["kb", "MET amplification"])
    assert res.exit_code == 2
    assert "`mutation` must be an ALK protein change" in res.output
    res = runner.invoke(app, ["kb", "G1202R", "--drug", "aspirin"])
    assert res.exit_code == 2
    assert "`drug` must be an ALK inhibitor" in res.output
    res = runner.invoke(app, ["kb", "G1202R", "--format", "xml"])
    assert res.exit_code == 2
    assert "`--format` must be one of" in res.output
    res = runner.invoke(app, ["kb"])
    assert res.exit_code == 2


def test_kb_unknown_but_valid_mutation() -> None:
    res = runner.invoke(app, ["kb", "A1200V"])
    assert res.exit_code == 0
    assert "No row of the knowledge base is about this mutation itself." in res.output
    assert "about any ALK kinase-domain mutation" in res.output
    assert NOTICE in res.output
