"""Same seed, same bytes; output independent of the chunk size."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cnsrwe.demo import generate_block, simulate, write_demo
from cnsrwe.io.schema import TABLES


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    write_demo(tmp_path / "a", fmt=fmt)  # type: ignore[arg-type]
    write_demo(tmp_path / "b", fmt=fmt)  # type: ignore[arg-type]
    a, b = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
    assert list(a) == (["study.xlsx"] if fmt == "xlsx" else sorted(f"{t}.{fmt}" for t in TABLES))
    assert a == b


def test_other_seed_gives_other_data(tmp_path: Path, demo_dir: Path) -> None:
    write_demo(tmp_path, seed=1)
    assert (tmp_path / "lesions.csv").read_bytes() != (demo_dir / "lesions.csv").read_bytes()
    assert (tmp_path / "patients.csv").read_bytes() != (demo_dir / "patients.csv").read_bytes()


def test_csv_bytes_do_not_depend_on_chunk_size(tmp_path: Path) -> None:
    simulate(tmp_path / "one", n_patients=2500, seed=3, fmt="csv", chunk_size=5000)
    simulate(tmp_path / "many", n_patients=2500, seed=3, fmt="csv", chunk_size=1000)
    assert _bytes(tmp_path / "one") == _bytes(tmp_path / "many")


def test_parquet_rows_do_not_depend_on_chunk_size(tmp_path: Path) -> None:
    simulate(tmp_path / "one", n_patients=2500, seed=3, chunk_size=5000)
    simulate(tmp_path / "many", n_patients=2500, seed=3, chunk_size=1000)
    for t in TABLES:
        one = pq.ParquetFile(tmp_path / "one" / f"{t}.parquet")
        many = pq.ParquetFile(tmp_path / "many" / f"{t}.parquet")
        assert one.num_row_groups == 1
        assert many.num_row_groups == 3
        assert one.read().equals(many.read())


def test_a_block_depends_only_on_seed_and_block_number() -> None:
    a = generate_block(2, 1000, seed=11, total_patients=5000)
    b = generate_block(2, 1000, seed=11, total_patients=5000)
    c = generate_block(3, 1000, seed=11, total_patients=5000)
    assert all(a[t].equals(b[t]) for t in TABLES)
    assert a["patients"]["patient_id"][0].as_py() == "P2001"
    assert c["patients"]["patient_id"][0].as_py() == "P3001"
    assert not a["lesions"].equals(c["lesions"])


def test_demo_is_simulate_of_100_patients_as_csv(tmp_path: Path, demo_dir: Path) -> None:
    simulate(tmp_path, n_patients=100, seed=2022, fmt="csv")
    assert _bytes(tmp_path) == _bytes(demo_dir)
