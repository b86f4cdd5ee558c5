"""Wall time and peak memory of `cnsrwe report` (the whole main job).

Cases: the worked example (examples/alectinib-2022) and a simulated study
(`cnsrwe simulate --patients N` + the starter study file of `cnsrwe init`, cut-off fixed at
2021-06-01). Each measurement runs in a fresh Python process, so peak RSS is that run's own.
Baseline, measured in the same run on the same data: reading and validating the data only
(`cnsrwe.runner.inputs.read_inputs`). The figure of merit is the ratio report / baseline.

    python benchmarks/report_bench.py [--patients 10000]

Targets (issue "Study as code"): worked example under 10 s.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import measure_child

ROOT = Path(__file__).resolve().parents[1]

BASELINE = """
from cnsrwe.study import load_study
from cnsrwe.runner.inputs import read_inputs
read_inputs(load_study({study!r}))
"""
REPORT = """
from cnsrwe.runner.run import run_report
run_report({study!r}, {out!r})
"""


def _case(name: str, study: Path, out: Path) -> None:
    base_t, base_m = measure_child(BASELINE.format(study=str(study)))
    rep_t, rep_m = measure_child(REPORT.format(study=str(study), out=str(out)))
    print(f"{name}: report {rep_t:.1f} s (peak RSS {rep_m:.0f} MiB); baseline read+validate "
          f"{base_t:.1f} s ({base_m:.0f} MiB); ratio report/baseline {rep_t / base_t:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _case("worked example (65 patients)", ROOT / "examples/alectinib-2022/study.toml",
              work / "example")
        sim = work / "sim"
        subprocess.run([sys.executable, "-m", "cnsrwe", "simulate", "--patients",
                        str(args.patients), "--out", str(sim / "data")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "cnsrwe", "init", str(sim / "study.toml")],
                       check=True, stdout=subprocess.DEVNULL)
        text = (sim / "study.toml").read_text(encoding="utf-8")
        text = re.sub(r"(?m)^data_cutoff = \S+", "data_cutoff = 2021-06-01", text)
        (sim / "study.toml").write_text(text, encoding="utf-8")
        _case(f"simulated study ({args.patients:,} patients)", sim / "study.toml",
              work / "sim_out")


if __name__ == "__main__":
    main()
