"""CPU cost of one derivation chunk: figures printed, no assertions.

Simulates (once, cached) a study of ``--patients`` patients with ``cnsrwe.demo.simulate``,
reads its first ``--chunk`` patients the way the embedded engine does
(:func:`cnsrwe.scale.read_chunk`) and times :func:`cnsrwe.derive.pipeline.derive_study` on
that chunk in a fresh process with one polars thread, as the engine's workers run it.
Printed: best CPU seconds of ``--repeat`` runs, CPU seconds per 10^4 patients and
microseconds per lesion row.

With ``--baseline-src DIR`` (the ``src`` folder of another checkout, e.g. made with
``git archive <commit> src | tar -x -C /tmp/old``) the same chunk is also timed with that
code, in the same run, and the ratio current / baseline is printed.

Usage: python benchmarks/derive_chunk_cpu.py [--patients N] [--chunk C] [--repeat R]
       [--baseline-src DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, sys, time
from cnsrwe.derive.pipeline import derive_study
from cnsrwe.scale import open_parquet_study, patient_ids, patient_ranges, read_chunk
study = open_parquet_study(sys.argv[1])
first, last, n = patient_ranges(patient_ids(study), int(sys.argv[2]))[0]
tables = read_chunk(study, first, last)
best = float("inf")
for _ in range(int(sys.argv[3])):
    t0 = time.process_time()
    derive_study(tables)
    best = min(best, time.process_time() - t0)
print(json.dumps({"cpu": best, "patients": n, "lesions": tables["lesions"].height}))
"""


def _study(cache: Path, n: int) -> Path:
    from cnsrwe.demo import simulate

    folder = cache / f"patients_{n}"
    if not (folder / "_rows.json").exists():
        res = simulate(folder, n_patients=n, seed=1, fmt="parquet", chunk_size=10_000)
        (folder / "_rows.json").write_text(json.dumps(res.rows))
    return folder


def _run(folder: Path, chunk: int, repeat: int, src: str | None) -> dict[str, float]:
    env = dict(os.environ, POLARS_MAX_THREADS="1")
    if src is not None:
        env["PYTHONPATH"] = src
    out = subprocess.run([sys.executable, "-c", _CHILD, str(folder), str(chunk), str(repeat)],
                         capture_output=True, text=True, check=True, env=env)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the figures (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, default=10_000)
    p.add_argument("--chunk", type=int, default=5_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--baseline-src", default=None)
    p.add_argument("--cache", type=Path,
                   default=Path(tempfile.gettempdir()) / "cnsrwe-scale-bench")  # fmt: skip
    a = p.parse_args()
    folder = _study(a.cache, a.patients)
    runs = [("current", _run(folder, a.chunk, a.repeat, None))]
    if a.baseline_src:
        runs.append(("baseline", _run(folder, a.chunk, a.repeat, a.baseline_src)))
    print(f"{'code':>9} {'patients':>9} {'lesion rows':>12} {'CPU s':>7} {'CPU s/1e4 pt':>12}"
          f" {'us/lesion row':>13}")  # fmt: skip
    for label, r in runs:
        print(f"{label:>9} {r['patients']:>9,} {r['lesions']:>12,} {r['cpu']:>7.3f}"
              f" {r['cpu'] / r['patients'] * 1e4:>12.2f} {r['cpu'] / r['lesions'] * 1e6:>13.2f}")
    if len(runs) == 2:
        print(f"current / baseline CPU: {runs[0][1]['cpu'] / runs[1][1]['cpu']:.2f}")


if __name__ == "__main__":
    main()
