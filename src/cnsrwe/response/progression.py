"""Characterisation of the first progression of a line: site, extent, symptoms.

Rules (endpoints.md section 4; every threshold is a field of :class:`ProgressionRule`):

* **first progression** of a patient-line = earliest timepoint with response PD in any
  compartment of the timepoint table;
* **site** (section 4.1): ``CNS_ONLY`` / ``EXTRACRANIAL_ONLY`` / ``BOTH`` from the
  ``intracranial`` and ``extracranial`` compartment responses with PD within
  ``site_window_days`` of the first progression; when the table has no split compartments,
  from the locations of the progressing lesions (CNS = ``CNS_LOCATIONS``); ``NONE`` when
  the line never progressed;
* **progressing lesions** (section 4.2), counted on the lesion rows dated within
  ``site_window_days`` of the first progression: each definite new lesion (``lesion_role``
  new and not equivocal, or equivocal but later confirmed) counts 1; an existing target
  counts when its value is >= 20 % **and** >= 5 mm above its own nadir (smallest value from
  the line's baseline scan up to the previous scan; "too small to measure" = 5 mm, RECIST
  1.1 section 4.3.2); a non-target counts when flagged ``unequivocal_progression``;
  ``count_unit="organ_site"`` counts distinct location + organ pairs instead;
* **extent**: ``EXTENSIVE`` if a new or progressing lesion is in ``extensive_locations``
  (default leptomeninges) or its organ text contains one of ``extensive_organ_terms``
  (effusion, lymphangitic, miliary, diffuse, ascites; case-insensitive), else ``OLIGO`` for
  1..``oligo_max_lesions`` progressing lesions, ``MULTI`` above, ``UNCLASSIFIED`` when PD
  has no lesion-level evidence (e.g. a given call without lesion rows), ``NONE`` without PD;
  ``cns_oligo`` = 1..``oligo_max_lesions`` progressing brain-parenchymal lesions and no
  leptomeningeal progression (the SRS-eligible group);
* **symptomatic** (section 4.3): from the ``clinical`` table, any visit within
  ``symptom_window_days`` of the PD date with CNS symptoms newly present (absent at the last
  visit before the window), ``symptom_change == "deterioration"``, or ECOG worse than at the
  last visit before the window; null when no visit falls in the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import polars as pl

from cnsrwe._packed_keys import KeyPacker
from cnsrwe.errors import CriteriaError
from cnsrwe.io.schema import CNS_LOCATIONS
from cnsrwe.response._ranges import PatientDays, expand
from cnsrwe.response._tables import TMP, as_date, as_string, require_columns, to_polars


@dataclass(frozen=True)
class ProgressionRule:
    """Thresholds for :func:`characterise_progression` (see the module docstring)."""

    oligo_max_lesions: int = 3
    site_window_days: int = 0
    symptom_window_days: int = 28
    lesion_pd_pct: int = 20
    lesion_pd_abs_tenths: int = 50
    count_unit: Literal["lesion", "organ_site"] = "lesion"
    extensive_locations: tuple[str, ...] = ("leptomeninges",)
    extensive_organ_terms: tuple[str, ...] = (
        "effusion", "lymphangit", "miliary", "diffuse", "ascites",
    )  # fmt: skip

    def __post_init__(self) -> None:
        for name in ("oligo_max_lesions", "site_window_days", "symptom_window_days",
                     "lesion_pd_pct", "lesion_pd_abs_tenths"):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                msg = f"`{name}` must be a whole number >= 0, got {value!r}"
                raise CriteriaError(msg)
        if self.count_unit not in ("lesion", "organ_site"):
            msg = f"`count_unit` must be one of 'lesion', 'organ_site', got {self.count_unit!r}"
            raise CriteriaError(msg)

    @property
    def description(self) -> str:
        """The rule in plain language."""
        return (
            f"First PD; site from compartments with PD within {self.site_window_days} days; "
            f"progressing = definite new lesions + targets >= {self.lesion_pd_pct}% and "
            f">= {self.lesion_pd_abs_tenths / 10:g} mm above own nadir + non-targets with "
            f"unequivocal progression, counted per {self.count_unit}; OLIGO 1-"
            f"{self.oligo_max_lesions}, MULTI above; EXTENSIVE if in "
            f"{', '.join(self.extensive_locations)} or organ mentions "
            f"{', '.join(self.extensive_organ_terms)}; symptomatic if CNS symptoms new, "
            f"deterioration or ECOG worse within {self.symptom_window_days} days of PD."
        )

    def as_dict(self) -> dict[str, object]:
        """Every field by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _first_pd(tp: pl.DataFrame, keys: list[str], window: int) -> pl.DataFrame:
    """Per group: line baseline, split flag, first PD date and the compartments with PD
    within ``window`` days of it (one group-by; a compartment's earliest PD decides)."""
    date, comp = pl.col("assessment_date"), pl.col("compartment")
    is_pd = pl.col("response") == "PD"
    first = date.filter(is_pd).min()
    near = {
        name: ((date.filter(is_pd & (comp == name)).min() - first).dt.total_days() <= window)
        .fill_null(False)
        for name in ("intracranial", "extracranial")
    }  # fmt: skip
    return tp.group_by(keys).agg(
        pl.col("baseline_date").min().alias(f"{TMP}base") if "baseline_date" in tp.columns
        else pl.lit(None, dtype=pl.Date).alias(f"{TMP}base"),
        comp.is_in(["intracranial", "extracranial"]).any().alias(f"{TMP}split"),
        first.alias("first_pd_date"),
        near["intracranial"].alias(f"{TMP}cns"),
        near["extracranial"].alias(f"{TMP}ex"),
    )  # fmt: skip


