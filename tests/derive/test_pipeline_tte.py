"""ad_tte: every systemic line of every patient as index, as derive_tte derives one line."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from cnsrwe.derive.pipeline import DEFAULT_TTE_ENDPOINTS, derive_study
from cnsrwe.derive.schemas import AD_KEYS, AD_SCHEMAS
from cnsrwe.endpoints import derive_tte


def test_ad_tte_equals_one_derive_tte_call_per_line(demo_tables: dict[str, pl.DataFrame]) -> None:
    ad = derive_study(demo_tables)
    tp = ad.timepoints.filter(
        ((pl.col("compartment") == "overall") & (pl.col("profile") == "recist11"))
        | ((pl.col("compartment") == "intracranial")
           & (pl.col("profile") == "recist11_intracranial"))
        | ((pl.col("compartment") == "extracranial")
           & (pl.col("profile") == "recist11_extracranial"))
    )  # fmt: skip
    index = ad.reference.select("patient_id", "line", pl.col("reference_date").alias("start_date"))
    lines = index["line"].unique().sort().to_list()
    assert len(lines) > 1  # several lines per patient: the all-lines path is exercised
    expected = pl.concat([
        derive_tte(index.filter(pl.col("line") == line), dataset_assessments=tp,
                   dataset_patients=demo_tables["patients"],
                   dataset_therapies=demo_tables["treatments"])
        for line in lines
    ]).sort(AD_KEYS["ad_tte"])  # fmt: skip
    assert_frame_equal(ad.tte, expected.select(list(AD_SCHEMAS["ad_tte"])), check_exact=True)
    assert set(ad.tte["paramcd"]) == set(DEFAULT_TTE_ENDPOINTS)
    assert ad.tte.filter(pl.col("paramcd") == "OS").height == ad.reference.height
    assert ad.tte["cnsr"].min() == 0  # events as well as censored rows


def test_no_patients_table_or_no_endpoints_gives_no_tte_rows(
    demo_tables: dict[str, pl.DataFrame],
) -> None:
    without = {k: v for k, v in demo_tables.items() if k != "patients"}
    assert derive_study(without).tte.height == 0
    assert derive_study(demo_tables, tte_endpoints=()).tte.height == 0
    os_only = derive_study(demo_tables, tte_endpoints=("OS",)).tte
    assert set(os_only["paramcd"]) == {"OS"}
