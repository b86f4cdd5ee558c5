"""Import speed and peak memory of the study store, printed as figures and ratios.

Each measurement runs in a fresh subprocess so that its peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own. For every study size the script
reports, against baselines measured in the same run:

* ``build``: generating the synthetic LoadedStudy only (the memory baseline);
* ``parquet``: writing the same tables to Parquet with polars (the time baseline);
* ``import``: ``Store.create`` + ``import_study`` (first version);
* ``reimport``: importing the identical study again (status "unchanged");
* ``update``: importing a version with 1 % of the lesion rows changed.

Run: ``python benchmarks/import_bench.py [--sizes 100,2000,10000] [--e2e-sizes 100,2000]``.
The synthetic studies come from ``tests/store/store_studies.py`` (12 lesion rows, 3 treatment
rows, 4 timepoint rows per patient).

The end-to-end part writes a study with ``cnsrwe simulate`` (Parquet, not timed), then times
``load_study`` (read + validate, the baseline) and ``import_study`` in one subprocess.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
import polars as pl
from store_studies import make_study, study_from_tables
from cnsrwe.store import Store

mode, n, folder = {mode!r}, {n}, Path({folder!r})
study = make_study(n, seed=0)
t0 = time.perf_counter()
if mode == "parquet":
    for name, df in study.tables.items():
        df.write_parquet(folder / f"{{name}}.parquet")
elif mode == "import":
    with Store.create(folder / "s.duckdb") as store:
        store.import_study(study)
elif mode in ("reimport", "update"):
    path = folder / "s.duckdb"
    with Store.create(path) as store:
        store.import_study(study)
    if mode == "update":
        les = study.tables["lesions"]
        changed = les.with_columns(
            pl.when(pl.int_range(pl.len()) % 100 == 0)
            .then(pl.col("modality").replace({{"mri": "ct", "ct": "mri"}}))
            .otherwise(pl.col("modality")).alias("modality"))
        study = study_from_tables({{**study.tables, "lesions": changed}})
    t0 = time.perf_counter()
    with Store.open(path) as store:
        status = store.import_study(study).status
seconds = time.perf_counter() - t0
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rows = sum(df.height for df in study.tables.values())
print(json.dumps({{"seconds": seconds, "rss_mb": rss_mb, "rows": rows}}))
"""


_E2E_CHILD = r"""
import json, resource, sys, time
from cnsrwe.io import load_study
from cnsrwe.store import Store
t0 = time.perf_counter()
study = load_study({data!r})
t1 = time.perf_counter()
with Store.create({study!r}) as store:
    store.import_study(study)
t2 = time.perf_counter()
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rows = sum(df.height for df in study.tables.values())
print(json.dumps({{"load": t1 - t0, "import": t2 - t1, "rss_mb": rss_mb, "rows": rows}}))
"""


def measure_e2e(n: int) -> dict[str, float]:
    """Simulate ``n`` patients with ``cnsrwe simulate``, then time load_study and the import."""
    with tempfile.TemporaryDirectory() as folder:
        data = str(Path(folder) / "in")
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from cnsrwe.cli import main; main()",
                "simulate",
                "--patients",
                str(n),
                "--out",
                data,
            ],
            check=True,
            capture_output=True,
        )
        code = _E2E_CHILD.format(data=data, study=str(Path(folder) / "s.duckdb"))
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(mode: str, n: int) -> dict[str, float]:
    """Run one measurement in a subprocess and return its figures."""
    with tempfile.TemporaryDirectory() as folder:
        code = _CHILD.format(tests=str(ROOT / "tests" / "store"), mode=mode, n=n, folder=folder)
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    """Print a table of figures for each study size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,2000,10000", help="patients per study")
    parser.add_argument("--e2e-sizes", default="100,2000", help="patients, cnsrwe simulate")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'patients':>8} {'rows':>8} {'step':<9} {'seconds':>8} {'x parquet':>9}"
        f" {'peak RSS MB':>11} {'+MB vs build':>12}"
    )
    for n in sizes:
        build = measure("build", n)
        parquet = measure("parquet", n)
        for mode in ("parquet", "import", "reimport", "update"):
            fig = parquet if mode == "parquet" else measure(mode, n)
            ratio = fig["seconds"] / parquet["seconds"]
            print(
                f"{n:>8} {int(fig['rows']):>8} {mode:<9} {fig['seconds']:>8.3f} {ratio:>9.1f}"
                f" {fig['rss_mb']:>11.0f} {fig['rss_mb'] - build['rss_mb']:>12.0f}"
            )
    e2e_sizes = [int(s) for s in args.e2e_sizes.split(",") if s]
    if e2e_sizes:
        print(f"\n{'patients':>8} {'rows':>8} {'load_study s':>12} {'import s':>9}"
              f" {'import/load':>11} {'peak RSS MB':>11}")  # fmt: skip
    for n in e2e_sizes:
        fig = measure_e2e(n)
        print(
            f"{n:>8} {int(fig['rows']):>8} {fig['load']:>12.3f} {fig['import']:>9.3f}"
            f" {fig['import'] / fig['load']:>11.2f} {fig['rss_mb']:>11.0f}"
        )


if __name__ == "__main__":
    main()
