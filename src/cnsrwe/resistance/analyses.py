"""Analysis tables of the 2024 progression-pattern study, as tables and ARD (no plotting).

Wu, Zou et al., J Transl Med 2024, doi:10.1186/s12967-024-05388-0:

* :func:`progression_incidence` — CNS progression, symptomatic progression, symptomatic CNS
  progression and oligo-progression per drug (Table 2), overall and by baseline CNS status,
  with Fisher's exact test between the groups. The paper's Methods name Pearson's chi-square,
  but every p-value of its Table 2 is reproduced by the two-sided Fisher exact test (and
  not by chi-square, with or without Yates' correction; see ``tests/reference/
  resistance_2024_table2``), so Fisher is the default here.
* :func:`local_therapy_use` — oligo-progression and local therapy given for it during the
  line, with the time it added (Results, "local treatment ... extension of about 6.4 months").
* :func:`subsequent_therapy_after_2g` — treatment after the first progression on a
  second-generation ALK-TKI (Table 3).
* :func:`treatment_sequences` — from -> to counts of consecutive lines (behind a sankey).
* :func:`rebiopsy_timing` — samples by group, timing and specimen (behind Fig. 1's
  sunburst) and days from progression to biopsy by specimen.

Rules shared by the incidence tables: a line is in the denominator when it progressed
(``first_pd_date`` present in ``dataset_progression``); a line whose event cannot be decided
(site ``UNKNOWN``, ``symptomatic`` null, extent ``UNCLASSIFIED``) is counted in
``n_unknown`` and left out of the denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from cnsrwe._checks import require_columns
from cnsrwe.stats.ard import ARD_SCHEMA
from cnsrwe.stats.contingency import fisher_exact

Event = Literal["cns", "symptomatic", "symptomatic_cns", "oligo"]
_CNS_SITES = ("CNS_ONLY", "BOTH")
_PROG_NEEDED = ("patient_id", "line", "first_pd_date", "site", "extent", "symptomatic")
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class ResultTable:
    """A result table and how to export it as ARD.

    Attributes
    ----------
    name : the analysis name written to the ARD ``analysis`` column.
    table : the result table (one row per group and stratum, or per transition).
    group_cols : columns that form the ARD ``group`` (joined with ``" / "``).
    stat_cols : numeric columns exported as ARD statistics.
    method : how the numbers were computed.
    """

    name: str
    table: pl.DataFrame
    group_cols: tuple[str, ...]
    stat_cols: tuple[str, ...]
    method: str
    parameter: str = ""

    def to_ard(self) -> pl.DataFrame:
        """Long ARD rows: one per group and statistic (unrounded)."""
        if self.table.is_empty():
            return pl.DataFrame(schema=ARD_SCHEMA)
        group = pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("") for c in self.group_cols], separator=" / "
        )
        return (
            self.table.select(
                group.alias("group"),
                *(pl.col(c).cast(pl.Float64).alias(c) for c in self.stat_cols),
            )
            .unpivot(index="group", variable_name="statistic", value_name="value")
            .select(
                pl.lit(self.name).alias("analysis"), pl.lit("").alias("population"), "group",
                pl.lit(self.parameter).alias("parameter"), "statistic", "value",
                pl.lit(self.method).alias("method"),
            )
            .cast(ARD_SCHEMA)
        )  # fmt: skip


def _progressed(dataset_lines: pl.DataFrame, dataset_progression: pl.DataFrame) -> pl.DataFrame:
    require_columns(dataset_progression, "dataset_progression", _PROG_NEEDED)
    dup = dataset_progression.select("patient_id", "line").is_duplicated()
    if dup.any():
        msg = (
            "`dataset_progression` must have one row per patient and line (filter one"
            f" `profile`), got {int(dup.sum())} duplicated rows"
        )
        raise ValueError(msg)
    prog = dataset_progression.select(
        pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
        *(c for c in _PROG_NEEDED[2:]),
    )  # fmt: skip
    return dataset_lines.join(prog, on=["patient_id", "line"], how="inner").filter(
        pl.col("first_pd_date").is_not_null()
    )


def _event(event: Event) -> tuple[pl.Expr, pl.Expr]:
    """(event flag, decidable flag) for an event."""
    cns = pl.col("site").is_in(list(_CNS_SITES))
    site_known = pl.col("site").is_in([*_CNS_SITES, "EXTRACRANIAL_ONLY"])
    sym = pl.col("symptomatic").fill_null(False)
    sym_known = pl.col("symptomatic").is_not_null()
    if event == "cns":
        return cns, site_known
    if event == "symptomatic":
        return sym, sym_known
    if event == "symptomatic_cns":
        return cns & sym, (site_known & sym_known) | (site_known & ~cns)
    if event == "oligo":
        return pl.col("extent") == "OLIGO", pl.col("extent").is_in(
            ["OLIGO", "MULTI", "EXTENSIVE"]
        )
    msg = f"`event` must be one of 'cns', 'symptomatic', 'symptomatic_cns', 'oligo', got {event!r}"
    raise ValueError(msg)


def progression_incidence(
    dataset_lines: pl.DataFrame,
    dataset_progression: pl.DataFrame,
    *,
    event: Event,
    by: str = "alk_tki",
    dataset_baseline_cns: pl.DataFrame | None = None,
) -> ResultTable:
    """Proportion of progressed lines with ``event``, per ``by`` group, with Fisher's test.

    Parameters
    ----------
    dataset_lines : ``LinesOfTherapy.lines`` (filter it to the lines to compare), with
        the ``by`` column (e.g. ``alk_tki``, or a cohort label the caller added).
    dataset_progression : ``ad_progression`` rows of one profile (``patient_id``, ``line``,
        ``first_pd_date``, ``site``, ``extent``, ``symptomatic``).
    event : ``cns`` (site CNS_ONLY or BOTH), ``symptomatic``, ``symptomatic_cns`` (both),
        ``oligo`` (extent OLIGO).
    by : the grouping column.
    dataset_baseline_cns : optional ``patient_id``, ``line``, ``baseline_cns`` (bool); adds
        the strata ``baseline CNS`` / ``no baseline CNS``.

    Returns
    -------
    ResultTable with columns ``stratum``, ``by`` value as ``group``, ``n`` (decidable
    progressed lines), ``events``, ``proportion``, ``n_unknown`` and ``p_value`` (Fisher's
    exact test, two-sided, across the groups of the stratum; empty with < 2 groups).
    """
    if by not in dataset_lines.columns:
        msg = f"`by` must be a column of `dataset_lines`, got {by!r}"
        raise ValueError(msg)
    flag, known = _event(event)
    d = _progressed(dataset_lines, dataset_progression).with_columns(
        pl.lit("all").alias("stratum"), pl.col(by).cast(pl.String).alias("group")
    )
    frames = [d]
    if dataset_baseline_cns is not None:
        base = d.join(
            dataset_baseline_cns.select(
                pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
                pl.col("baseline_cns").cast(pl.Boolean),
            ),
            on=["patient_id", "line"], how="inner",
        ).filter(pl.col("baseline_cns").is_not_null())  # fmt: skip
        frames.append(base.with_columns(
            pl.when(pl.col("baseline_cns")).then(pl.lit("baseline CNS"))
            .otherwise(pl.lit("no baseline CNS")).alias("stratum")
        ).drop("baseline_cns"))  # fmt: skip
    d = pl.concat(frames, how="diagonal_relaxed").filter(pl.col("group").is_not_null())
    table = (
        d.group_by("stratum", "group", maintain_order=True)
        .agg(
            known.sum().cast(pl.Int64).alias("n"),
            (flag & known).sum().cast(pl.Int64).alias("events"),
            (~known).sum().cast(pl.Int64).alias("n_unknown"),
        )
        .with_columns((pl.col("events") / pl.col("n")).alias("proportion"))
    )
    p_values = []
    for (stratum,), part in table.group_by("stratum", maintain_order=True):
        part = part.filter(pl.col("n") > 0)
        p = None
        if part.height >= 2:
            counts = [[e, n - e] for e, n in zip(part["events"], part["n"], strict=True)]
            if any(sum(col) > 0 for col in zip(*counts, strict=True)):
                p = fisher_exact(counts).p_value
        p_values.append({"stratum": stratum, "p_value": p})
    pv = pl.DataFrame(p_values, schema={"stratum": pl.String, "p_value": pl.Float64})
    order = {"all": 0, "baseline CNS": 1, "no baseline CNS": 2}
    table = (
        table.join(pv, on="stratum", how="left")
        .with_columns(pl.col("stratum").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort("_o", maintain_order=True)
        .drop("_o")
        .select("stratum", "group", "n", "events", "proportion", "n_unknown", "p_value")
    )
    return ResultTable(
        name=f"progression_incidence_{event}", table=table, group_cols=("stratum", "group"),
        stat_cols=("n", "events", "proportion", "n_unknown", "p_value"),
        method="proportion of progressed lines; Fisher's exact test, two-sided, across groups",
        parameter=event,
    )  # fmt: skip


def local_therapy_use(
    dataset_lines: pl.DataFrame,
    dataset_progression: pl.DataFrame,
    dataset_local_therapies: pl.DataFrame,
    *,
    by: str = "alk_tki",
) -> ResultTable:
    """Oligo-progression, local therapy for it, and the time local therapy added to the line.

    A progressed line counts as *treated locally* when a local therapy of that line
    (``LinesOfTherapy.local_therapies``) starts on or after its ``first_pd_date``: the drug was
    continued and the progression treated locally. ``days_added`` of those rows (line end
    minus local-therapy start; lines still ongoing are left out) is summarised by its median,
    quartiles and count, and in months (days / 30.4375).

    Returns
    -------
    ResultTable with ``group``, ``n_progressed``, ``n_oligo``, ``n_oligo_local``,
    ``n_local_any_extent``, ``n_days_added``, ``median_days_added``, ``q1_days_added``,
    ``q3_days_added``, ``median_months_added``.
    """
    d = _progressed(dataset_lines, dataset_progression).with_columns(
        pl.col(by).cast(pl.String).alias("group")
    )
    lt = dataset_local_therapies.filter(pl.col("line").is_not_null()).select(
        "patient_id", "line", "start_date", "days_added"
    )
    after = (
        d.select("patient_id", "line", "first_pd_date")
        .join(lt, on=["patient_id", "line"], how="inner")
        .filter(pl.col("start_date") >= pl.col("first_pd_date"))
        .group_by("patient_id", "line")
        .agg(pl.col("days_added").max(), pl.lit(True).alias("local"))
    )
    d = d.join(after, on=["patient_id", "line"], how="left").with_columns(
        pl.col("local").fill_null(False)
    )
    oligo = pl.col("extent") == "OLIGO"
    table = (
        d.group_by("group", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("n_progressed"),
            oligo.sum().cast(pl.Int64).alias("n_oligo"),
            (oligo & pl.col("local")).sum().cast(pl.Int64).alias("n_oligo_local"),
            pl.col("local").sum().cast(pl.Int64).alias("n_local_any_extent"),
            pl.col("days_added").filter(pl.col("local")).count().cast(pl.Int64)
            .alias("n_days_added"),
            pl.col("days_added").filter(pl.col("local")).median().alias("median_days_added"),
            pl.col("days_added").filter(pl.col("local"))
            .quantile(0.25, interpolation="linear").alias("q1_days_added"),
            pl.col("days_added").filter(pl.col("local"))
            .quantile(0.75, interpolation="linear").alias("q3_days_added"),
        )
        .with_columns((pl.col("median_days_added") / DAYS_PER_MONTH).alias("median_months_added"))
    )  # fmt: skip
    return ResultTable(
        name="local_therapy_use", table=table, group_cols=("group",),
        stat_cols=tuple(c for c in table.columns if c != "group"),
        method="counts of progressed lines; median and quartiles (linear interpolation, R type 7)",
    )  # fmt: skip


def subsequent_therapy_after_2g(
    dataset_lines: pl.DataFrame,
    *,
    dataset_patients: pl.DataFrame | None = None,
    by: str = "sequence_stage",
) -> ResultTable:
    """Treatment after the first progression on a second-generation ALK-TKI (Table 3).

    Index line per patient = the earliest 2G line with ``end_reason = "progression"``. Later
    lines give: >= 1 subsequent line; >= 1 subsequent ALK-TKI; a subsequent 3G ALK-TKI;
    >= 1 line with ``agent_class = "chemotherapy"``; and, among patients with a
    ``death_date`` in ``dataset_patients``, >= 1 chemotherapy line. Groups come from the
    index line's ``by`` column (default its sequence stage: ``first_line`` = the paper's
    cohort 1, ``post_crizotinib`` = cohort 2) plus ``all``.

    Returns
    -------
    ResultTable with ``item``, ``group``, ``n``, ``yes``, ``no``, ``proportion``.
    """
    ln = dataset_lines.sort("patient_id", "line")
    index = (
        ln.filter((pl.col("alk_generation") == "2G") & (pl.col("end_reason") == "progression"))
        .group_by("patient_id").agg(pl.all().sort_by("line").first())
        .select("patient_id", pl.col("line").alias("_index"),
                pl.col(by).cast(pl.String).alias("group"))
    )  # fmt: skip
    later = ln.join(index, on="patient_id").filter(pl.col("line") > pl.col("_index"))
    per = later.group_by("patient_id").agg(
        pl.len().gt(0).alias("any_line"),
        (pl.col("alk_tkis").list.len() > 0).any().alias("any_alk_tki"),
        (pl.col("alk_generation") == "3G").any().alias("any_3g"),
        (pl.col("agent_class") == "chemotherapy").any().alias("any_chemo"),
    )
    pts = index.join(per, on="patient_id", how="left").with_columns(
        pl.col("any_line", "any_alk_tki", "any_3g", "any_chemo").fill_null(False)
    )
    if dataset_patients is not None:
        dead = dataset_patients.filter(pl.col("death_date").is_not_null())["patient_id"]
        pts = pts.with_columns(pl.col("patient_id").is_in(dead.implode()).alias("_dead"))
    pts = pl.concat([pts, pts.with_columns(pl.lit("all").alias("group"))])
    items = {
        ">=1 subsequent line": ("any_line", None),
        ">=1 subsequent ALK-TKI": ("any_alk_tki", None),
        "subsequent 3G ALK-TKI": ("any_3g", None),
        ">=1 line of chemotherapy": ("any_chemo", None),
    }
    if dataset_patients is not None:
        items[">=1 line of chemotherapy, patients who died"] = ("any_chemo", "_dead")
    parts = []
    for item, (col, subset) in items.items():
        sub = pts if subset is None else pts.filter(pl.col(subset))
        parts.append(
            sub.group_by("group", maintain_order=True).agg(
                pl.len().cast(pl.Int64).alias("n"),
                pl.col(col).sum().cast(pl.Int64).alias("yes"),
            ).with_columns(pl.lit(item).alias("item"))
        )
    table = (
        pl.concat(parts)
        .with_columns(
            (pl.col("n") - pl.col("yes")).alias("no"),
            (pl.col("yes") / pl.col("n")).alias("proportion"),
        )
        .select("item", "group", "n", "yes", "no", "proportion")
    )
    return ResultTable(
        name="subsequent_therapy_after_2g", table=table, group_cols=("item", "group"),
        stat_cols=("n", "yes", "no", "proportion"), method="counts of patients",
    )  # fmt: skip


def _line_label() -> pl.Expr:
    return pl.when(pl.col("alk_tki").is_not_null()).then(pl.col("alk_tki")).otherwise(
        pl.col("agent_class")
    )


def treatment_sequences(
    dataset_lines: pl.DataFrame, *, max_steps: int | None = None
) -> ResultTable:
    """From -> to counts of consecutive systemic lines (the table behind a sankey diagram).

    Each line is labelled by its ALK-TKI (canonical name) or, for other lines, its
    ``agent_class``. Step k goes from line k to line k+1 of the patient (lines in number
    order); the last line goes to ``ongoing`` when it has no end date, else to ``no further
    line``.

    Returns
    -------
    ResultTable with ``step``, ``from_label``, ``to_label``, ``n``.
    """
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        msg = f"`max_steps` must be a whole number >= 1, got {max_steps!r}"
        raise ValueError(msg)
    ln = dataset_lines.sort("patient_id", "line").with_columns(
        _line_label().alias("from_label"),
        pl.int_range(1, pl.len() + 1).over("patient_id").alias("step"),
    )
    nxt = pl.col("from_label").shift(-1).over("patient_id")
    ln = ln.with_columns(
        pl.when(nxt.is_not_null()).then(nxt)
        .when(pl.col("end_date").is_null()).then(pl.lit("ongoing"))
        .otherwise(pl.lit("no further line")).alias("to_label")
    )  # fmt: skip
    if max_steps is not None:
        ln = ln.filter(pl.col("step") <= max_steps)
    table = (
        ln.group_by("step", "from_label", "to_label")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .sort("step", "n", "from_label", "to_label", descending=[False, True, False, False])
    )
    return ResultTable(
        name="treatment_sequences", table=table, group_cols=("step", "from_label", "to_label"),
        stat_cols=("n",), method="counts of patients per transition",
    )  # fmt: skip


def rebiopsy_timing(
    samples: pl.DataFrame, *, by: str = "sequence_stage"
) -> tuple[ResultTable, ResultTable]:
    """Re-biopsy timing (Fig. 1 of the 2024 study): counts and days from progression.

    Parameters
    ----------
    samples : ``BiopsyMechanisms.samples``.
    by : grouping column (default the sequence stage of the progressed line).

    Returns
    -------
    (counts, days): counts by ``group``, ``timing`` and ``specimen`` with ``n`` and
    ``proportion`` within the group (the sunburst rings); and per ``specimen`` the
    ``days_from_progression`` summary ``n``, ``median``, ``q1``, ``q3``, ``min``, ``max``.
    """
    s = samples.with_columns(pl.col(by).cast(pl.String).fill_null("no progressed line")
                             .alias("group"))  # fmt: skip
    counts = (
        s.group_by("group", "timing", "specimen")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .with_columns((pl.col("n") / pl.col("n").sum().over("group")).alias("proportion"))
        .sort("group", "timing", "specimen")
    )
    days = (
        s.filter(pl.col("days_from_progression").is_not_null())
        .group_by("specimen")
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            pl.col("days_from_progression").median().alias("median"),
            pl.col("days_from_progression").quantile(0.25, interpolation="linear").alias("q1"),
            pl.col("days_from_progression").quantile(0.75, interpolation="linear").alias("q3"),
            pl.col("days_from_progression").min().cast(pl.Float64).alias("min"),
            pl.col("days_from_progression").max().cast(pl.Float64).alias("max"),
        )
        .sort("specimen")
    )
    return (
        ResultTable("rebiopsy_timing_counts", counts, ("group", "timing", "specimen"),
                    ("n", "proportion"), "counts of samples"),
        ResultTable("rebiopsy_days_from_progression", days, ("specimen",),
                    ("n", "median", "q1", "q3", "min", "max"),
                    "median and quartiles (linear interpolation, R type 7)"),
    )  # fmt: skip
