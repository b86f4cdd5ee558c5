"""Speed of the resistance derivations, as ratios against a baseline measured in the same run.

Run: ``python benchmarks/resistance_bench.py [--patients 1000 10000 100000]``.

Synthetic study: per patient three systemic lines (crizotinib -> alectinib -> lorlatinib,
the last ongoing), one radiotherapy during line 2 and two re-biopsy findings at the line-2
progression (one ALK mutation, one bypass). Baseline: ``derive_reference_dates`` on the same
treatments (the existing line-date derivation the resistance module builds on).

* lines = ``derive_lines_of_therapy`` / baseline
* mechanisms = ``derive_biopsy_mechanisms`` / baseline
* annotate = ``annotate_findings`` / baseline
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import polars as pl

from _timing import best_of
from cnsrwe.derive.reference import derive_reference_dates
from cnsrwe.resistance.kb import annotate_findings
from cnsrwe.resistance.lines import derive_lines_of_therapy
from cnsrwe.resistance.mechanisms import derive_biopsy_mechanisms


def _study(n: int, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    pid = np.array([f"P{i:06d}" for i in range(n)])
    start = dt.date(2015, 1, 1)
    d1 = rng.integers(0, 1500, n)
    l1 = rng.integers(150, 700, n)
    l2 = rng.integers(200, 900, n)
    day = np.timedelta64(1, "D")
    s1 = np.datetime64(start) + d1 * day
    e1 = s1 + l1 * day
    s2 = e1 + 20 * day
    e2 = s2 + l2 * day
    s3 = e2 + 25 * day
    rt = s2 + (l2 // 2) * day
    rep = np.repeat
    tr = pl.DataFrame({
        "patient_id": np.concatenate([pid] * 4),
        "line": np.concatenate([rep(1, n), rep(2, n), rep(2, n), rep(3, n)]),
        "regimen": np.concatenate([rep("crizotinib", n), rep("alectinib", n), rep("SRS", n),
                                   rep("lorlatinib", n)]),
        "agent_class": np.concatenate([rep("alk_tki", n), rep("alk_tki", n),
                                       rep("radiotherapy", n), rep("alk_tki", n)]),
        "start_date": np.concatenate([s1, s2, rt, s3]).astype("datetime64[D]"),
        "end_date": np.concatenate([e1, e2, rt, np.full(n, np.datetime64("NaT"))])
        .astype("datetime64[D]"),
        "end_reason": np.concatenate([rep("progression", n), rep("progression", n),
                                      rep("completed", n), rep("ongoing", n)]),
    }).with_columns(
        pl.when(pl.col("agent_class") == "alk_tki").then(pl.concat_list("regimen"))
        .alias("agents"),
        pl.col("start_date").cast(pl.Date), pl.col("end_date").cast(pl.Date),
    )  # fmt: skip
    muts = rng.choice(["ALK G1202R", "ALK I1171N", "ALK G1202R/L1196M", "ALK V1180L"], n)
    bx = pl.DataFrame({
        "patient_id": np.concatenate([pid, pid]),
        "biopsy_date": np.concatenate([e2 + 10 * day, e2 + 10 * day]).astype("datetime64[D]"),
        "specimen": rep("tissue", 2 * n), "method": rep("ngs", 2 * n),
        "result": np.concatenate([rep("alk_mutation", n), rep("bypass", n)]),
        "finding": np.concatenate([muts, rep("MET amplification", n)]),
    }).with_columns(pl.col("biopsy_date").cast(pl.Date))  # fmt: skip
    return tr, bx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    header = ("patients", "baseline s", "lines x", "mechanisms x", "annotate x")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (9, 11, 8, 13, 11), strict=True)))
    for n in args.patients:
        tr, bx = _study(n)
        base = best_of(lambda tr=tr: derive_reference_dates(tr))
        t_lines = best_of(lambda tr=tr: derive_lines_of_therapy(tr))
        lines = derive_lines_of_therapy(tr).lines
        t_mech = best_of(lambda bx=bx, lines=lines: derive_biopsy_mechanisms(bx, lines))
        samples = derive_biopsy_mechanisms(bx, lines).samples
        t_ann = best_of(lambda s=samples: annotate_findings(s))
        print(f"{n:>9,} {base:>11.3f} {t_lines / base:>8.1f} {t_mech / base:>13.1f}"
              f" {t_ann / base:>11.1f}")


if __name__ == "__main__":
    main()
