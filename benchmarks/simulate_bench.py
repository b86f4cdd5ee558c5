"""Throughput and peak memory of ``cnsrwe simulate`` (prints figures; no assertions).

Each size runs in a fresh subprocess so its peak resident set size (RSS) is its own. The
baseline measured in the same run is the cost of generating the tables without writing them,
so the ratio shows what the Parquet/CSV writing adds.

Usage: python benchmarks/simulate_bench.py [N ...]   (default: 10000 100000)
"""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = r"""
import json, sys, time, resource, tempfile
from cnsrwe.demo import iter_blocks, simulate
n, mode, fmt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
rows = 0
if mode == "generate":
    for block in iter_blocks(n, seed=1):
        rows += sum(t.num_rows for t in block.values())
else:
    with tempfile.TemporaryDirectory() as d:
        res = simulate(d, n_patients=n, seed=1, fmt=fmt)
        rows = sum(res.rows.values())
        lesion_rows = res.rows["lesions"]
secs = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"secs": secs, "rows": rows, "rss_mb": rss,
                  "lesion_rows": lesion_rows if mode != "generate" else None}))
"""


def _run(n: int, mode: str, fmt: str = "parquet") -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n), mode, fmt],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    """Print a table of throughput and memory per size."""
    print(f"{'patients':>9} {'mode':>14} {'seconds':>8} {'rows/s':>11} {'lesion rows':>12}"
          f" {'peak RSS MB':>11} {'x generate':>10}")  # fmt: skip
    for n in sizes:
        gen = _run(n, "generate")
        for mode, fmt in (("generate", ""), ("write", "parquet"), ("write", "csv")):
            r = gen if mode == "generate" else _run(n, mode, fmt)
            label = mode if mode == "generate" else f"write {fmt}"
            lesion = "" if r["lesion_rows"] is None else f"{int(r['lesion_rows']):,}"
            ratio = r["secs"] / gen["secs"]
            print(f"{n:>9,} {label:>14} {r['secs']:>8.2f} {r['rows'] / r['secs']:>11,.0f}"
                  f" {lesion:>12} {r['rss_mb']:>11.0f} {ratio:>10.2f}")  # fmt: skip


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
