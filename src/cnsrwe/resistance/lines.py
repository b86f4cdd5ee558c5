"""Lines of therapy: ALK-TKI generation, sequence stage and local therapy given during a line.

Rules (each a documented convention; sources in brackets)
------------------------------------------------------
1. **Lines.** Systemic lines, their start (``reference_date``), end and next-line start come
   from :func:`cnsrwe.derive.derive_reference_dates` (rows of one patient with one ``line``
   number form one line; radiotherapy and surgery never open a line).
2. **Agents.** Each row's ``agents`` list (or, for an ``alk_tki`` row with no agents, its
   ``regimen``) is matched against :mod:`cnsrwe.resistance.drugs` after normalisation (case,
   spaces, hyphens). A name that is not in the vocabulary is reported as an issue
   (``unknown_agent``) and left unclassified; it is never guessed. A known ALK-TKI on a row
   whose ``agent_class`` is not ``alk_tki`` (or the reverse) is reported
   (``agent_class_mismatch``).
3. **Generation of a line** = the highest generation among its ALK-TKIs (1G < 2G < 3G); a
   line with two ALK-TKIs (a switch inside one line) is reported as
   ``several_alk_tkis_in_line`` and keeps both names in ``alk_tkis``.
4. **Sequence stage of an ALK-TKI line** (the 2024 progression-pattern study, Wu, Zou et al.,
   J Transl Med 2024, doi:10.1186/s12967-024-05388-0: cohort 1 "first-line alectinib",
   cohort 2 "post-crizotinib stage"), from the highest ALK-TKI generation of the patient's
   *earlier* lines:

   ``post_3g``          a 3G TKI was given before
   ``post_2g``          a 2G TKI (but no 3G) was given before
   ``post_crizotinib``  only crizotinib was given before
   ``first_line``       no earlier ALK-TKI and this is the patient's first systemic line
   ``tki_naive_later_line``  no earlier ALK-TKI but an earlier non-TKI line (e.g. chemotherapy
                        before the ALK result); kept apart because it is not "first-line".

   Non-TKI lines have no stage.
5. **Local therapy during a line** (the 2024 study's "local therapy for oligo-progression":
   the drug is continued and local treatment added). A ``radiotherapy`` or ``surgery`` row
   belongs to the systemic line whose number it carries (data format rule); when it carries
   none, to the line whose dates contain its start date. ``days_added`` = line end date minus
   local-therapy start date: the time the line went on after the local treatment (the 2024
   study reports a median extension of about 6.4 months). Empty while the line is ongoing. A
   local therapy whose recorded line does not contain its date is reported
   (``local_therapy_outside_line``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cnsrwe._checks import as_frame
from cnsrwe.derive.reference import LOCAL_CLASSES, derive_reference_dates
from cnsrwe.errors import SchemaError
from cnsrwe.resistance.drugs import vocabulary_frame

_NEEDED = ("patient_id", "line", "regimen", "agent_class", "agents", "start_date", "end_date")
_GEN_RANK = {"1G": 1, "2G": 2, "3G": 3}
_RANK_GEN = {v: k for k, v in _GEN_RANK.items()}

ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(), "line": pl.Int64(), "code": pl.String(), "message": pl.String(),
}  # fmt: skip

#: Sequence stages, in order.
SEQUENCE_STAGES = (
    "first_line", "tki_naive_later_line", "post_crizotinib", "post_2g", "post_3g",
)  # fmt: skip


@dataclass(frozen=True)
class LinesOfTherapy:
    """Result of :func:`derive_lines_of_therapy`.

    Attributes
    ----------
    lines : one row per patient and systemic line: ``patient_id``, ``line``, ``regimen``,
        ``agent_class``, ``reference_date``, ``end_date``, ``end_reason``,
        ``next_therapy_date``, ``progression_site`` (when recorded), ``agents`` (canonical
        names), ``alk_tkis``, ``alk_tki`` (first ALK-TKI), ``alk_generation``,
        ``n_prior_alk_tki_lines``, ``previous_alk_tki``, ``sequence_stage``.
    local_therapies : one row per radiotherapy/surgery row: ``patient_id``, ``line``,
        ``line_assignment`` (``recorded``, ``by_date``, ``none``), ``local_kind``,
        ``regimen``, ``target_site``, ``rt_technique``, ``start_date``, ``line_alk_tki``,
        ``line_generation``, ``line_start``, ``line_end``, ``line_end_reason``,
        ``line_ongoing``, ``days_added``.
    issues : ``patient_id``, ``line``, ``code``, ``message`` (messages never hold identifiers).
    """

    lines: pl.DataFrame
    local_therapies: pl.DataFrame
    issues: pl.DataFrame


def _check(data: object) -> pl.DataFrame:
    tr = as_frame(data, "dataset_treatments", _NEEDED)
    if not isinstance(tr.schema["agents"], pl.List):
        msg = f"`treatments.agents` must be a list column, got {tr.schema['agents']}"
        raise SchemaError(msg)
    return tr


def _agents(tr: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Exploded agent names with their vocabulary entry, and agent issues."""
    vocab = vocabulary_frame()
    names = (
        pl.when(pl.col("agents").list.len().fill_null(0) > 0)
        .then(pl.col("agents"))
        .when(pl.col("agent_class") == "alk_tki")
        .then(pl.concat_list(pl.col("regimen")))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    ex = (
        tr.select("patient_id", "line", "agent_class", "start_date", names.alias("_name"))
        .explode("_name")
        .filter(pl.col("_name").is_not_null() & (pl.col("_name").str.strip_chars() != ""))
        .with_columns(
            pl.col("_name").str.strip_chars()
            .str.to_lowercase().str.replace_all(r"[^0-9a-z]", "").alias("key")
        )
        .join(vocab, on="key", how="left")
    )  # fmt: skip
    unknown = ex.filter(pl.col("drug").is_null()).select(
        "patient_id", "line", pl.lit("unknown_agent").alias("code"),
        pl.format("agent {} is not in the drug vocabulary; left unclassified (add an alias if"
                  " it is a known drug)", pl.col("_name")).alias("message"),
    )  # fmt: skip
    mismatch = ex.filter(
        pl.col("drug").is_not_null()
        & ((pl.col("drug_class") == "alk_tki") != (pl.col("agent_class") == "alk_tki"))
    ).select(
        "patient_id", "line", pl.lit("agent_class_mismatch").alias("code"),
        pl.format("agent {} is {} but the row's agent_class is {}", pl.col("drug"),
                  pl.col("drug_class"), pl.col("agent_class")).alias("message"),
    )  # fmt: skip
    return ex, pl.concat([unknown, mismatch]).cast(ISSUE_SCHEMA)


def derive_lines_of_therapy(dataset_treatments: pl.DataFrame) -> LinesOfTherapy:
    """Classify every systemic line (ALK-TKI generation, sequence stage) and local therapy.

    Parameters
    ----------
    dataset_treatments : the ``treatments`` table of the data format (``agents`` as a list
        column, dates as Date).

    Returns
    -------
    LinesOfTherapy with ``lines``, ``local_therapies`` and ``issues`` (see the module
    docstring for every rule).
    """
    tr = _check(dataset_treatments)
    ref = derive_reference_dates(tr)
    issues = [ref.issues.cast(ISSUE_SCHEMA)]
    ex, agent_issues = _agents(tr.filter(~pl.col("agent_class").is_in(list(LOCAL_CLASSES))))
    issues.append(agent_issues)

    per_line = (
        ex.filter(pl.col("line").is_not_null())
        .sort("patient_id", "line", "start_date")
        .group_by("patient_id", "line", maintain_order=True)
        .agg(
            pl.col("drug").drop_nulls().unique(maintain_order=True).alias("agents"),
            pl.col("drug").filter(pl.col("drug_class") == "alk_tki")
            .unique(maintain_order=True).alias("alk_tkis"),
            pl.col("alk_generation").replace_strict(_GEN_RANK, default=None,
                                                    return_dtype=pl.Int64).max().alias("_rank"),
        )
    )  # fmt: skip
    lines = ref.lines.join(per_line, on=["patient_id", "line"], how="left")
    if "progression_site" in tr.columns:
        site = (
            tr.filter(~pl.col("agent_class").is_in(list(LOCAL_CLASSES)))
            .sort("start_date")
            .group_by("patient_id", "line")
            .agg(pl.col("progression_site").drop_nulls().last())
        )
        lines = lines.join(site, on=["patient_id", "line"], how="left")
    else:
        lines = lines.with_columns(pl.lit(None, dtype=pl.String).alias("progression_site"))
    empty = pl.lit([], dtype=pl.List(pl.String))
    lines = lines.with_columns(
        pl.col("agents").fill_null(empty), pl.col("alk_tkis").fill_null(empty)
    ).sort("patient_id", "line")
    is_tki = pl.col("alk_tkis").list.len() > 0
    prior_rank = pl.col("_rank").fill_null(0).cum_max().shift(1).over("patient_id").fill_null(0)
    lines = lines.with_columns(
        pl.col("alk_tkis").list.first().alias("alk_tki"),
        pl.col("_rank").replace_strict(_RANK_GEN, default=None, return_dtype=pl.String)
        .alias("alk_generation"),
        is_tki.cast(pl.Int64).cum_sum().shift(1).over("patient_id").fill_null(0)
        .alias("n_prior_alk_tki_lines"),
        pl.when(is_tki).then(pl.col("alk_tkis").list.last()).forward_fill().shift(1)
        .over("patient_id").alias("previous_alk_tki"),
        prior_rank.alias("_prior"),
        (pl.col("line") == pl.col("line").min().over("patient_id")).alias("_first"),
    ).with_columns(
        pl.when(~is_tki).then(None)
        .when(pl.col("_prior") == 3).then(pl.lit("post_3g"))
        .when(pl.col("_prior") == 2).then(pl.lit("post_2g"))
        .when(pl.col("_prior") == 1).then(pl.lit("post_crizotinib"))
        .when(pl.col("_first")).then(pl.lit("first_line"))
        .otherwise(pl.lit("tki_naive_later_line")).alias("sequence_stage")
    ).drop("_rank", "_prior", "_first", "assessment_end_date")  # fmt: skip
    several = lines.filter(pl.col("alk_tkis").list.len() > 1).select(
        "patient_id", "line", pl.lit("several_alk_tkis_in_line").alias("code"),
        pl.format("line has {} ALK-TKIs; generation = the highest",
                  pl.col("alk_tkis").list.len()).alias("message"),
    )  # fmt: skip
    issues.append(several.cast(ISSUE_SCHEMA))
    local, local_issues = _local_therapies(tr, lines)
    issues.append(local_issues)
    return LinesOfTherapy(
        lines=lines, local_therapies=local, issues=pl.concat(issues).cast(ISSUE_SCHEMA)
    )


def _local_therapies(tr: pl.DataFrame, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    cols = {c: pl.col(c) if c in tr.columns else pl.lit(None, dtype=pl.String)
            for c in ("target_site", "rt_technique")}  # fmt: skip
    loc = tr.filter(pl.col("agent_class").is_in(list(LOCAL_CLASSES))).select(
        "patient_id", pl.col("line").cast(pl.Int64).alias("_given"),
        pl.col("agent_class").alias("local_kind"), "regimen",
        cols["target_site"].cast(pl.String).alias("target_site"),
        cols["rt_technique"].cast(pl.String).alias("rt_technique"), "start_date",
    ).with_row_index("_lt")  # fmt: skip
    ln = lines.select(
        "patient_id", "line", pl.col("alk_tki").alias("line_alk_tki"),
        pl.col("alk_generation").alias("line_generation"),
        pl.col("reference_date").alias("line_start"), pl.col("end_date").alias("line_end"),
        pl.col("end_reason").alias("line_end_reason"),
    )  # fmt: skip
    inside = (pl.col("start_date") >= pl.col("line_start")) & (
        pl.col("line_end").is_null() | (pl.col("start_date") <= pl.col("line_end"))
    )
    recorded = loc.filter(pl.col("_given").is_not_null()).join(
        ln, left_on=["patient_id", "_given"], right_on=["patient_id", "line"], how="left"
    ).with_columns(pl.col("_given").alias("line"), pl.lit("recorded").alias("line_assignment"))
    outside = recorded.filter(pl.col("line_start").is_null() | ~inside).select(
        "patient_id", "line", pl.lit("local_therapy_outside_line").alias("code"),
        pl.format("{} starting {} is recorded in a line whose dates do not contain it",
                  pl.col("local_kind"), pl.col("start_date").cast(pl.String)).alias("message"),
    )  # fmt: skip
    by_date = (
        loc.filter(pl.col("_given").is_null())
        .join(ln, on="patient_id", how="inner")
        .filter(inside)
        .sort("line_start", descending=True)
        .unique("_lt", keep="first")
        .with_columns(pl.lit("by_date").alias("line_assignment"))
    )
    matched = pl.concat([recorded.select(by_date.columns), by_date])
    unmatched = loc.filter(~pl.col("_lt").is_in(matched["_lt"].implode())).with_columns(
        pl.lit("none").alias("line_assignment")
    )
    out = (
        pl.concat([matched, unmatched], how="diagonal_relaxed")
        .with_columns(
            pl.col("line_end").is_null().and_(pl.col("line").is_not_null()).alias("line_ongoing"),
            (pl.col("line_end") - pl.col("start_date")).dt.total_days().alias("days_added"),
        )
        .sort("_lt")
        .select(
            "patient_id", pl.col("line").cast(pl.Int64), "line_assignment", "local_kind",
            "regimen", "target_site", "rt_technique", "start_date", "line_alk_tki",
            "line_generation", "line_start", "line_end", "line_end_reason", "line_ongoing",
            "days_added",
        )
    )  # fmt: skip
    return out, outside.cast(ISSUE_SCHEMA)
