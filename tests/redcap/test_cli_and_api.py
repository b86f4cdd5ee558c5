"""REDCap and template commands, `cnsrwe import --redcap`, and the API pull with a fake client."""

from __future__ import annotations

import csv
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.errors import BackendNotAvailableError
from cnsrwe.redcap import DICTIONARY_HEADER, dictionary_csv, read_dictionary
from cnsrwe.redcap.api import RedcapApiError, export_project
from cnsrwe.store import Store

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_dictionary_and_template_commands(tmp_path: Path) -> None:
    result = runner.invoke(app, ["redcap", "dictionary", "--out", str(tmp_path / "d.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d.csv").read_text(encoding="utf-8") == dictionary_csv()
    result = runner.invoke(app, ["template", "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t.xlsx").stat().st_size > 0
    again = runner.invoke(app, ["template", "--out", str(tmp_path / "t.xlsx")])
    assert again.exit_code == 1


def test_import_redcap_export_then_all_or_nothing(tmp_path: Path, dictionary: Path) -> None:
    study = tmp_path / "study.duckdb"
    ok = runner.invoke(app, ["import", "--redcap", str(DATA / "longitudinal_raw.csv"),
                             "--dictionary", str(dictionary), "--study", str(study)])
    assert ok.exit_code == 0, ok.output
    with Store.open(study, read_only=True) as store:
        assert len(store.versions()) == 1
    bad = tmp_path / "bad.csv"
    shutil.copy(DATA / "longitudinal_raw.csv", bad)
    bad.write_text(bad.read_text(encoding="utf-8").replace(",T1,1,left", ",T1,11,left", 1),
                   encoding="utf-8")  # fmt: skip
    failed = runner.invoke(app, ["import", "--redcap", str(bad), "--dictionary",
                                 str(dictionary), "--study", str(study)])  # fmt: skip
    assert failed.exit_code == 1
    text = " ".join(failed.output.split())  # rich wraps long lines
    assert "record 12, event baseline_arm_1, instrument lesion #1, field les_location:" in text
    assert "unknown choice code '11'" in text
    assert "cnsrwe redcap validate" in text
    with Store.open(study, read_only=True) as store:
        assert len(store.versions()) == 1  # nothing imported


def test_import_option_errors(tmp_path: Path, dictionary: Path) -> None:
    study = str(tmp_path / "s.duckdb")
    both = runner.invoke(app, ["import", str(DATA), "--redcap", str(DATA / "classic_label.csv"),
                               "--dictionary", str(dictionary), "--study", study])
    assert both.exit_code == 1
    # one input source only: a data folder, a REDCap export or an SDTM folder
    assert "give one of DATA, `--redcap EXPORT.csv`" in " ".join(both.output.split())
    alone = runner.invoke(app, ["import", "--redcap", str(DATA / "classic_label.csv"),
                                "--study", study])
    assert alone.exit_code == 1
    assert "must be given together" in alone.output
    assert not Path(study).exists()


def test_redcap_validate_command(dictionary: Path) -> None:
    good = runner.invoke(app, ["redcap", "validate", str(DATA / "classic_label.csv"),
                               "--dictionary", str(dictionary)])
    assert good.exit_code == 0, good.output
    assert "No errors" in good.output


class _FakeProject:
    def __init__(self, records: str, metadata: str) -> None:
        self.records, self.metadata = records, metadata
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def export_records(self, **kw: Any) -> str:
        self.calls.append(("records", kw))
        return self.records

    def export_metadata(self, **kw: Any) -> str:
        self.calls.append(("metadata", kw))
        return self.metadata


def _api_metadata() -> str:
    """The dictionary as the API returns it: same columns under API names."""
    from cnsrwe.redcap.api import API_METADATA_COLUMNS

    rows = list(csv.reader(dictionary_csv().splitlines()))
    assert tuple(rows[0]) == DICTIONARY_HEADER
    lines = [",".join(API_METADATA_COLUMNS)]
    for r in rows[1:]:
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in r))
    return "\n".join(lines) + "\n"


def test_export_project_with_a_fake_client(tmp_path: Path) -> None:
    records = (DATA / "longitudinal_raw.csv").read_text(encoding="utf-8")
    fake = _FakeProject(records, _api_metadata())
    files = export_project(tmp_path / "pull", project=fake)
    assert fake.calls == [("records", {"format_type": "csv", "raw_or_label": "raw"}),
                          ("metadata", {"format_type": "csv"})]
    assert files.records.read_text(encoding="utf-8") == records
    assert read_dictionary(files.dictionary).by_name()["sex"].choices["1"] == "female"


def test_export_project_needs_env_credentials_and_never_shows_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_module = types.ModuleType("redcap")

    def _project(url: str, token: str) -> Any:
        raise ConnectionError(f"cannot reach {url} with {token}")

    fake_module.Project = _project  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "redcap", fake_module)
    monkeypatch.delenv("CNSRWE_REDCAP_URL", raising=False)
    monkeypatch.delenv("CNSRWE_REDCAP_TOKEN", raising=False)
    with pytest.raises(RedcapApiError, match="CNSRWE_REDCAP_URL is not set"):
        export_project(tmp_path)
    monkeypatch.setenv("CNSRWE_REDCAP_URL", "https://redcap.example.org/api/")
    monkeypatch.setenv("CNSRWE_REDCAP_TOKEN", "SECRET0123456789")
    with pytest.raises(RedcapApiError) as info:
        export_project(tmp_path)
    assert "SECRET" not in str(info.value)
    assert info.value.__cause__ is None


def test_export_project_without_pycap_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redcap", None)  # import fails as if not installed
    with pytest.raises(BackendNotAvailableError, match=r"cnsrwe\[redcap\]"):
        export_project(tmp_path)
