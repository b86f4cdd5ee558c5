"""Execute ``compare_groups`` and ``paired_before_after`` analyses.

compare_groups: each listed baseline fact is described per group (n (%) or median (range))
and tested: categorical facts (booleans, strings, and integer facts with at most 6 levels
such as ECOG) with Fisher's exact test / the chi-square test on the group x level table;
numeric facts with the t-test (pooled variance, ``t_test``; Welch, ``welch_t_test``) and the
Mann-Whitney test (two groups only).

paired_before_after (2022 study, Tables 5-7; docs/endpoints.md "Clinical before/after"):
before = the latest visit from 30 days before up to day 0, after = the first visit in the
study file's ``after_days`` window. Binary variables get the paired 2x2 table with McNemar's
exact test and, when listed, Fisher's exact test on the margins as the paper did (labelled as
ignoring the pairing). ``ecog`` additionally gets the ECOG >= 2 paired table and the ECOG
shift table with Bowker's test and, when listed, the Wilcoxon signed-rank test of ECOG before
vs after (patients with both visits; zero changes dropped, as R's ``wilcox.test`` does).
"""

from __future__ import annotations

import polars as pl

from cnsrwe.endpoints import before_after, paired_binary, shift_table
from cnsrwe.runner.analyses import FAILURES, _fail
from cnsrwe.runner.describe import describe
from cnsrwe.runner.groups import AnalysisPart
from cnsrwe.runner.prepare import PreparedStudy
from cnsrwe.runner.results import AnalysisResult, stamp
from cnsrwe.stats import (
    ArdRow,
    ard_frame,
    chi_square,
    concat_ard,
    fisher_exact,
    mann_whitney,
    t_test,
    wilcoxon_signed_rank,
)
from cnsrwe.study import AnalysisSpec

MAX_INT_LEVELS = 6
PAIRED_VARIABLES = ("steroids_or_mannitol", "ecog", "cns_symptoms", "ecog_ge2")


def _is_categorical(s: pl.Series) -> bool:
    if s.dtype in (pl.Boolean, pl.String, pl.Categorical):
        return True
    return s.dtype.is_integer() and s.drop_nulls().n_unique() <= MAX_INT_LEVELS


def run_compare_groups(spec: AnalysisSpec, part: AnalysisPart,
                       prep: PreparedStudy) -> AnalysisResult:
    """Describe and test each of ``spec.variables`` across the part's groups."""
    df = part.frame
    cat = [v for v in spec.variables if _is_categorical(df[v])]
    num = [v for v in spec.variables if v not in cat]
    frames = [describe(df, categorical=cat, continuous=num)]
    notes: list[str] = []
    present = [g for g in part.groups if g in set(df["group"].to_list())]
    for v in spec.variables:
        sub = df.filter(pl.col(v).is_not_null())
        if v in cat:
            t = (sub.group_by("group", pl.col(v).cast(pl.String).alias("level")).len()
                 .pivot(on="level", index="group", values="len").fill_null(0))
            levels = sorted(c for c in t.columns if c != "group")
            order = {g: i for i, g in enumerate(present)}
            t = t.with_columns(pl.col("group").replace_strict(order, return_dtype=pl.Int64)
                               .alias("_o")).sort("_o")
            # rows: groups in display order; columns: levels sorted (a fixed 2x2 orientation)
            table = t.select(levels).to_numpy().astype(int)
            for test in ("fisher_exact", "chi_square"):
                if test not in spec.tests:
                    continue
                if table.shape[0] < 2 or table.shape[1] < 2:
                    notes.append(f"{test} for {v}: needs two groups and two levels.")
                    continue
                try:
                    res = fisher_exact(table) if test == "fisher_exact" else chi_square(table)
                    frames.append(res.to_ard(parameter=v))
                except FAILURES as exc:
                    notes.append(_fail(f"{test} for {v}", exc))
        else:
            if len(present) != 2:
                notes.append(f"tests for {v}: need exactly two groups.")
                continue
            x = sub.filter(pl.col("group") == present[0])[v].cast(pl.Float64)
            y = sub.filter(pl.col("group") == present[1])[v].cast(pl.Float64)
            for test in ("t_test", "welch_t_test", "mann_whitney"):
                if test not in spec.tests:
                    continue
                try:
                    if test == "mann_whitney":
                        res = mann_whitney(x, y)
                    else:
                        res = t_test(x, y, equal_var=test == "t_test")
                    frames.append(res.to_ard(parameter=v).with_columns(
                        pl.lit(test).alias("analysis")))
                except FAILURES as exc:
                    notes.append(_fail(f"{test} for {v}", exc))
    ard = concat_ard(frames)
    return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                          stamp(ard, part.population), part.groups, part.group_labels,
                          notes=tuple(notes),
                          extra={"categorical": cat, "continuous": num})