def _value(columns: Sequence[str] = ("too_small_to_measure",)) -> pl.Expr:
    """A read's value in tenths of a mm ("too small to measure" = 5 mm)."""
    small = (
        pl.col("too_small_to_measure").fill_null(False)
        if "too_small_to_measure" in columns else pl.lit(False)
    )  # fmt: skip
    tenths = (pl.col("diameter_mm").cast(pl.Float64) * 10).round(0).cast(pl.Int64)
    return (
        pl.when(pl.col("diameter_mm").is_not_null()).then(tenths).when(small).then(pl.lit(50))
        .alias(f"{TMP}v")
    )  # fmt: skip


def _value_tenths(schema: pl.Schema) -> pl.Expr:
    """:func:`_value` (same numbers): a ``Decimal`` with one decimal place is already in
    tenths, so its integer representation is read instead of rounding a float."""
    dtype = schema.get("diameter_mm")
    cols = [c for c in ("too_small_to_measure",) if c in schema]
    if not (isinstance(dtype, pl.Decimal) and dtype.scale == 1 and (dtype.precision or 38) <= 15):
        return _value(cols)
    small = pl.col("too_small_to_measure").fill_null(False) if cols else pl.lit(False)
    d = pl.col("diameter_mm")
    return (
        pl.when(d.is_not_null()).then(d.to_physical().cast(pl.Int64))
        .when(small).then(pl.lit(50)).alias(f"{TMP}v")
    )  # fmt: skip


def _lesion_values(les: pl.DataFrame) -> pl.DataFrame:
    value = _value(les.columns)
    eq = pl.col("equivocal").fill_null(False) if "equivocal" in les.columns else pl.lit(False)
    organ = pl.col("organ").fill_null("") if "organ" in les.columns else pl.lit("")
    nts = (
        pl.col("non_target_status") if "non_target_status" in les.columns
        else pl.lit(None, dtype=pl.String)
    )  # fmt: skip
    return les.with_columns(
        value, organ.alias(f"{TMP}organ"), nts.alias(f"{TMP}nts"),
        ((pl.col("lesion_role") == "new") & ~eq).alias(f"{TMP}new_read"),
    )  # fmt: skip


