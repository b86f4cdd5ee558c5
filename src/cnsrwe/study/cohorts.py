"""Index-line selection and cohort assignment from the treatments table.

Pure, vectorised polars: inputs are never modified, nothing is printed, and the loops run
over *rules* of the study file, never over patients. Rule results use three-valued
(Kleene) logic: a condition that depends on a missing value (e.g. the progression site of
a prior line nobody recorded) is *unknown*, and a patient whose cohort cannot be decided
is reported in ``unassigned`` with the reason, never silently dropped or guessed.

Prior lines are the patient's systemic lines (rows with a line number whose
``agent_class`` is not radiotherapy or surgery) with a line number smaller than the index
line's. A rule about a line holds when any row of that line satisfies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from cnsrwe.errors import SchemaError
from cnsrwe.study.model import CohortRule, IndexRule, LineMatch, PriorLinesCondition
from cnsrwe.study.vocabulary import PROGRESSION_SITES

#: ``treatments.progression_site`` of the data format -> the cohort rules' site vocabulary.
RECORDED_SITE = {"intracranial": "CNS_ONLY", "extracranial": "EXTRACRANIAL_ONLY", "both": "BOTH"}

LOCAL_CLASSES = ("radiotherapy", "surgery")
#: A row-wise "true" built from a column: a bare ``pl.lit(True)`` used as a filter predicate
#: mis-broadcasts on large frames in polars 2.1 ("filter predicate length of 2").
ALWAYS = pl.col("patient_id").is_not_null()
_TMP = "__cnsrwe_"


def _frame(data: Any, name: str, needed: Sequence[str]) -> pl.DataFrame:
    frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(data)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = f"`{name}` must have columns {list(needed)!r}, got {frame.columns!r}"
        msg += f" (missing {missing!r})"
        raise SchemaError(msg)
    return frame


def systemic_rows(treatments: pl.DataFrame) -> pl.DataFrame:
    """Rows of systemic lines: a line number and a class other than radiotherapy/surgery."""
    return treatments.filter(
        pl.col("line").is_not_null() & ~pl.col("agent_class").is_in(LOCAL_CLASSES)
    )


def line_match_expr(match: LineMatch) -> pl.Expr:
    """Row-level, three-valued test of a :class:`LineMatch` (true when the table is empty).

    ``agents_any`` looks in the ``agents`` list, or in ``regimen`` when ``agents`` is
    empty; names are compared lower-cased and trimmed. ``progression_site_in`` reads the
    ``progression_site`` column joined from the caller's prior-line table (missing =
    unknown).
    """
    conds: list[pl.Expr] = []
    if match.agents_any:
        wanted = [a.strip().lower() for a in match.agents_any]
        in_agents = (
            pl.col("agents").list.eval(pl.element().str.strip_chars().str.to_lowercase()
                                       .is_in(wanted)).list.any()
        )
        in_regimen = pl.col("regimen").str.strip_chars().str.to_lowercase().is_in(wanted)
        has_agents = pl.col("agents").is_not_null() & (pl.col("agents").list.len() > 0)
        conds.append(pl.when(has_agents).then(in_agents).otherwise(in_regimen))
    if match.regimen_in:
        wanted = [r.strip().lower() for r in match.regimen_in]
        conds.append(pl.col("regimen").str.strip_chars().str.to_lowercase().is_in(wanted))
    if match.agent_class_in:
        conds.append(pl.col("agent_class").is_in(list(match.agent_class_in)))
    if match.end_reason_in:
        conds.append(pl.col("end_reason").is_in(list(match.end_reason_in)))
    if match.progression_site_in:
        conds.append(pl.col("progression_site").is_in(list(match.progression_site_in)))
    return pl.all_horizontal(conds) if conds else ALWAYS


def select_index_lines(treatments: Any, index_rule: IndexRule) -> pl.DataFrame:
    """One row per patient with an index line: ``patient_id, index_line, index_date,
    index_regimen``.

    Among systemic lines whose rows match ``index_rule.match`` (a definite match; unknown
    counts as no match) and start within [``start_from``, ``start_to``], the
    ``occurrence``-th line by (line number, start date) is the index line; its earliest
    matching start date is day 0 (endpoints.md section 0, "Index date").
    """
    t = _frame(treatments, "treatments",
               ("patient_id", "line", "regimen", "agent_class", "agents", "start_date"))
    rows = systemic_rows(t).filter(line_match_expr(index_rule.match).fill_null(False))
    if index_rule.start_from is not None:
        rows = rows.filter(pl.col("start_date") >= index_rule.start_from)
    if index_rule.start_to is not None:
        rows = rows.filter(pl.col("start_date") <= index_rule.start_to)
    lines = (
        rows.sort("patient_id", "line", "start_date", "regimen")
        .group_by("patient_id", "line", maintain_order=True)
        .agg(pl.col("start_date").first().alias("index_date"),
             pl.col("regimen").first().alias("index_regimen"))
        .with_columns(pl.int_range(1, pl.len() + 1).over("patient_id").alias(f"{_TMP}k"),
                      pl.len().over("patient_id").alias(f"{_TMP}n"))
    )
    k, n = pl.col(f"{_TMP}k"), pl.col(f"{_TMP}n")
    keep = {"first": k == 1, "last": k == n, "nth": k == (index_rule.n or 1)}
    return (
        lines.filter(keep[index_rule.occurrence])
        .select("patient_id", pl.col("line").alias("index_line"), "index_date", "index_regimen")
    )


def _uses_sites(rules: Sequence[CohortRule]) -> list[str]:
    return [r.name for r in rules for c in r.prior_lines if c.match.progression_site_in]


def prior_lines(treatments: pl.DataFrame, index: pl.DataFrame,
                prior_line_progression: Any | None) -> pl.DataFrame:
    """Systemic rows before each patient's index line, with ``progression_site`` joined.

    The site comes from the caller's prior-line table when it names one for the line, else
    from the data format's ``treatments.progression_site`` (intracranial / extracranial /
    both, mapped to ``CNS_ONLY`` / ``EXTRACRANIAL_ONLY`` / ``BOTH``), else it is unknown.
    """
    rows = systemic_rows(treatments).join(
        index.select("patient_id", "index_line"), on="patient_id", how="inner"
    ).filter(pl.col("line") < pl.col("index_line"))
    recorded = (
        pl.col("progression_site").cast(pl.String).replace_strict(
            RECORDED_SITE, default=None, return_dtype=pl.String)
        if "progression_site" in rows.columns
        else pl.lit(None, dtype=pl.String)
    )
    rows = rows.with_columns(recorded.alias("progression_site"))
    if prior_line_progression is None:
        return rows
    sites = _frame(prior_line_progression, "prior_line_progression",
                   ("patient_id", "line", "progression_site"))
    dupes = sites.filter(pl.len().over("patient_id", "line") > 1)
    if dupes.height:
        msg = ("`prior_line_progression` must have one row per patient and line, got"
               f" {dupes.height} duplicated rows")
        raise SchemaError(msg)
    bad = sites.with_row_index("row").filter(
        pl.col("progression_site").is_not_null()
        & ~pl.col("progression_site").cast(pl.String).is_in(PROGRESSION_SITES)
    )
    if bad.height:  # row numbers and the value only: never patient identifiers
        msg = (f"`prior_line_progression.progression_site` must be one of"
               f" {list(PROGRESSION_SITES)!r} or empty, got {bad['progression_site'][0]!r}"
               f" in {bad.height} row(s) (first at row {bad['row'][0] + 1})")
        raise SchemaError(msg)
    sites = sites.select(pl.col("patient_id").cast(rows.schema["patient_id"]),
                         pl.col("line").cast(rows.schema["line"]),
                         pl.col("progression_site").cast(pl.String))
    joined = rows.join(sites, on=["patient_id", "line"], how="left", suffix="_given")
    return joined.with_columns(
        pl.coalesce("progression_site_given", "progression_site").alias("progression_site")
    ).drop("progression_site_given")


def _condition_values(prior: pl.DataFrame, patients: pl.DataFrame,
                      cond: PriorLinesCondition) -> pl.DataFrame:
    """Three-valued result of one condition per patient: ``patient_id, value``."""
    per_line = (
        prior.filter(line_match_expr(cond.among).fill_null(False))
        .group_by("patient_id", "line")
        .agg(line_match_expr(cond.match).any(ignore_nulls=False).alias("m"))
        .sort("patient_id", "line")
    )
    m = pl.col("m")
    n_true, n_null = m.sum(), m.is_null().sum()
    agg = {
        "none": ~m.any(ignore_nulls=False),
        "any": pl.when(n_true >= cond.min_count).then(True)
        .when(n_true + n_null >= cond.min_count).then(None).otherwise(False),
        "all": m.all(ignore_nulls=False),
        "first": m.first(),
        "last": m.last(),
    }[cond.quantifier]
    found = per_line.group_by("patient_id").agg(agg.alias("value"),
                                                 pl.lit(True).alias(f"{_TMP}seen"))
    no_lines = cond.quantifier == "none"  # vacuous truth only for "none"
    return patients.join(found, on="patient_id", how="left").select(
        "patient_id",
        pl.when(pl.col(f"{_TMP}seen").is_null()).then(pl.lit(no_lines))
        .otherwise(pl.col("value")).alias("value"),
    )


def cohort_membership(treatments: Any, index: Any, cohort_rules: Sequence[CohortRule], *,
                      prior_line_progression: Any | None = None) -> pl.DataFrame:
    """Long table ``patient_id, cohort, member`` (member true / false / null = unknown)."""
    t = _frame(treatments, "treatments",
               ("patient_id", "line", "regimen", "agent_class", "agents", "end_reason"))
    idx = _frame(index, "index", ("patient_id", "index_line"))
    users = _uses_sites(cohort_rules)
    if users and prior_line_progression is None and "progression_site" not in t.columns:
        msg = (f"`prior_line_progression` (or a `treatments.progression_site` column) is"
               f" needed because cohort {users[0]!r} uses `progression_site_in`, got None")
        raise SchemaError(msg)
    prior = prior_lines(t, idx, prior_line_progression)
    patients = idx.select("patient_id").unique(maintain_order=True)
    parts = []
    for order, rule in enumerate(cohort_rules):
        value = ALWAYS
        frame = patients
        for j, cond in enumerate(rule.prior_lines):
            v = _condition_values(prior, patients, cond).rename({"value": f"{_TMP}{j}"})
            frame = frame.join(v, on="patient_id", how="left")
        if rule.prior_lines:
            value = pl.all_horizontal([f"{_TMP}{j}" for j in range(len(rule.prior_lines))])
        parts.append(frame.select(
            "patient_id", pl.lit(rule.name).alias("cohort"),
            pl.lit(order, dtype=pl.Int32).alias("cohort_order"), value.alias("member"),
        ))
    if not parts:
        return patients.with_columns(pl.lit(None, pl.String).alias("cohort"),
                                     pl.lit(None, pl.Int32).alias("cohort_order"),
                                     pl.lit(None, pl.Boolean).alias("member")).clear()
    return pl.concat(parts)


@dataclass(frozen=True)
class CohortAssignment:
    """Result of :func:`assign_cohorts`.

    Attributes
    ----------
    cohorts : ``patient_id, cohort, also_matched`` for assigned patients
        (``also_matched`` lists the other cohorts when ``on_multiple='first_listed'``).
    unassigned : ``patient_id, reason, detail``; reason is ``no_cohort`` (every rule
        false), ``undetermined`` (no rule true, some unknown because data are missing) or
        ``multiple_cohorts`` (several true with ``on_multiple='unassigned'``).
    membership : the long ``patient_id, cohort, member`` table behind both.
    """

    cohorts: pl.DataFrame
    unassigned: pl.DataFrame
    membership: pl.DataFrame


def assign_cohorts(treatments: Any, index: Any, cohort_rules: Sequence[CohortRule], *,
                   prior_line_progression: Any | None = None,
                   on_multiple: Literal["unassigned", "first_listed"] = "unassigned",
                   ) -> CohortAssignment:
    """Assign each patient with an index line to exactly one cohort, or report why not.

    Every ``prior_lines`` condition of a cohort must hold (see
    :class:`~cnsrwe.study.model.PriorLinesCondition`). ``prior_line_progression`` is a
    table ``patient_id, line, progression_site`` (``CNS_ONLY`` / ``EXTRACRANIAL_ONLY`` /
    ``BOTH``), required when a rule tests ``progression_site_in``.

    Examples
    --------
    The 2022 alectinib study's cohort 1 ("ALK-TKI-naive") is
    ``PriorLinesCondition("none", match=LineMatch(agent_class_in=("alk_tki",)))``.
    """
    if on_multiple not in ("unassigned", "first_listed"):
        msg = f"`on_multiple` must be 'unassigned' or 'first_listed', got {on_multiple!r}"
        raise ValueError(msg)
    long = cohort_membership(treatments, index, cohort_rules,
                             prior_line_progression=prior_line_progression)
    summary = (
        long.sort("patient_id", "cohort_order")
        .group_by("patient_id", maintain_order=True)
        .agg(pl.col("cohort").filter(pl.col("member").fill_null(False)).alias("true"),
             pl.col("cohort").filter(pl.col("member").is_null()).alias("unknown"))
        .with_columns(pl.col("true").list.len().alias("n_true"),
                      pl.col("unknown").list.len().alias("n_unknown"))
    )
    if not cohort_rules:
        idx = _frame(index, "index", ("patient_id",)).select("patient_id").unique()
        summary = idx.with_columns(pl.lit([], pl.List(pl.String)).alias("true"),
                                   pl.lit([], pl.List(pl.String)).alias("unknown"),
                                   pl.lit(0, pl.UInt32).alias("n_true"),
                                   pl.lit(0, pl.UInt32).alias("n_unknown"))
    single = pl.col("n_true") == 1
    multi = pl.col("n_true") >= 2
    assigned_mask = single | (multi & (on_multiple == "first_listed"))
    cohorts = summary.filter(assigned_mask).select(
        "patient_id", pl.col("true").list.first().alias("cohort"),
        pl.col("true").list.slice(1).alias("also_matched"),
    )
    joined = pl.col("true").list.join(", ")
    unassigned = summary.filter(~assigned_mask).select(
        "patient_id",
        pl.when(multi).then(pl.lit("multiple_cohorts"))
        .when(pl.col("n_unknown") > 0).then(pl.lit("undetermined"))
        .otherwise(pl.lit("no_cohort")).alias("reason"),
        pl.when(multi).then(pl.lit("matches cohorts ") + joined)
        .when(pl.col("n_unknown") > 0)
        .then(pl.lit("missing data (e.g. the progression site of a prior line) leaves"
                     " undecided: ") + pl.col("unknown").list.join(", "))
        .otherwise(pl.lit("matches no cohort rule")).alias("detail"),
    )
    return CohortAssignment(cohorts, unassigned, long.drop("cohort_order"))
