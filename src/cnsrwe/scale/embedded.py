"""The embedded engine: derive a Parquet study chunk by chunk into a Parquet result folder.

:func:`derive_parquet` reads the study with :mod:`cnsrwe.scale.parquet_source` (one
patient range per chunk, only the needed columns), runs the pure per-patient
:func:`~cnsrwe.derive.pipeline.derive_study` on each chunk and streams every analysis
dataset to ``<output>/<ad_table>/part-<chunk>.parquet``. Memory is bounded by the chunk.

With ``workers > 1`` chunks are derived in that many worker processes, each with a single
polars thread and allocators tuned to reuse memory from chunk to chunk
(:data:`~cnsrwe.scale.results.WORKER_ENVIRONMENT`). Each worker writes its own parts;
parts are numbered by chunk, so the result read in part order is in patient order
whatever the number of workers.

The result is written into ``<output>.partial`` and renamed to ``<output>`` only when
complete, so an interrupted run never leaves a folder that looks whole.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import polars as pl

from cnsrwe import __version__
from cnsrwe.derive.schemas import AD_SCHEMAS
from cnsrwe.scale.parquet_source import (
    DEFAULT_CHUNK_PATIENTS,
    ParquetStudy,
    open_parquet_study,
    patient_ids,
    patient_ranges,
    read_chunk,
)
from cnsrwe.scale.results import (
    WORKER_ENVIRONMENT,
    DeriveSettings,
    prepare_output,
    replace_output,
    worker_jemalloc_conf,
    write_part,
    write_run_file,
)


@dataclass(frozen=True)
class ScaleRun:
    """What one scale run did (counts and timings only, no identifiers)."""

    engine: str
    output: str
    n_patients: int
    n_chunks: int
    rows: dict[str, int]
    seconds: float


def _derive_chunk(
    study: ParquetStudy, first: str, last: str, index: int, out: Path, settings: DeriveSettings
) -> dict[str, int]:
    tables = read_chunk(study, first, last)
    result = settings.derive(tables).as_tables()
    for name, df in result.items():
        write_part(name, df, out / name / f"part-{index:06d}.parquet")
    return {name: df.height for name, df in result.items()}


@contextmanager
def worker_environment() -> Iterator[None]:
    """Set :data:`WORKER_ENVIRONMENT` in ``os.environ`` (for processes spawned meanwhile).

    ``POLARS_MAX_THREADS`` is always 1. A glibc ``MALLOC_*`` variable the user has set is
    kept. ``_RJEM_MALLOC_CONF``: importing polars put its defaults first, then whatever the
    user had set; the workers get ours followed by the user's. A worker's polars puts its
    defaults first again, so the user's settings win over ours and ours over polars'.
    Every variable is restored on exit.
    """
    saved = {k: os.environ.get(k) for k in WORKER_ENVIRONMENT}
    for k, v in WORKER_ENVIRONMENT.items():
        if k == "_RJEM_MALLOC_CONF":
            os.environ[k] = worker_jemalloc_conf(saved[k])
        elif not k.startswith("MALLOC_") or saved[k] is None:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _in_workers(
    study: ParquetStudy, ranges: list[tuple[str, str, int]], work: Path,
    cfg: DeriveSettings, workers: int,
) -> Iterator[tuple[dict[str, int], int]]:
    """Derive chunks in ``workers`` processes spawned in :func:`worker_environment`.

    Yields ``(rows per table, patients)`` per chunk, in chunk order.
    """
    with worker_environment(), ProcessPoolExecutor(
        workers, mp_context=get_context("spawn")
    ) as pool:
        futures = [pool.submit(_derive_chunk, study, first, last, i, work, cfg)
                   for i, (first, last, _) in enumerate(ranges)]  # fmt: skip
        for fut, (_, _, n) in zip(futures, ranges, strict=True):
            yield fut.result(), n


def _check_workers(workers: int) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        msg = f"`workers` must be a whole number >= 1, got {workers!r}"
        raise ValueError(msg)


def derive_parquet(
    input: str | Path,
    output: str | Path,
    *,
    settings: DeriveSettings | None = None,
    chunk_patients: int = DEFAULT_CHUNK_PATIENTS,
    workers: int = 1,
    overwrite: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ScaleRun:
    """Derive every analysis dataset of the Parquet study ``input`` into ``output``.

    Parameters
    ----------
    input : folder of ``<table>.parquet`` files or ``<table>/`` part folders.
    output : new (or empty) folder for the result (see :mod:`cnsrwe.scale.results`).
    settings : derivation settings (default: the defaults of ``derive_study``).
    chunk_patients : patients derived at a time (bounds memory per worker).
    workers : worker processes (1 = derive in this process).
    overwrite : replace an existing, non-empty ``output``.
    on_progress : called with ``(done_patients, total_patients)`` after each chunk.
    """
    t0 = time.perf_counter()
    _check_workers(workers)
    cfg = settings or DeriveSettings()
    study = open_parquet_study(input)
    ranges = patient_ranges(patient_ids(study), chunk_patients)
    final = prepare_output(output, overwrite=overwrite)
    work = final.with_name(final.name + ".partial")
    if work.exists():
        shutil.rmtree(work)
    for name in AD_SCHEMAS:
        (work / name).mkdir(parents=True)
    rows = dict.fromkeys(AD_SCHEMAS, 0)
    total = sum(n for _, _, n in ranges)
    done = 0

    def add(counts: dict[str, int], n: int) -> None:
        nonlocal done
        for k, v in counts.items():
            rows[k] += v
        done += n
        if on_progress is not None:
            on_progress(done, total)

    try:
        if workers == 1 or len(ranges) <= 1:
            for i, (first, last, n) in enumerate(ranges):
                add(_derive_chunk(study, first, last, i, work, cfg), n)
        else:
            for counts, n in _in_workers(study, ranges, work, cfg, workers):
                add(counts, n)
        if not ranges:
            for name in AD_SCHEMAS:
                empty = pl.DataFrame(schema=AD_SCHEMAS[name])
                write_part(name, empty, work / name / "part-000000.parquet")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    secs = time.perf_counter() - t0
    write_run_file(work, {
        "engine": "embedded", "cnsrwe_version": __version__, **cfg.as_dict(),
        "chunk_patients": chunk_patients, "workers": workers, "patients": total,
        "chunks": len(ranges), "tables": rows,
    })  # fmt: skip
    replace_output(work, final)
    return ScaleRun("embedded", str(final), total, len(ranges), rows, secs)