def _flag_progressing(at_pd: pl.DataFrame, rule: ProgressionRule) -> pl.DataFrame:
    """Add the new / progressing flags to lesion reads carrying ``definite`` and ``nadir``."""
    v, nad = pl.col(f"{TMP}v"), pl.col(f"{TMP}nadir")
    target_pd = (
        (pl.col("lesion_role") == "target") & v.is_not_null() & nad.is_not_null()
        & (100 * v >= (100 + rule.lesion_pd_pct) * nad) & (v - nad >= rule.lesion_pd_abs_tenths)
    )  # fmt: skip
    nt_pd = (pl.col("lesion_role") == "non_target") & (
        pl.col(f"{TMP}nts") == "unequivocal_progression"
    )
    new = (pl.col("lesion_role") == "new") & pl.col(f"{TMP}definite")
    return at_pd.with_columns(
        new.fill_null(False).alias(f"{TMP}new"),
        (target_pd | nt_pd).fill_null(False).alias(f"{TMP}prog"),
    )


def _progressing_by_columns(
    les: pl.DataFrame, first: pl.DataFrame, keys: list[str], rule: ProgressionRule
) -> pl.DataFrame:
    """:func:`_progressing` on the key columns (lesion keys with nulls, or > 64 bits)."""
    les = _lesion_values(les)
    w = rule.site_window_days
    cand = first.filter(pl.col("first_pd_date").is_not_null()).select(
        *keys, "first_pd_date", f"{TMP}base"
    )
    at_pd = les.join(cand, on="patient_id").filter(
        (pl.col("assessment_date") - pl.col("first_pd_date")).dt.total_days().abs() <= w
    )
    # a new lesion is definite when any of its reads is new and not equivocal
    definite = les.filter(pl.col(f"{TMP}new_read")).select("patient_id", "lesion_id").unique()
    at_pd = at_pd.join(
        definite.with_columns(pl.lit(True).alias(f"{TMP}definite")),
        on=["patient_id", "lesion_id"], how="left", maintain_order="left",
    ).with_columns(pl.col(f"{TMP}definite").fill_null(False))  # fmt: skip
    # nadirs only for targets (the only rows whose progression uses one)
    at_target = at_pd.filter(pl.col("lesion_role") == "target")
    earlier = les.join(
        at_target.select("patient_id", "lesion_id").unique(), on=["patient_id", "lesion_id"],
        how="semi",
    ).select(
        "patient_id", "lesion_id", pl.col("assessment_date").alias(f"{TMP}d0"),
        pl.col(f"{TMP}v").alias(f"{TMP}v0"),
    )  # fmt: skip
    nadir = (
        at_target.select(*keys, "lesion_id", "assessment_date", f"{TMP}base")
        .join(earlier, on=["patient_id", "lesion_id"])
        .filter((pl.col(f"{TMP}d0") < pl.col("assessment_date"))
                & (pl.col(f"{TMP}base").is_null() | (pl.col(f"{TMP}d0") >= pl.col(f"{TMP}base"))))
        .group_by(*keys, "lesion_id", "assessment_date")
        .agg(pl.col(f"{TMP}v0").min().alias(f"{TMP}nadir"))
    )  # fmt: skip
    at_pd = at_pd.join(nadir, on=[*keys, "lesion_id", "assessment_date"], how="left",
                       maintain_order="left")  # fmt: skip
    prog = _flag_progressing(at_pd, rule).filter(pl.col(f"{TMP}new") | pl.col(f"{TMP}prog"))
    # one row per lesion (a lesion scanned twice inside the window counts once)
    return prog.unique(subset=[*keys, "lesion_id"], keep="first", maintain_order=True)


def _target_pd(rule: ProgressionRule) -> pl.Expr:
    """A target read >= ``lesion_pd_pct`` % and >= ``lesion_pd_abs_tenths`` above its nadir."""
    v, nad = pl.col(f"{TMP}v"), pl.col(f"{TMP}nadir")
    return (
        v.is_not_null() & nad.is_not_null()
        & (100 * v >= (100 + rule.lesion_pd_pct) * nad) & (v - nad >= rule.lesion_pd_abs_tenths)
    )  # fmt: skip


