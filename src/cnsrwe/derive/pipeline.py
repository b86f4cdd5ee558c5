"""The full response derivation for a set of patients: one pure function, many datasets.

:func:`derive_study` takes the input tables of any set of patients (a dict of polars
frames named as in :data:`cnsrwe.io.schema.TABLES`) and returns every analysis dataset. It
keeps no state, never loops over patients or lesions in Python, and each output row
depends only on its own patient's rows, so running it on all patients at once, one patient
at a time or per patient partition on Apache Spark (``groupBy(patient_id).applyInArrow``)
gives the same rows. Every output is cast to a fixed schema (:data:`AD_SCHEMAS`) and sorted
by its key columns (:data:`AD_KEYS`, patient first; a table without a key by all of its
columns), so concatenated chunks equal one big run row for row.

Steps
-----
1. reference dates per systemic line (:mod:`.reference`);
2. optional assessment windows (:mod:`.window`, response-criteria.md §0.2);
3. lesion-derived timepoint responses for each profile (:mod:`cnsrwe.criteria`), stacked
   with the radiologist calls of ``timepoint_responses`` that map to a requested profile
   (a lesion-derived row wins on the same key; the overridden call becomes an issue);
4. best overall response per patient x line x compartment x profile for each BOR rule
   (:func:`cnsrwe.response.best_overall_response`; the reference table lists each
   profile's compartments, so a line without any assessment in a compartment is MISSING);
5. tumour shrinkage (best % change and the per-assessment series) from lesion-derived rows;
6. progression characterisation at the first PD of each line, per profile, plus a
   combined row from the intracranial and extracranial profiles when both are derived (the
   ``site`` of progression needs both compartments);
7. time-to-event rows (ADTTE-like, :func:`cnsrwe.endpoints.derive_tte`) with every
   systemic line of every patient as index (day 0 = the line's reference date), from the
   timepoints of the first profile assessing each compartment, the ``patients`` table
   (deaths, last known alive) and the ``treatments`` table (new and local therapies); no
   rows when ``patients`` or its death and last-known-alive columns are absent. No data
   cutoff: a study file applies its own;
8. data-quality issues: reference-date issues, lines without a baseline scan, overridden
   radiologist calls, CR followed by PR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from cnsrwe.criteria import (
    CriteriaProfile,
    combine_timepoints,
    derive_timepoint_responses,
    get_profile,
    timepoints_from_given,
)
from cnsrwe.derive.reference import NextTherapy, derive_reference_dates
from cnsrwe.derive.schemas import AD_KEYS, AD_SCHEMAS, finish
from cnsrwe.derive.window import group_assessment_windows, progression_dates, window_first_dates
from cnsrwe.endpoints.tte import derive_tte
from cnsrwe.errors import SchemaError
from cnsrwe.response import (
    RECIST_BOR,
    RECIST_CONFIRMED_BOR,
    BorRule,
    ProgressionRule,
    analysis_window,
    characterise_progression,
    derive_response_flags,
    shrinkage_tables,
    signal_crpr,
)
from cnsrwe.response.bor import bor_from_window
from cnsrwe.response.window import AnalysisWindow

DEFAULT_PROFILES = ("recist11", "recist11_intracranial", "recist11_extracranial")
#: Default assessment window in days (response-criteria.md §0.2): brain MRI and body CT up
#: to 14 days apart form one timepoint. 0 turns windows off.
DEFAULT_WINDOW_DAYS = 14
#: Profiles whose first progressions are combined into one site-of-progression row.
SPLIT_PAIR = ("recist11_intracranial", "recist11_extracranial")
#: Input tables of :func:`derive_study` and the columns it uses (readers need no others).
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id", "death_date", "last_known_alive_date"),
    "treatments": (
        "patient_id", "line", "regimen", "agent_class", "start_date", "end_date", "end_reason",
        "target_site",
    ),
    "lesions": (
        "patient_id", "assessment_date", "lesion_id", "location", "organ", "lesion_role",
        "diameter_mm", "non_target_status", "too_small_to_measure", "split_from",
        "merged_into", "equivocal",
    ),
    "timepoint_responses": ("patient_id", "assessment_date", "compartment", "response",
                            "criteria"),
    "clinical": (
        "patient_id", "visit_date", "ecog", "cns_symptoms", "symptom_change",
        "corticosteroid_mg_dexamethasone_eq",
    ),
}  # fmt: skip
#: Time-to-event endpoints of ``ad_tte`` (codes of cnsrwe.endpoints.STANDARD_ENDPOINTS).
DEFAULT_TTE_ENDPOINTS = ("OS", "PFS", "IC_PFS", "CNS_TTP", "IC_DOR")
SHRINKAGE_RULE = (
    "best (most negative) % change of the target sum from baseline, up to and including "
    "the first PD; evaluable = sum known, baseline > 0, target response not NE"
)
_TP_BY = ["line", "compartment", "profile"]


@dataclass(frozen=True)
class AnalysisDatasets:
    """Every analysis dataset of one derivation (store table name -> field, see AD_SCHEMAS).

    Attributes
    ----------
    reference : ``ad_reference`` - one row per patient and systemic line.
    timepoints : ``ad_timepoints`` - per patient x line x date x compartment x profile.
    lesions : ``ad_lesions`` - per lesion per scan and profile (ADTR-like audit).
    bor : ``ad_bor`` - per patient x line x compartment x profile x BOR rule.
    shrinkage : ``ad_shrinkage`` - best % change of the target sum.
    shrinkage_series : ``ad_shrinkage_series`` - % change per assessment (spider plots).
    progression : ``ad_progression`` - first progression per patient x line x profile.
    tte : ``ad_tte`` - time-to-event rows per patient x systemic line (index) x endpoint.
    issues : ``ad_issues`` - data-quality issues (keys, codes and messages).
    """

    reference: pl.DataFrame
    timepoints: pl.DataFrame
    lesions: pl.DataFrame
    bor: pl.DataFrame
    shrinkage: pl.DataFrame
    shrinkage_series: pl.DataFrame
    progression: pl.DataFrame
    tte: pl.DataFrame
    issues: pl.DataFrame

    def as_tables(self) -> dict[str, pl.DataFrame]:
        """The datasets by store table name (``ad_<field>``)."""
        return {f"ad_{f.name}": getattr(self, f.name) for f in fields(self)}

    def row_counts(self) -> dict[str, int]:
        """Rows per store table."""
        return {name: df.height for name, df in self.as_tables().items()}


def _resolve_profiles(
    profiles: Sequence[str | CriteriaProfile],
) -> list[CriteriaProfile]:
    if isinstance(profiles, str | CriteriaProfile) or not profiles:
        msg = f"`profiles` must be a non-empty sequence of profile names, got {profiles!r}"
        raise ValueError(msg)
    out = [p if isinstance(p, CriteriaProfile) else get_profile(p) for p in profiles]
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        msg = f"`profiles` must not repeat a profile, got {names!r}"
        raise ValueError(msg)
    return out


def _table(tables: Mapping[str, pl.DataFrame], name: str) -> pl.DataFrame | None:
    df = tables.get(name)
    if df is None:
        return None
    if not isinstance(df, pl.DataFrame):
        msg = f"`tables[{name!r}]` must be a polars DataFrame, got {type(df).__name__}"
        raise SchemaError(msg)
    return df.with_columns(pl.col("patient_id").cast(pl.String))


def _empty_lesions() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "patient_id": pl.String, "assessment_date": pl.Date, "lesion_id": pl.String,
        "location": pl.String, "organ": pl.String, "lesion_role": pl.String,
        "diameter_mm": pl.Decimal(9, 1), "non_target_status": pl.String,
        "too_small_to_measure": pl.Boolean, "equivocal": pl.Boolean,
    })  # fmt: skip


def _bor(
    tp: pl.DataFrame, ref: pl.DataFrame, profiles: list[CriteriaProfile],
    rules: Sequence[BorRule],
) -> pl.DataFrame:
    pairs = pl.DataFrame(
        [(p.name, c) for p in profiles for c in p.scope],
        schema={"profile": pl.String, "compartment": pl.String}, orient="row",
    )
    ref_all = ref.select("patient_id", "line", "reference_date", "next_therapy_date").join(
        pairs, how="cross"
    )
    assessed = tp.filter(pl.col("response").is_not_null()).select(
        "patient_id", *_TP_BY, "assessment_date", "response"
    )
    blocks = []
    # the analysis window depends only on the rule's three exclusion switches: rules that
    # share them (e.g. unconfirmed and confirmed RECIST) share one window
    windows: dict[tuple[bool, bool, bool], AnalysisWindow] = {}
    for rule in rules:
        switches = (rule.exclude_before_reference, rule.exclude_after_next_therapy,
                    rule.truncate_after_pd)  # fmt: skip
        if switches not in windows:
            windows[switches] = analysis_window(assessed, ref_all, rule=rule, by=_TP_BY)
        bor = bor_from_window(windows[switches], rule, explain=True)
        blocks.append(derive_response_flags(bor).with_columns(
            pl.lit(rule.name).alias("bor_rule_name")
        ))  # fmt: skip
    return _interleaved(blocks, [r.name for r in rules])


def _interleaved(blocks: list[pl.DataFrame], names: list[str]) -> pl.DataFrame:
    """The BOR blocks of the rules as one frame, row by row in ``ad_bor`` key order when
    every block has the same (patient_id, line, compartment, profile) rows in the same order.

    Row i of the result is then row i // k of block i % k, blocks taken in rule-name order:
    the (key, rule name) order, without a sort (the usual case: one row per line and
    profile-compartment pair under every rule, each block in key order). Otherwise the
    blocks are simply stacked and ``finish`` sorts them.
    """
    stacked = pl.concat(blocks, how="vertical")
    k, n = len(blocks), blocks[0].height
    if k < 2 or any(b.height != n for b in blocks):
        return stacked
    key = ["patient_id", "line", "compartment", "profile"]
    first = blocks[0].select(key)
    if not all(b.select(key).equals(first) for b in blocks[1:]):
        return stacked
    by_name = np.argsort(np.array(names, dtype=object), kind="stable")
    index = (by_name[None, :] * n + np.arange(n)[:, None]).ravel()
    return stacked[pl.Series(index, dtype=pl.get_index_type())]


def _progression(
    tp: pl.DataFrame, lesions: pl.DataFrame, clinical: pl.DataFrame | None,
    rule: ProgressionRule | None, profile_names: list[str],
) -> pl.DataFrame:
    assessed = tp.filter(pl.col("response").is_not_null()).select(
        "patient_id", "line", "profile", "assessment_date", "compartment", "response",
        "baseline_date",
    )
    if set(SPLIT_PAIR) <= set(profile_names):
        # the combined pair is one more profile value: one call shares the lesion work
        split = assessed.filter(pl.col("profile").is_in(list(SPLIT_PAIR))).with_columns(
            pl.lit("+".join(SPLIT_PAIR)).alias("profile")
        )
        assessed = pl.concat([assessed, split], how="vertical")
    prog = characterise_progression(assessed, lesions, dataset_clinical=clinical,
                                    by=["line", "profile"], rule=rule)  # fmt: skip
    first_event = (
        tp.filter(pl.col("progression_date").is_not_null())
        .group_by("patient_id", "line", "profile")
        .agg(pl.col("progression_date").min().alias("first_pd_scan_date"))
    )
    split_event = first_event.filter(pl.col("profile").is_in(list(SPLIT_PAIR))).group_by(
        "patient_id", "line"
    ).agg(pl.col("first_pd_scan_date").min()).with_columns(
        pl.lit("+".join(SPLIT_PAIR)).alias("profile")
    )  # fmt: skip
    events = pl.concat([first_event, split_event.select(first_event.columns)])
    return prog.join(events, on=["patient_id", "line", "profile"], how="left")


def _tte(
    tp: pl.DataFrame, lines: pl.DataFrame, profiles: list[CriteriaProfile],
    patients: pl.DataFrame | None, treatments: pl.DataFrame, endpoints: Sequence[str],
) -> pl.DataFrame | None:
    """ADTTE rows with each systemic line as index.

    None when there is no ``patients`` table with ``death_date`` and
    ``last_known_alive_date`` (nothing to censor overall survival at) or no endpoint.
    """
    needed = ("death_date", "last_known_alive_date")
    if patients is None or not endpoints or not all(c in patients.columns for c in needed):
        return None
    chosen: dict[str, str] = {}
    for prof in profiles:  # the first profile assessing each compartment
        for comp in prof.scope:
            chosen.setdefault(comp, prof.name)
    pick = pl.lit(False)
    for comp, name in chosen.items():
        pick = pick | ((pl.col("compartment") == comp) & (pl.col("profile") == name))
    assessed = tp.filter(pick).select(
        "patient_id", "assessment_date", "compartment", "response", "progression_date"
    )
    index = lines.select("patient_id", "line", pl.col("reference_date").alias("start_date"))
    return derive_tte(index, dataset_assessments=assessed, dataset_patients=patients,
                      dataset_therapies=treatments, endpoints=list(endpoints),
                      order="patient")  # fmt: skip


def _issues(*frames: pl.DataFrame) -> pl.DataFrame:
    cols = {"patient_id": pl.String, "line": pl.Int64, "profile": pl.String,
            "code": pl.String, "message": pl.String}  # fmt: skip
    out = []
    for f in frames:
        for name, dtype in cols.items():
            if name not in f.columns:
                f = f.with_columns(pl.lit(None, dtype=dtype).alias(name))
        out.append(f.select(list(cols)).cast(cols))
    return pl.concat(out)


def derive_study(
    tables: Mapping[str, pl.DataFrame],
    *,
    profiles: Sequence[str | CriteriaProfile] = DEFAULT_PROFILES,
    bor_rules: Sequence[BorRule] = (RECIST_BOR, RECIST_CONFIRMED_BOR),
    next_therapy: NextTherapy = "systemic",
    assessment_window_days: int = DEFAULT_WINDOW_DAYS,
    progression_rule: ProgressionRule | None = None,
    tte_endpoints: Sequence[str] = DEFAULT_TTE_ENDPOINTS,
) -> AnalysisDatasets:
    """Derive every response analysis dataset for the patients in ``tables``.

    Parameters
    ----------
    tables : input tables by format name; ``treatments`` is required, ``lesions``,
        ``timepoint_responses`` and ``clinical`` are used when present.
    profiles : criteria profiles (names or :class:`~cnsrwe.criteria.CriteriaProfile`).
    bor_rules : best-overall-response rules; each gives one block of ``ad_bor`` rows.
    next_therapy : what ends a line's assessment window (see :mod:`.reference`).
    assessment_window_days : scans up to this many days apart form one timepoint
        (response-criteria.md §0.2); 0 keeps every scan date its own timepoint.
    progression_rule : thresholds of :func:`cnsrwe.response.characterise_progression`.
    tte_endpoints : endpoint codes of ``ad_tte`` (empty = no time-to-event rows).

    Returns
    -------
    AnalysisDatasets, every table cast to :data:`AD_SCHEMAS` and fully sorted.
    """
    profs = _resolve_profiles(profiles)
    if not bor_rules or not all(isinstance(r, BorRule) for r in bor_rules):
        msg = f"`bor_rules` must be a non-empty sequence of BorRule, got {bor_rules!r}"
        raise ValueError(msg)
    names = [r.name for r in bor_rules]
    if len(set(names)) != len(names):
        msg = f"`bor_rules` must have distinct names, got {names!r}"
        raise ValueError(msg)
    treatments = _table(tables, "treatments")
    if treatments is None:
        msg = f"`tables` must contain 'treatments', got {sorted(tables)!r}"
        raise SchemaError(msg)
    ref = derive_reference_dates(treatments, next_therapy=next_therapy)
    lines = ref.lines
    crit_ref = lines.select("patient_id", "line", "reference_date",
                            pl.col("assessment_end_date").alias("end_date"))  # fmt: skip
    raw_lesions = _table(tables, "lesions")
    lesions = _empty_lesions() if raw_lesions is None else raw_lesions
    windowed = group_assessment_windows(lesions, lines, window_days=assessment_window_days)
    clinical = _table(tables, "clinical")
    derived = derive_timepoint_responses(
        windowed.drop("scan_date", "window_first_date"), crit_ref, profile=profs,
        dataset_clinical=clinical,
    )  # fmt: skip
    tp = derived.timepoints
    given_issues = pl.DataFrame()
    given_tab = _table(tables, "timepoint_responses")
    if given_tab is not None and given_tab.height:
        given = timepoints_from_given(given_tab, crit_ref).filter(
            pl.col("profile").is_in([p.name for p in profs])
        )
        tp, given_issues = combine_timepoints(tp, given)
    windows = window_first_dates(windowed)
    tp = progression_dates(tp, windowed).join(
        windows, on=["patient_id", "assessment_date"], how="left"
    )
    bor = _bor(tp, lines, profs, bor_rules)
    measured = tp.filter(~pl.col("rule").str.starts_with("given:"))
    best, series = shrinkage_tables(measured, by=_TP_BY)  # one preparation for both
    shrink = best.with_columns(pl.lit(SHRINKAGE_RULE).alias("shrinkage_rule"))
    prog = _progression(tp, windowed, clinical, progression_rule, [p.name for p in profs])
    crpr = signal_crpr(
        tp.filter(pl.col("response").is_not_null()), by=_TP_BY, check_type="none"
    ).select(
        "patient_id", "line", "profile", pl.lit("cr_then_pr").alias("code"),
        pl.format("{} on {} ({}) in a series with CR followed by PR", pl.col("response"),
                  pl.col("assessment_date").cast(pl.String), pl.col("compartment"))
        .alias("message"),
    )  # fmt: skip
    issues = _issues(ref.issues, derived.issues, given_issues, crpr)
    tte = _tte(tp, lines, profs, _table(tables, "patients"), treatments, tte_endpoints)
    out = {
        "reference": lines, "timepoints": tp, "lesions": derived.lesions, "bor": bor,
        "shrinkage": shrink, "shrinkage_series": series, "progression": prog,
        "tte": pl.DataFrame(schema=AD_SCHEMAS["ad_tte"]) if tte is None else tte,
        "issues": issues,
    }  # fmt: skip
    # sorted distinct values of the string key columns, known here, spare finish the search
    categories = {
        "patient_id": lines["patient_id"].unique().sort(),
        "compartment": pl.Series([c for p in profs for c in p.scope]).unique().sort(),
        "profile": pl.Series([*(p.name for p in profs), "+".join(SPLIT_PAIR)]).unique().sort(),
        "bor_rule_name": pl.Series(names).unique().sort(),
        "paramcd": pl.Series(list(tte_endpoints), dtype=pl.String).unique().sort(),
    }  # fmt: skip
    # the criteria engine emits its lesion table in strict key order (its docstring; tested)
    return AnalysisDatasets(**{
        k: finish(v, AD_SCHEMAS[f"ad_{k}"], AD_KEYS[f"ad_{k}"], categories=categories,
                  ordered=k == "lesions")
        for k, v in out.items()
    })
