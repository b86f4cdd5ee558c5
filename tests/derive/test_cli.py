"""`cnsrwe derive` end to end on the demo study: import, derive, audit, re-run, rollback."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import cnsrwe.derive.write as write_module
from cnsrwe.cli import app
from cnsrwe.demo import write_demo
from cnsrwe.derive.pipeline import derive_study
from cnsrwe.derive.schemas import AD_SCHEMAS
from cnsrwe.io.schema import TABLES
from cnsrwe.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo study (100 patients, seed 2022) imported into a study file."""
    root = tmp_path_factory.mktemp("derive_cli")
    write_demo(root / "demo")
    path = root / "study.duckdb"
    res = runner.invoke(app, ["import", str(root / "demo"), "--study", str(path)])
    assert res.exit_code == 0, res.output
    return path


def _ad_tables(path: Path) -> dict[str, pl.DataFrame]:
    with Store.open(path, read_only=True) as store:
        return {name: store.sql(f"SELECT * FROM {name}") for name in AD_SCHEMAS}


def test_derive_writes_tables_audits_and_reruns_identically(study: Path) -> None:
    res = runner.invoke(app, ["derive", "--study", str(study), "--chunk-patients", "7"])
    assert res.exit_code == 0, res.output
    assert "ad_bor" in res.output
    assert "100 patients in 15 chunk(s)" in res.output
    with Store.open(study, read_only=True) as store:
        patient_ids = store.read_table("patients")["patient_id"].to_list()
        audit = store.audit()
        assert store.verify_audit().ok
    assert not any(pid in res.output for pid in patient_ids)  # counts only
    entry = audit[-1]
    assert entry.action == "derive"
    assert entry.version == 1
    assert entry.details["input_version"] == 1
    assert sorted(entry.details["profiles"]) == sorted(
        ["recist11", "recist11_intracranial", "recist11_extracranial"])
    assert sorted(entry.details["bor_rules"]) == ["confirmed", "unconfirmed"]
    first = _ad_tables(study)
    assert entry.details["tables"] == {k: v.height for k, v in first.items()}
    assert first["ad_bor"].height > 0
    assert first["ad_timepoints"].height > 0

    res = runner.invoke(app, ["derive", "--study", str(study), "--chunk-patients", "100"])
    assert res.exit_code == 0, res.output
    second = _ad_tables(study)
    for name in AD_SCHEMAS:
        assert_frame_equal(first[name], second[name])
    with Store.open(study, read_only=True) as store:
        assert [e.action for e in store.audit()][-2:] == ["derive", "derive"]


def test_store_tables_equal_the_in_memory_pipeline(study: Path) -> None:
    runner.invoke(app, ["derive", "--study", str(study)])
    with Store.open(study, read_only=True) as store:
        tables = {t: store.read_table(t) for t in TABLES if t in store.tables()}
    expected = derive_study(tables).as_tables()
    stored = _ad_tables(study)
    for name in AD_SCHEMAS:
        assert_frame_equal(stored[name], expected[name])


def test_a_failing_run_leaves_previous_tables_and_audit(
    study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner.invoke(app, ["derive", "--study", str(study)])
    before = _ad_tables(study)
    with Store.open(study, read_only=True) as store:
        n_audit = len(store.audit())
    calls = {"n": 0}
    real = write_module.derive_study

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            msg = "`simulated` failure in chunk 3, got it"
            raise ValueError(msg)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(write_module, "derive_study", flaky)
    res = runner.invoke(app, ["derive", "--study", str(study), "--chunk-patients", "10"])
    assert res.exit_code == 1
    assert "simulated" in res.output
    after = _ad_tables(study)
    for name in AD_SCHEMAS:
        assert_frame_equal(before[name], after[name])
    with Store.open(study, read_only=True) as store:
        assert len(store.audit()) == n_audit
        assert store.verify_audit().ok


def test_cli_errors(study: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["derive", "--study", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 1
    assert "is not an existing study file" in res.output
    res = runner.invoke(app, ["derive", "--study", str(study), "--chunk-patients", "0"])
    assert res.exit_code == 1
    assert "`chunk_patients` must be a whole number >= 1" in res.output
    res = runner.invoke(app, ["derive", "--study", str(study), "--profile", "recist2"])
    assert res.exit_code == 1
    assert "recist2" in res.output
    res = runner.invoke(app, ["derive", "--study", str(study), "--next-therapy", "local"])
    assert res.exit_code == 1
    assert "`next_therapy` must be one of" in res.output
    empty = tmp_path / "empty.duckdb"
    Store.create(empty).close()
    res = runner.invoke(app, ["derive", "--study", str(empty)])
    assert res.exit_code == 1
    assert "no import yet" in res.output