def _progressing_sorted(
    les: pl.DataFrame, events: pl.DataFrame, rule: ProgressionRule, days: PatientDays
) -> pl.DataFrame:
    """:func:`_progressing` on a lesion table sorted by patient (:mod:`._ranges`).

    Each event's reads within ``site_window_days`` of its first PD are one slice of the
    (patient, day) order; each target's earlier reads are the slice of its patient's reads
    with a value from the baseline (inclusive) to its read's date (exclusive), matched on
    the lesion id; a new lesion is definite when its (patient, lesion id) is among the new,
    non-equivocal reads. Role flags and values are computed once on the whole table and
    read by row number; text columns are gathered only for the rows that need them.
    Same rows as the other paths.
    """
    cid, r, run, w = f"{TMP}cid", f"{TMP}r", f"{TMP}run", rule.site_window_days
    seg, i, v = f"{TMP}seg", f"{TMP}i", f"{TMP}v"
    order = days.sorted
    code = days.codes(events["patient_id"])
    pd_day = events["first_pd_date"].to_physical().to_numpy().astype(np.int64)
    pos, which = expand(*order.ranges(code, pd_day - w, pd_day + w))
    rows = order.rows(pos)
    role = pl.col("lesion_role")
    eq = pl.col("equivocal").fill_null(False) if "equivocal" in les.columns else pl.lit(False)
    nts = (
        pl.col("non_target_status") if "non_target_status" in les.columns
        else pl.lit(None, dtype=pl.String)
    )  # fmt: skip
    flags = les.select(
        (role == "new").fill_null(False).alias("new"),
        ((role == "new") & ~eq).fill_null(False).alias("new_read"),
        (role == "target").fill_null(False).alias("target"),
        ((role == "non_target") & (nts == "unequivocal_progression")).fill_null(False)
        .alias("nt_pd"),
        _value_tenths(les.schema),
    )  # fmt: skip
    is_new, is_target, nt_pd = (flags[c].to_numpy()[rows] for c in ("new", "target", "nt_pd"))
    lesion = les["lesion_id"]

    def keyed(at: np.ndarray, **extra: np.ndarray) -> pl.DataFrame:
        return pl.DataFrame({
            **{k: pl.Series(x, dtype=pl.UInt32) for k, x in extra.items()},
            "lesion_id": lesion.gather(pl.Series(at, dtype=pl.UInt32)),
        })  # fmt: skip

    # new lesions: definite when any read of the lesion (same patient) is new, not equivocal
    new_pos = np.flatnonzero(is_new)
    new_all = np.flatnonzero(flags["new_read"].to_numpy())
    definite = np.zeros(rows.size, dtype=bool)
    hit = keyed(rows[new_pos], **{i: new_pos, run: days.run[rows[new_pos]]}).join(
        keyed(new_all, **{run: days.run[new_all]}).unique(), on=[run, "lesion_id"], how="semi"
    )[i].to_numpy()
    definite[hit] = True
    # targets: value now vs nadir = the smallest earlier value of the lesion in the line
    value = flags[v]
    known = value.is_not_null().to_numpy()
    values = value.fill_null(0).to_numpy()
    t_pos = np.flatnonzero(is_target)
    t_rows = rows[t_pos]
    # one search per distinct (event, read date): with site_window_days = 0, one per event
    seg_key, seg_of = np.unique(which[t_pos] * (1 << 32) + (days.day[t_rows] - order.day_min),
                                return_inverse=True)  # fmt: skip
    s_ev, s_day = seg_key >> 32, (seg_key & 0xFFFFFFFF) + order.day_min
    base = events[f"{TMP}base"].to_physical().cast(pl.Int64).fill_null(order.day_min).to_numpy()
    with_value = order.subset(known)
    c_pos, c_seg = expand(*with_value.ranges(code[s_ev], base[s_ev], s_day - 1))
    c_rows = with_value.rows(c_pos)
    earlier = keyed(c_rows, **{seg: c_seg}).with_columns(
        pl.Series(f"{TMP}nadir", values[c_rows])
    ).group_by(seg, "lesion_id").agg(pl.col(f"{TMP}nadir").min())
    target_pd = np.zeros(rows.size, dtype=bool)
    hit = keyed(t_rows, **{i: t_pos, seg: seg_of}).with_columns(
        pl.when(pl.Series(known[t_rows])).then(pl.Series(values[t_rows])).alias(v)
    ).join(earlier, on=[seg, "lesion_id"], how="left").filter(_target_pd(rule))[i].to_numpy()
    target_pd[hit] = True
    new, prog = is_new & definite, nt_pd | target_pd
    keep = np.flatnonzero(new | prog)
    kept = pl.Series(rows[keep], dtype=pl.UInt32)
    organ = pl.col("organ").fill_null("") if "organ" in les.columns else pl.lit("")
    out = les.select("lesion_id", "location", *(["organ"] if "organ" in les.columns else []))
    out = out[kept].select(
        events[cid].gather(pl.Series(which[keep], dtype=pl.UInt32)).alias(cid), kept.alias(r),
        "lesion_id", "location", organ.alias(f"{TMP}organ"),
        pl.Series(f"{TMP}new", new[keep]), pl.Series(f"{TMP}prog", prog[keep]),
    )  # fmt: skip
    # one row per lesion (a lesion scanned twice inside the window counts once)
    return out.sort(cid, r).unique(subset=[cid, "lesion_id"], keep="first",
                                   maintain_order=True)  # fmt: skip


