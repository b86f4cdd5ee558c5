"""The 2022 worked example's lesions and line reference dates, as the criteria tests use them."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cnsrwe import _packed_keys
from cnsrwe.derive.reference import derive_reference_dates
from cnsrwe.io import load_study

DATA = Path(__file__).resolve().parents[2] / "examples" / "alectinib-2022" / "data"


def example_inputs() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """(lesions, reference dates with end dates, clinical) of the worked example."""
    tables = load_study(DATA).tables
    lines = derive_reference_dates(tables["treatments"]).lines
    ref = lines.select("patient_id", "line", "reference_date",
                       pl.col("assessment_end_date").alias("end_date"))  # fmt: skip
    return tables["lesions"], ref, tables.get("clinical")


def whole_study_packer(lesions: pl.DataFrame) -> _packed_keys.KeyPacker:
    """The key packer one run over every patient of ``lesions`` builds (lines 1 to 3)."""
    packer = _packed_keys.KeyPacker.build(
        patients=[lesions["patient_id"]], lines=[pl.Series([1, 3])],
        dates=[lesions["assessment_date"]], lesions=[lesions["lesion_id"]],
    )  # fmt: skip
    assert packer is not None
    return packer
