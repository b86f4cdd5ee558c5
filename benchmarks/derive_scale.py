"""Scale benchmark of the derivation: whole processes, figures printed, no assertions.

For each size N (default 10^4, 10^5, 10^6 patients, ~55 lesion rows each) a study is
simulated once with ``cnsrwe.demo.simulate`` (Parquet, cached under ``--cache``; delete
the folder to re-simulate), then two whole processes are timed from start to exit:

* ``floor``  - a bare DuckDB scan-and-group-by of the same Parquet files (lesion rows per
  patient and date, treatment rows per patient);
* ``derive`` - ``python -m cnsrwe derive --input ... --output ...`` (embedded engine,
  ``--workers`` processes, ``--chunk-patients`` patients per chunk): reference dates,
  timepoint responses for 3 profiles, the per-lesion audit, BOR under 2 rules, shrinkage
  and its series, progression characterisation, time-to-event rows (5 endpoints, every
  systemic line as index) and issues, all written to Parquet.

Printed per size: seconds, lesion rows per second, peak RSS of the whole process tree
(sum of the resident sets of the process and its workers, sampled every 50 ms), the ratio
derive / floor, and the scaling exponent log(t2/t1) / log(n2/n1) between consecutive
sizes. With ``--spark`` the 10^5 study is also derived on Spark ``local[2]`` in one process
that times the SparkSession start-up separately from the derivation; the ratio to the
embedded engine excludes start-up.

With ``--baseline-src DIR`` (the ``src`` folder of another checkout, e.g. made with
``git archive <commit> src | tar -x -C /tmp/old``) each size is also derived by that code
(``before``), in the same run, and the ratio derive / before is printed.

Usage: python benchmarks/derive_scale.py [N ...] [--workers W] [--chunk C] [--spark]
       [--cache DIR] [--baseline-src DIR]
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_FLOOR = r"""
import sys, duckdb
d = sys.argv[1]
con = duckdb.connect()
a = con.sql(f"SELECT patient_id, assessment_date, count(*) n, sum(diameter_mm) s "
            f"FROM read_parquet('{d}/lesions.parquet') GROUP BY ALL").fetchall()
b = con.sql(f"SELECT patient_id, count(*) FROM read_parquet('{d}/treatments.parquet') "
            "GROUP BY ALL").fetchall()
print(len(a) + len(b))
"""

_SPARK = r"""
import json, sys, time
t0 = time.perf_counter()
from cnsrwe.scale.spark_engine import derive_spark, spark_session
spark = spark_session("local[2]")
spark.sparkContext.setLogLevel("ERROR")
spark.range(1).count()
startup = time.perf_counter() - t0
run = derive_spark(sys.argv[1], sys.argv[2], spark=spark, chunk_patients=int(sys.argv[3]))
print(json.dumps({"startup": startup, "derive": run.seconds}))
"""


def _tree_rss_mb(pid: int) -> float:
    """Resident set of ``pid`` and all its descendants, in MB (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total / 2**20


def _timed(cmd: list[str], src: str | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak tree RSS (MB) and stdout of a whole process.

    ``src``: a ``src`` folder put first on PYTHONPATH (another checkout's code).
    """
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mb(proc.pid))
        time.sleep(0.05)
    secs = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{cmd[:4]} failed:\n{err[-2000:]}")
    return secs, peak, out


def _study(cache: Path, n: int) -> tuple[Path, int]:
    from cnsrwe.demo import simulate

    folder = cache / f"patients_{n}"
    done = folder / "_rows.json"
    if not done.exists():
        if folder.exists():
            shutil.rmtree(folder)
        res = simulate(folder, n_patients=n, seed=1, fmt="parquet", chunk_size=10_000)
        done.write_text(json.dumps(res.rows))
    return folder, json.loads(done.read_text())["lesions"]


def _derive(folder: Path, cache: Path, workers: int, chunk: int,
            src: str | None = None) -> tuple[float, float]:
    """Whole-process seconds and peak RSS of ``cnsrwe derive`` on ``folder``."""
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        secs, rss, _ = _timed([sys.executable, "-m", "cnsrwe", "derive", "--input",
                               str(folder), "--output", str(Path(tmp) / "out"), "--workers",
                               str(workers), "--chunk-patients", str(chunk)], src)  # fmt: skip
    return secs, rss


def main(sizes: list[int], workers: int, chunk: int, spark: bool, cache: Path,
         baseline_src: str | None = None) -> None:
    """Print the figures (see the module docstring)."""
    cache.mkdir(parents=True, exist_ok=True)
    print(f"{'patients':>9} {'lesion rows':>12} {'step':>7} {'seconds':>8} {'lesion rows/s':>14}"
          f" {'peak RSS MB':>11} {'x floor':>8}")  # fmt: skip
    times: list[tuple[int, float]] = []
    embedded_at: dict[int, float] = {}
    for n in sizes:
        folder, rows = _study(cache, n)
        floor, floor_rss, _ = _timed([sys.executable, "-c", _FLOOR, str(folder)])
        runs = [("floor", floor, floor_rss)]
        if baseline_src is not None:
            runs.append(("before", *_derive(folder, cache, workers, chunk, baseline_src)))
        secs, rss = _derive(folder, cache, workers, chunk)
        runs.append(("derive", secs, rss))
        embedded_at[n] = secs
        for label, s, r in runs:
            print(f"{n:>9,} {rows:>12,} {label:>7} {s:>8.2f} {rows / s:>14,.0f} {r:>11.0f}"
                  f" {s / floor:>8.1f}", flush=True)  # fmt: skip
        if baseline_src is not None:
            print(f"derive / before at {n:,} patients: {secs / runs[1][1]:.2f}")
        times.append((n, secs))
    for (n1, t1), (n2, t2) in itertools.pairwise(times):
        print(f"scaling exponent {n1:,} -> {n2:,} patients: "
              f"{math.log(t2 / t1) / math.log(n2 / n1):.2f}")
    if spark:
        n = 100_000
        folder, rows = _study(cache, n)
        if n not in embedded_at:
            embedded_at[n], _ = _derive(folder, cache, workers, chunk)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            secs, rss, out = _timed([sys.executable, "-c", _SPARK, str(folder),
                                     str(Path(tmp) / "out"), str(chunk)])  # fmt: skip
        res = json.loads(out.strip().splitlines()[-1])
        print(f"spark local[2], {n:,} patients: start-up {res['startup']:.1f} s, derivation "
              f"{res['derive']:.1f} s ({rows / res['derive']:,.0f} lesion rows/s), whole "
              f"process {secs:.1f} s, peak RSS (driver + JVM + Python workers) {rss:.0f} MB; "
              f"x embedded (start-up excluded; embedded whole process "
              f"{embedded_at[n]:.1f} s): {res['derive'] / embedded_at[n]:.1f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = {"--workers": "2", "--chunk": "5000", "--cache": str(
        Path(tempfile.gettempdir()) / "cnsrwe-scale-bench"), "--baseline-src": ""}
    for key in list(opts):
        if key in args:
            i = args.index(key)
            opts[key] = args[i + 1]
            del args[i : i + 2]
    use_spark = "--spark" in args
    args = [a for a in args if a != "--spark"]
    main([int(a) for a in args] or [10_000, 100_000, 1_000_000], int(opts["--workers"]),
         int(opts["--chunk"]), use_spark, Path(opts["--cache"]),
         opts["--baseline-src"] or None)  # fmt: skip