def _progressing(les: pl.DataFrame, events: pl.DataFrame, rule: ProgressionRule) -> pl.DataFrame:
    """New and progressing lesions of each event (``_cid``: patient, first PD, baseline).

    Lesion reads are found on packed (patient, date, lesion) keys (:mod:`cnsrwe._packed_keys`):
    reads at the PD date (a membership test when ``site_window_days`` is 0, else the reads of
    the event's patient within the window), definite new lesions by membership of the
    (patient, lesion) key among the new, non-equivocal reads, and target nadirs from the
    earlier reads of those targets only. A lesion read twice in the window counts once (its
    first read in input order). Falls back to :func:`_progressing_by_columns` when a key
    column has nulls or the keys need more than 64 bits.
    """
    cid = f"{TMP}cid"
    key_cols = ["patient_id", "assessment_date", "lesion_id"]
    packer = None
    if not les.select(pl.any_horizontal(pl.col(key_cols).is_null().any())).item():
        days = PatientDays.build(les["patient_id"], les["assessment_date"])
        if days is not None:
            return _progressing_sorted(les, events, rule, days)
        packer = KeyPacker.build(
            patients=[les["patient_id"], events["patient_id"]], lines=[],
            dates=[les["assessment_date"], events["first_pd_date"]],
            lesions=[les["lesion_id"]],
        )  # fmt: skip
    if packer is None:
        return _progressing_by_columns(les, events, ["patient_id", cid], rule)
    w = rule.site_window_days
    k, r = f"{TMP}k", f"{TMP}r"
    full = packer.key(patient="patient_id", date="assessment_date", lesion="lesion_id")
    used = ["patient_id", "assessment_date", "lesion_id", "location", "lesion_role",
            "diameter_mm", "organ", "non_target_status", "too_small_to_measure", "equivocal"]
    les = les.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(r), full.alias(k),
                     *[c for c in used if c in les.columns])  # fmt: skip
    kc = pl.col(k)
    pd_key = packer.coarsen(kc, ["lesion"])
    pk = f"{TMP}pk"
    if w == 0:
        ev = events.select(cid, f"{TMP}base",
                           packer.key(patient="patient_id", date="first_pd_date").alias(pk))
        at_pd = les.filter(pd_key.is_in(ev[pk].implode())).with_columns(pd_key.alias(pk))
        at_pd = at_pd.join(ev, on=pk).drop(pk)
    else:
        ev = events.select(cid, f"{TMP}base", "first_pd_date",
                           packer.key(patient="patient_id").alias(pk))
        pat = packer.coarsen(kc, ["date", "lesion"])
        at_pd = les.filter(pat.is_in(ev[pk].implode())).with_columns(pat.alias(pk)).join(
            ev, on=pk
        ).filter(
            (pl.col("assessment_date") - pl.col("first_pd_date")).dt.total_days().abs() <= w
        ).drop(pk, "first_pd_date")  # fmt: skip
    at_pd = _lesion_values(at_pd)
    pl_key = packer.coarsen(kc, ["date"])
    # a new lesion is definite when any of its reads is new and not equivocal
    new_read = (pl.col("lesion_role") == "new") & ~(
        pl.col("equivocal").fill_null(False) if "equivocal" in les.columns else pl.lit(False)
    )
    definite = les.filter(new_read).select(pl_key)[k].implode()
    at_pd = at_pd.with_columns(pl_key.is_in(definite).alias(f"{TMP}definite"))
    # nadirs only for targets (the only rows whose progression uses one)
    t = f"{TMP}t"
    at_pd = at_pd.with_row_index(t)
    targets = at_pd.filter(pl.col("lesion_role") == "target").select(
        t, pl_key.alias(k), "assessment_date", f"{TMP}base"
    )
    value_cols = [c for c in ("diameter_mm", "too_small_to_measure") if c in les.columns]
    earlier = les.select(k, "assessment_date", *value_cols).filter(
        pl_key.is_in(targets[k].implode())
    ).with_columns(_value(value_cols)).select(
        pl_key.alias(k), pl.col("assessment_date").alias(f"{TMP}d0"),
        pl.col(f"{TMP}v").alias(f"{TMP}v0"),
    )  # fmt: skip
    nadir = (
        targets.join(earlier, on=k)
        .filter((pl.col(f"{TMP}d0") < pl.col("assessment_date"))
                & (pl.col(f"{TMP}base").is_null() | (pl.col(f"{TMP}d0") >= pl.col(f"{TMP}base"))))
        .group_by(t).agg(pl.col(f"{TMP}v0").min().alias(f"{TMP}nadir"))
    )  # fmt: skip
    at_pd = at_pd.join(nadir, on=t, how="left", maintain_order="left")
    prog = _flag_progressing(at_pd, rule).filter(pl.col(f"{TMP}new") | pl.col(f"{TMP}prog"))
    # one row per lesion (a lesion scanned twice inside the window counts once)
    return prog.sort(cid, r).unique(subset=[cid, "lesion_id"], keep="first",
                                    maintain_order=True)  # fmt: skip


