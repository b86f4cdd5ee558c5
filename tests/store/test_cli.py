"""The store commands: import, history, summary, audit, keygen."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cli_study import LESIONS, PATIENTS, TREATMENTS, write_cli_study, write_table
from store_studies import sort_by_key, without_source_row
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.io import load_study
from cnsrwe.store import Store

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_cli_study(tmp_path / "input")


def test_import_creates_then_reimport_is_unchanged(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    code, out = _run("import", str(data), "--study", str(study), "--reason", "first export")
    assert code == 0, out
    assert "Imported version 1" in out
    before = _digest(study)
    code, out = _run("import", str(data), "--study", str(study), "--format", "json")
    assert code == 0, out
    assert json.loads(out)["status"] == "unchanged"
    assert _digest(study) == before  # "unchanged" writes nothing at all
    with Store.open(study, read_only=True) as store:
        loaded = load_study(data)
        for name, df in loaded.tables.items():
            want = sort_by_key(name, without_source_row(df))
            assert store.read_table(name).equals(want), name
        assert store.versions()[0].reason == "first export"


def test_failed_validation_leaves_the_store_byte_identical(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    assert _run("import", str(data), "--study", str(study))[0] == 0
    before = _digest(study)
    bad = [{**LESIONS[0], "diameter_mm": "12.55"}, LESIONS[1]]
    write_table(data, "lesions", bad)
    code, out = _run("import", str(data), "--study", str(study))
    assert code == 1
    assert "nothing was imported" in out
    assert "lesions.csv, row 2, column diameter_mm" in " ".join(out.split())
    assert _digest(study) == before
    missing = tmp_path / "never.duckdb"
    assert _run("import", str(data), "--study", str(missing))[0] == 1
    assert not missing.exists()


def test_history_counts_and_details(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    _run("import", str(data), "--study", str(study))
    write_table(data, "patients", PATIENTS[:1])
    # P002's rows elsewhere must go too, or validation refuses orphan rows
    write_table(data, "treatments", [t for t in TREATMENTS if t["patient_id"] == "P001"])
    code, out = _run("import", str(data), "--study", str(study), "--reason", "P002 withdrew")
    assert code == 0, out
    code, out = _run("history", "--study", str(study))
    assert code == 0, out
    assert "Version 2" in out
    assert "P002 withdrew" in out
    assert "Audit chain: valid" in out
    assert "P002 " not in out.replace("P002 withdrew", "")  # no ids without --details
    code, out = _run("history", "--study", str(study), "--details")
    assert "removed  P002" in out
    code, out = _run("history", "--study", str(study), "--format", "json", "--details")
    payload = json.loads(out)
    v2 = payload["versions"][1]
    patients = {t["table"]: t for t in v2["tables"]}["patients"]
    assert (patients["added"], patients["removed"], patients["changed"]) == (0, 1, 0)
    assert v2["changed_keys"]["patients"] == [{"patient_id": "P002", "change": "removed"}]
    assert payload["audit"]["ok"] is True


def test_summary_has_counts_and_no_identifiers(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    _run("import", str(data), "--study", str(study))
    code, out = _run("summary", "--study", str(study), "--format", "json")
    assert code == 0, out
    s = json.loads(out)
    assert s["n_patients"] == 2
    assert s["patients_by_site"] == {"S1": 1, "S2": 1}
    assert s["n_deaths"] == 1
    assert (s["n_lesion_rows"], s["n_lesion_assessments"]) == (2, 2)
    assert {
        (t["agent_class"], t["regimen"], t["rows"], t["patients"]) for t in s["treatments"]
    } == {("alk_tki", "alectinib", 2, 2), ("radiotherapy", "SRS", 1, 1)}
    assert (s["first_date"], s["last_date"]) == ("2018-03-14", "2022-03-30")
    code, text = _run("summary", "--study", str(study))
    assert code == 0
    for out_ in (out, text):
        assert "P001" not in out_
        assert "P002" not in out_


def test_deidentified_import_via_cli(data: Path, tmp_path: Path) -> None:
    key = tmp_path / "study.key"
    study = tmp_path / "s.duckdb"
    assert _run("keygen", "--out", str(key))[0] == 0
    code, out = _run("keygen", "--out", str(key))
    assert code == 1
    assert "refusing to overwrite" in out
    code, out = _run("import", str(data), "--study", str(study), "--deidentify",
                     "--key-file", str(study))  # fmt: skip
    assert code == 1
    assert "must not be the study file" in out
    args = ("import", str(data), "--study", str(study), "--deidentify", "--key-file", str(key))
    code, out = _run(*args)
    assert code == 0, out
    assert json.loads(_run(*args, "--format", "json")[1])["status"] == "unchanged"
    with Store.open(study, read_only=True) as store:
        ids = store.read_table("patients")["patient_id"].to_list()
        assert not {"P001", "P002"} & set(ids)
        assert store.audit()[-1].action == "deidentified_import"
    raw = study.read_bytes()
    assert b"P001" not in raw
    assert key.read_text().strip().encode() not in raw
    assert _run("import", str(data), "--study", str(study))[0] == 1  # identified into deid


def test_audit_command_and_foreign_file(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    _run("import", str(data), "--study", str(study))
    code, out = _run("audit", "--study", str(study), "--format", "json")
    assert code == 0
    assert [e["action"] for e in json.loads(out)["entries"]] == ["create", "import"]
    other = tmp_path / "x.duckdb"
    other.write_text("not a database", encoding="utf-8")
    code, out = _run("history", "--study", str(other))
    assert code == 1
    assert "not a cnsrwe study" in out


def test_simulated_study_reads_back_exactly(tmp_path: Path) -> None:
    """End to end with the loader's own typing: simulate -> load_study -> import -> read."""
    folder = tmp_path / "sim"
    code, out = _run("simulate", "--patients", "25", "--out", str(folder), "--seed", "3")
    assert code == 0, out
    loaded = load_study(folder)
    with Store.create(tmp_path / "s.duckdb") as store:
        assert store.import_study(loaded).status == "created"
        for name, df in loaded.tables.items():
            want = sort_by_key(name, without_source_row(df))
            got = store.read_table(name)
            assert got.schema == want.schema, name
            assert got.equals(want), name
        assert store.import_study(load_study(folder)).status == "unchanged"
