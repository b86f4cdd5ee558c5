"""A study's intracranial response rates beside the comparable published trial populations.

Comparable means: same drug, same ALK-TKI line and same CNS population definition (measurable
CNS disease, any CNS disease, leptomeningeal), and a row whose numbers were checked
(``verification`` "verified" or "derived"; unverified rows only with ``include_unverified``).
Every rate gets its exact Clopper-Pearson interval recomputed from the counts. The comparable
trials are pooled on the logit scale by random effects, twice: REML with the Hartung-Knapp
interval (the primary estimate) and DerSimonian-Laird with the Wald interval (the estimate most
published meta-analyses print) - see :mod:`cnsrwe.evidence.meta`.

Populations are never silently treated as comparable: the result carries warning texts when the
response criteria differ (RECIST 1.1 applied to the CNS vs modified RECIST vs RANO-BM), when
trials used central review while the study's assessments are by investigators, when prior brain
radiotherapy differs, and which same-drug rows were left out because the line or the population
differs. The result holds data only; the report layer draws the forest plot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from cnsrwe._checks import assert_in
from cnsrwe.evidence.dataset import CRITERIA, filter_evidence, read_evidence
from cnsrwe.evidence.meta import CiTest, PooledProportion, Tau2Method, pool_proportions
from cnsrwe.stats.ard import ARD_SCHEMA, ArdRow, ard_frame, concat_ard
from cnsrwe.stats.proportions import binomial_ci

StudyCounts = Mapping[str, tuple[int, int]] | pl.DataFrame

_CRITERIA_TEXT = {
    "recist_cns": "RECIST 1.1 applied to CNS lesions",
    "modified_recist_cns": "modified RECIST 1.1 for CNS lesions",
    "rano_bm": "RANO-BM",
    "not_stated": "criteria not stated",
}
FOREST_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "label": pl.String(),
    "row_id": pl.String(),
    "k": pl.Int64(),
    "n": pl.Int64(),
    "estimate": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
    "criteria": pl.String(),
    "assessor": pl.String(),
    "verification": pl.String(),
    "method": pl.String(),
}
"""Columns of :attr:`CohortComparison.forest`: one row per study cohort, trial and pooled line."""


def study_counts(study: StudyCounts) -> list[tuple[str, int, int]]:
    """Cohort label, responders and denominator from a mapping, a counts table or an ARD table.

    Accepted: ``{"cohort 1": (9, 11)}``; a frame with columns ``cohort``, ``k``, ``n``; or ARD
    rows (:data:`~cnsrwe.stats.ard.ARD_SCHEMA`) with statistics ``k`` and ``n`` per ``group``, as
    :meth:`BinomialCI.to_ard` writes them.
    """
    if isinstance(study, pl.DataFrame):
        if set(ARD_SCHEMA) <= set(study.columns):
            wide = (
                study.filter(pl.col("statistic").is_in(["k", "n"]))
                .pivot(on="statistic", index="group", values="value", aggregate_function="first")
                .rename({"group": "cohort"})
            )
            study = wide
        missing = [c for c in ("cohort", "k", "n") if c not in study.columns]
        if missing:
            msg = f"`study` table must have columns cohort, k, n (or be ARD), missing {missing!r}"
            raise ValueError(msg)
        items = [(str(c), k, n) for c, k, n in study.select("cohort", "k", "n").iter_rows()]
    elif isinstance(study, Mapping):
        items = [(str(c), *kn) for c, kn in study.items()]
    else:
        msg = f"`study` must be a mapping, a counts table or an ARD table, got {type(study)!r}"
        raise TypeError(msg)
    out = []
    for label, k, n in items:
        if k is None or n is None or float(k) != int(k) or float(n) != int(n):
            msg = f"`study` counts must be whole numbers, got {k!r}/{n!r} for {label!r}"
            raise ValueError(msg)
        out.append((label, int(k), int(n)))
    if not out:
        msg = "`study` must hold at least one cohort, got none"
        raise ValueError(msg)
    return out


@dataclass(frozen=True)
class CohortComparison:
    """Study cohorts, comparable trials and their pooled estimates, ready for a forest plot."""

    drug: str
    line: str
    population: str
    forest: pl.DataFrame
    trials: pl.DataFrame = field(repr=False)
    pooled: PooledProportion | None
    pooled_dl: PooledProportion | None
    warnings: tuple[str, ...]

    def to_ard(self) -> pl.DataFrame:
        """ARD rows: every forest line (k, n, estimate, limits) and the pooled heterogeneity."""
        rows = []
        for rec in self.forest.iter_rows(named=True):
            group = f"{rec['kind']}: {rec['label']}"
            for stat in ("k", "n", "estimate", "lower", "upper"):
                value = rec[stat]
                rows.append(
                    ArdRow(
                        "evidence_comparison",
                        "ic_orr",
                        stat,
                        None if value is None else float(value),
                        rec["method"],
                        group=group,
                    )
                )
        frames = [ard_frame(rows)]
        for res, name in ((self.pooled, "pooled (REML, HK)"), (self.pooled_dl, "pooled (DL)")):
            if res is not None:
                frames.append(res.to_ard(parameter="ic_orr", group=name))
        return concat_ard(frames, population=f"{self.drug}, {self.line}, {self.population}")


def _forest_row(kind: str, label: str, row_id: str, k: int, n: int, **meta: str) -> dict:
    ci = binomial_ci(k, n)
    return {
        "kind": kind,
        "label": label,
        "row_id": row_id,
        "k": k,
        "n": n,
        "estimate": ci.estimate,
        "lower": ci.lower,
        "upper": ci.upper,
        "method": "Clopper-Pearson exact, 95%",
        **meta,
    }


def _left_out(dataset: pl.DataFrame, drug: str, line: str, population: str) -> list[str]:
    same_drug = dataset.filter((pl.col("drug") == drug) & pl.col("responders").is_not_null())
    notes = []
    for rec in same_drug.iter_rows(named=True):
        reasons = []
        if rec["line"] != line:
            reasons.append(f"line {rec['line']} (study: {line})")
        if rec["population"] != population:
            reasons.append(f"population {rec['population']} (study: {population})")
        if reasons:
            notes.append(f"{rec['row_id']} {rec['trial']} not comparable: {'; '.join(reasons)}")
    return notes


def _warnings(
    trials: pl.DataFrame,
    dataset: pl.DataFrame,
    *,
    drug: str,
    line: str,
    population: str,
    study_criteria: str,
    study_prior_rt: str | None,
) -> list[str]:
    out = []
    for rec in trials.iter_rows(named=True):
        tag = f"{rec['row_id']} {rec['trial']}"
        if rec["criteria"] != study_criteria:
            out.append(
                f"{tag}: criteria differ - trial used {_CRITERIA_TEXT[rec['criteria']]}, "
                f"the study {_CRITERIA_TEXT[study_criteria]}"
            )
        assessor = (rec["assessor"] or "").upper()
        if any(s in assessor for s in ("IRC", "BICR", "BIRC", "CENTRAL", "IRR", "ICR")):
            out.append(
                f"{tag}: central review ({rec['assessor']}); real-world responses are "
                "investigator-assessed and usually unconfirmed"
            )
        if rec["prior_brain_rt"]:
            rt = study_prior_rt or "not given"
            out.append(f"{tag}: prior brain radiotherapy {rec['prior_brain_rt']} (study: {rt})")
    if population == "any":
        out.append(
            "population 'any' mixes measurable and non-measurable CNS disease; rates are "
            "not comparable with measurable-disease rates"
        )
    out.extend(_left_out(dataset, drug, line, population))
    unverified = filter_evidence(
        dataset, drug=drug, line=line, population=population, include_unverified=True
    ).filter(pl.col("verification") == "unverified")
    out.extend(
        f"{r} left out: its numbers could not be checked against the source (unverified)"
        for r in unverified["row_id"].to_list()
    )
    return out


def compare_cohort(
    study: StudyCounts,
    *,
    drug: str,
    line: str,
    population: str,
    study_criteria: str = "recist_cns",
    study_prior_rt: str | None = None,
    include_unverified: bool = False,
    method: Tau2Method = "REML",
    test: CiTest = "knha",
    dataset: pl.DataFrame | None = None,
) -> CohortComparison:
    """The study's ic-ORR per cohort beside the comparable trials, with pooled estimates.

    Examples
    --------
    >>> cmp = compare_cohort({"cohort 2": (13, 17)}, drug="alectinib",
    ...                      line="post_crizotinib", population="measurable")
    >>> cmp.forest["kind"].to_list()
    ['study', 'trial', 'trial', 'trial', 'pooled', 'pooled']
    """
    assert_in("study_criteria", study_criteria, CRITERIA)
    cohorts = study_counts(study)
    data = read_evidence() if dataset is None else dataset
    trials = filter_evidence(
        data, drug=drug, line=line, population=population, include_unverified=include_unverified
    )
    trials = trials.filter(pl.col("responders").is_not_null() & pl.col("n").is_not_null())
    rows = [
        _forest_row(
            "study", label, "", k, n, criteria=study_criteria, assessor="study", verification=""
        )
        for label, k, n in cohorts
    ]
    for rec in trials.iter_rows(named=True):
        rows.append(
            _forest_row(
                "trial",
                f"{rec['trial']} ({rec['year']})",
                rec["row_id"],
                rec["responders"],
                rec["n"],
                criteria=rec["criteria"],
                assessor=rec["assessor"],
                verification=rec["verification"],
            )
        )
    pooled = pooled_dl = None
    warn = _warnings(
        trials,
        data,
        drug=drug,
        line=line,
        population=population,
        study_criteria=study_criteria,
        study_prior_rt=study_prior_rt,
    )
    if trials.height >= 2:
        k, n = trials["responders"].to_numpy(), trials["n"].to_numpy()
        pooled = pool_proportions(k, n, method=method, test=test)
        pooled_dl = pool_proportions(k, n, method="DL", test="z")
        for res in (pooled, pooled_dl):
            rows.append(
                {
                    "kind": "pooled",
                    "label": res.logit.label,
                    "row_id": "",
                    "k": int(k.sum()),
                    "n": int(n.sum()),
                    "estimate": res.estimate,
                    "lower": res.lower,
                    "upper": res.upper,
                    "criteria": "",
                    "assessor": "",
                    "verification": "",
                    "method": f"logit, {res.logit.label}",
                }
            )
    else:
        warn.append(
            f"{trials.height} comparable trial population(s): no pooled estimate "
            "(pooling needs at least 2)"
        )
    forest = pl.DataFrame(rows, schema=FOREST_SCHEMA)
    return CohortComparison(drug, line, population, forest, trials, pooled, pooled_dl, tuple(warn))