def _symptoms(clinical: Any, events: pl.DataFrame, window: int) -> pl.DataFrame:
    """Symptom flags per distinct (``patient_id``, ``first_pd_date``) of ``events``."""
    keys = ["patient_id", "first_pd_date"]
    cl = to_polars(clinical, "dataset_clinical")
    require_columns(cl, "dataset_clinical", ["patient_id", "visit_date"])
    cl = as_date(as_string(cl, "patient_id"), "dataset_clinical", "visit_date")
    for col, dtype in (("cns_symptoms", pl.Boolean), ("symptom_change", pl.String),
                       ("ecog", pl.Int64)):  # fmt: skip
        if col not in cl.columns:
            cl = cl.with_columns(pl.lit(None, dtype=dtype).alias(col))
    j = events.select(keys).unique().join(
        cl.select("patient_id", "visit_date", "cns_symptoms", "symptom_change", "ecog"),
        on="patient_id",
    )
    gap = (pl.col("visit_date") - pl.col("first_pd_date")).dt.total_days()
    before = gap < -window
    inside = gap.abs() <= window
    last_before = (
        j.filter(before).sort("visit_date").group_by(keys).agg(
            pl.col("cns_symptoms").last().alias(f"{TMP}sym0"),
            pl.col("ecog").last().alias(f"{TMP}ecog0"),
        )
    )  # fmt: skip
    j = j.filter(inside).join(last_before, on=keys, how="left")
    new_sym = pl.col("cns_symptoms").fill_null(False) & ~pl.col(f"{TMP}sym0").fill_null(False)
    det = (pl.col("symptom_change") == "deterioration").fill_null(False)
    ecog = (pl.col("ecog") > pl.col(f"{TMP}ecog0")).fill_null(False)
    return j.group_by(keys).agg(
        (new_sym | det | ecog).any().alias("symptomatic"),
        pl.concat_str(
            pl.when(new_sym.any()).then(pl.lit("new CNS symptoms;")).otherwise(pl.lit("")),
            pl.when(det.any()).then(pl.lit("symptom deterioration;")).otherwise(pl.lit("")),
            pl.when(ecog.any()).then(pl.lit("ECOG worse;")).otherwise(pl.lit("")),
        ).str.strip_chars(";").alias("symptomatic_reason"),
    )


