"""The embedded engine equals one in-memory derive_study row for row (any chunk, any workers)."""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from cnsrwe.derive.pipeline import derive_study
from cnsrwe.derive.schemas import AD_SCHEMAS
from cnsrwe.scale import AD_ARROW_SCHEMAS, DeriveSettings, derive_parquet, read_results
from cnsrwe.scale.embedded import worker_environment
from cnsrwe.scale.results import (
    RUN_FILE,
    WORKER_ENVIRONMENT,
    worker_jemalloc_conf,
    write_part,
)


def assert_same(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    assert list(got) == list(AD_SCHEMAS)
    for name in AD_SCHEMAS:
        assert_frame_equal(got[name], want[name], check_exact=True)


@pytest.mark.parametrize(("chunk", "workers"), [(7, 1), (1000, 1), (13, 2)])
def test_demo_parity(demo_dir: Path, demo_expected: dict[str, pl.DataFrame], tmp_path: Path,
                     chunk: int, workers: int) -> None:  # fmt: skip
    run = derive_parquet(demo_dir, tmp_path / "out", chunk_patients=chunk, workers=workers)
    assert run.n_patients == 100
    assert run.n_chunks == -(-100 // chunk)
    assert run.rows == {k: v.height for k, v in demo_expected.items()}
    assert_same(read_results(tmp_path / "out"), demo_expected)
    details = json.loads((tmp_path / "out" / RUN_FILE).read_text())
    assert details["patients"] == 100
    assert details["tables"] == run.rows
    ids = pl.read_parquet(demo_dir / "patients.parquet")["patient_id"].to_list()
    text = (tmp_path / "out" / RUN_FILE).read_text()
    assert not any(pid in text for pid in ids)


def test_parts_are_in_patient_order(demo_dir: Path, demo_expected: dict[str, pl.DataFrame],
                                    tmp_path: Path) -> None:  # fmt: skip
    derive_parquet(demo_dir, tmp_path / "out", chunk_patients=9)
    parts = sorted((tmp_path / "out" / "ad_bor").glob("*.parquet"))
    raw = pl.concat([pl.read_parquet(p) for p in parts])
    assert_frame_equal(raw, demo_expected["ad_bor"], check_exact=True)


def test_parts_have_the_plain_arrow_schema(demo_dir: Path, tmp_path: Path) -> None:
    derive_parquet(demo_dir, tmp_path / "out", chunk_patients=40)
    for name, schema in AD_ARROW_SCHEMAS.items():
        for part in sorted((tmp_path / "out" / name).glob("*.parquet")):
            assert pq.read_schema(part).remove_metadata() == schema, (name, part.name)
            assert pq.read_table(part).schema.remove_metadata() == schema


def test_a_frame_off_its_schema_is_not_written(tmp_path: Path) -> None:
    cols = dict(AD_SCHEMAS["ad_issues"])
    bad = pl.DataFrame(schema={**cols, "line": pl.Int32})
    with pytest.raises(ValueError, match="`df` must have the ad_issues schema"):
        write_part("ad_issues", bad, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()


def test_ten_thousand_patients_two_workers(big_dir: Path, big_expected: dict[str, pl.DataFrame],
                                           tmp_path: Path) -> None:  # fmt: skip
    run = derive_parquet(big_dir, tmp_path / "out", chunk_patients=3000, workers=2)
    assert run.n_patients == 10_000
    assert run.n_chunks == 4
    assert_same(read_results(tmp_path / "out"), big_expected)


def test_settings_reach_the_derivation(demo_dir: Path, tmp_path: Path) -> None:
    settings = DeriveSettings.make(profiles=["recist11"], next_therapy="any",
                                   assessment_window_days=0)  # fmt: skip
    derive_parquet(demo_dir, tmp_path / "out", settings=settings, chunk_patients=30)
    tables = {t: pl.read_parquet(demo_dir / f"{t}.parquet") for t in
              ("patients", "treatments", "lesions", "timepoint_responses", "clinical")}  # fmt: skip
    want = derive_study(tables, profiles=["recist11"], next_therapy="any",
                        assessment_window_days=0).as_tables()  # fmt: skip
    got = read_results(tmp_path / "out")
    assert_same(got, want)
    assert set(got["ad_timepoints"]["profile"]) == {"recist11"}
    details = json.loads((tmp_path / "out" / RUN_FILE).read_text())
    assert details["next_therapy"] == "any"
    assert details["assessment_window_days"] == 0


def test_existing_output_is_refused_unless_overwrite(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match=r"`output` must be a new or empty folder, got"):
        derive_parquet(demo_dir, out)
    assert (out / "keep.txt").exists()
    derive_parquet(demo_dir, out, overwrite=True, chunk_patients=50)
    assert not (out / "keep.txt").exists()
    assert (out / "ad_bor").is_dir()


def test_failure_leaves_no_output(demo_dir: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    calls = {"n": 0}
    real = DeriveSettings.derive

    def failing(self: DeriveSettings, tables: dict[str, pl.DataFrame]) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("chunk 3 fails")
        return real(self, tables)

    monkeypatch.setattr(DeriveSettings, "derive", failing)
    with pytest.raises(RuntimeError, match="chunk 3 fails"):
        derive_parquet(demo_dir, tmp_path / "out", chunk_patients=10)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "out.partial").exists()
    # an earlier result survives a failed overwrite
    old = tmp_path / "old"
    old.mkdir()
    (old / "keep.txt").write_text("x")
    calls["n"] = 0
    with pytest.raises(RuntimeError, match="chunk 3 fails"):
        derive_parquet(demo_dir, old, chunk_patients=10, overwrite=True)
    assert (old / "keep.txt").read_text() == "x"


@pytest.mark.parametrize("bad", [0, 1.5, True])
def test_bad_workers_are_refused(demo_dir: Path, tmp_path: Path, bad: object) -> None:
    with pytest.raises(ValueError, match=r"`workers` must be a whole number >= 1, got"):
        derive_parquet(demo_dir, tmp_path / "out", workers=bad)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"next_therapy": "x"}, r"`next_therapy` must be one of 'systemic', 'any', got 'x'"),
    ({"assessment_window_days": -1}, r"`assessment_window_days` must be a whole number >= 0"),
    ({"profiles": ["nope"]}, r"`name` must be one of .*got 'nope'"),
])  # fmt: skip
def test_bad_settings_are_refused_before_any_work(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeriveSettings.make(**kwargs)  # type: ignore[arg-type]


def _environ(names: list[str]) -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in names}


def test_jemalloc_settings_put_the_users_after_ours() -> None:
    ours = WORKER_ENVIRONMENT["_RJEM_MALLOC_CONF"]
    # as importing polars leaves it: its defaults, then the user's own setting
    polars_defaults = "dirty_decay_ms:500,muzzy_decay_ms:1000"
    assert worker_jemalloc_conf(polars_defaults + ",narenas:2") == ours + ",narenas:2"
    assert worker_jemalloc_conf(polars_defaults) == ours
    assert worker_jemalloc_conf(None) == ours


def test_workers_are_spawned_with_the_worker_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = list(WORKER_ENVIRONMENT)
    for k in names:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "12345")  # the user's own setting is kept
    before = dict(os.environ)
    with worker_environment(), ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        seen = pool.submit(_environ, names).result()
    jemalloc = seen.pop("_RJEM_MALLOC_CONF")
    want = dict(WORKER_ENVIRONMENT, MALLOC_TRIM_THRESHOLD_="12345")
    # the worker's polars put its own defaults first; ours come last and win
    assert jemalloc is not None
    assert jemalloc.endswith("," + want.pop("_RJEM_MALLOC_CONF"))
    assert seen == want
    assert dict(os.environ) == before
