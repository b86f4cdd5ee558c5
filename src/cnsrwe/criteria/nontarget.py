"""Non-target response and new-lesion status per timepoint.

Non-target response (RECIST 1.1 §4.3.3; spec §1.6): each baseline non-target lesion gets a
status at each timepoint — ``non_target_status`` when given, else from its diameter
(0 -> absent; a node below ``node_normal_tenths`` -> absent, i.e. normal; any other value
or "too small to measure" -> present), else *not assessed*. Then: any unequivocal
progression -> PD; else any not assessed -> NE; else all absent -> CR; else
NON-CR/NON-PD. A compartment without non-target lesions at baseline -> NA.

New lesions (§4.3.4; spec §1.7): rows with ``lesion_role == "new"`` whose ``lesion_id``
was not a baseline lesion of the line. A new lymph node counts only when its short axis is
at least ``node_normal_tenths`` (EORTC RECIST FAQ "New lymph node lesions"). An
*equivocal* new lesion is not PD at the time; when the same ``lesion_id`` is later read as
definite, the earlier timepoint is back-dated to ``YES`` (``new_lesion_as_read`` keeps what
was read then).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cnsrwe.criteria._flags import CODE, flag
from cnsrwe.criteria.profiles import CriteriaProfile
from cnsrwe.criteria.target import lesion_grid, sorted_on, unsplit

KEY = ("patient_id", "line")
TP_KEY = ("patient_id", "line", "assessment_date")


def nontarget_status(
    timepoints: pl.DataFrame,
    nontargets: pl.DataFrame,
    followup: pl.DataFrame,
    profile: CriteriaProfile,
    *,
    statuses: pl.Series,
) -> pl.DataFrame:
    """One row per timepoint x non-target lesion with ``_status`` (a flag code, :mod:`._flags`).

    ``followup``: narrow rows (``_k`` sorted, ``_row``, ``_split``, ``_merged``);
    ``statuses``: the codes (:func:`._flags.status_vocabulary`) of the ``non_target_status``
    column of the lesion rows ``_row`` points into.
    """
    grid = lesion_grid(timepoints, nontargets, carry=())
    rows = sorted_on(unsplit(followup, "_k", "_row", "_tenths", "_too_small", "_merged"), "_k")
    g = grid.join(rows, left_on="_gk", right_on="_k", how="left", maintain_order="left")
    g = g.with_columns(statuses.gather(g["_row"]).alias("non_target_status"))
    t = pl.col("_tenths")
    status = (
        pl.when(pl.col("non_target_status").is_not_null()).then(pl.col("non_target_status"))
        .when(pl.col("_merged").fill_null(False)).then(flag("present"))
        .when(t.is_not_null() & pl.col("_is_node") & (t < profile.node_normal_tenths))
        .then(flag("absent"))
        .when(t.is_not_null() & ~pl.col("_is_node") & (t == 0)).then(flag("absent"))
        .when(t.is_not_null() | pl.col("_too_small").fill_null(False)).then(flag("present"))
        .otherwise(flag("not_assessed"))
    )  # fmt: skip
    return g.with_columns(status.cast(CODE).alias("_status"))


def nontarget_summary(status: pl.DataFrame) -> pl.DataFrame:
    """Per timepoint: ``nontarget_response`` and ``_nrule``."""
    agg = sorted_on(status, "_tp").group_by("_tp", maintain_order=True).agg(
        (pl.col("_status") == flag("unequivocal_progression")).any().alias("_pd"),
        (pl.col("_status") == flag("not_assessed")).any().alias("_ne"),
        (pl.col("_status") == flag("absent")).all().alias("_cr"),
    )
    resp = (
        pl.when(pl.col("_pd")).then(pl.lit("PD"))
        .when(pl.col("_ne")).then(pl.lit("NE"))
        .when(pl.col("_cr")).then(pl.lit("CR"))
        .otherwise(pl.lit("NON-CR/NON-PD"))
    )  # fmt: skip
    return agg.with_columns(resp.alias("nontarget_response")).select("_tp", "nontarget_response")


def new_lesions(
    followup: pl.DataFrame, baseline_ids: pl.DataFrame, profile: CriteriaProfile
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (per-lesion new rows with ``_new_status``, per-timepoint new-lesion summary).

    ``baseline_ids``: ``_pll`` (packed patient, line, lesion key) of every baseline lesion of
    the line; ``followup`` rows are sorted by their packed key and carry ``_pll`` and ``_tp``.
    """
    t = pl.col("_tenths")
    normal_node = pl.col("_is_node") & (
        (t.is_not_null() & (t < profile.node_normal_tenths))
        | (t.is_null() & pl.col("_too_small"))
    )
    rows = followup.select(
        "_k", "_tp", "_pll", "assessment_date", "_tenths", "_equivocal",
        (pl.col("_new") & ~pl.col("_split") & ~normal_node).alias("_keep"),
    ).filter("_keep")  # fmt: skip
    # not a baseline lesion of the line: binary search in the sorted baseline keys
    known = baseline_ids["_pll"].to_numpy()
    if not baseline_ids["_pll"].is_sorted():
        known = np.sort(known)
    pll = rows["_pll"].to_numpy()
    at = np.minimum(np.searchsorted(known, pll), max(known.size - 1, 0))
    is_known = known[at] == pll if known.size else np.zeros(pll.size, dtype=bool)
    rows = rows.filter(pl.Series(~is_known)).drop("_keep")
    first_definite = (
        pl.when(~pl.col("_equivocal")).then(pl.col("assessment_date")).min().over("_pll")
    )  # fmt: skip
    rows = rows.with_columns(first_definite.alias("_confirmed_on")).with_columns(
        pl.when(~pl.col("_equivocal")).then(flag("definite"))
        .when(pl.col("_confirmed_on") > pl.col("assessment_date"))
        .then(flag("equivocal_confirmed_later"))
        .otherwise(flag("equivocal"))
        .cast(CODE).alias("_new_status")
    )  # fmt: skip
    summary = sorted_on(rows, "_tp").group_by("_tp", maintain_order=True).agg(
        (pl.col("_new_status") == flag("definite")).any().alias("_read_yes"),
        (pl.col("_new_status") == flag("equivocal_confirmed_later")).any().alias("_backdated"),
    )
    summary = summary.with_columns(
        pl.when(pl.col("_read_yes") | pl.col("_backdated")).then(pl.lit("YES"))
        .otherwise(pl.lit("EQUIVOCAL")).alias("new_lesion"),
        pl.when(pl.col("_read_yes")).then(pl.lit("YES"))
        .otherwise(pl.lit("EQUIVOCAL")).alias("new_lesion_as_read"),
    ).select("_tp", "new_lesion", "new_lesion_as_read")  # fmt: skip
    return rows, summary
