"""`cnsrwe import --sdtm` and `cnsrwe export adam|spss|cbioportal` end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.exchange import read_xpt
from cnsrwe.exchange.cbioportal import check_cbioportal

pytest.importorskip("pyreadstat")
runner = CliRunner()


def test_import_sdtm_derive_and_export(sdtm_dir: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["import", "--sdtm", str(sdtm_dir), "--study", str(study)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["derive", "--study", str(study)]).exit_code == 0
    res = runner.invoke(app, ["export", "adam", "--study", str(study), "--out",
                              str(tmp_path / "adam"), "--index-agent", "alectinib"])
    assert res.exit_code == 0, res.output
    assert "ADTTE: 14 rows" in res.output
    df, _, name, _ = read_xpt(tmp_path / "adam" / "adsl.xpt")
    assert name == "ADSL"
    assert df["USUBJID"].to_list() == ["P1", "P2", "P3"]
    res = runner.invoke(app, ["export", "spss", "--study", str(study), "--out",
                              str(tmp_path / "sav")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "sav" / "adsl.sav").is_file()
    res = runner.invoke(app, ["export", "cbioportal", "--study", str(study), "--out",
                              str(tmp_path / "cbio"), "--study-id", "alk_cns"])
    assert res.exit_code == 0, res.output
    assert check_cbioportal(tmp_path / "cbio") == []


def test_import_sdtm_error_imports_nothing(sdtm_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "sdtm"
    bad.mkdir()
    for f in sdtm_dir.iterdir():
        (bad / f.name).write_text(f.read_text().replace("LUNG,CT SCAN", "ELBOW,CT SCAN"))
    study = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["import", "--sdtm", str(bad), "--study", str(study)])
    assert res.exit_code == 1
    assert "TULOC" in res.output
    assert not study.exists()


def test_export_before_derive_is_a_clear_error(original_dir: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["import", str(original_dir), "--study", str(study)]).exit_code == 0
    res = runner.invoke(app, ["export", "adam", "--study", str(study), "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "run `cnsrwe derive` first" in " ".join(res.output.split())
