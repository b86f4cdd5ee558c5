"""manifest.json: hashes, versions, determinism, and verification of changed inputs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cnsrwe.report.manifest import (
    MANIFEST_NAME,
    package_versions,
    sha256_file,
    verify_manifest,
    write_manifest,
)


def make_run(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "patients.csv").write_text("patient_id,sex\nA,F\n", encoding="utf-8")
    (data / "lesions.csv").write_text("patient_id,lesion_id\nA,T1\n", encoding="utf-8")
    study = tmp_path / "study.toml"
    study.write_text('[study]\nname = "x"\n', encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("<html></html>\n", encoding="utf-8")
    (out / "results.csv").write_text("analysis\n", encoding="utf-8")
    kwargs: dict[str, object] = {
        "study_file": study, "inputs": [data / "patients.csv", data / "lesions.csv"],
        "outputs": [out / "results.csv", out / "report.html"], "seeds": {"bootstrap": 1},
        "command": ["cnsrwe", "report", "study.toml"]}
    return out, kwargs


def test_manifest_content_and_determinism(tmp_path: Path) -> None:
    out, kwargs = make_run(tmp_path)
    first = write_manifest(out, **kwargs).read_bytes()
    second = write_manifest(out, **kwargs).read_bytes()
    assert first == second
    man = json.loads(first)
    assert [e["path"] for e in man["outputs"]] == ["report.html", "results.csv"]
    want = hashlib.sha256(b"<html></html>\n").hexdigest()
    assert man["outputs"][0]["sha256"] == want
    assert man["inputs"][0]["sha256"] == sha256_file(tmp_path / "data" / "lesions.csv")
    assert man["study_file"]["sha256"] == sha256_file(tmp_path / "study.toml")
    pk = man["software"]["packages"]
    assert pk["numpy"] == package_versions(("numpy",))["numpy"]
    assert set(pk) >= {"cnsrwe", "numpy", "scipy", "polars", "duckdb", "matplotlib"}
    assert man["seeds"] == {"bootstrap": 1}
    assert man["command"] == ["cnsrwe", "report", "study.toml"]
    assert "time" not in first.decode().lower()  # no run-time stamp in the file


def test_verify_passes_then_detects_changes(tmp_path: Path) -> None:
    out, kwargs = make_run(tmp_path)
    write_manifest(out, **kwargs)
    assert verify_manifest(out).ok
    (tmp_path / "data" / "patients.csv").write_text("patient_id,sex\nA,M\n", encoding="utf-8")
    (out / "results.csv").unlink()
    check = verify_manifest(out)
    assert not check.ok
    changed = (tmp_path / "data" / "patients.csv").resolve().as_posix()
    assert check.problems == (f"changed: {changed}", "missing: results.csv")  # by path


def test_verify_reports_software_differences(tmp_path: Path) -> None:
    out, kwargs = make_run(tmp_path)
    path = write_manifest(out, **kwargs)
    man = json.loads(path.read_text(encoding="utf-8"))
    man["software"]["packages"]["numpy"] = "0.0.1"
    path.write_text(json.dumps(man), encoding="utf-8")
    assert verify_manifest(out).ok  # files unchanged
    check = verify_manifest(out, check_software=True)
    assert len(check.problems) == 1
    assert check.problems[0].startswith("version: numpy recorded 0.0.1, installed ")


def test_manifest_errors(tmp_path: Path) -> None:
    out, kwargs = make_run(tmp_path)
    with pytest.raises(FileNotFoundError, match="`inputs` must list existing files"):
        write_manifest(out, **{**kwargs, "inputs": [tmp_path / "nope.csv"]})
    with pytest.raises(TypeError, match="`seeds` values must be integers"):
        write_manifest(out, **{**kwargs, "seeds": {"x": 1.5}})
    with pytest.raises(FileNotFoundError, match=f"must contain {MANIFEST_NAME}"):
        verify_manifest(tmp_path)
