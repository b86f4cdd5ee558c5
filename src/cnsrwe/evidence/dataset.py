"""The curated dataset of published CNS efficacy of ALK inhibitors, shipped as package data.

One row is one trial arm in one CNS population (``src/cnsrwe/data/evidence/trials_cns.csv``,
provenance and per-row verification in the ``README.md`` next to it). Rows whose numbers could
not be checked against their source carry ``verification = "unverified"``; they are returned
only when asked for and are never pooled by default.
"""

from __future__ import annotations

from importlib import resources

import polars as pl

from cnsrwe._checks import assert_in

DRUGS = (
    "alectinib",
    "brigatinib",
    "ceritinib",
    "crizotinib",
    "ensartinib",
    "lorlatinib",
    "chemotherapy",
)
LINES = ("first_line", "post_crizotinib", "post_second_generation", "post_tki_any", "mixed")
POPULATIONS = ("measurable", "any", "leptomeningeal", "none", "cns_only_progression", "other")
CRITERIA = ("recist_cns", "modified_recist_cns", "rano_bm", "not_stated")
VERIFICATION = ("verified", "derived", "unverified")
POOLABLE = ("verified", "derived")
"""Verification states pooled by default: checked against the source, or derived from checked
numbers (for example a denominator recovered by reproducing a published exact CI)."""

_INT_COLUMNS = ("n", "responders")


def read_evidence(*, include_unverified: bool = True) -> pl.DataFrame:
    """The shipped curated dataset (``n`` and ``responders`` as integers, other columns text)."""
    path = resources.files("cnsrwe") / "data" / "evidence" / "trials_cns.csv"
    with resources.as_file(path) as p:
        frame = pl.read_csv(p, infer_schema=False)
    frame = frame.with_columns(pl.col(c).cast(pl.Int64, strict=True) for c in _INT_COLUMNS)
    if not include_unverified:
        frame = frame.filter(pl.col("verification") != "unverified")
    return frame


def filter_evidence(
    dataset: pl.DataFrame,
    *,
    drug: str | None = None,
    line: str | None = None,
    population: str | None = None,
    include_unverified: bool = False,
) -> pl.DataFrame:
    """Rows of ``dataset`` for one drug, ALK-TKI line and CNS population (``None`` = any)."""
    out = dataset
    if drug is not None:
        assert_in("drug", drug, DRUGS)
        out = out.filter(pl.col("drug") == drug)
    if line is not None:
        assert_in("line", line, LINES)
        out = out.filter(pl.col("line") == line)
    if population is not None:
        assert_in("population", population, POPULATIONS)
        out = out.filter(pl.col("population") == population)
    if not include_unverified:
        out = out.filter(pl.col("verification").is_in(POOLABLE))
    return out
