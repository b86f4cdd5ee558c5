"""Patient-keyed chunked reading of Parquet studies (cnsrwe.scale.parquet_source)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from cnsrwe.errors import SchemaError
from cnsrwe.scale import (
    READ_COLUMNS,
    iter_chunks,
    open_parquet_study,
    patient_ids,
    patient_ranges,
    read_chunk,
)


def test_ranges_cover_every_patient_once() -> None:
    ids = pl.Series(["P1", "P2", "P3", "P4", "P5"])
    assert patient_ranges(ids, 2) == [("P1", "P2", 2), ("P3", "P4", 2), ("P5", "P5", 1)]
    assert patient_ranges(ids, 10) == [("P1", "P5", 5)]
    assert patient_ranges(ids[:0], 3) == []


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "7"])
def test_bad_chunk_size_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match=r"`chunk_patients` must be a whole number >= 1, got"):
        patient_ranges(pl.Series(["P1"]), bad)  # type: ignore[arg-type]


def test_chunks_partition_every_table_by_patient(demo_dir: Path) -> None:
    study = open_parquet_study(demo_dir)
    ids = patient_ids(study)
    assert ids.len() == 100
    assert ids.is_sorted()
    full = {t: pl.read_parquet(demo_dir / f"{t}.parquet") for t in READ_COLUMNS}
    seen = {t: [] for t in READ_COLUMNS}  # type: dict[str, list[pl.DataFrame]]
    n_total = 0
    for n, tables in iter_chunks(study, 7):
        n_total += n
        for t, df in tables.items():
            assert df.columns == [c for c in READ_COLUMNS[t] if c in full[t].columns]
            seen[t].append(df)
    assert n_total == 100
    for t, parts in seen.items():
        got = pl.concat(parts)
        want = full[t].select(got.columns)
        assert got.height == want.height
        assert got.sort(got.columns).equals(want.sort(want.columns))
        per_chunk = [set(p["patient_id"].unique()) for p in parts]
        assert sum(len(s) for s in per_chunk) == len(set().union(*per_chunk))


def test_unused_columns_are_not_read(demo_dir: Path) -> None:
    study = open_parquet_study(demo_dir)
    chunk = read_chunk(study, "", "\uffff")
    assert "modality" not in chunk["lesions"].columns
    assert "agents" not in chunk["treatments"].columns
    assert set(chunk) == set(READ_COLUMNS)


def test_part_folders_are_read_like_single_files(demo_dir: Path, tmp_path: Path) -> None:
    parted = tmp_path / "parted"
    parted.mkdir()
    for t in dict.fromkeys(("patients", *READ_COLUMNS)):
        tab = pq.read_table(demo_dir / f"{t}.parquet")
        (parted / t).mkdir()
        half = tab.num_rows // 2
        pq.write_table(tab.slice(0, half), parted / t / "part-0.parquet")
        pq.write_table(tab.slice(half), parted / t / "part-1.parquet")
    (parted / "lesions" / "_SUCCESS").write_text("")
    a = read_chunk(open_parquet_study(parted), "", "\uffff")
    b = read_chunk(open_parquet_study(demo_dir), "", "\uffff")
    for t in READ_COLUMNS:
        assert a[t].equals(b[t])


def test_missing_treatments_is_a_schema_error(demo_dir: Path, tmp_path: Path) -> None:
    shutil.copy(demo_dir / "lesions.parquet", tmp_path / "lesions.parquet")
    with pytest.raises(SchemaError, match=r"`input` must hold treatments.parquet"):
        open_parquet_study(tmp_path)
    with pytest.raises(SchemaError, match=r"`input` must be a folder of Parquet files, got"):
        open_parquet_study(tmp_path / "nowhere")
