"""ADaM-style export (XPT v5, Parquet, define table), SPSS/Stata round trips and the
cBioPortal folder, on the hand-written study of tests/exchange/data/original."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from cnsrwe.errors import SchemaError
from cnsrwe.exchange import ADAM_VARS, read_xpt, write_adam
from cnsrwe.exchange.cbioportal import check_cbioportal, write_cbioportal
from cnsrwe.exchange.spss import validate_stat_study, write_stat_datasets
from cnsrwe.io import load_study

from ._pipeline import derive_and_build

pyreadstat = pytest.importorskip("pyreadstat")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    original = Path(__file__).parent / "data" / "original"
    return derive_and_build(load_study(original), tmp_path_factory.mktemp("s") / "s.duckdb")


def test_xpt_re_reads_with_names_labels_and_dates(built: tuple[dict, dict], tmp_path: Path) -> None:
    _, adam = built
    paths = write_adam(adam, tmp_path)
    assert sorted(p.name for p in paths) == ["adrs.xpt", "adsl.xpt", "adtr.xpt", "adtte.xpt",
                                             "define.csv", "define.xlsx"]  # fmt: skip
    df, labels, name, label = read_xpt(tmp_path / "adtte.xpt")
    assert (name, label) == ("ADTTE", "Time-to-Event Analysis Dataset")
    assert labels == {v.name: v.label for v in ADAM_VARS["ADTTE"]}
    want = adam["ADTTE"]
    # XPT v5 character fields are blank-padded: an empty value reads back as "" (SAS missing)
    assert_frame_equal(df.with_columns(pl.col(pl.String).replace("", None)), want)
    p2 = df.filter(pl.col("USUBJID") == "P2", pl.col("PARAMCD") == "OS").row(0, named=True)
    assert p2["STARTDT"] == dt.date(2019, 2, 1)
    assert p2["ADT"] == dt.date(2020, 8, 15)


def test_define_table_lists_every_variable(built: tuple[dict, dict], tmp_path: Path) -> None:
    _, adam = built
    write_adam(adam, tmp_path, file_format="parquet")
    define = pl.read_csv(tmp_path / "define.csv")
    assert define.height == sum(len(v) for v in ADAM_VARS.values())
    row = define.filter(pl.col("dataset") == "ADSL", pl.col("variable") == "USUBJID").row(
        0, named=True)  # fmt: skip
    assert row["length"] == 2  # "P1"
    assert row["type"] == "text"
    assert define.filter(pl.col("type") == "date")["display_format"].unique().to_list() == [
        "DATE9."]  # fmt: skip
    meta = pq.read_schema(tmp_path / "adsl.parquet")
    assert meta.field("AGE").metadata == {b"cnsrwe.label": b"Age"}
    from openpyxl import load_workbook

    assert load_workbook(tmp_path / "define.xlsx").sheetnames == ["datasets", "variables"]


def test_xpt_limits_are_checked_before_writing(built: tuple[dict, dict], tmp_path: Path) -> None:
    _, adam = built
    bad = {"ADSL": adam["ADSL"].with_columns(pl.lit("x" * 201).alias("SITEID"))}
    with pytest.raises(SchemaError, match=r"ADSL.SITEID values must be at most 200 bytes"):
        write_adam(bad, tmp_path)
    bad = {"ADSL": adam["ADSL"].with_columns(pl.lit("Zürich").alias("SITEID"))}
    with pytest.raises(SchemaError, match="must be ASCII"):
        write_adam(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_stata_export_keeps_labels(built: tuple[dict, dict], tmp_path: Path, fmt: str) -> None:
    _, adam = built
    write_stat_datasets({"ADSL": adam["ADSL"], "ADRS": adam["ADRS"]}, tmp_path,
                        file_format=fmt)  # type: ignore[arg-type]
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    df, meta = reader(str(tmp_path / f"adsl.{fmt}"), output_format="polars")
    assert meta.column_names_to_labels["TRTSDT"] == "Date of First Exposure to Treatment"
    assert {int(k): v for k, v in meta.variable_value_labels["SEX"].items()} == {
        1: "F", 2: "M", 3: "U", 4: "UNDIFFERENTIATED"}  # fmt: skip
    assert df.filter(pl.col("USUBJID") == "P2")["SEX"].to_list() == [2.0]
    _, meta = reader(str(tmp_path / f"adrs.{fmt}"), output_format="polars")
    assert {int(k): v for k, v in meta.variable_value_labels["AVAL"].items()}[5] == "PD"


def test_sav_folder_imports_through_the_standard_validation(
    original_dir: Path, tmp_path: Path
) -> None:
    want = load_study(original_dir).tables
    for name in ("patients", "treatments", "lesions"):
        df = pl.read_csv(original_dir / f"{name}.csv", infer_schema=False)
        pyreadstat.write_sav(df, str(tmp_path / f"{name}.sav"))
    report = validate_stat_study(tmp_path)
    assert report.ok, [p.message for p in report.errors]
    assert report.study is not None
    for name in ("patients", "treatments", "lesions"):
        got = report.study.tables[name].drop("_source_row")
        assert_frame_equal(got, want[name].drop("_source_row"))
    # a bad code is caught by the data-format rules, with its row
    df = pl.read_csv(original_dir / "patients.csv", infer_schema=False)
    pyreadstat.write_sav(df.with_columns(pl.lit("X").alias("sex")), str(tmp_path / "patients.sav"))
    errors = validate_stat_study(tmp_path).errors
    assert {(p.code, p.column, p.row) for p in errors} >= {("unknown_code", "sex", 2)}


def test_cbioportal_folder_passes_the_format_checker(
    built: tuple[dict, dict], tmp_path: Path
) -> None:
    inputs, adam = built
    biopsies = pl.DataFrame({
        "patient_id": ["P2", "P2"], "biopsy_date": [dt.date(2020, 5, 10)] * 2,
        "specimen": ["plasma"] * 2, "method": ["ngs"] * 2,
        "result": ["alk_mutation", "bypass"], "finding": ["ALK G1202R", "MET amplification"],
    })  # fmt: skip
    tables = {**inputs, "biopsies": biopsies}
    write_cbioportal(tables, adam, tmp_path, study_id="alk_cns_2022", name="ALK CNS")
    assert check_cbioportal(tmp_path) == []
    lines = (tmp_path / "data_clinical_patient.txt").read_text().splitlines()
    header = lines[4].split("\t")
    p2 = dict(zip(header, lines[6].split("\t"), strict=True))
    assert p2["OS_STATUS"] == "1:DECEASED"
    assert float(p2["OS_MONTHS"]) == pytest.approx(561 / 30.4375, abs=5e-5)
    assert p2["PFS_STATUS"] == "1:PROGRESSION"
    sample = (tmp_path / "data_clinical_sample.txt").read_text().splitlines()[5].split("\t")
    assert sample[:2] == ["P2", "P2-B1"]
    assert sample[5] == "ALK G1202R;MET amplification"
    treat = (tmp_path / "data_timeline_treatment.txt").read_text().splitlines()
    # SRS on 2019-01-20 is day 375 after diagnosis on 2018-01-10 (365 + 10)
    assert "P2\t375\t375\tTREATMENT\tRadiation Therapy" in "\n".join(treat)
    # the checker catches a broken file
    path = tmp_path / "data_clinical_patient.txt"
    path.write_text(path.read_text().replace("1:DECEASED", "DECEASED"))
    assert any("OS_STATUS 'DECEASED'" in p for p in check_cbioportal(tmp_path))


def test_missing_pyreadstat_names_the_extra(built: tuple[dict, dict], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import sys

    from cnsrwe.errors import BackendNotAvailableError

    _, adam = built
    monkeypatch.setitem(sys.modules, "pyreadstat", None)
    with pytest.raises(BackendNotAvailableError, match=r"pip install 'cnsrwe\[exchange\]'"):
        write_adam({"ADSL": adam["ADSL"]}, tmp_path)
    assert not (tmp_path / "adsl.xpt").exists()
