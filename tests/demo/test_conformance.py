"""Every table matches the data-format contract, and cnsrwe's own validator accepts the data."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from cnsrwe.demo import write_demo
from cnsrwe.demo._arrow import arrow_schema
from cnsrwe.io import load_study, validate_study
from cnsrwe.io.schema import TABLES


@pytest.mark.parametrize("table", list(TABLES))
def test_parquet_schema_is_the_format_schema(sim_dir: Path, table: str) -> None:
    schema = pq.read_schema(sim_dir / f"{table}.parquet")
    assert schema.names == list(TABLES[table].column_names)
    assert schema.remove_metadata().equals(arrow_schema(table))


@pytest.mark.parametrize("table", list(TABLES))
def test_values_respect_vocabularies_ranges_and_nullability(
    sim: dict[str, pl.DataFrame], table: str
) -> None:
    df = sim[table]
    assert df.height > 0, f"{table} is empty"
    for col in TABLES[table].columns:
        s = df[col.name]
        if not col.nullable:
            assert s.null_count() == 0, f"{table}.{col.name} has nulls"
        if col.allowed is not None:
            values = s.explode() if col.type == "list" else s
            bad = set(values.drop_nulls().unique().to_list()) - set(col.allowed)
            assert not bad, f"{table}.{col.name}: {bad}"
        if col.minimum is not None and s.drop_nulls().len():
            assert float(s.drop_nulls().min()) >= col.minimum  # type: ignore[arg-type]
        if col.maximum is not None and s.drop_nulls().len():
            assert float(s.drop_nulls().max()) <= col.maximum  # type: ignore[arg-type]


def test_csv_text_is_in_the_format(demo_dir: Path) -> None:
    text = (demo_dir / "lesions.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    assert header == list(TABLES["lesions"].column_names)
    diam = header.index("diameter_mm")
    date = header.index("assessment_date")
    for line in text[1:]:
        cells = line.split(",")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[date])
        assert cells[diam] == "" or re.fullmatch(r"\d+(\.\d)?", cells[diam]), cells[diam]
    symptoms = pl.read_csv(demo_dir / "clinical.csv", infer_schema=False)["symptoms"]
    assert symptoms.drop_nulls().str.contains(";").any()


def _load_quietly(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study = load_study(path)
    assert set(study.tables) == set(TABLES)
    assert study.warnings == ()


def test_demo_csv_loads_without_problems(demo_dir: Path) -> None:
    report = validate_study(demo_dir)
    assert report.problems == ()
    _load_quietly(demo_dir)


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_demo_other_formats_load_without_problems(tmp_path: Path, fmt: str) -> None:
    write_demo(tmp_path, fmt=fmt)  # type: ignore[arg-type]
    _load_quietly(tmp_path / "study.xlsx" if fmt == "xlsx" else tmp_path)


def test_simulated_study_validates_without_problems(sim_dir: Path) -> None:
    report = validate_study(sim_dir)
    codes = sorted({p.code for p in report.problems})
    assert codes == []
