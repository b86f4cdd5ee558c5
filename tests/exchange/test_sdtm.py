"""SDTM in: the hand-written domains (tests/exchange/data/sdtm, written after SDTMIG v3.4 and
the TU/TR/RS oncology domains) map to the same study as the hand-written data-format files
(tests/exchange/data/original), and derive the same responses and endpoints."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cnsrwe.errors import ValidationFailed
from cnsrwe.exchange.sdtm import load_sdtm, read_sdtm, validate_sdtm
from cnsrwe.io import load_study

from ._pipeline import derive_and_build

_DERIVED = ("ad_reference", "ad_timepoints", "ad_bor", "ad_lesions")


def _format_columns(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(c for c in df.columns if c not in ("_source_row", "sdtm_record"))


def test_sdtm_maps_to_the_same_input_tables(original_dir: Path, sdtm_dir: Path) -> None:
    want = load_study(original_dir).tables
    got = load_sdtm(sdtm_dir).tables
    assert set(got) == set(want)
    keys = {"patients": ["patient_id"], "treatments": ["patient_id", "start_date"],
            "lesions": ["patient_id", "assessment_date", "lesion_id"],
            "timepoint_responses": ["patient_id", "assessment_date", "compartment"]}  # fmt: skip
    for name, key in keys.items():
        assert_frame_equal(_format_columns(got[name]).sort(key),
                           _format_columns(want[name]).sort(key), check_column_order=False)


def test_round_trip_derives_the_same_responses_and_endpoints(
    original_dir: Path, sdtm_dir: Path, tmp_path: Path
) -> None:
    inputs_a, adam_a = derive_and_build(load_study(original_dir), tmp_path / "a.duckdb")
    inputs_b, adam_b = derive_and_build(load_sdtm(sdtm_dir), tmp_path / "b.duckdb")
    for name in _DERIVED:
        assert inputs_a[name].height > 0
        assert_frame_equal(inputs_a[name], inputs_b[name])
    for name in adam_a:
        assert_frame_equal(adam_a[name], adam_b[name])
    # hand-worked expectations: P1 intracranial target 20 -> 8 mm (-60 %, PR) and then too
    # small to measure (5 mm, still PR); P2 line 2 progresses on a new brain lesion (PD on
    # 2020-04-20); P3's radiologist calls give an overall PR.
    bor = adam_b["ADRS"].filter(pl.col("PARAMCD").is_in(["IC_BOR", "BOR"]) &
                                (pl.col("ANL01FL") == "Y"))  # fmt: skip
    got = {(r["USUBJID"], r["PARAMCD"]): r["AVALC"] for r in bor.iter_rows(named=True)}
    assert got[("P1", "IC_BOR")] == "PR"
    assert got[("P2", "IC_BOR")] == "SD"
    assert got[("P3", "BOR")] == "PR"
    tte = {(r["USUBJID"], r["PARAMCD"]): (r["AVAL"], r["CNSR"])
           for r in adam_b["ADTTE"].iter_rows(named=True)}  # fmt: skip
    assert tte[("P2", "OS")] == (561.0, 0.0)  # 2019-02-01 -> 2020-08-15
    assert tte[("P2", "PFS")] == (444.0, 0.0)  # new brain lesion on 2020-04-20
    assert tte[("P1", "OS")] == (730.0, 1.0)  # alive on 2021-06-30


def _copy(sdtm_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "sdtm"
    shutil.copytree(sdtm_dir, out)
    return out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_unknown_location_names_domain_subject_seq_and_variable(
    sdtm_dir: Path, tmp_path: Path
) -> None:
    d = _copy(sdtm_dir, tmp_path)
    _edit(d / "tu.csv", "NON-TARGET,BONE", "NON-TARGET,KNEECAP")
    report = validate_sdtm(d)
    assert report.study is None
    (p,) = [p for p in report.errors if p.code == "sdtm_unknown_code"]
    assert p.source == "tu.csv"
    assert p.column == "TULOC"
    assert p.value == "KNEECAP"
    assert "TU USUBJID P1, TUSEQ 3" in p.message


def test_unknown_agent_and_partial_date(sdtm_dir: Path, tmp_path: Path) -> None:
    d = _copy(sdtm_dir, tmp_path)
    _edit(d / "ex.csv", "P3,1,ALECTINIB", "P3,1,WONDERMAB")
    _edit(d / "rs.csv", "WEEK 24,2020-08-01", "WEEK 24,2020-08")
    with pytest.raises(ValidationFailed) as info:
        load_sdtm(d)
    found = {(p.code, p.column, p.source) for p in info.value.problems}
    assert ("sdtm_unknown_code", "EXTRT", "ex.csv") in found
    assert ("sdtm_partial_date", "RSDTC", "rs.csv") in found
    msg = next(p.message for p in info.value.problems if p.column == "EXTRT")
    assert "EX USUBJID P3, EXSEQ 1" in msg


def test_death_dates_that_disagree_are_an_error(sdtm_dir: Path, tmp_path: Path) -> None:
    d = _copy(sdtm_dir, tmp_path)
    _edit(d / "ds.csv", "2020-08-15", "2020-08-16")
    errors = validate_sdtm(d).errors
    assert [(p.code, p.column) for p in errors] == [("sdtm_conflict", "DTHDTC")]


def test_mapped_tables_go_through_the_standard_validation(sdtm_dir: Path, tmp_path: Path) -> None:
    d = _copy(sdtm_dir, tmp_path)
    # a PR record after death: not an SDTM mapping problem, caught by the data-format rules
    _edit(d / "pr.csv", "2019-01-20,2019-01-20", "2020-09-01,2020-09-01")
    codes = {p.code for p in validate_sdtm(d).errors}
    assert "after_death" in codes


def test_missing_dm_and_unknown_test_code(sdtm_dir: Path, tmp_path: Path) -> None:
    d = _copy(sdtm_dir, tmp_path)
    (d / "dm.csv").unlink()
    _edit(d / "tr.csv", "LDIAM,Longest Diameter,20", "LENGTH,Longest Diameter,20")
    raw = read_sdtm(d)
    codes = {(p.code, p.column) for p in raw.problems}
    assert ("sdtm_missing_domain", None) in codes
    assert ("sdtm_unknown_code", "TRTESTCD") in codes
    assert validate_sdtm(d).study is None


def test_xpt_domains_read_like_csv(sdtm_dir: Path, tmp_path: Path) -> None:
    pyreadstat = pytest.importorskip("pyreadstat")
    d = _copy(sdtm_dir, tmp_path)
    for name in ("dm", "tr"):
        df = pl.read_csv(d / f"{name}.csv", infer_schema=False)
        if name == "dm":
            df = df.with_columns(pl.col("AGE").cast(pl.Float64))
        else:
            df = df.with_columns(pl.col("TRSEQ", "TRSTRESN").cast(pl.Float64))
        pyreadstat.write_xport(df, str(d / f"{name}.xpt"), table_name=name.upper(),
                               file_format_version=5)  # fmt: skip
        (d / f"{name}.csv").unlink()
    want = load_sdtm(sdtm_dir).tables
    got = load_sdtm(d).tables
    for name in want:
        assert_frame_equal(_format_columns(got[name]), _format_columns(want[name]))
