"""Clinical before/after analyses: CNS symptom improvement, corticosteroid/mannitol need and
ECOG >= 2 before vs after the index TKI, and the ECOG shift table.

Windows ("before" and "after", 2022 study: need of mannitol or corticosteroids "before the
initiation of alectinib" and "a half-month after the administration of alectinib")
---------------------------------------------------------------------------------------------
* before = the **latest** clinical visit in ``[start + baseline_days[0], start +
  baseline_days[1]]`` (default 30 days before up to the start day);
* after = the **first** visit in ``[start + after_days[0], start + after_days[1]]`` (default
  days 10-60, which contains the paper's half month);
* a patient without both visits is not paired and is counted in ``n_unpaired``.

Tests
-----
The same patients are observed twice, so the before/after counts are **paired**: McNemar's
test (exact binomial on the discordant pairs, and the continuity-corrected chi-square as R
``mcnemar.test``) is the analysis. The 2022 study compared the two margins with Fisher's exact
test as if they were independent groups; that p-value is reported beside it
(``fisher_unpaired``), labelled, because it ignores the pairing: it treats 2n observations as
independent and its p-value can be far from the paired one in either direction.
When only the margins are published, :func:`mcnemar_bounds` enumerates every paired table
consistent with them and gives the range of the McNemar p-value.
ECOG shift: k x k table of before vs after with Bowker's test of symmetry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from cnsrwe.stats.ard import ArdRow, ard_frame, concat_ard
from cnsrwe.stats.contingency import bowker, fisher_exact, mcnemar

Variable = Literal["steroids_or_mannitol", "ecog_ge2", "ecog", "cns_symptoms"]
_VARIABLES = ("steroids_or_mannitol", "ecog_ge2", "ecog", "cns_symptoms")
SYMPTOM_CHANGES = ("significant_improvement", "moderate_improvement", "no_improvement",
                   "deterioration")  # fmt: skip
UNPAIRED_NOTE = (
    "Fisher's exact test on the before and after margins treats the same patients as two"
    " independent groups; the paired McNemar test is the valid analysis."
)


def _value(variable: str) -> pl.Expr:
    if variable == "steroids_or_mannitol":
        return (pl.col("corticosteroid_mg_dexamethasone_eq").fill_null(0) > 0) | pl.col(
            "mannitol").fill_null(False)
    if variable == "ecog_ge2":
        return pl.col("ecog") >= 2
    return pl.col(variable)


def before_after(
    dataset: pl.DataFrame,
    *,
    dataset_clinical: pl.DataFrame,
    variable: Variable,
    baseline_days: tuple[int, int] = (-30, 0),
    after_days: tuple[int, int] = (10, 60),
) -> pl.DataFrame:
    """Per patient of ``dataset`` (``patient_id``, ``start_date``): ``before``, ``after``
    (the variable at the two visits, rules in the module docstring) and the visit dates."""
    if variable not in _VARIABLES:
        msg = f"`variable` must be one of {list(_VARIABLES)!r}, got {variable!r}"
        raise ValueError(msg)
    for name, (lo, hi) in (("baseline_days", baseline_days), ("after_days", after_days)):
        if lo > hi:
            msg = f"`{name}` must be (from, to) with from <= to, got {(lo, hi)!r}"
            raise ValueError(msg)
    idx = dataset.select("patient_id", "start_date")
    v = dataset_clinical.join(idx, on="patient_id").with_columns(
        (pl.col("visit_date") - pl.col("start_date")).dt.total_days().alias("_d"),
        _value(variable).alias("_v"),
    ).filter(pl.col("_v").is_not_null())
    before = (v.filter(pl.col("_d").is_between(*baseline_days)).sort("_d")
              .group_by("patient_id").agg(pl.col("_v").last().alias("before"),
                                          pl.col("visit_date").last().alias("before_date")))
    after = (v.filter(pl.col("_d").is_between(*after_days)).sort("_d")
             .group_by("patient_id").agg(pl.col("_v").first().alias("after"),
                                         pl.col("visit_date").first().alias("after_date")))
    return (dataset.select("patient_id").join(before, on="patient_id", how="left")
            .join(after, on="patient_id", how="left"))  # fmt: skip


@dataclass(frozen=True)
class PairedBinary:
    """A paired 2x2 table (rows before yes/no, columns after yes/no) and its tests."""

    variable: str
    table: np.ndarray
    n_unpaired: int
    mcnemar_exact_p: float | None
    mcnemar_chi2: float | None
    mcnemar_chi2_p: float | None
    fisher_unpaired_p: float

    def to_ard(self, *, group: str = "") -> pl.DataFrame:
        t = self.table
        rows = [ArdRow("paired_before_after", self.variable, f"n_{a}_{b}", float(t[i, j]),
                       "paired counts (before, after)", group=group)
                for i, a in enumerate(("yes", "no")) for j, b in enumerate(("yes", "no"))]
        rows += [
            ArdRow("paired_before_after", self.variable, "before_yes", float(t[0].sum()),
                   "margin", group=group),
            ArdRow("paired_before_after", self.variable, "after_yes", float(t[:, 0].sum()),
                   "margin", group=group),
            ArdRow("paired_before_after", self.variable, "n_unpaired", float(self.n_unpaired),
                   "patients without both visits", group=group),
            ArdRow("mcnemar", self.variable, "p_value", self.mcnemar_exact_p,
                   "Exact McNemar test (binomial, discordant pairs)", group=group),
            ArdRow("mcnemar", self.variable, "statistic", self.mcnemar_chi2,
                   "McNemar's test with continuity correction", group=group),
            ArdRow("mcnemar", self.variable, "p_value_asymptotic", self.mcnemar_chi2_p,
                   "McNemar's test with continuity correction", group=group),
            ArdRow("fisher_unpaired", self.variable, "p_value", self.fisher_unpaired_p,
                   "Fisher's exact test on margins (as published; " + UNPAIRED_NOTE + ")",
                   group=group),
        ]  # fmt: skip
        return ard_frame(rows)


def paired_binary(status: pl.DataFrame, *, variable: str = "") -> PairedBinary:
    """McNemar (exact and asymptotic) plus the unpaired Fisher test on ``status``
    (``before``, ``after`` booleans, e.g. from :func:`before_after`)."""
    paired = status.filter(pl.col("before").is_not_null() & pl.col("after").is_not_null())
    if paired.height == 0:
        msg = "`status` must contain at least one patient with both visits, got none"
        raise ValueError(msg)
    b, a = paired["before"].cast(pl.Boolean), paired["after"].cast(pl.Boolean)
    t = np.array([[int((b & a).sum()), int((b & ~a).sum())],
                  [int((~b & a).sum()), int((~b & ~a).sum())]])  # fmt: skip
    return _paired_from_table(t, variable, status.height - paired.height)


def _paired_from_table(t: np.ndarray, variable: str, n_unpaired: int) -> PairedBinary:
    if t[0, 1] + t[1, 0] > 0:
        ex = mcnemar(t, exact=True).p_value
        asy = mcnemar(t)
        chi2, chi2_p = asy.statistic, asy.p_value
    else:
        ex = chi2 = chi2_p = None
    margins = np.array([[t[0].sum(), t[1].sum()], [t[:, 0].sum(), t[:, 1].sum()]])
    return PairedBinary(variable, t, n_unpaired, ex, chi2, chi2_p,
                        fisher_exact(margins).p_value)  # fmt: skip


def mcnemar_bounds(before_yes: int, after_yes: int, n: int) -> pl.DataFrame:
    """Every paired 2x2 table with the given margins and its McNemar p-values.

    With ``a`` patients "yes" at both visits, the table is ``[[a, before_yes - a],
    [after_yes - a, n - before_yes - after_yes + a]]`` for ``a`` from
    ``max(0, before_yes + after_yes - n)`` to ``min(before_yes, after_yes)``. The minimum and
    maximum of each p column are the bounds on what the unpublished paired table can give.
    """
    if not (0 <= before_yes <= n and 0 <= after_yes <= n):
        msg = f"`before_yes` and `after_yes` must be in 0..n ({n}), got {before_yes}, {after_yes}"
        raise ValueError(msg)
    rows = []
    for a in range(max(0, before_yes + after_yes - n), min(before_yes, after_yes) + 1):
        t = np.array([[a, before_yes - a], [after_yes - a, n - before_yes - after_yes + a]])
        r = _paired_from_table(t, "", 0)
        rows.append({"yes_yes": a, "yes_no": int(t[0, 1]), "no_yes": int(t[1, 0]),
                     "no_no": int(t[1, 1]), "mcnemar_exact_p": r.mcnemar_exact_p,
                     "mcnemar_chi2_p": r.mcnemar_chi2_p})  # fmt: skip
    return pl.DataFrame(rows, schema={"yes_yes": pl.Int64, "yes_no": pl.Int64,
                                      "no_yes": pl.Int64, "no_no": pl.Int64,
                                      "mcnemar_exact_p": pl.Float64,
                                      "mcnemar_chi2_p": pl.Float64})  # fmt: skip


@dataclass(frozen=True)
class ShiftTable:
    """k x k before/after table (levels in ``levels``) with Bowker's test."""

    levels: tuple[int, ...]
    table: np.ndarray
    statistic: float | None
    df: int
    p_value: float | None

    def to_ard(self, *, group: str = "") -> pl.DataFrame:
        rows = [ArdRow("shift_table", f"{b} -> {a}", "n", float(self.table[i, j]),
                       "before (row) vs after (column)", group=group)
                for i, b in enumerate(self.levels) for j, a in enumerate(self.levels)]
        rows += [ArdRow("bowker", "ecog shift", s, v, "Bowker's test of symmetry", group=group)
                 for s, v in (("statistic", self.statistic), ("df", float(self.df)),
                              ("p_value", self.p_value))]  # fmt: skip
        return ard_frame(rows)


