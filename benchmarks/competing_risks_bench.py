"""Speed of cnsrwe's competing-risks and exact-test code, as ratios measured in the same run.

Run: ``python benchmarks/competing_risks_bench.py [--sizes 1000 10000 100000]``.

* cumulative incidence: cnsrwe ``cumulative_incidence`` (estimate + cmprsk variance + CI) against
  lifelines ``AalenJohansenFitter`` (estimate + its own variance), one cause, no groups;
  ratio = cnsrwe / lifelines (< 1 means faster). Also prints the largest estimate difference;
  the data have tied times and lifelines breaks ties by random jitter, so differences of order
  1e-3 are expected (cnsrwe's estimates equal cmprsk's, see tests/reference/cmprsk/).
* Gray's test and Fine-Gray (no Python baseline exists): time relative to the cumulative
  incidence call on the same data.
* Fisher r x c exact: seconds for R's Job-satisfaction 4x4 (n = 104) and a 3x4 table (n = 65).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import polars as pl

from _timing import best_of
from cnsrwe.stats.competing_risks import cumulative_incidence, fine_gray, gray_test
from cnsrwe.stats.contingency import fisher_exact


def _data(n: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(24.0, n), 2)
    e = rng.choice([0, 1, 2], size=n, p=[0.3, 0.4, 0.3])
    return pl.DataFrame(
        {
            "t": t,
            "e": e,
            "g": rng.integers(0, 3, n),
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 2, n).astype(float),
        }
    )


def bench_cuminc(sizes: list[int]) -> None:
    from lifelines import AalenJohansenFitter

    for n in sizes:
        d = _data(n)
        ours = best_of(lambda d=d: cumulative_incidence(d["t"], d["e"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ajf = AalenJohansenFitter(calculate_variance=True)
            theirs = best_of(
                lambda d=d, ajf=ajf: ajf.fit(
                    d["t"].to_numpy(), d["e"].to_numpy(), event_of_interest=1
                ),
                repeat=1,
            )
        res = cumulative_incidence(d["t"], d["e"]).table.filter(pl.col("cause") == 1)
        lf = ajf.cumulative_density_.iloc[:, 0]
        diff = np.max(
            np.abs(
                lf.reindex(res["time"].to_numpy(), method="ffill").to_numpy()
                - res["estimate"].to_numpy()
            )
        )
        print(
            f"cuminc      n={n:>8}: cnsrwe {ours:8.4f}s  lifelines {theirs:8.4f}s  "
            f"ratio {ours / theirs:6.3f}  max|est diff| {diff:.1e}"
        )


def bench_gray_fine_gray(sizes: list[int]) -> None:
    for n in sizes:
        d = _data(n)
        base = best_of(lambda d=d: cumulative_incidence(d["t"], d["e"], group=d["g"]))
        gray = best_of(lambda d=d: gray_test(d["t"], d["e"], d["g"]))
        fg = best_of(
            lambda d=d: fine_gray(d, duration="t", event="e", covariates=["x1", "x2"]), repeat=1
        )
        print(
            f"gray/fg     n={n:>8}: cuminc by group {base:8.4f}s  gray x{gray / base:6.2f}  "
            f"fine_gray x{fg / base:6.2f}"
        )


def bench_fisher() -> None:
    job = [[1, 3, 10, 6], [2, 3, 10, 7], [1, 6, 14, 12], [0, 1, 9, 11]]
    t34 = [[8, 2, 6, 4], [3, 9, 5, 5], [7, 4, 2, 10]]
    print(
        f"fisher rxc: Job 4x4 n=104 {best_of(lambda: fisher_exact(job), 1):.3f}s; "
        f"3x4 n=65 {best_of(lambda: fisher_exact(t34), 1):.3f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()
    bench_cuminc(args.sizes)
    bench_gray_fine_gray([s for s in args.sizes if s <= 100000])
    bench_fisher()


if __name__ == "__main__":
    main()