def characterise_progression(
    dataset_timepoints: Any,
    dataset_lesions: Any,
    *,
    dataset_clinical: Any = None,
    by: Sequence[str] | None = None,
    rule: ProgressionRule | None = None,
) -> pl.DataFrame:
    """Site, extent and symptoms of the first progression per patient and line.

    Parameters
    ----------
    dataset_timepoints : timepoint responses with ``patient_id``, ``assessment_date``,
        ``compartment``, ``response`` and the ``by`` columns (optional ``baseline_date``
        bounds the lesion nadir to the line).
    dataset_lesions : the ``lesions`` table of the data format.
    dataset_clinical : the ``clinical`` table (optional; without it ``symptomatic`` is null).
    by : grouping columns besides ``patient_id``; default whichever of ``line``,
        ``profile`` are present.
    rule : a :class:`ProgressionRule`.

    Returns
    -------
    polars.DataFrame: keys, ``first_pd_date``, ``site``, ``n_new_lesions``,
    ``n_progressing_lesions``, ``n_counted``, ``extent``, ``extensive_features``,
    ``cns_oligo``, ``symptomatic``, ``symptomatic_reason``, ``progression_rule``.
    """
    rule = ProgressionRule() if rule is None else rule
    tp = to_polars(dataset_timepoints, "dataset_timepoints")
    if by is None:
        by = [c for c in ("line", "profile") if c in tp.columns]
    keys = ["patient_id", *by]
    require_columns(tp, "dataset_timepoints",
                    [*keys, "assessment_date", "compartment", "response"])  # fmt: skip
    tp = as_date(as_string(tp, "patient_id"), "dataset_timepoints", "assessment_date")
    if "baseline_date" in tp.columns:
        tp = as_date(tp, "dataset_timepoints", "baseline_date")
    les = to_polars(dataset_lesions, "dataset_lesions")
    require_columns(les, "dataset_lesions",
                    ["patient_id", "assessment_date", "lesion_id", "location", "lesion_role",
                     "diameter_mm"])  # fmt: skip
    les = as_date(as_string(les, "patient_id"), "dataset_lesions", "assessment_date")

    # one row per group, sorted now (narrow) and kept in order by the left joins below
    first = _first_pd(tp, keys, rule.site_window_days).sort(keys, nulls_last=True)
    # lesion work once per distinct event (patient, first PD, baseline), shared by the
    # groups (e.g. profiles) that progressed on the same date
    cid, ev_cols = f"{TMP}cid", ["patient_id", "first_pd_date", f"{TMP}base"]
    events = first.filter(pl.col("first_pd_date").is_not_null()).select(ev_cols).unique(
        maintain_order=True
    ).with_row_index(cid)
    first = first.join(events, on=ev_cols, how="left", nulls_equal=True, maintain_order="left")
    prog = _progressing(les, events, rule)
    terms = "|".join(rule.extensive_organ_terms)
    loc_hit = pl.col("location").is_in(list(rule.extensive_locations))
    organ_hit = (
        pl.col(f"{TMP}organ").str.to_lowercase().str.contains(f"(?:{terms})")
        if terms else pl.lit(False)
    )  # fmt: skip
    unit = (
        pl.col("lesion_id") if rule.count_unit == "lesion"
        else pl.concat_str(pl.col("location"), pl.lit("|"), pl.col(f"{TMP}organ"))
    )  # fmt: skip
    is_cns = pl.col("location").is_in(list(CNS_LOCATIONS))
    brain = pl.col("location") == "brain_parenchyma"
    lm = pl.col("location") == "leptomeninges"
    counts = prog.group_by(cid).agg(
        pl.col(f"{TMP}new").sum().cast(pl.Int64).alias("n_new_lesions"),
        (pl.col(f"{TMP}prog") & ~pl.col(f"{TMP}new")).sum().cast(pl.Int64)
        .alias("n_progressing_lesions"),
        unit.n_unique().cast(pl.Int64).alias("n_counted"),
        pl.concat_str(pl.col("location"), pl.lit(":"), pl.col(f"{TMP}organ"))
        .filter(loc_hit | organ_hit).unique().sort().str.join("; ").alias("extensive_features"),
        brain.sum().cast(pl.Int64).alias(f"{TMP}n_brain"),
        lm.any().alias(f"{TMP}lm"),
        is_cns.any().alias(f"{TMP}les_cns"),
        (~is_cns).any().alias(f"{TMP}les_ex"),
    )  # fmt: skip
    out = first.join(counts, on=cid, how="left", maintain_order="left")
    split = pl.col(f"{TMP}split")
    cns = pl.when(split).then(pl.col(f"{TMP}cns")).otherwise(pl.col(f"{TMP}les_cns"))
    ex = pl.when(split).then(pl.col(f"{TMP}ex")).otherwise(pl.col(f"{TMP}les_ex"))
    cns, ex = cns.fill_null(False), ex.fill_null(False)
    has_pd = pl.col("first_pd_date").is_not_null()
    n = pl.col("n_counted").fill_null(0)
    site = (
        pl.when(~has_pd).then(pl.lit("NONE"))
        .when(cns & ex).then(pl.lit("BOTH"))
        .when(cns).then(pl.lit("CNS_ONLY"))
        .when(ex).then(pl.lit("EXTRACRANIAL_ONLY"))
        .otherwise(pl.lit("UNKNOWN"))
    )  # fmt: skip
    extent = (
        pl.when(~has_pd).then(pl.lit("NONE"))
        .when(pl.col("extensive_features").fill_null("") != "").then(pl.lit("EXTENSIVE"))
        .when((n >= 1) & (n <= rule.oligo_max_lesions)).then(pl.lit("OLIGO"))
        .when(n > rule.oligo_max_lesions).then(pl.lit("MULTI"))
        .otherwise(pl.lit("UNCLASSIFIED"))
    )  # fmt: skip
    nb = pl.col(f"{TMP}n_brain").fill_null(0)
    out = out.with_columns(
        site.alias("site"),
        extent.alias("extent"),
        (has_pd & (nb >= 1) & (nb <= rule.oligo_max_lesions) & ~pl.col(f"{TMP}lm").fill_null(False))
        .alias("cns_oligo"),
        *(pl.col(c).fill_null(0) for c in ("n_new_lesions", "n_progressing_lesions", "n_counted")),
    )  # fmt: skip
    if dataset_clinical is not None:
        sym = _symptoms(dataset_clinical, events, rule.symptom_window_days)
        out = out.join(sym, on=["patient_id", "first_pd_date"], how="left", maintain_order="left")
    else:
        out = out.with_columns(
            pl.lit(None, dtype=pl.Boolean).alias("symptomatic"),
            pl.lit(None, dtype=pl.String).alias("symptomatic_reason"),
        )
    cols = [*keys, "first_pd_date", "site", "n_new_lesions", "n_progressing_lesions",
            "n_counted", "extent", "extensive_features", "cns_oligo", "symptomatic",
            "symptomatic_reason"]  # fmt: skip
    return out.with_columns(pl.lit(rule.description).alias("progression_rule")).select(
        *cols, "progression_rule"
    )
