"""The engine's packed-key steps equal their plain definitions on random inputs.

Each fast path (line assignment by binary search, sums at run ends, patient codes per run,
latest baseline scans from one sort key) is compared with the straightforward polars
formulation of the same rule, on seeded random data that includes its edge cases
(overlapping lines, open-ended lines, scans before any window, unsorted rows, nulls,
lesions on both sides of the CNS split).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cnsrwe._packed_keys import KeyPacker
from cnsrwe.criteria._prepare import assign_lines, normalise_lesions, scan_key
from cnsrwe.criteria._runs import run_sums
from cnsrwe.criteria.timepoint import _latest_baseline, _with_keys
from cnsrwe.errors import SchemaError

START = dt.date(2020, 1, 1)


def _lesions(rng: np.random.Generator, n: int, n_patients: int) -> pl.DataFrame:
    days = rng.integers(0, 400, n)
    return pl.DataFrame({
        "patient_id": [f"P{p:03d}" for p in rng.integers(0, n_patients, n)],
        "assessment_date": [START + dt.timedelta(days=int(d)) for d in days],
        "lesion_id": [f"L{x}" for x in rng.integers(0, 12, n)],
        "location": rng.choice(["brain_parenchyma", "lung", "lymph_node"], n).tolist(),
        "organ": None, "lesion_role": rng.choice(["target", "non_target", "new"], n).tolist(),
        "diameter_mm": rng.integers(0, 400, n) / 10,
        "non_target_status": None, "too_small_to_measure": rng.random(n) < 0.1,
    }).unique(["patient_id", "assessment_date", "lesion_id"], keep="first")  # fmt: skip


def _reference(rng: np.random.Generator, n_patients: int) -> pl.DataFrame:
    rows = []
    for p in range(n_patients):
        start = int(rng.integers(-60, 200))
        for line in (1, 2, 3)[: int(rng.integers(1, 4))]:
            end = start + int(rng.integers(-10, 150))  # may end before it starts
            open_ended = rng.random() < 0.3
            rows.append((f"P{p:03d}", line, START + dt.timedelta(days=start),
                         None if open_ended else START + dt.timedelta(days=end)))  # fmt: skip
            start += int(rng.integers(20, 160))
    return pl.DataFrame(rows, schema=["patient_id", "line", "reference_date", "end_date"],
                        orient="row")  # fmt: skip


def _packer(lesions: pl.DataFrame, ref: pl.DataFrame) -> KeyPacker:
    packer = KeyPacker.build(
        patients=[lesions["patient_id"], ref["patient_id"]], lines=[ref["line"]],
        dates=[lesions["assessment_date"]], lesions=[lesions["lesion_id"]],
    )  # fmt: skip
    assert packer is not None
    return packer


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("window", [0, 28, -3])
@pytest.mark.parametrize("order", ["sorted", "shuffled"])
def test_assign_lines_packed_equals_join(seed: int, window: int, order: str) -> None:
    rng = np.random.default_rng(seed)
    raw = _lesions(rng, 600, 12)
    raw = raw.sort("patient_id", "assessment_date", "lesion_id") if order == "sorted" else (
        raw.sample(fraction=1.0, shuffle=True, seed=seed)
    )  # fmt: skip
    ref = _reference(rng, 14)  # two patients without lesions
    base = normalise_lesions(raw)
    packer = _packer(base, ref)
    fast = assign_lines(base, ref, window, packer, scan_key(base, packer))
    plain = assign_lines(base.with_row_index("_row"), ref, window)
    cols = ["_row", "line", "assessment_date", "_baseline", "_followup"]
    expected = plain.select(cols).sort("_row", "line")
    assert plain.height > 0
    assert_frame_equal(fast.select(cols).sort("_row", "line"), expected, check_dtypes=False)
    # rows in packed-key order, flagged sorted
    assert fast["_k"].is_sorted()
    assert fast["_k"].flags["SORTED_ASC"]


@pytest.mark.parametrize("seed", range(4))
def test_run_sums_equal_group_by(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    key = np.sort(rng.integers(0, 80, n)).astype(np.uint64)
    df = pl.DataFrame({
        "k": key, "v": pl.Series(rng.integers(-50, 50, n)).scatter(
            rng.integers(0, n, 60).tolist(), None),
        "b": rng.random(n) < 0.4,
    }).with_columns(pl.col("k").cast(pl.UInt64))  # fmt: skip
    got = run_sums(df, "k", {"s": pl.col("v"), "nb": pl.col("b"),
                             "sb": pl.when(pl.col("b")).then(pl.col("v"))})  # fmt: skip
    want = df.group_by("k", maintain_order=True).agg(
        pl.col("v").sum().alias("s"), pl.col("b").sum().cast(pl.Int64).alias("nb"),
        pl.col("v").filter(pl.col("b")).sum().alias("sb"),
    )
    assert_frame_equal(got, want)


@pytest.mark.parametrize("layout", ["sorted", "grouped", "shuffled", "one_patient"])
def test_scan_key_per_run_equals_packer_key(layout: str) -> None:
    rng = np.random.default_rng(7)
    raw = _lesions(rng, 800, 1 if layout == "one_patient" else 40)
    if layout == "sorted":
        raw = raw.sort("patient_id")
    elif layout == "grouped":  # runs of one patient, patients not in order
        raw = raw.sort(pl.col("patient_id").str.reverse())
    elif layout == "shuffled":
        raw = raw.sample(fraction=1.0, shuffle=True, seed=3)
    base = normalise_lesions(raw)
    packer = _packer(base, _reference(rng, 45))
    want = base.select(
        packer.key(patient="patient_id", date="assessment_date", lesion="lesion_id")
    ).to_series()
    assert (scan_key(base, packer) == want).all()


def test_latest_baseline_with_a_lesion_on_both_sides_of_the_split() -> None:
    rng = np.random.default_rng(11)
    raw = _lesions(rng, 400, 6)
    base = normalise_lesions(raw)
    ref = _reference(rng, 6).with_columns(pl.col("reference_date") + dt.timedelta(days=200))
    packer = _packer(base, ref)
    rows = _with_keys(assign_lines(base, ref, 400, packer, scan_key(base, packer)), packer)
    rows = rows.filter("_baseline")
    rows = rows.with_columns(
        base["location"].gather(rows["_row"]).is_in(["brain_parenchyma"]).alias("_cns")
    )
    lesion_cns = rows.group_by("_pll").agg(pl.col("_cns").n_unique().alias("n"))
    assert (lesion_cns["n"] > 1).any()  # the mixed case is exercised
    got = _latest_baseline(rows, packer)
    date = pl.col("assessment_date")
    want = rows.sort("_pll", "assessment_date").with_columns(
        (date == date.max().over("_pll")).alias("_latest"),
        (date == date.max().over("_pll", "_cns")).alias("_latest_in_scope"),
    )
    assert_frame_equal(got, want)
    one_side = rows.with_columns(pl.lit(False).alias("_cns"))
    got = _latest_baseline(one_side, packer)
    assert got["_latest"].equals(got["_latest_in_scope"])
    assert got["_latest"].sum() == rows["_pll"].n_unique()


@pytest.mark.parametrize("scale", [0, 1])
def test_decimal_diameters_read_exactly(scale: int) -> None:
    rng = np.random.default_rng(5)
    raw = _lesions(rng, 300, 5)
    tenths = rng.integers(0, 10**8, raw.height) * (10 if scale == 0 else 1)
    text = [f"{t // 10}.{t % 10}" if scale else str(t // 10) for t in tenths]
    decimals = raw.with_columns(
        pl.Series("diameter_mm", text).cast(pl.Float64).cast(pl.Decimal(9, scale))
    )
    got = normalise_lesions(decimals)["_tenths"]
    # the float route the engine uses for other dtypes
    want = normalise_lesions(decimals.with_columns(pl.col("diameter_mm").cast(pl.Float64)))
    assert got.equals(want["_tenths"])
    assert (got.to_numpy() == tenths).all()
    with pytest.raises(SchemaError, match="must be >= 0"):
        normalise_lesions(decimals.with_columns(pl.col("diameter_mm") * -1))
