"""Timepoint responses from lesion rows: the overall timepoint table, per compartment.

``derive_timepoint_responses`` turns the ``lesions`` table of the data format into one row
per patient x line x assessment date x compartment x profile (and a per-lesion audit table
in the spirit of CDISC ADTR). Overall response follows RECIST 1.1 Table 1 (target disease)
and Table 2 (non-target disease only: NON-CR/NON-PD instead of SD) of Eisenhauer et al.
2009, re-stated in the response-criteria spec §1.8:

* any of target PD, non-target PD, a definite new lesion -> PD;
* target NE -> NE; target CR with non-target CR or NA -> CR; target CR with non-target
  NON-CR/NON-PD or NE -> PR; target PR -> PR; target SD -> SD;
* without target disease: non-target CR -> CR, NON-CR/NON-PD -> NON-CR/NON-PD, NE -> NE;
* without any baseline disease in the compartment: a new lesion -> PD, otherwise the
  response is empty (rule ``none:no_baseline_disease``);
* after an overall CR at the previous timepoint, any reappearing lesion is PD
  (EORTC RECIST FAQ "Does a new lesion always result in PD?"), rule
  ``PD:reappearance_after_CR``;
* RANO-BM profiles then apply the corticosteroid / clinical gates (:mod:`.rano_bm`).

Compartments: ``overall`` uses every lesion; ``intracranial`` the profile's
``cns_locations``; ``extracranial`` the rest. A compartment gets a timepoint on every
follow-up date with at least one lesion row in it. A line without any baseline row is
skipped and listed in ``issues`` (``no_baseline``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from cnsrwe.criteria._prepare import assign_lines, prepare_lesions, prepare_reference
from cnsrwe.criteria.nontarget import new_lesions, nontarget_status, nontarget_summary
from cnsrwe.criteria.profiles import CriteriaProfile, get_profile
from cnsrwe.criteria.rano_bm import apply_rano_gates
from cnsrwe.criteria.target import select_targets, target_summary, target_values
from cnsrwe.errors import CriteriaError

KEY = ["patient_id", "line"]
TP_KEY = ["patient_id", "line", "assessment_date"]

TIMEPOINT_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(), "line": pl.Int64(), "assessment_date": pl.Date(),
    "compartment": pl.String(), "profile": pl.String(), "baseline_date": pl.Date(),
    "n_targets": pl.Int64(), "n_nontargets": pl.Int64(),
    "target_sum_tenths": pl.Int64(), "baseline_sum_tenths": pl.Int64(),
    "nadir_sum_tenths": pl.Int64(), "pct_change_baseline": pl.Float64(),
    "pct_change_nadir": pl.Float64(), "n_targets_missing": pl.Int64(),
    "target_response": pl.String(), "nontarget_response": pl.String(),
    "new_lesion": pl.String(), "new_lesion_as_read": pl.String(), "response": pl.String(),
    "rule": pl.String(), "corticosteroid_mg": pl.Float64(),
    "baseline_corticosteroid_mg": pl.Float64(), "symptom_change": pl.String(),
}  # fmt: skip

LESION_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(), "line": pl.Int64(), "assessment_date": pl.Date(),
    "compartment": pl.String(), "profile": pl.String(), "lesion_id": pl.String(),
    "role": pl.String(), "is_baseline": pl.Boolean(), "recorded_tenths": pl.Int64(),
    "used_tenths": pl.Int64(), "flag": pl.String(),
}  # fmt: skip

ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(), "line": pl.Int64(), "profile": pl.String(),
    "code": pl.String(), "message": pl.String(),
}  # fmt: skip


@dataclass(frozen=True)
class TimepointResponses:
    """Result of :func:`derive_timepoint_responses`.

    Attributes
    ----------
    timepoints : one row per patient x line x assessment_date x compartment x profile
        (columns of ``TIMEPOINT_SCHEMA``); sums are integer tenths of a mm.
    lesions : per lesion per assessment (baseline included): role in the profile, the
        recorded and the used value in tenths, and a flag naming the rule applied.
    issues : lines that could not be assessed, with a code and a message.
    """

    timepoints: pl.DataFrame
    lesions: pl.DataFrame
    issues: pl.DataFrame


def _resolve(profile: str | CriteriaProfile | Sequence[str | CriteriaProfile]) -> list[
    CriteriaProfile
]:
    items = [profile] if isinstance(profile, str | CriteriaProfile) else list(profile)
    if not items:
        msg = "`profile` must name at least one profile, got an empty sequence"
        raise CriteriaError(msg)
    return [p if isinstance(p, CriteriaProfile) else get_profile(p) for p in items]


def derive_timepoint_responses(
    dataset_lesions: pl.DataFrame,
    dataset_reference: pl.DataFrame,
    *,
    profile: str | CriteriaProfile | Sequence[str | CriteriaProfile] = "recist11",
    dataset_clinical: pl.DataFrame | None = None,
) -> TimepointResponses:
    """Derive timepoint responses from lesion rows under one or more criteria profiles.

    Parameters
    ----------
    dataset_lesions : the ``lesions`` table of the study data format.
    dataset_reference : one row per patient and line: ``patient_id``, ``line``,
        ``reference_date`` (line start) and optional ``end_date`` (last date whose scans
        belong to the line, e.g. the day before the next line).
    profile : a shipped profile name (see :func:`list_profiles`), a :class:`CriteriaProfile`,
        or several of them.
    dataset_clinical : the ``clinical`` table; needed by profiles with
        ``uses_corticosteroids`` or ``uses_clinical_status`` (RANO-BM).

    Returns
    -------
    TimepointResponses with ``timepoints``, ``lesions`` and ``issues`` tables.

    References
    ----------
    Eisenhauer EA et al. Eur J Cancer 2009;45:228-247, §4.3 and Tables 1-2.
    Lin NU et al. Lancet Oncol 2015;16:e270-e278 (RANO-BM).
    """
    profiles = _resolve(profile)
    reference = prepare_reference(dataset_reference)
    tps, les, iss = [], [], []
    # profiles sharing location lists and baseline window share the prepared rows
    prepared: dict[tuple[object, ...], _Prepared] = {}
    for prof in profiles:
        key = (tuple(prof.node_locations), tuple(prof.cns_locations), prof.baseline_window_days)
        if key not in prepared:
            lesions = prepare_lesions(dataset_lesions, prof)
            prepared[key] = _prepare(
                assign_lines(lesions, reference, prof.baseline_window_days), reference
            )
        rows, no_base, all_lines, baseline_date = prepared[key]
        iss.append(no_base.with_columns(
            pl.lit(prof.name).alias("profile"), pl.lit("no_baseline").alias("code"),
            pl.lit(f"no scan within {prof.baseline_window_days} days before the reference date;"
                   " line not assessed").alias("message"),
        ))  # fmt: skip
        for compartment in prof.scope:
            tp, le = _one_compartment(
                rows, reference, prof, compartment, dataset_clinical, all_lines, baseline_date
            )
            tps.append(tp)
            les.append(le)
    timepoints = pl.concat([t.select(list(TIMEPOINT_SCHEMA)).cast(TIMEPOINT_SCHEMA) for t in tps])
    lesion_tab = pl.concat([x.select(list(LESION_SCHEMA)).cast(LESION_SCHEMA) for x in les])
    issues = pl.concat([x.select(list(ISSUE_SCHEMA)).cast(ISSUE_SCHEMA) for x in iss])
    return TimepointResponses(timepoints, lesion_tab, issues)


_Prepared = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]


def _prepare(rows: pl.DataFrame, reference: pl.DataFrame) -> _Prepared:
    """What every profile and compartment sharing these line-assigned rows needs once.

    Returns the rows of lines that have a baseline scan, the lines without one that have
    follow-up scans (issue ``no_baseline``), the distinct lines and each line's baseline
    date (latest baseline scan).
    """
    lines_with_baseline = rows.filter(pl.col("_baseline")).select(KEY).unique()
    no_base = reference.select(KEY).join(lines_with_baseline, on=KEY, how="anti").join(
        rows.filter(pl.col("_followup")).select(KEY).unique(), on=KEY, how="semi"
    )
    rows = rows.join(lines_with_baseline, on=KEY, how="semi")
    all_lines = rows.select(KEY).unique()
    baseline_date = rows.filter(pl.col("_baseline")).group_by(KEY).agg(
        pl.col("assessment_date").max().alias("baseline_date")
    )
    return rows, no_base, all_lines, baseline_date


def _scope(compartment: str) -> pl.Expr:
    if compartment == "intracranial":
        return pl.col("_cns")
    if compartment == "extracranial":
        return ~pl.col("_cns")
    return pl.lit(True)


def _one_compartment(
    rows: pl.DataFrame, reference: pl.DataFrame, prof: CriteriaProfile, compartment: str,
    clinical: pl.DataFrame | None, all_lines: pl.DataFrame, baseline_date: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    scoped = rows.filter(_scope(compartment))
    base_rows = scoped.filter(pl.col("_baseline") & pl.col("split_from").is_null())
    # each lesion's latest baseline scan within the window
    baseline = base_rows.sort("assessment_date").group_by([*KEY, "lesion_id"]).last()
    baseline = select_targets(baseline, prof, compartment)
    normal_node = (
        ~pl.col("_target") & pl.col("_is_node") & pl.col("_tenths").is_not_null()
        & (pl.col("_tenths") < prof.node_normal_tenths)
        & pl.lit(prof.target_selection == "auto")
    )  # fmt: skip
    baseline = baseline.with_columns(
        pl.when(pl.col("_target")).then(pl.lit("target"))
        .when(normal_node).then(pl.lit("normal_node"))
        .otherwise(pl.lit("non_target")).alias("_prole"),
        pl.when(pl.col("_tenths").is_not_null()).then(pl.col("_tenths"))
        .when(pl.col("_too_small")).then(prof.too_small_tenths).alias("_value"),
    )  # fmt: skip
    targets = baseline.filter(pl.col("_prole") == "target")
    nontargets = baseline.filter(pl.col("_prole") == "non_target")
    counts = all_lines.join(
        baseline.group_by(KEY).agg(
            (pl.col("_prole") == "target").sum().cast(pl.Int64).alias("n_targets"),
            (pl.col("_prole") == "non_target").sum().cast(pl.Int64).alias("n_nontargets"),
            pl.col("_value").filter(pl.col("_prole") == "target").sum().alias(
                "baseline_sum_tenths"),
        ),
        on=KEY, how="left",
    ).with_columns(pl.col("n_targets", "n_nontargets").fill_null(0)).join(
        baseline_date, on=KEY, how="left"
    )  # fmt: skip
    followup = scoped.filter(pl.col("_followup"))
    timepoints = followup.select(TP_KEY).unique()
    # targets
    values = target_values(timepoints, targets, followup, prof)
    tgt = target_summary(
        values,
        targets.select(*KEY, "lesion_id", "_value"),
        counts.filter(pl.col("n_targets") > 0).select(*KEY, "baseline_date",
                                                      "baseline_sum_tenths"),
        prof,
    )
    nt_status = nontarget_status(timepoints, nontargets, followup, prof)
    ntr = nontarget_summary(nt_status)
    new_rows, new = new_lesions(followup, baseline.select(*KEY, "lesion_id"), prof)
    tp = (
        timepoints.join(counts.drop("baseline_sum_tenths"), on=KEY, how="left")
        .join(tgt, on=TP_KEY, how="left")
        .join(ntr, on=TP_KEY, how="left")
        .join(new, on=TP_KEY, how="left")
        .with_columns(
            pl.col("new_lesion", "new_lesion_as_read").fill_null("NO"),
            pl.when(pl.col("n_nontargets") == 0).then(pl.lit("NA"))
            .otherwise(pl.col("nontarget_response")).alias("nontarget_response"),
        )
    )  # fmt: skip
    tp = _overall(tp)
    if prof.uses_corticosteroids or prof.uses_clinical_status:
        tp = apply_rano_gates(tp, clinical, reference, prof)
    else:
        tp = tp.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("corticosteroid_mg"),
            pl.lit(None, dtype=pl.Float64).alias("baseline_corticosteroid_mg"),
            pl.lit(None, dtype=pl.String).alias("symptom_change"),
        )
    if prof.reappearance_after_cr_is_pd:
        tp = _reappearance_after_cr(tp)
    tp = tp.with_columns(pl.lit(compartment).alias("compartment"), pl.lit(prof.name).alias(
        "profile"))
    lesion_tab = _lesion_table(baseline, values, nt_status, new_rows).with_columns(
        pl.lit(compartment).alias("compartment"), pl.lit(prof.name).alias("profile")
    )
    return tp, lesion_tab


def _overall(tp: pl.DataFrame) -> pl.DataFrame:
    """RECIST 1.1 Tables 1 and 2 (spec §1.8)."""
    tr, ntr, new = pl.col("target_response"), pl.col("nontarget_response"), pl.col("new_lesion")
    has_t, has_nt = pl.col("n_targets") > 0, pl.col("n_nontargets") > 0
    backdated = (new == "YES") & (pl.col("new_lesion_as_read") != "YES")
    resp = (
        pl.when(tr == "PD").then(pl.lit("PD"))
        .when(ntr == "PD").then(pl.lit("PD"))
        .when(new == "YES").then(pl.lit("PD"))
        .when(has_t & (tr == "NE")).then(pl.lit("NE"))
        .when(has_t & (tr == "CR") & ntr.is_in(["CR", "NA"])).then(pl.lit("CR"))
        .when(has_t & (tr == "CR")).then(pl.lit("PR"))
        .when(has_t).then(tr)
        .when(has_nt).then(ntr)
    )  # fmt: skip
    rule = (
        pl.when(tr == "PD").then(pl.col("_trule"))
        .when(ntr == "PD").then(pl.lit("PD:nontarget_unequivocal_progression"))
        .when(backdated).then(pl.lit("PD:new_lesion_confirmed_later"))
        .when(new == "YES").then(pl.lit("PD:new_lesion"))
        .when(has_t & (tr == "CR") & ntr.is_in(["CR", "NA"])).then(pl.lit("CR:all_disease_gone"))
        .when(has_t & (tr == "CR") & (ntr == "NE")).then(pl.lit("PR:target_CR_nontarget_NE"))
        .when(has_t & (tr == "CR")).then(pl.lit("PR:target_CR_nontarget_persists"))
        .when(has_t).then(pl.col("_trule"))
        .when(has_nt & (ntr == "CR")).then(pl.lit("CR:nontarget_gone"))
        .when(has_nt & (ntr == "NE")).then(pl.lit("NE:nontarget_not_assessed"))
        .when(has_nt).then(pl.lit("NON-CR/NON-PD:nontarget_persists"))
        .otherwise(pl.lit("none:no_baseline_disease"))
    )  # fmt: skip
    return tp.with_columns(resp.alias("response"), rule.alias("rule")).drop("_trule")


def _reappearance_after_cr(tp: pl.DataFrame) -> pl.DataFrame:
    """After an overall CR at the previous timepoint, any reappearing disease is PD."""
    tp = tp.sort(TP_KEY)
    prev = pl.col("response").shift(1).over(KEY)
    reappeared = pl.col("target_response").is_in(["PR", "SD"]).fill_null(False) | (
        pl.col("nontarget_response") == "NON-CR/NON-PD"
    ).fill_null(False)
    fire = (prev == "CR").fill_null(False) & reappeared & (pl.col("response") != "PD")
    return tp.with_columns(
        pl.when(fire).then(pl.lit("PD")).otherwise(pl.col("response")).alias("response"),
        pl.when(fire).then(pl.lit("PD:reappearance_after_CR")).otherwise(pl.col("rule"))
        .alias("rule"),
    )  # fmt: skip


def _lesion_table(
    baseline: pl.DataFrame, values: pl.DataFrame, nt_status: pl.DataFrame, new_rows: pl.DataFrame
) -> pl.DataFrame:
    base = baseline.select(
        *KEY, "assessment_date", "lesion_id", pl.col("_prole").alias("role"),
        pl.lit(True).alias("is_baseline"), pl.col("_tenths").alias("recorded_tenths"),
        pl.when(pl.col("_prole") == "target").then(pl.col("_value")).alias("used_tenths"),
        pl.col("_selection").alias("flag"),
    )  # fmt: skip
    tv = values.select(
        *TP_KEY, "lesion_id", pl.lit("target").alias("role"), pl.lit(False).alias("is_baseline"),
        pl.col("_tenths").alias("recorded_tenths"), pl.col("_value").alias("used_tenths"),
        pl.col("_flag").alias("flag"),
    )  # fmt: skip
    nt = nt_status.select(
        *TP_KEY, "lesion_id", pl.lit("non_target").alias("role"),
        pl.lit(False).alias("is_baseline"), pl.col("_tenths").alias("recorded_tenths"),
        pl.lit(None, dtype=pl.Int64).alias("used_tenths"), pl.col("_status").alias("flag"),
    )  # fmt: skip
    nw = new_rows.select(
        *TP_KEY, "lesion_id", pl.lit("new").alias("role"), pl.lit(False).alias("is_baseline"),
        pl.col("_tenths").alias("recorded_tenths"),
        pl.lit(None, dtype=pl.Int64).alias("used_tenths"), pl.col("_new_status").alias("flag"),
    )  # fmt: skip
    schema = {k: v for k, v in LESION_SCHEMA.items() if k not in ("compartment", "profile")}
    return pl.concat([x.cast(schema) for x in (base, tv, nt, nw)])
