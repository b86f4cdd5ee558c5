"""Packed group keys: order and equality as the key columns, and the >64-bit fallback."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cnsrwe.response import BorRule, _keys, best_overall_response
from cnsrwe.response._keys import ColumnPacker, dense_key

from ._scenarios import DAY0, day

_FRAME = pl.DataFrame({
    "s": ["b", None, "a", "ab", "b", "a", None, "Z"],
    "i": [3, 1, None, -2, 3, 1, 1, 7],
    "d": [dt.date(2020, 1, 5), None, dt.date(2019, 12, 1), dt.date(2020, 1, 5),
          dt.date(2020, 1, 5), dt.date(2020, 1, 1), None, dt.date(2021, 3, 3)],
    "b": [True, False, None, True, True, False, False, True],
})  # fmt: skip


def _check_order(df: pl.DataFrame, key: str, cols: list[str]) -> None:
    by_key = df.sort(key, maintain_order=True).drop(key)
    by_cols = df.drop(key).sort(cols, nulls_last=True, maintain_order=True)
    assert by_key.equals(by_cols)
    # equal keys <=> equal rows
    assert df.select(key).n_unique() == df.select(cols).unique().height


def test_packed_key_orders_like_the_columns_sorted_nulls_last() -> None:
    cols = ["s", "i", "d", "b"]
    packer = ColumnPacker.build([_FRAME], cols)
    assert packer is not None
    _check_order(_FRAME.with_columns(packer.key().alias("k")), "k", cols)


def test_dense_key_orders_like_the_columns_sorted_nulls_last() -> None:
    cols = ["s", "i", "d", "b"]
    _check_order(dense_key([_FRAME], cols, "k")[0], "k", cols)


def test_build_returns_none_above_64_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_keys, "_MAX_BITS", 3)
    assert ColumnPacker.build([_FRAME], ["s", "i"]) is None


def _cohort() -> tuple[pl.DataFrame, pl.DataFrame]:
    seqs = {
        ("P1", 1, "intracranial"): "d0 SD, d56 PR, d90 NE, d112 PR, d140 PD",
        ("P1", 1, "extracranial"): "d56 CR, d84 CR, d100 PR",
        ("P1", 2, "intracranial"): "d300 PR, d300 PD, d340 CR",
        ("P2", 1, None): "d60 CR, d61 NE, d95 CR",
        ("P2", 1, "extracranial"): "d-5 PR, d20 SD, d50 SD",
        ("P3", 1, "intracranial"): "d50 ND",
    }
    rows = [
        {"patient_id": p, "line": ln, "compartment": c, "assessment_date": day(int(d[1:])),
         "response": x}
        for (p, ln, c), text in seqs.items()
        for d, x in (item.split(" ") for item in text.split(", "))
    ]  # fmt: skip
    a = pl.DataFrame(rows)
    r = pl.DataFrame({"patient_id": ["P1", "P1", "P2", "P3"], "line": [1, 2, 1, 1],
                      "reference_date": [DAY0, day(250), DAY0, DAY0]})  # fmt: skip
    return a, r


@pytest.mark.parametrize("rule", [BorRule(), BorRule(confirm=True),
                                  BorRule(confirm=True, truncate_after_pd=False)])  # fmt: skip
def test_bor_same_when_keys_need_more_than_64_bits(
    rule: BorRule, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, r = _cohort()
    by = ["line", "compartment"]
    packed = best_overall_response(a, r, rule=rule, by=by, explain=True)
    monkeypatch.setattr(_keys, "_MAX_BITS", 0)  # every packer fails: dense keys, plain sorts
    dense = best_overall_response(a, r, rule=rule, by=by, explain=True)
    assert dense.equals(packed)
    assert packed.height == 4 * 3  # 4 reference rows x 3 compartment values (null included)
    assert packed.filter(pl.col("compartment").is_null())["bor"].to_list() == [
        "MISSING", "MISSING", "CR", "MISSING"
    ]


def test_mask_keeps_only_the_named_fields() -> None:
    cols = ["s", "i", "d", "b"]
    packer = ColumnPacker.build([_FRAME], cols)
    assert packer is not None
    for part in (["s"], ["s", "i"], ["i", "b"], cols):
        got = _FRAME.select((packer.key() & _keys.u64(packer.mask(part))).alias("k"))
        assert got["k"].equals(_FRAME.select(packer.key(part).alias("k"))["k"])


@pytest.mark.parametrize("rule", [BorRule(), BorRule(confirm=True)])
def test_bor_same_when_reference_is_keyed_by_every_by_column(
    rule: BorRule, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pipeline's case: reference rows per patient, line and compartment (no crossing)
    a, r = _cohort()
    r = r.join(pl.DataFrame({"compartment": ["intracranial", "extracranial", None]}),
               how="cross")  # fmt: skip
    by = ["line", "compartment"]
    packed = best_overall_response(a, r, rule=rule, by=by, explain=True)
    assert packed.height == r.height
    monkeypatch.setattr(_keys, "_MAX_BITS", 0)
    dense = best_overall_response(a, r, rule=rule, by=by, explain=True)
    assert dense.equals(packed)