def shift_table(status: pl.DataFrame, *, levels: tuple[int, ...] = (0, 1, 2, 3, 4)) -> ShiftTable:
    """ECOG (or any ordinal) shift table from ``before``/``after`` integer columns."""
    paired = status.filter(pl.col("before").is_not_null() & pl.col("after").is_not_null())
    lv = list(levels)
    bad = paired.filter(~pl.col("before").is_in(lv) | ~pl.col("after").is_in(lv))
    if bad.height:
        msg = f"`status` values must be among {list(levels)!r}, got {bad.height} rows outside"
        raise ValueError(msg)
    k = len(levels)
    pos = {lv: i for i, lv in enumerate(levels)}
    t = np.zeros((k, k), dtype=np.int64)
    np.add.at(t, (np.array([pos[x] for x in paired["before"].to_list()], dtype=np.int64),
                  np.array([pos[x] for x in paired["after"].to_list()], dtype=np.int64)), 1)
    off = t + t.T
    if t.sum() and np.any(off[np.triu_indices(k, 1)] > 0):
        res = bowker(t)
        return ShiftTable(levels, t, res.statistic, res.df, res.p_value)
    return ShiftTable(levels, t, None, 0, None)


def symptom_improvement(
    dataset: pl.DataFrame,
    *,
    dataset_clinical: pl.DataFrame,
    by: str | None = None,
    after_days: tuple[int, int] = (10, 60),
) -> pl.DataFrame:
    """Counts and fractions of ``symptom_change`` categories among the patients of
    ``dataset`` (e.g. those with CNS symptoms at baseline), using the first visit in the
    after window with a recorded change; patients without one are ``not_assessed``."""
    keys = ["patient_id", "start_date", *([by] if by else [])]
    v = dataset_clinical.join(dataset.select(keys), on="patient_id").with_columns(
        (pl.col("visit_date") - pl.col("start_date")).dt.total_days().alias("_d")
    ).filter(pl.col("_d").is_between(*after_days) & pl.col("symptom_change").is_not_null())
    first = v.sort("_d").group_by("patient_id").agg(pl.col("symptom_change").first())
    pts = dataset.select(keys).join(first, on="patient_id", how="left").with_columns(
        pl.col("symptom_change").fill_null("not_assessed"),
        (pl.col(by).cast(pl.String) if by else pl.lit("")).alias("group"))
    cats = pl.DataFrame({"symptom_change": [*SYMPTOM_CHANGES, "not_assessed"]})
    grid = pts.select("group").unique().join(cats, how="cross")
    counts = pts.group_by("group", "symptom_change").agg(pl.len().cast(pl.Int64).alias("n"))
    totals = pts.group_by("group").agg(pl.len().cast(pl.Int64).alias("total"))
    out = grid.join(counts, on=["group", "symptom_change"], how="left").fill_null(0).join(
        totals, on="group")
    return out.with_columns((pl.col("n") / pl.col("total")).alias("fraction"))


def symptom_ard(table: pl.DataFrame) -> pl.DataFrame:
    """ARD rows (n and fraction) of a :func:`symptom_improvement` table."""
    rows = [ArdRow("symptom_improvement", r["symptom_change"], s, float(r[s]),
                   "first visit in the after window", group=r["group"])
            for r in table.iter_rows(named=True) for s in ("n", "total", "fraction")]
    return concat_ard([ard_frame(rows)])
