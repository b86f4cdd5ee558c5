"""Throughput of derive_timepoint_responses on a synthetic lesion table.

Prints lesion rows per second for each shipped profile and, as the baseline measured in
the same run, the ratio against one polars group-by sum over the same table (the cost
floor of touching every row once). Run: python benchmarks/derive_timepoints_bench.py [n]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np
import polars as pl

from cnsrwe.criteria import derive_timepoint_responses, list_profiles

LOCS = np.array(["brain_parenchyma", "lung", "liver", "lymph_node", "bone", "leptomeninges"])


def synthetic(n_patients: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """n patients, 2-6 lesions each, baseline + 6 scans every 8 weeks, random-walk sizes."""
    rng = np.random.default_rng(seed)
    n_les = rng.integers(2, 7, n_patients)
    pid = np.repeat(np.arange(n_patients), n_les)
    lid = np.concatenate([np.arange(k) for k in n_les])
    loc = LOCS[rng.integers(0, len(LOCS), pid.size)]
    base = rng.integers(50, 400, pid.size)
    role = np.where(lid < 3, "target", "non_target")
    visits = 7
    drift = rng.normal(0, 0.15, (pid.size, visits)).cumsum(axis=1)
    size = np.clip(base[:, None] * np.exp(drift), 0, 4000).round().astype(np.int64)
    size[:, 0] = base
    days = np.arange(visits) * 56 - 7
    d0 = dt.date(2020, 1, 1)
    df = pl.DataFrame({
        "patient_id": np.repeat(pid, visits).astype(str),
        "assessment_date": [d0 + dt.timedelta(days=int(d)) for d in np.tile(days, pid.size)],
        "lesion_id": np.repeat(lid, visits).astype(str),
        "location": np.repeat(loc, visits),
        "organ": np.repeat(loc, visits),
        "lesion_role": np.repeat(role, visits),
        "diameter_mm": size.ravel() / 10,
        "non_target_status": None,
        "too_small_to_measure": False,
    }).with_columns(pl.col("non_target_status").cast(pl.String))
    ref = pl.DataFrame({"patient_id": np.arange(n_patients).astype(str),
                        "line": 1, "reference_date": d0})
    return df, ref


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    df, ref = synthetic(n)
    t0 = time.perf_counter()
    df.group_by("patient_id", "assessment_date").agg(pl.col("diameter_mm").sum())
    floor = time.perf_counter() - t0
    print(f"{df.height:,} lesion rows, {n:,} patients; group-by floor {floor:.3f} s")
    for name in list_profiles():
        t0 = time.perf_counter()
        res = derive_timepoint_responses(df, ref, profile=name)
        el = time.perf_counter() - t0
        print(f"{name:24s} {el:7.3f} s  {df.height / el:12,.0f} rows/s  "
              f"{el / floor:6.1f} x floor  ({res.timepoints.height:,} timepoints)")


if __name__ == "__main__":
    main()
