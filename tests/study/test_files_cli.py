"""The starter file, the 2022 study file, and the `cnsrwe init` / `check-study` commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnsrwe.cli import app
from cnsrwe.errors import SchemaError
from cnsrwe.study import load_study, load_study_text, starter_text, write_starter

from ._tables import EXAMPLE

runner = CliRunner()


def test_starter_loads_with_every_endpoint_kind() -> None:
    loaded = load_study_text(starter_text(title="Brigatinib CNS study", agent="brigatinib"))
    spec = loaded.spec
    assert spec.study.title == "Brigatinib CNS study"
    assert spec.index.match.agents_any == ("brigatinib",)
    assert set(spec.endpoints) == {"ic_orr", "ic_dcr", "ex_orr", "o_orr", "cns_ttp", "ic_dor",
                                   "pfs", "os"}
    assert {e.kind for e in spec.endpoints.values()} == {"response_rate", "time_to_event",
                                                         "duration_of_response"}
    assert loaded.notes == ()  # every registry was importable and checked


def test_starter_rejects_text_that_would_break_the_toml() -> None:
    with pytest.raises(SchemaError, match="`title` must be non-empty text without quotes"):
        starter_text(title='say "hi"')


def test_write_starter_never_overwrites(tmp_path: Path) -> None:
    written = write_starter(tmp_path)
    assert written == tmp_path / "study.toml"
    before = written.read_text(encoding="utf-8")
    with pytest.raises(FileExistsError, match="never overwrites"):
        write_starter(written)
    assert written.read_text(encoding="utf-8") == before
    load_study(written)


def test_2022_study_file_expresses_the_paper() -> None:
    loaded = load_study(EXAMPLE)
    spec = loaded.spec
    assert spec.study.data_cutoff == dt.date(2021, 6, 1)
    assert [c.name for c in spec.cohorts] == ["tki_naive", "post_crizotinib_cns",
                                             "post_2g_cns_only"]
    assert spec.index.start_from == dt.date(2017, 7, 1)
    assert spec.index.start_to == dt.date(2020, 9, 30)
    assert [e.name for e in spec.eligibility] == ["baseline_cns"]
    names = {s.name for s in spec.subgroups}
    assert {"uncontrolled_cns", "symptomatic_bm", "asymptomatic_bm", "lm", "bm_1_3",
            "bm_4_plus", "prior_brain_local", "measurable_uncontrolled"} <= names
    assert [p.name for p in loaded.profiles] == ["recist11_intracranial",
                                                 "recist11_extracranial", "recist11"]
    assert loaded.bor_rule.confirm is False
    tests = {t for a in spec.analyses for t in a.tests}
    assert {"fisher_exact", "t_test", "logrank"} <= tests  # named by the paper
    assert {"mcnemar", "gray", "firth_cox"} <= tests  # the better ones
    assert spec.endpoints["cns_ttp"].competing == ("death",)
    assert loaded.data_path == (EXAMPLE.parent / "data").resolve()


def test_cli_init_then_check(tmp_path: Path) -> None:
    target = tmp_path / "s.toml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists()
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 1
    assert "never overwrites" in again.output
    ok = runner.invoke(app, ["check-study", str(target)])
    assert ok.exit_code == 0, ok.output
    assert "The study file is valid." in ok.output
    assert "tki_naive" in ok.output


def test_cli_check_study_reports_line(tmp_path: Path) -> None:
    text = starter_text().replace("[baseline]\nimaging_window_days", "[baseline]\nimaging_window")
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("[baseline]") + 2
    result = runner.invoke(app, ["check-study", str(path)])
    assert result.exit_code == 1
    assert f"bad.toml:{line}:1" in result.output
    assert "did you mean `imaging_window_days`?" in result.output


def test_cli_check_study_on_the_2022_file() -> None:
    result = runner.invoke(app, ["check-study", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Cohort 3" in result.output


def test_docs_name_every_key_and_fact() -> None:
    import dataclasses

    from cnsrwe.study import FACTS, StudyFile
    from cnsrwe.study._decode import toml_key

    doc = (Path(__file__).resolve().parents[2] / "docs" / "study-file.md").read_text("utf-8")
    seen: set[type] = set()
    missing: list[str] = []

    def walk(cls: type) -> None:
        if cls in seen:
            return
        seen.add(cls)
        hints = __import__("typing").get_type_hints(cls)
        for f in dataclasses.fields(cls):
            key = toml_key(f)
            if f"`{key}`" not in doc and f"[{key}" not in doc and f".{key}" not in doc:
                missing.append(f"{cls.__name__}.{key}")
            for arg in _classes(hints[f.name]):
                walk(arg)

    walk(StudyFile)
    missing += [f for f in FACTS if f"`{f}`" not in doc]
    assert missing == []


def _classes(tp: object) -> list[type]:
    import dataclasses
    import typing

    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return [tp]
    return [c for a in typing.get_args(tp) for c in _classes(a)]
