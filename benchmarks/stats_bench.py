"""Speed of cnsrwe statistics against lifelines, measured in the same run.

Run: ``python benchmarks/stats_bench.py [--sizes 10000 100000 1000000]``.
Each section is one function ``bench_<method>(sizes)`` printing one line per size with the
cnsrwe time, the lifelines time and their ratio (cnsrwe / lifelines; < 1 means faster).
Sections: Kaplan-Meier with its full CI table, 3-group log-rank, Cox (2 covariates, Efron).
Targets (issue "Statistics core"): Cox at 10^6 rows at least 7x faster than lifelines (ratio
<= 0.14); Kaplan-Meier and log-rank at least as fast as lifelines' point estimates (ratio <= 1).
Add a section by writing another ``bench_*`` function and listing it in ``SECTIONS``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from _timing import best_of


def _data(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(24.0, n), 2)  # months, 2 decimals -> many ties at 10^6
    e = (rng.uniform(size=n) < 0.7).astype(np.int64)
    g = rng.integers(0, 3, n)
    return t, e, g


def _line(name: str, n: int, ours: float, theirs: float) -> None:
    print(f"{name:<28} n={n:>9,}  cnsrwe {ours:8.4f} s  lifelines {theirs:8.4f} s  "
          f"ratio {ours / theirs:6.2f}")


def bench_kaplan_meier(sizes: list[int]) -> None:
    """KM with full CI table (cnsrwe) vs lifelines KaplanMeierFitter.fit (point estimates)."""
    from lifelines import KaplanMeierFitter

    from cnsrwe.stats.kaplan_meier import kaplan_meier

    for n in sizes:
        t, e, _ = _data(n)
        ours = best_of(lambda: kaplan_meier(t, e).table)  # noqa: B023
        theirs = best_of(lambda: KaplanMeierFitter().fit(t, e))  # noqa: B023
        _line("kaplan_meier (+CI table)", n, ours, theirs)


def bench_logrank(sizes: list[int]) -> None:
    """3-group log-rank (cnsrwe) vs lifelines.statistics.multivariate_logrank_test."""
    from lifelines.statistics import multivariate_logrank_test

    from cnsrwe.stats.logrank import logrank_test

    for n in sizes:
        t, e, g = _data(n)
        ours = best_of(lambda: logrank_test(t, e, g))  # noqa: B023
        theirs = best_of(lambda: multivariate_logrank_test(t, g, e))  # noqa: B023
        _line("logrank_test (3 groups)", n, ours, theirs)


def _cox_frame(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Two covariates, exponential times in whole days (so Efron handles real ties)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rng.integers(0, 2, n).astype(float)
    t = rng.exponential(np.exp(-(0.3 * a - 0.5 * b)))
    c = rng.exponential(1.5, n)
    days = np.round(np.minimum(t, c) * 365).clip(1, None)
    return {"time": days, "event": (t <= c).astype(np.int64), "a": a, "b": b}


def bench_cox(sizes: list[int]) -> None:
    """Cox, 2 covariates, Efron ties (cnsrwe.cox_ph) vs lifelines CoxPHFitter (also Efron).

    Harrell's C is computed on demand in cnsrwe (``.concordance``) and is not part of the fit
    timing; lifelines computes it inside ``fit``, so the ratio slightly favours lifelines.
    """
    import pandas as pd
    from lifelines import CoxPHFitter

    from cnsrwe.stats.cox import cox_ph

    for n in sizes:
        data = _cox_frame(n)
        frame = pd.DataFrame(data)
        repeat = 3 if n <= 100_000 else 1
        fit = cox_ph(data, duration="time", event="event", covariates=["a", "b"])
        ours = best_of(
            lambda: cox_ph(data, duration="time", event="event", covariates=["a", "b"]),  # noqa: B023
            repeat,
        )
        theirs = best_of(
            lambda: CoxPHFitter().fit(frame, duration_col="time", event_col="event"),  # noqa: B023
            repeat,
        )
        ll = CoxPHFitter().fit(frame, duration_col="time", event_col="event")
        diff = float(np.max(np.abs(ll.params_.to_numpy() - np.asarray(fit.coef))))
        _line("cox_ph (2 cov, Efron)", n, ours, theirs)
        print(f"{'':<28} max |coef difference| vs lifelines {diff:.1e}")


SECTIONS: dict[str, Callable[[list[int]], None]] = {
    "kaplan_meier": bench_kaplan_meier,
    "logrank": bench_logrank,
    "cox": bench_cox,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--only", choices=sorted(SECTIONS), nargs="*")
    args = parser.parse_args()
    for name, fn in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        fn(args.sizes)


if __name__ == "__main__":
    main()
