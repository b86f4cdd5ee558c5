"""Timepoint responses from lesion rows: the overall timepoint table, per compartment.

``derive_timepoint_responses`` turns the ``lesions`` table of the data format into one row
per patient x line x assessment date x compartment x profile (and a per-lesion audit table
in the spirit of CDISC ADTR). The overall response of each timepoint follows RECIST 1.1
Tables 1 and 2 (:mod:`.overall`, response-criteria spec §1.8); RANO-BM profiles then apply
the corticosteroid / clinical gates (:mod:`.rano_bm`).

Compartments: ``overall`` uses every lesion; ``intracranial`` the profile's
``cns_locations``; ``extracranial`` the rest. A compartment gets a timepoint on every
follow-up date with at least one lesion row in it. A line without any baseline row is
skipped and listed in ``issues`` (``no_baseline``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import polars as pl

from cnsrwe._packed_keys import FIELDS, KeyPacker, bits, patient_batches, u64
from cnsrwe.criteria._flags import CODE, ROLES, role, status_vocabulary
from cnsrwe.criteria._prepare import (
    assign_lines,
    check_one_row_per_scan,
    location_flags,
    normalise_lesions,
    prepare_reference,
    scan_key,
)
from cnsrwe.criteria._runs import run_ends, run_sums
from cnsrwe.criteria.nontarget import new_lesions, nontarget_status, nontarget_summary
from cnsrwe.criteria.overall import overall_response, reappearance_after_cr
from cnsrwe.criteria.profiles import CriteriaProfile, get_profile
from cnsrwe.criteria.rano_bm import apply_rano_gates
from cnsrwe.criteria.target import select_targets, sorted_on, target_summary, target_values
from cnsrwe.errors import CriteriaError

KEY = ["patient_id", "line"]
#: Bits of a packed key; a group of passes whose code does not fit above the patient field
#: runs pass by pass.
_KEY_BITS = 64
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
        recorded and the used value in tenths, and a flag naming the rule applied; rows in
        (patient_id, line, assessment_date, compartment, profile, lesion_id) order.
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
    base = normalise_lesions(dataset_lesions)
    packer = KeyPacker.build(
        patients=[base["patient_id"], reference["patient_id"]], lines=[reference["line"]],
        dates=[base["assessment_date"]], lesions=[base["lesion_id"], base["split_from"]],
    )  # fmt: skip
    if packer is None:
        return _in_patient_batches(dataset_lesions, reference, profiles, dataset_clinical)
    key = scan_key(base, packer)
    check_one_row_per_scan(key)
    flag_names, status_codes = status_vocabulary(base["non_target_status"])
    text = _Gatherable(base)
    iss = []
    # (compartment, profile) of each pass, ranked in string order: the lesion table's order
    passes = sorted({(c, p.name) for p in profiles for c in p.scope})
    # profiles sharing location lists and baseline window share the prepared rows
    assigned: dict[int, pl.DataFrame] = {}
    prepared: dict[tuple[object, ...], _Prepared] = {}
    groups: dict[tuple[object, ...], list[_Pass]] = {}
    for prof in profiles:
        profile_key = (tuple(prof.node_locations), tuple(prof.cns_locations),
                       prof.baseline_window_days)
        if profile_key not in prepared:
            window = prof.baseline_window_days
            if window not in assigned:
                assigned[window] = _with_keys(
                    assign_lines(base, reference, window, packer, key), packer
                )
            rows = assigned[window]
            flags = location_flags(text.frame("location"), prof).drop("location")
            rows = rows.hstack(flags[rows["_row"]])
            prepared[profile_key] = _prepare(rows, base, reference, packer)
        no_base = prepared[profile_key][2]
        iss.append(no_base.with_columns(
            pl.lit(prof.name).alias("profile"), pl.lit("no_baseline").alias("code"),
            pl.lit(f"no scan within {prof.baseline_window_days} days before the reference date;"
                   " line not assessed").alias("message"),
        ))  # fmt: skip
        for compartment in prof.scope:
            index = sum(len(g) for g in groups.values())
            group_key = (profile_key, *_fusion_signature(prof, index))
            groups.setdefault(group_key, []).append(
                _Pass(index, passes.index((compartment, prof.name)), prof, compartment)
            )
    tps, les = [], []
    for group_key, group in groups.items():
        followup_all, baseline_all, _, all_lines, baseline_date = prepared[group_key[0]]
        # the pass code sits above the patient field of the packed keys
        fits = sum(packer.widths) + bits(len(group)) <= _KEY_BITS
        for part in [group] if fits else [[one] for one in group]:
            tp, le = _fused_passes(
                part, followup_all, baseline_all, text, reference, dataset_clinical,
                all_lines, baseline_date, packer, status_codes,
            )  # fmt: skip
            tps.append(tp)
            les.append(le)
    if len(tps) > 1:  # timepoints in (profile, compartment) order, as the passes were listed
        tps = [pl.concat(
            [t.select(*TIMEPOINT_SCHEMA, "_pass").cast(TIMEPOINT_SCHEMA) for t in tps]
        ).sort("_pass", maintain_order=True)]  # fmt: skip
    return _assemble(tps, les, iss, packer, passes, flag_names)


def _assemble(
    tps: list[pl.DataFrame], les: list[pl.DataFrame], iss: list[pl.DataFrame],
    packer: KeyPacker, passes: list[tuple[str, str]], flag_names: pl.Series,
) -> TimepointResponses:
    """Concatenate the passes; the lesion table comes sorted by (patient_id, line,
    assessment_date, compartment, profile, lesion_id).

    The order is that of one packed key (timepoint key ``_tp``, then the rank ``_r`` of the
    (compartment, profile) pair, then the lesion code ``_lc``), sorted with numpy's stable
    (run-aware) argsort; line, date and the patient, lesion and pass codes are read back
    from the sorted key, and patient_id, lesion_id, compartment, profile, role and flag
    text are gathered once each from their vocabularies (``flag_names``: the flag
    vocabulary, :mod:`._flags`) by code, in the final order, in one select.
    """
    timepoints = pl.concat([t.select(list(TIMEPOINT_SCHEMA)).cast(TIMEPOINT_SCHEMA) for t in tps])
    issues = pl.concat([x.select(list(ISSUE_SCHEMA)).cast(ISSUE_SCHEMA) for x in iss])
    rows = pl.concat(les, rechunk=True)
    lesion_bits, rank_bits = packer.widths[3], max(0, len(passes) - 1).bit_length()
    payload = ("is_baseline", "recorded_tenths", "used_tenths", "role", "flag")
    if sum(packer.widths) + rank_bits <= _KEY_BITS:
        # one sort key (timepoint, pass rank, lesion); the rows are runs already in key
        # order, which numpy's stable (merging) argsort uses; the three are read back
        low = pl.col("_r") * u64(1 << lesion_bits) + pl.col("_lc")
        rows = rows.select((pl.col("_tp") * u64(1 << rank_bits) + low).alias("_key"), *payload)
        order = np.argsort(rows["_key"].to_numpy(), kind="stable")
        rows = rows[pl.Series(order, dtype=pl.get_index_type())]
        key = pl.col("_key")
        tp = key // u64(1 << (rank_bits + lesion_bits)) * u64(1 << lesion_bits)
        lc, rank = _bits(key, 0, lesion_bits), _bits(key, lesion_bits, rank_bits)
    else:
        order = rows.select(pl.arg_sort_by("_tp", "_r", "_lc")).to_series()
        rows = rows[order]
        tp, lc, rank = pl.col("_tp"), pl.col("_lc"), pl.col("_r")
    shift = {f: sum(packer.widths[i + 1:]) for i, f in enumerate(FIELDS)}
    width = dict(zip(FIELDS, packer.widths, strict=True))

    def code(name: str) -> pl.Expr:
        return _bits(tp, shift[name], width[name])

    def text(vocab: pl.Series, codes: pl.Expr) -> pl.Expr:
        return pl.lit(vocab.cast(pl.String)).gather(codes)

    names = pl.DataFrame(passes, schema=["compartment", "profile"], orient="row")
    lesion_tab = rows.select(
        text(packer.patients, code("patient")).alias("patient_id"),
        (code("line").cast(pl.Int64) + packer.line_min).alias("line"),
        (code("date").cast(pl.Int64) + packer.date_min).cast(pl.Int32).cast(pl.Date)
        .alias("assessment_date"),
        text(names["compartment"], rank).alias("compartment"),
        text(names["profile"], rank).alias("profile"),
        text(packer.lesions, lc).alias("lesion_id"),
        text(pl.Series(ROLES), pl.col("role")).alias("role"),
        "is_baseline", "recorded_tenths", "used_tenths",
        text(flag_names, pl.col("flag")).alias("flag"),
    )  # fmt: skip
    return TimepointResponses(timepoints, lesion_tab.cast(LESION_SCHEMA), issues)


def _bits(expr: pl.Expr, shift: int, width: int) -> pl.Expr:
    """``width`` bits of a UInt64 expression from bit ``shift`` (zero, per row, if none)."""
    return expr // u64(1 << shift) % u64(1 << width)


def _in_patient_batches(
    lesions: pl.DataFrame, reference: pl.DataFrame, profiles: list[CriteriaProfile],
    clinical: pl.DataFrame | None,
) -> TimepointResponses:
    """Run the patients in two halves (recursively) when one packed key would not fit.

    Responses are per patient, so the concatenated results equal one run over all of them.
    """
    ids = pl.concat([lesions["patient_id"], reference["patient_id"]])
    batches = patient_batches(ids, 2)
    if len(batches) < 2:
        msg = ("`lesions` of one patient must fit a 64-bit packed key (lines, scan dates and"
               " lesion ids), got more distinct values than that")
        raise CriteriaError(msg)
    parts = []
    for batch in batches:
        mine = pl.col("patient_id").cast(pl.String).is_in(batch.implode())
        parts.append(derive_timepoint_responses(
            lesions.filter(mine), reference.filter(mine), profile=profiles,
            dataset_clinical=None if clinical is None else clinical.filter(mine),
        ))  # fmt: skip
    return TimepointResponses(*(
        pl.concat([getattr(p, name) for p in parts])
        for name in ("timepoints", "lesions", "issues")
    ))  # fmt: skip


_Prepared = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]
_FOLLOWUP_COLUMNS = (
    "_row", "line", "assessment_date", "_k", "_tp", "_pl", "_pll", "_tenths", "_too_small",
    "_equivocal", "_split", "_merged", "_new", "_slc", "_is_node", "_cns",
)  # fmt: skip
_BASELINE_COLUMNS = (
    "_row", "line", "assessment_date", "_k", "_pl", "_pll", "_lc", "_tenths", "_too_small",
    "_is_node", "_cns",
)  # fmt: skip


def _with_keys(rows: pl.DataFrame, packer: KeyPacker) -> pl.DataFrame:
    """Add the coarser packed keys of ``_k``: timepoint ``_tp``, line ``_pl``, line-lesion
    ``_pll`` and the lesion code ``_lc``."""
    k = pl.col("_k")
    return rows.with_columns(
        packer.coarsen(k, ["lesion"]).set_sorted().alias("_tp"),
        packer.coarsen(k, ["date", "lesion"]).set_sorted().alias("_pl"),
        packer.coarsen(k, ["date"]).alias("_pll"),
        packer.field(k, "lesion").alias("_lc"),
    )


def _prepare(
    rows: pl.DataFrame, lesions: pl.DataFrame, reference: pl.DataFrame, packer: KeyPacker
) -> _Prepared:
    """What every profile and compartment sharing these line-assigned rows needs once.

    Returns, for the lines that have a baseline scan, their follow-up rows and their
    baseline rows (not split fragments; ``_latest`` marks each lesion's latest baseline
    scan, ``_latest_in_scope`` the latest among the rows on the same side of the CNS split),
    then the lines without a baseline that have follow-up scans (issue ``no_baseline``),
    the distinct lines and each line's baseline date (latest baseline scan). ``rows`` are
    the narrow rows of :func:`assign_lines` (sorted by their packed key ``_k``) of
    ``lesions``.
    """
    date, line_key = pl.col("assessment_date"), pl.col("_pl")
    # rows in _k order: within a line, baseline rows (date <= reference) come before its
    # follow-up rows, so a line has a baseline scan when the first row of its run does
    has_base = pl.when(line_key.ne_missing(line_key.shift(1))).then(pl.col("_baseline"))
    rows = rows.with_columns(has_base.forward_fill().alias("_has_base"))
    base_any = rows.select("_row", "line", "_pl", date, "_baseline").filter("_baseline")
    # one row per line with a baseline: its last baseline row (the latest baseline date)
    line_ends = sorted_on(base_any.filter(run_ends("_pl")), "_pl")
    with_followup = rows.select("_pl", "_followup").filter("_followup").filter(run_ends("_pl"))
    ref_pl = packer.key(patient="patient_id", line="line")
    no_base = reference.filter(
        ~ref_pl.is_in(line_ends["_pl"].implode()) & ref_pl.is_in(with_followup["_pl"].implode())
    ).select(KEY)
    followup_all = _rows_where(rows, _FOLLOWUP_COLUMNS, pl.col("_followup") & pl.col("_has_base"))
    baseline_all = _latest_baseline(
        _rows_where(rows, _BASELINE_COLUMNS, pl.col("_baseline") & ~pl.col("_split")), packer
    )
    all_lines = line_ends.with_columns(
        lesions["patient_id"].gather(line_ends["_row"])
    ).select(*KEY, "_pl")
    baseline_date = line_ends.select("_pl", date.alias("baseline_date"))
    return sorted_on(followup_all, "_k"), baseline_all, no_base, all_lines, baseline_date


def _rows_where(rows: pl.DataFrame, columns: tuple[str, ...], keep: pl.Expr) -> pl.DataFrame:
    """The ``columns`` of the rows where ``keep`` holds (narrowed before filtering)."""
    return rows.select(*columns, keep.alias("_keep")).filter("_keep").drop("_keep")


def _latest_baseline(rows: pl.DataFrame, packer: KeyPacker) -> pl.DataFrame:
    """Baseline rows sorted by (``_pll``, date), with ``_latest`` (the row is its lesion's
    latest baseline scan of the line) and ``_latest_in_scope`` (latest among the lesion's
    rows with the same ``_cns``).

    One packed sort key (patient, line, lesion, date: the lesion and date fields of ``_k``
    swapped); a lesion's latest scan is the last row of its run of equal ``_pll``, and the
    latest per ``_cns`` is the same unless a lesion has rows on both sides (then found on
    ``_pll`` with ``_cns`` in its zero date field).
    """
    date_w, lesion_w = packer.widths[2], packer.widths[3]
    if date_w == 0:  # one scan date: every row is its lesion's only baseline row
        return rows.with_columns(
            pl.lit(True).alias("_latest"), pl.lit(True).alias("_latest_in_scope")
        )
    k = pl.col("_k")
    day = _bits(k, lesion_w, date_w)
    swapped = pl.col("_pl") + pl.col("_lc") * u64(1 << date_w) + day
    order = np.argsort(rows.select(swapped).to_series().to_numpy(), kind="stable")
    rows = rows[pl.Series(order, dtype=pl.get_index_type())]
    date, pll, cns = pl.col("assessment_date"), pl.col("_pll"), pl.col("_cns")
    latest = pll.ne_missing(pll.shift(-1))
    mixed = (pll.eq_missing(pll.shift(1)) & cns.ne_missing(cns.shift(1))).any()
    if not rows.select(mixed).item():  # usual: a lesion's rows all on one side of the split
        return rows.with_columns(latest.alias("_latest"), latest.alias("_latest_in_scope"))
    scope = pll + cns.cast(pl.UInt64) * u64(1 << lesion_w)
    return rows.with_columns(
        latest.alias("_latest"), (date == date.max().over(scope)).alias("_latest_in_scope")
    )


def _patient_ids(df: pl.DataFrame, packer: KeyPacker) -> pl.Series:
    """``patient_id`` of each row, looked up from the patient code of its key ``_tp``."""
    # with_columns broadcasts the literal zero code of a one-patient packer
    code = df.select("_tp").with_columns(
        packer.field(pl.col("_tp"), "patient").cast(pl.UInt32).alias("_code")
    )["_code"]
    return packer.patients.gather(code).alias("patient_id")


def _scope(compartment: str) -> pl.Expr:
    if compartment == "intracranial":
        return pl.col("_cns")
    if compartment == "extracranial":
        return ~pl.col("_cns")
    return pl.lit(True)


class _Pass(NamedTuple):
    """One (profile, compartment) pass: its position in the listed order (``index``) and
    its rank in (compartment, profile) string order (``rank``)."""

    index: int
    rank: int
    profile: CriteriaProfile
    compartment: str


def _fusion_signature(prof: CriteriaProfile, index: int) -> tuple[object, ...]:
    """Passes whose profiles agree on this run as one fused pass.

    The rules after target selection read only these settings; target selection (caps,
    measurability, given or auto) is applied per pass before the rows are stacked. Profiles
    with the RANO-BM corticosteroid / clinical gates run alone.
    """
    if prof.uses_corticosteroids or prof.uses_clinical_status:
        return ("alone", index)
    return (prof.node_normal_tenths, prof.too_small_tenths, prof.pr_decrease_pct,
            prof.pd_increase_pct, prof.pd_absolute_tenths, prof.pd_absolute_scope,
            prof.reappearance_after_cr_is_pd)  # fmt: skip


class _Gatherable:
    """Columns of the lesion rows to gather by row number, each made one chunk once (input
    read in several chunks, e.g. parquet row groups, gathers several times slower)."""

    def __init__(self, lesions: pl.DataFrame) -> None:
        self._lesions = lesions
        self._done: dict[str, pl.Series] = {}

    def frame(self, *columns: str) -> pl.DataFrame:
        for c in columns:
            if c not in self._done:
                self._done[c] = self._lesions.get_column(c).rechunk()
        return pl.DataFrame([self._done[c] for c in columns])


def _pass_baseline(
    baseline_all: pl.DataFrame, lesions: _Gatherable, prof: CriteriaProfile, compartment: str
) -> pl.DataFrame:
    """Baseline rows of one pass (each lesion's latest baseline scan within the window and
    the compartment) with the profile's target selection, ``_nontarget``, ``_normal_node``
    and ``_value`` (the value a target contributes to the baseline sum)."""
    if compartment == "overall":
        base_rows = baseline_all.filter(pl.col("_latest"))
    else:
        base_rows = baseline_all.filter(_scope(compartment) & pl.col("_latest_in_scope"))
    needed = ["lesion_role"] if prof.target_selection == "given" else ["location"]
    if prof.target_selection != "given" and prof.node_organ_grouping == "by_organ_text":
        needed.append("organ")
    base_rows = base_rows.hstack(lesions.frame(*needed)[base_rows["_row"]])
    baseline = select_targets(base_rows, prof, compartment)
    normal_node = (
        pl.col("_is_node") & pl.col("_tenths").is_not_null()
        & (pl.col("_tenths") < prof.node_normal_tenths)
        & pl.lit(prof.target_selection == "auto")
    )  # fmt: skip
    return baseline.select(
        "line", "assessment_date", "_k", "_pl", "_pll", "_lc", "_tenths", "_is_node",
        "_target", "_selection",
        (~pl.col("_target") & ~normal_node).alias("_nontarget"),
        normal_node.alias("_normal_node"),
        pl.when(pl.col("_tenths").is_not_null()).then(pl.col("_tenths"))
        .when(pl.col("_too_small")).then(prof.too_small_tenths).alias("_value"),
    )  # fmt: skip


def _fused_passes(
    group: list[_Pass], followup_all: pl.DataFrame, baseline_all: pl.DataFrame,
    lesions: _Gatherable, reference: pl.DataFrame, clinical: pl.DataFrame | None,
    all_lines: pl.DataFrame, baseline_date: pl.DataFrame, packer: KeyPacker,
    status_codes: pl.Series,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Timepoints and lesion rows of several passes at once.

    The rows of every pass are stacked, the pass code (position in ``group``) added to
    every packed key above the patient field, so each rule runs once over all passes and
    joins, group-bys and running minima never mix passes. The passes' profiles share the
    :func:`_fusion_signature` settings (read from the first one); target selection is per
    pass. ``followup_all``: narrow line-assigned rows sorted by ``_k``; ``baseline_all``:
    the baseline rows sorted by ``_pll`` (see :func:`_prepare`). The lesion rows are
    returned with integer keys (the pass code removed from ``_tp``) and the pass rank
    ``_r``; strings are gathered once, in :func:`_assemble`.
    """
    prof = group[0].profile
    shift = sum(packer.widths)
    fol, bas, lns, dts = [], [], [], []
    for code, one in enumerate(group):
        f = followup_all if one.compartment == "overall" else followup_all.filter(
            _scope(one.compartment)
        )
        b = _pass_baseline(baseline_all, lesions, one.profile, one.compartment)
        ln, dt = all_lines, baseline_date
        if code:
            off = u64(code << shift)
            f = f.with_columns(pl.col("_k", "_tp", "_pl", "_pll") + off)
            b = b.with_columns(pl.col("_k", "_pl", "_pll") + off)
            ln, dt = ln.with_columns(pl.col("_pl") + off), dt.with_columns(pl.col("_pl") + off)
        fol.append(f)
        bas.append(b)
        lns.append(ln)
        dts.append(dt)
    followup = sorted_on(pl.concat(fol, rechunk=True), "_k")
    baseline = sorted_on(pl.concat(bas, rechunk=True), "_pl")
    lesion_cols = ("_pl", "_pll", "_lc", "_is_node", "_value")
    targets = baseline.select(*lesion_cols, "_target").filter("_target")
    nontargets = baseline.select(*lesion_cols, "_nontarget").filter("_nontarget")
    per_line = run_sums(baseline, "_pl", {
        "n_targets": pl.col("_target"), "n_nontargets": pl.col("_nontarget"),
        "baseline_sum_tenths": pl.when(pl.col("_target")).then(pl.col("_value")),
    })  # fmt: skip
    counts = (
        sorted_on(pl.concat(lns), "_pl")
        .join(sorted_on(per_line, "_pl"), on="_pl", how="left", maintain_order="left")
        .with_columns(pl.col("n_targets", "n_nontargets").fill_null(0))
        .join(sorted_on(pl.concat(dts), "_pl"), on="_pl", how="left", maintain_order="left")
    )  # fmt: skip
    # followup is sorted by _k, so by its coarser _tp: a timepoint starts where _tp changes
    tp_starts = pl.col("_tp") != pl.col("_tp").shift(1, fill_value=pl.lit(None, pl.UInt64))
    timepoints = followup.select("line", "assessment_date", "_tp", "_pl").filter(
        tp_starts.fill_null(True)
    )
    # targets
    values = target_values(timepoints, targets, followup, prof)
    tgt = target_summary(
        values,
        targets.select("_pl", "_pll", "_value"),
        counts.filter(pl.col("n_targets") > 0).select("_pl", "baseline_date",
                                                      "baseline_sum_tenths"),
        prof,
    )
    nt_status = nontarget_status(timepoints, nontargets, followup, prof,
                                 statuses=status_codes)
    ntr = nontarget_summary(nt_status)
    new_rows, new = new_lesions(followup, baseline.select("_pll"), prof)
    tp = (
        timepoints.with_columns(_patient_ids(timepoints, packer))
        .pipe(sorted_on, "_pl")
        .join(counts.drop("baseline_sum_tenths", *KEY), on="_pl", how="left",
              maintain_order="left")
        .pipe(sorted_on, "_tp")
        .join(sorted_on(tgt, "_tp"), on="_tp", how="left", maintain_order="left")
        .join(sorted_on(ntr, "_tp"), on="_tp", how="left", maintain_order="left")
        .join(sorted_on(new, "_tp"), on="_tp", how="left", maintain_order="left")
        .with_columns(
            pl.col("new_lesion", "new_lesion_as_read").fill_null("NO"),
            pl.when(pl.col("n_nontargets") == 0).then(pl.lit("NA"))
            .otherwise(pl.col("nontarget_response")).alias("nontarget_response"),
        )
    )  # fmt: skip
    gated = prof.uses_corticosteroids or prof.uses_clinical_status
    # without gates in between, the reappearance rule is read from the overall cases
    tp = overall_response(tp, reappearance=prof.reappearance_after_cr_is_pd and not gated)
    if gated:
        tp = apply_rano_gates(tp, clinical, reference, prof).sort("_tp")
    else:
        tp = tp.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("corticosteroid_mg"),
            pl.lit(None, dtype=pl.Float64).alias("baseline_corticosteroid_mg"),
            pl.lit(None, dtype=pl.String).alias("symptom_change"),
        )
    if prof.reappearance_after_cr_is_pd and gated:
        tp = reappearance_after_cr(tp)
    lesion_rows = _lesion_table(baseline, values, nt_status, new_rows)
    if len(group) == 1:
        one = group[0]
        tp = tp.with_columns(pl.lit(one.compartment).alias("compartment"),
                             pl.lit(one.profile.name).alias("profile"),
                             pl.lit(one.index, dtype=pl.Int64).alias("_pass"))  # fmt: skip
        return tp, lesion_rows.with_columns(pl.lit(one.rank, dtype=pl.UInt64).alias("_r"))
    code = pl.col("_tp") // u64(1 << shift)
    tp = tp.with_columns(
        pl.lit(pl.Series([g.compartment for g in group])).gather(code).alias("compartment"),
        pl.lit(pl.Series([g.profile.name for g in group])).gather(code).alias("profile"),
        pl.lit(pl.Series([g.index for g in group], dtype=pl.Int64)).gather(code).alias("_pass"),
    )
    ranks = pl.Series([g.rank for g in group], dtype=pl.UInt64)
    lesion_rows = lesion_rows.with_columns(
        pl.lit(ranks).gather(code).alias("_r"), (pl.col("_tp") % u64(1 << shift)).alias("_tp")
    )
    return tp, lesion_rows


