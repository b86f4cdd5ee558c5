"""The valid fixture study loads; typed tables follow the LoadedStudy contract."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from cnsrwe.errors import ValidationFailed
from cnsrwe.io import LoadedStudy, load_study, validate_study
from cnsrwe.io.parse import POLARS_TYPES
from cnsrwe.io.schema import TABLES


def test_valid_study_loads_without_problems(study_dir: Path) -> None:
    report = validate_study(study_dir)
    assert report.problems == ()
    assert report.ok
    assert isinstance(report.study, LoadedStudy)
    assert set(report.study.tables) == set(TABLES)


def test_tables_have_schema_columns_in_order_then_source_row(study_dir: Path) -> None:
    study = load_study(study_dir)
    for name, frame in study.tables.items():
        spec = TABLES[name]
        assert frame.columns == [*spec.column_names, "_source_row"]
        for col in spec.columns:
            assert frame.schema[col.name] == POLARS_TYPES[col.type], (name, col.name)
        assert frame["_source_row"].to_list() == list(range(2, frame.height + 2))


def test_values_are_parsed_exactly(study_dir: Path) -> None:
    study = load_study(study_dir)
    lesions = study.tables["lesions"]
    assert lesions["diameter_mm"].to_list()[:2] == [Decimal("12.5"), Decimal("31.0")]
    patients = study.tables["patients"]
    assert patients["diagnosis_date"][0] == dt.date(2018, 3, 14)
    assert patients["death_date"].to_list() == [dt.date(2021, 2, 1), None, None]
    treatments = study.tables["treatments"]
    assert treatments["agents"][3].to_list() == ["carboplatin", "pemetrexed"]
    clinical = study.tables["clinical"]
    assert clinical["cns_symptoms"].to_list() == [True, False]
    assert clinical["mannitol"].to_list() == [False, None]
    assert clinical["symptoms"][0].to_list() == ["headache", "nausea"]


def test_sources_record_sha256_and_rows(study_dir: Path) -> None:
    study = load_study(study_dir)
    src = study.sources["lesions"]
    data = (study_dir / "lesions.csv").read_bytes()
    assert src.sha256 == hashlib.sha256(data).hexdigest()
    assert src.n_rows == study.tables["lesions"].height
    assert src.sheet is None
    assert Path(src.path).name == "lesions.csv"


def test_load_study_raises_with_every_problem(study_dir: Path) -> None:
    path = study_dir / "treatments.csv"
    text = path.read_text().replace("2020-01-10", "2018-01-10", 1)
    path.write_text(text)
    with pytest.raises(ValidationFailed, match="end_date") as info:
        load_study(study_dir)
    codes = {p.code for p in info.value.problems}
    assert "end_before_start" in codes


def test_optional_table_absent_and_optional_column_absent(study_dir: Path) -> None:
    (study_dir / "biopsies.csv").unlink()
    frame = pl.read_csv(study_dir / "patients.csv", infer_schema=False)
    frame.drop("alk_fusion_variant").with_columns(pl.lit("x").alias("site_note")).write_csv(
        study_dir / "patients.csv"
    )
    study = load_study(study_dir)
    assert "biopsies" not in study.tables
    patients = study.tables["patients"]
    assert patients["alk_fusion_variant"].null_count() == patients.height
    assert patients.columns[-2:] == ["site_note", "_source_row"]
    assert patients["site_note"].dtype == pl.String
