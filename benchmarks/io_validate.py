"""Speed of ``cnsrwe.io.validate_study`` on a large synthetic study (CSV folder).

Prints wall times and the ratio against a baseline measured in the same run: reading the same
CSV files with ``polars.read_csv(infer_schema=False)`` (text only, no checks). The ratio says
what parsing and every validation rule cost on top of merely reading the bytes.

Usage: ``python benchmarks/io_validate.py [n_patients]`` (default 10,000 patients,
60 lesion rows each = 600,000 lesion rows).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from _timing import best_of
from cnsrwe.io import validate_study

N_ASSESSMENTS = 6
N_LESIONS = 10  # 3 targets (brain, lung, liver) + 7 non-target bone lesions


def write_synthetic(folder: Path, n_patients: int, seed: int = 1) -> None:
    """Write a valid study of ``n_patients`` patients (vectorised, no loop per patient)."""
    rng = np.random.default_rng(seed)
    pid = pl.Series("patient_id", [f"P{i:07d}" for i in range(n_patients)])
    diag = pl.Series(rng.integers(0, 2000, n_patients)).cast(pl.Int32)
    base = pl.date(2012, 1, 1) + pl.duration(days=pl.col("d"))
    patients = pl.DataFrame({"patient_id": pid, "d": diag}).with_columns(
        pl.lit("S1").alias("site_id"), pl.lit("female").alias("sex"),
        pl.lit("1960").alias("birth_year"), pl.lit("").alias("age_at_index"),
        pl.lit("never").alias("smoking_status"), pl.lit("adenocarcinoma").alias("histology"),
        base.cast(pl.String).alias("diagnosis_date"), pl.lit("IVB").alias("stage_at_diagnosis"),
        pl.lit("1").alias("ecog_at_index"), pl.lit("").alias("death_date"),
        (base + pl.duration(days=900)).cast(pl.String).alias("last_known_alive_date"),
    ).drop("d")  # fmt: skip
    patients.write_csv(folder / "patients.csv")
    treatments = pl.DataFrame({"patient_id": pid, "d": diag}).with_columns(
        pl.lit("1").alias("line"), pl.lit("alectinib").alias("regimen"),
        pl.lit("alk_tki").alias("agent_class"), pl.lit("alectinib").alias("agents"),
        (base + pl.duration(days=20)).cast(pl.String).alias("start_date"),
        pl.lit("").alias("end_date"), pl.lit("ongoing").alias("end_reason"),
        pl.lit("").alias("target_site"), pl.lit("").alias("rt_technique"),
    ).drop("d")  # fmt: skip
    treatments.write_csv(folder / "treatments.csv")
    grid = (
        pl.DataFrame({"patient_id": pid, "d": diag})
        .join(pl.DataFrame({"k": pl.Series(range(N_ASSESSMENTS), dtype=pl.Int32)}), how="cross")
        .join(pl.DataFrame({"j": pl.Series(range(N_LESIONS), dtype=pl.Int32)}), how="cross")
    )
    loc = ["brain_parenchyma", "lung", "liver"] + ["bone"] * 7
    sizes = rng.integers(100, 400, grid.height)
    lesions = grid.with_columns(
        (base + pl.duration(days=10 + 60 * pl.col("k"))).cast(pl.String).alias("assessment_date"),
        ("L" + pl.col("j").cast(pl.String)).alias("lesion_id"),
        pl.col("j").map_elements(lambda j: loc[j], return_dtype=pl.String).alias("location"),
        pl.lit("").alias("organ"),
        pl.when(pl.col("j") < 3).then(pl.lit("target")).otherwise(pl.lit("non_target"))
        .alias("lesion_role"),
        pl.when(pl.col("j") < 3).then(pl.Series(sizes / 10).cast(pl.String))
        .otherwise(pl.lit("")).alias("diameter_mm"),
        pl.when(pl.col("j") < 3).then(pl.lit("")).otherwise(pl.lit("present"))
        .alias("non_target_status"),
        pl.lit("mri").alias("modality"), pl.lit("false").alias("too_small_to_measure"),
    ).drop("d", "k", "j")  # fmt: skip
    lesions.write_csv(folder / "lesions.csv")


def main(n_patients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_synthetic(folder, n_patients)
        n_rows = sum(pl.scan_csv(f).select(pl.len()).collect().item()
                     for f in folder.glob("*.csv"))  # fmt: skip
        report = validate_study(folder)
        assert report.problems == (), report.problems[:3]

        def baseline() -> None:
            for f in folder.glob("*.csv"):
                pl.read_csv(f, infer_schema=False)

        t_base = best_of(baseline)
        t_val = best_of(lambda: validate_study(folder))
        print(f"patients: {n_patients:,}  rows (all tables): {n_rows:,}")
        print(f"baseline polars.read_csv (text only): {t_base:8.3f} s")
        print(f"validate_study (read+parse+rules):    {t_val:8.3f} s"
              f"  ratio {t_val / t_base:5.1f}x  ({n_rows / t_val:,.0f} rows/s)")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