def _signed_rank(status: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """Wilcoxon signed-rank test of ECOG before vs after over the patients with both visits
    (R ``wilcox.test(before, after, paired = TRUE)`` rules; zero changes dropped)."""
    pairs = status.drop_nulls(["before", "after"])
    n = ard_frame([ArdRow("wilcoxon_signed_rank", "ecog", "n_pairs", float(pairs.height),
                          "patients with both visits")])
    try:
        res = wilcoxon_signed_rank(pairs["before"].cast(pl.Float64),
                                   pairs["after"].cast(pl.Float64))
    except FAILURES as exc:
        notes.append(_fail("wilcoxon_signed_rank for ecog", exc))
        return n
    return concat_ard([res.to_ard(parameter="ecog").with_columns(
        pl.lit("wilcoxon_signed_rank").alias("analysis")), n])


def run_paired(spec: AnalysisSpec, part: AnalysisPart, prep: PreparedStudy) -> AnalysisResult:
    """Paired before/after analyses of ``spec.variables`` (module notes)."""
    after = spec.after_days or (10, 60)
    ds = part.frame.select("patient_id", "start_date")
    clinical = prep.clinical
    frames = []
    notes: list[str] = []
    binaries: list[str] = []
    for v in spec.variables:
        if v not in PAIRED_VARIABLES:
            notes.append(f"{v}: before/after is defined for {list(PAIRED_VARIABLES)}; not run.")
            continue
        targets = ["ecog_ge2"] if v == "ecog" else [v]
        for b in targets:
            status = before_after(ds, dataset_clinical=clinical, variable=b,  # type: ignore[arg-type]
                                  after_days=after)
            try:
                res = paired_binary(status, variable=b)
            except FAILURES as exc:
                notes.append(_fail(f"paired analysis of {b}", exc))
                continue
            ard = concat_ard([res.to_ard(), ard_frame([ArdRow(
                "paired_before_after", b, "n_paired", float(res.table.sum()),
                "patients with both visits")])])
            if "fisher_exact" not in spec.tests:
                ard = ard.filter(pl.col("analysis") != "fisher_unpaired")
            frames.append(ard)
            binaries.append(b)
        if v == "ecog":
            status = before_after(ds, dataset_clinical=clinical, variable="ecog",
                                  after_days=after)
            try:
                st = shift_table(status)
                ard = st.to_ard()
                if "bowker" not in spec.tests:
                    ard = ard.filter(pl.col("analysis") != "bowker")
                frames.append(ard)
            except FAILURES as exc:
                notes.append(_fail("ECOG shift table", exc))
            if "wilcoxon_signed_rank" in spec.tests:
                frames.append(_signed_rank(status, notes))
    if "wilcoxon_signed_rank" in spec.tests and "ecog" not in spec.variables:
        notes.append("wilcoxon_signed_rank: defined for the ordinal `ecog` only; not run.")
    ard = concat_ard(frames)
    return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                          stamp(ard, part.population), part.groups, part.group_labels,
                          notes=tuple(notes), extra={"binaries": binaries,
                                                     "after_days": after})
