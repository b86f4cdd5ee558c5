"""Throughput and peak memory of the full response derivation (prints figures; no assertions).

For each size N (default 10,000 and 100,000 patients) the script simulates a study with
``cnsrwe.demo.simulate`` (Parquet), then runs, each in a fresh subprocess so peak RSS is its
own:

* ``derive``   - the full pipeline (:func:`cnsrwe.derive.pipeline.derive_study`) over
  patient chunks of ``--chunk`` patients read from the Parquet files, every output
  collected (row counts summed);
* ``baseline`` - a bare DuckDB scan-and-group-by of the same Parquet files (lesion rows per
  patient and date, plus treatment rows per patient), measured in the same run.

Printed: seconds, lesion rows per second, peak RSS and the ratio derive / baseline.

Usage: python benchmarks/derive_bench.py [N ...] [--chunk C]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
d, mode, chunk = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
if mode == "baseline":
    import duckdb
    con = duckdb.connect()
    a = con.sql(f"SELECT patient_id, assessment_date, count(*) n, sum(diameter_mm) s "
                f"FROM read_parquet('{d / 'lesions.parquet'}') GROUP BY ALL").fetchall()
    b = con.sql(f"SELECT patient_id, count(*) FROM read_parquet('{d / 'treatments.parquet'}') "
                "GROUP BY ALL").fetchall()
    out_rows = len(a) + len(b)
else:
    import polars as pl
    from cnsrwe.derive.pipeline import derive_study
    names = ("patients", "treatments", "lesions", "timepoint_responses", "clinical")
    scans = {n: pl.scan_parquet(d / f"{n}.parquet") for n in names}
    ids = scans["patients"].select("patient_id").collect()["patient_id"].sort().to_list()
    out_rows = 0
    for i in range(0, len(ids), chunk):
        lo, hi = ids[i], ids[min(i + chunk, len(ids)) - 1]
        tables = {n: s.filter(pl.col("patient_id").is_between(pl.lit(lo), pl.lit(hi))).collect()
                  for n, s in scans.items() if n != "patients"}
        out_rows += sum(derive_study(tables).row_counts().values())
secs = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"secs": secs, "rss_mb": rss, "out_rows": out_rows}))
"""


def _run(folder: Path, mode: str, chunk: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder), mode, str(chunk)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(sizes: list[int], chunk: int) -> None:
    """Print one block of figures per size."""
    from cnsrwe.demo import simulate

    print(f"{'patients':>9} {'lesion rows':>12} {'step':>9} {'seconds':>8} {'lesion rows/s':>14}"
          f" {'peak RSS MB':>11} {'x baseline':>10}")  # fmt: skip
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            res = simulate(tmp, n_patients=n, seed=1, fmt="parquet")
            lesion_rows = res.rows["lesions"]
            base = _run(Path(tmp), "baseline", chunk)
            der = _run(Path(tmp), "derive", chunk)
            for label, r in (("baseline", base), ("derive", der)):
                print(f"{n:>9,} {lesion_rows:>12,} {label:>9} {r['secs']:>8.2f}"
                      f" {lesion_rows / r['secs']:>14,.0f} {r['rss_mb']:>11.0f}"
                      f" {r['secs'] / base['secs']:>10.1f}")  # fmt: skip


if __name__ == "__main__":
    args = sys.argv[1:]
    chunk_size = 5000
    if "--chunk" in args:
        i = args.index("--chunk")
        chunk_size = int(args[i + 1])
        del args[i : i + 2]
    main([int(a) for a in args] or [10_000, 100_000], chunk_size)