_LESION_BLOCK = {
    "_tp": pl.UInt64(), "_lc": pl.UInt64(), "role": pl.UInt8(), "is_baseline": pl.Boolean(),
    "recorded_tenths": pl.Int64(), "used_tenths": pl.Int64(), "flag": CODE(),
}  # fmt: skip


def _lesion_table(
    baseline: pl.DataFrame, values: pl.DataFrame, nt_status: pl.DataFrame,
    new_rows: pl.DataFrame,
) -> pl.DataFrame:
    """Lesion rows of one pass with integer keys: ``_tp`` (packed timepoint), and ``_lc``
    (lesion code); ``role`` and ``flag`` are codes (:mod:`._flags`); see :func:`_assemble`."""
    base = baseline.select(
        (pl.col("_k") - pl.col("_lc")).alias("_tp"), "_lc",
        pl.when(pl.col("_target")).then(role("target"))
        .when(pl.col("_normal_node")).then(role("normal_node"))
        .otherwise(role("non_target")).alias("role"),
        pl.lit(True).alias("is_baseline"), pl.col("_tenths").alias("recorded_tenths"),
        pl.when(pl.col("_target")).then(pl.col("_value")).alias("used_tenths"),
        pl.col("_selection").alias("flag"),
    )  # fmt: skip
    tv = values.select(
        "_tp", "_lc",
        pl.lit(role("target")).alias("role"), pl.lit(False).alias("is_baseline"),
        pl.col("_tenths").alias("recorded_tenths"), pl.col("_value").alias("used_tenths"),
        pl.col("_flag").alias("flag"),
    )  # fmt: skip
    nt = nt_status.select(
        "_tp", "_lc",
        pl.lit(role("non_target")).alias("role"), pl.lit(False).alias("is_baseline"),
        pl.col("_tenths").alias("recorded_tenths"),
        pl.lit(None, dtype=pl.Int64).alias("used_tenths"), pl.col("_status").alias("flag"),
    )  # fmt: skip
    nw = new_rows.select(
        "_tp", (pl.col("_k") - pl.col("_tp")).alias("_lc"),
        pl.lit(role("new")).alias("role"),
        pl.lit(False).alias("is_baseline"), pl.col("_tenths").alias("recorded_tenths"),
        pl.lit(None, dtype=pl.Int64).alias("used_tenths"), pl.col("_new_status").alias("flag"),
    )  # fmt: skip
    return pl.concat([x.cast(_LESION_BLOCK) for x in (base, tv, nt, nw)])
