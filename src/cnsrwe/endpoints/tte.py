"""``derive_tte``: an ADTTE-like table (one row per index row and endpoint) from the timepoint
responses, the patients table and the therapy table, with explicit censoring.

Derivation, per endpoint and index row (rules in :mod:`cnsrwe.endpoints.sources`):

1. origin = index start (``dataset.start_date``), or for a duration of response the first
   CR/PR timepoint in the response compartment after the start and inside the window
   (non-responders get no row);
2. observation limit = the earliest trigger of the endpoint's window rules (new systemic
   therapy after the start, local CNS / extracranial therapy after the start, the data cutoff);
   a trigger whose day does not count moves the limit one day earlier;
3. candidate events inside ``(origin, limit]``: the first PD date of each progression source
   and the death date (subject to the death window); the earliest wins, ties by source order;
4. no event: censored at the last adequate assessment in ``(origin, limit]``, or at the
   origin (day 0) when there is none; overall survival at the last date known alive, capped
   at the data cutoff.

Index rows. Without a ``line`` column, ``dataset`` has one row per patient. With one, it may
hold several rows per patient, one per ``(patient_id, line)`` (e.g. every systemic line as
index); each row is derived exactly as if it were its patient's only row in a call of its
own: same assessments, patients and therapies, and "new therapy" means a systemic therapy of
another line than that row's.

Output columns: ``patient_id``, ``line`` (null when ``dataset`` has none), ``paramcd``,
``param``, ``start_date``, ``adt`` (event or censoring date), ``event_date``,
``censor_date``, ``aval`` (days), ``aval_months`` (days / 30.4375), ``cnsr`` (0 = event of
interest, 1 = censored or competing event), ``cause`` (0 censored, 1 event of interest,
2.. competing), ``evntdesc``, ``srcrule`` (the rule that set the date) and ``cutoff_date``.
Rows come endpoint by endpoint (in the order of ``endpoints``) and, within an endpoint, in
the order of the index rows in ``dataset`` (as with one row per patient before; sort by
``patient_id``, ``line``, ``paramcd`` for a patient-major table).

Implementation. Every index row gets an integer row number (its rank by ``patient_id``,
``line``) and every patient an integer code; the assessments are sorted once by one packed
integer key (patient code, day). An index row's assessments inside ``(origin, limit]`` are
then a contiguous slice found by binary search, and "last adequate assessment", "first
response" and "first PD" are read from running maxima / minima of per-scan flags or a
``minimum.reduceat`` over the slices, so no join or group-by runs per endpoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from cnsrwe.endpoints.definitions import STANDARD_ENDPOINTS, TteEndpoint
from cnsrwe.endpoints.sources import COMPARTMENTS, DAYS_PER_MONTH

_LOCAL = ("radiotherapy", "surgery")
_TRIGGERS = ("new_anticancer_therapy", "cns_local_therapy", "extracranial_local_therapy",
             "data_cutoff")  # fmt: skip
#: Day number standing for "no date" / "no limit" (above every real day number).
_NONE = 1 << 40
_DAY_OFFSET = 1 << 31  # shifts Date day numbers (int32) to non-negative
_PATIENT_SHIFT = 1 << 33  # room for the shifted day and the "no limit" day 2**32
_RESPONSES = ("CR", "PR", "PD", "NE")  # codes 0..3; other non-null responses get 4
_CR, _PR, _PD, _NE = range(4)
ADTTE_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(),
    "line": pl.Int64(),
    "paramcd": pl.String(),
    "param": pl.String(),
    "start_date": pl.Date(),
    "adt": pl.Date(),
    "event_date": pl.Date(),
    "censor_date": pl.Date(),
    "aval": pl.Int64(),
    "aval_months": pl.Float64(),
    "cnsr": pl.Int64(),
    "cause": pl.Int64(),
    "evntdesc": pl.String(),
    "srcrule": pl.String(),
    "cutoff_date": pl.Date(),
}


def _require(df: pl.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = f"`{name}` must have columns {list(columns)!r}, got no {missing!r}"
        raise ValueError(msg)


def _days(s: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers (int64, 0 where null) and the not-null mask of a date series."""
    d = s.cast(pl.Date).to_physical()
    return d.fill_null(0).to_numpy().astype(np.int64), d.is_not_null().to_numpy()


def _pack(patient: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Order-preserving int64 key of (patient code, day); day ``_NONE`` sorts after all."""
    part = np.where(day >= _NONE, 1 << 32, day + _DAY_OFFSET)
    return patient * _PATIENT_SHIFT + part


def _compartment_mask(compartments: Sequence[str]) -> int:
    return sum(1 << COMPARTMENTS.index(c) for c in set(compartments))


@dataclass
class _Rows:
    """Index rows in output order with their patient's fields (numpy, one entry per row)."""

    frame: pl.DataFrame  # patient_id, line (sorted)
    given: np.ndarray  # position of each row in ``dataset``
    patient: np.ndarray  # patient code
    start: np.ndarray
    line: np.ndarray
    has_line: np.ndarray
    death: np.ndarray
    has_death: np.ndarray
    alive: np.ndarray
    has_alive: np.ndarray
    trigger: dict[str, np.ndarray]  # day or _NONE


class _Scans:
    """Assessments of the index patients sorted by (patient code, day), with slice queries."""

    def __init__(self, assessments: pl.DataFrame, patients: pl.Enum) -> None:
        a = assessments.select(
            pl.col("patient_id").cast(pl.String).cast(patients, strict=False).to_physical()
            .cast(pl.Int64).alias("p"),
            pl.col("assessment_date").cast(pl.Date).to_physical().cast(pl.Int64).alias("d"),
            pl.col("compartment").cast(pl.String).cast(pl.Enum(COMPARTMENTS), strict=False)
            .to_physical().cast(pl.Int64).alias("c"),
            pl.col("response").cast(pl.String).cast(pl.Enum(_RESPONSES), strict=False)
            .to_physical().cast(pl.Int64).fill_null(len(_RESPONSES))
            .alias("r"),
            pl.coalesce(pl.col("progression_date").cast(pl.Date), pl.col("assessment_date")
                        .cast(pl.Date)).to_physical().cast(pl.Int64).alias("pd"),
            pl.col("response").is_not_null().alias("has_r"),
        ).filter(pl.col("p").is_not_null() & pl.col("d").is_not_null()
                 & pl.col("c").is_not_null() & pl.col("has_r"))  # fmt: skip
        key = _pack(a["p"].to_numpy(), a["d"].to_numpy())
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.day = a["d"].to_numpy()[order]
        self.pd_day = a["pd"].to_numpy()[order]
        self.comp_bit = np.left_shift(1, a["c"].to_numpy()[order])
        self.resp = a["r"].to_numpy()[order]
        self.n = len(self.key)
        self._cache: dict[tuple[str, int], np.ndarray] = {}

    def bounds(
        self, patient: np.ndarray, after: np.ndarray, upto: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Slice ``[lo, hi)`` of each patient's scans dated in ``(after, upto]``."""
        lo = np.searchsorted(self.key, _pack(patient, after), side="right")
        hi = np.searchsorted(self.key, _pack(patient, upto), side="right")
        return lo, np.maximum(lo, hi)

    def _flag(self, kind: str, mask: int) -> np.ndarray:
        in_comp = (self.comp_bit & mask) != 0
        if kind == "adequate":
            return in_comp & (self.resp != _NE)
        if kind == "pd":
            return in_comp & (self.resp == _PD)
        return in_comp & ((self.resp == _CR) | (self.resp == _PR))

    def last(self, kind: str, mask: int, lo: np.ndarray, hi: np.ndarray) -> tuple[
            np.ndarray, np.ndarray]:  # fmt: skip
        """Day of the last flagged scan in each slice (0 where none) and whether there is one."""
        ck = ("last_" + kind, mask)
        if ck not in self._cache:
            pos = np.where(self._flag(kind, mask), np.arange(self.n), -1)
            self._cache[ck] = np.append(np.maximum.accumulate(pos), -1) if self.n else \
                np.array([-1])
        j = self._cache[ck][np.where(hi > 0, hi - 1, self.n)]
        ok = (hi > lo) & (j >= lo)
        out = np.zeros(len(lo), np.int64)
        out[ok] = self.day[j[ok]]
        return out, ok

    def first(self, kind: str, mask: int, lo: np.ndarray, hi: np.ndarray) -> tuple[
            np.ndarray, np.ndarray]:  # fmt: skip
        """Day of the first flagged scan in each slice (0 where none) and whether there is one."""
        ck = ("first_" + kind, mask)
        if ck not in self._cache:
            pos = np.where(self._flag(kind, mask), np.arange(self.n), self.n)
            self._cache[ck] = np.append(np.minimum.accumulate(pos[::-1])[::-1], self.n)
        j = self._cache[ck][lo]
        ok = j < hi
        out = np.zeros(len(lo), np.int64)
        out[ok] = self.day[j[ok]]
        return out, ok

    def min_pd(self, mask: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Earliest progression date of the PD scans in ``mask`` in each slice (or _NONE)."""
        values = np.append(np.where(self._flag("pd", mask), self.pd_day, _NONE), _NONE)
        if len(lo) == 0:
            return np.zeros(0, np.int64)
        bounds = np.empty(2 * len(lo), np.int64)
        bounds[0::2], bounds[1::2] = lo, hi
        return np.where(hi > lo, np.minimum.reduceat(values, bounds)[0::2], _NONE)


def _first_therapy_after(
    th_patient: np.ndarray, th_day: np.ndarray, rows: tuple[np.ndarray, np.ndarray],
    lines: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Per index row (patient code, start day): the first therapy day after the start, or
    _NONE. With ``lines`` (therapy line, has line, row line, row has line), therapies of the
    row's own line are skipped (a therapy without a line, or a row without one, counts)."""
    row_patient, row_start = rows
    key = _pack(th_patient, th_day)
    order = np.argsort(key, kind="stable")
    key, patient, day = key[order], th_patient[order], th_day[order]
    m = len(key)
    pos = np.searchsorted(key, _pack(row_patient, row_start), side="right")
    if lines is not None:
        th_line, th_has, row_line, row_has = lines
        th_line, th_has = th_line[order], th_has[order]
        # runs of equal (patient, line); each therapy without a line is a run of its own
        value = np.where(th_has, th_line, -np.arange(m, dtype=np.int64) - (1 << 50))
        brk = np.ones(m, dtype=bool)
        brk[1:] = (patient[1:] != patient[:-1]) | (value[1:] != value[:-1])
        run_end = np.append(np.append(np.flatnonzero(brk)[1:], m)[np.cumsum(brk) - 1], m)
        own = (np.append(th_has, False)[pos] & row_has
               & (np.append(th_line, 0)[pos] == row_line))  # fmt: skip
        pos = np.where(own, run_end[pos], pos)
    found = np.append(patient, -1)[pos] == row_patient
    return np.where(found, np.append(day, _NONE)[pos], _NONE)


def _trigger_days(
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    therapies: pl.DataFrame | None, patients: pl.Enum, cns_sites: Sequence[str],
) -> dict[str, np.ndarray]:
    """Per index row: first new systemic therapy (another line), first CNS and extracranial
    local therapy, each strictly after the row's start (``_NONE`` = none)."""
    patient, start, line, has_line = rows
    none = np.full(len(patient), _NONE, dtype=np.int64)
    if therapies is None:
        return dict.fromkeys(_TRIGGERS[:3], none)
    _require(therapies, "dataset_therapies", ("patient_id", "agent_class", "start_date"))
    cols = therapies.columns
    th = therapies.select(
        pl.col("patient_id").cast(pl.String).cast(patients, strict=False).alias("p"),
        pl.col("start_date").cast(pl.Date).alias("d"),
        pl.col("agent_class").cast(pl.String).alias("cls"),
        (pl.col("line") if "line" in cols else pl.lit(None)).cast(pl.Int64).alias("tl"),
        (pl.col("target_site") if "target_site" in cols else pl.lit(None)).cast(pl.String)
        .alias("site"),
    ).filter(pl.col("p").is_not_null() & pl.col("d").is_not_null()
             & pl.col("cls").is_not_null())  # fmt: skip
    local = pl.col("cls").is_in(_LOCAL)
    flags = th.select(
        (~local).alias("systemic"),
        (local & pl.col("site").is_in(list(cns_sites)).fill_null(False)).alias("cns"),
        (local & (pl.col("site") == "extracranial").fill_null(False)).alias("extra"),
    )
    p = th["p"].to_physical().cast(pl.Int64).to_numpy()
    d, _ = _days(th["d"])
    tl, tl_has = th["tl"].fill_null(0).to_numpy(), th["tl"].is_not_null().to_numpy()
    out = {}
    for name, flag in zip(_TRIGGERS[:3], ("systemic", "cns", "extra"), strict=True):
        keep = flags[flag].to_numpy()
        lines = (tl[keep], tl_has[keep], line, has_line) if flag == "systemic" else None
        out[name] = _first_therapy_after(p[keep], d[keep], (patient, start), lines)
    return out


def _index_rows(
    dataset: pl.DataFrame, patients: pl.DataFrame, therapies: pl.DataFrame | None,
    cutoff_date: dt.date | None, cns_sites: Sequence[str],
) -> tuple[_Rows, pl.Enum]:
    """Index rows sorted by (patient_id, line) with their patient's fields and triggers."""
    frame = dataset.with_row_index("given").select(
        "given",
        pl.col("patient_id").cast(pl.String),
        pl.col("start_date").cast(pl.Date),
        (pl.col("line") if "line" in dataset.columns else pl.lit(None)).cast(pl.Int64)
        .alias("line"),
    ).sort("patient_id", "line", nulls_last=True)
    enum = pl.Enum(frame["patient_id"].unique(maintain_order=True))
    code = frame["patient_id"].cast(enum).to_physical().cast(pl.Int64).to_numpy()
    start, _ = _days(frame["start_date"])
    line, has_line = frame["line"].fill_null(0).to_numpy(), frame["line"].is_not_null().to_numpy()
    pts = _patients_by_code(patients, enum)
    death, has_death, alive, has_alive = (a[code] for a in pts)
    trigger = _trigger_days((code, start, line, has_line), therapies, enum, cns_sites)
    cut = _NONE if cutoff_date is None else (cutoff_date - dt.date(1970, 1, 1)).days
    trigger["data_cutoff"] = np.full(len(code), cut, dtype=np.int64)
    rows = _Rows(frame.select("patient_id", "line"), frame["given"].to_numpy().astype(np.int64),
                 code, start, line, has_line,
                 death, has_death, alive, has_alive, trigger)  # fmt: skip
    return rows, enum


def _patients_by_code(
    patients: pl.DataFrame, enum: pl.Enum
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Death and last-known-alive days (and not-null masks) indexed by patient code."""
    pts = patients.select(
        pl.col("patient_id").cast(pl.String).cast(enum, strict=False).alias("p"),
        pl.col("death_date").cast(pl.Date), pl.col("last_known_alive_date").cast(pl.Date),
    ).filter(pl.col("p").is_not_null())  # fmt: skip
    dup = pts["p"].is_duplicated().sum()
    if dup:
        msg = (f"`dataset_patients` must have one row per patient, got {dup} rows of"
               " patients listed more than once")  # fmt: skip
        raise ValueError(msg)
    n = len(enum.categories)
    p = pts["p"].to_physical().cast(pl.Int64).to_numpy()
    out = []
    for col in ("death_date", "last_known_alive_date"):
        v, has = _days(pts[col])
        days, mask = np.zeros(n, np.int64), np.zeros(n, dtype=bool)
        days[p], mask[p] = v, has
        out += [days, mask]
    return out[0], out[1], out[2], out[3]


class _Text:
    """Strings of the output's text columns as integer codes (decoded once at the end)."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._codes: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        if value not in self._codes:
            self._codes[value] = len(self.values)
            self.values.append(value)
        return self._codes[value]


def _endpoint(ep: TteEndpoint, rows: _Rows, scans: _Scans, text: _Text) -> dict[str, np.ndarray]:
    """One endpoint for every index row: kept rows, origin, adt, cause and text codes."""
    n = len(rows.patient)
    if ep.windows:
        trig = [rows.trigger[w.kind] for w in ep.windows]
        lims = np.vstack([t if w.counts_trigger_day else np.where(t >= _NONE, _NONE, t - 1)
                          for t, w in zip(trig, ep.windows, strict=True)])  # fmt: skip
        limit = lims.min(axis=0)
        hit = (lims == limit) & (lims < _NONE)  # first rule reaching the limit binds
        bind = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
    else:
        lims = np.zeros((0, n), np.int64)
        limit, bind = np.full(n, _NONE, np.int64), np.full(n, -1)
    keep = np.arange(n)
    patient, origin = rows.patient, rows.start
    if ep.origin == "first_response":
        lo, hi = scans.bounds(patient, origin, limit)
        first, ok = scans.first("response", _compartment_mask([ep.response_compartment]), lo, hi)
        keep = np.flatnonzero(ok)
        origin, patient, limit, bind, lims = first[keep], patient[keep], limit[keep], \
            bind[keep], lims[:, keep]
    death, has_death = rows.death[keep], rows.has_death[keep]
    lo, hi = scans.bounds(patient, origin, limit)
    laa, has_laa = scans.last(
        "adequate", _compartment_mask(ep.censor.compartments or COMPARTMENTS), lo, hi)

    dates = []
    for src in ep.events:
        if src.kind == "progression":
            dates.append(scans.min_pd(_compartment_mask(src.compartments), lo, hi))
            continue
        ok = has_death & (death >= origin) & (death <= limit)
        if src.death_window_days is not None:
            ok &= death - np.where(has_laa, laa, origin) <= src.death_window_days
        dates.append(np.where(ok, death, _NONE))
    stacked = np.vstack(dates)
    source = stacked.argmin(axis=0)  # earliest date, ties to the source listed first
    event = stacked[source, np.arange(len(keep))]
    has_event = event < _NONE

    if ep.censor.kind == "last_known_alive":
        alive_ok = rows.has_alive[keep] | has_death
        alive = np.where(rows.has_alive[keep], rows.alive[keep], death)
        cap = np.full(len(keep), _NONE, np.int64)
        for i, w in enumerate(ep.windows):
            if w.censor_at == "trigger":
                cap = np.minimum(cap, lims[i])
        censor = np.where(alive_ok, np.minimum(alive, cap), cap)
        has_censor = censor < _NONE
        capped = has_censor & alive_ok & (censor < alive)
        reason = np.where(capped, text("data_cutoff_alive_censor"), text(ep.censor.name))
        desc = np.where(capped, text("DATA CUTOFF"), text(ep.censor.censdesc))
    else:
        censor, has_censor = laa, has_laa
        reason = np.full(len(keep), text(ep.censor.name))
        desc = np.full(len(keep), text(ep.censor.censdesc))
        for i, w in enumerate(ep.windows):
            reason[bind == i] = text(w.name)
            desc[bind == i] = text(w.kind.upper().replace("_", " "))
        if any(e.kind == "death" for e in ep.events):
            dropped = has_death & (death <= limit)
            reason[dropped] = text("death_outside_window")
            desc[dropped] = text("DEATH AFTER MISSED ASSESSMENTS")
    reason[~has_censor] = text("no_adequate_assessment")
    desc[~has_censor] = text("NO ADEQUATE ASSESSMENT: DAY 0")

    causes = np.array([e.cause for e in ep.events])
    out = {
        "row": keep,
        "origin": origin,
        "adt": np.where(has_event, event, np.where(has_censor, censor, origin)),
        "cause": np.where(has_event, causes[source], 0),
        "evntdesc": np.where(has_event, np.array([text(e.evntdesc) for e in ep.events])[source],
                             desc),
        "srcrule": np.where(has_event, np.array([text(e.name) for e in ep.events])[source],
                            reason),
    }  # fmt: skip
    if ep.no_adequate_assessment == "exclude":
        kept = has_event | has_censor
        out = {k: v[kept] for k, v in out.items()}
    return out


def _endpoints(endpoints: Sequence[TteEndpoint | str]) -> list[TteEndpoint]:
    eps: list[TteEndpoint] = []
    for e in endpoints:
        if isinstance(e, str):
            if e not in STANDARD_ENDPOINTS:
                msg = f"`endpoints` entries must be among {list(STANDARD_ENDPOINTS)!r}, got {e!r}"
                raise ValueError(msg)
            e = STANDARD_ENDPOINTS[e]
        eps.append(e)
    return eps


def _check_index(dataset: pl.DataFrame) -> None:
    if "line" in dataset.columns:
        dup = dataset.select(pl.struct("patient_id", "line").is_duplicated().sum()).item()
        if dup:
            msg = (f"`dataset` must have one row per (patient_id, line), got {dup} rows whose"
                   " (patient_id, line) pair occurs more than once")  # fmt: skip
            raise ValueError(msg)
    else:
        dup = dataset.filter(pl.col("patient_id").is_duplicated())["patient_id"].unique()
        if dup.len():
            msg = (f"`dataset` must have one row (the index line) per patient, got"
                   f" {dup.len()} patients with several rows")  # fmt: skip
            raise ValueError(msg)
    if dataset["patient_id"].null_count():
        msg = "`dataset.patient_id` must not be missing, got null patient ids"
        raise ValueError(msg)
    if dataset["start_date"].null_count():
        msg = "`dataset.start_date` must not be missing, got null index dates"
        raise ValueError(msg)


def derive_tte(
    dataset: pl.DataFrame,
    *,
    dataset_assessments: pl.DataFrame,
    dataset_patients: pl.DataFrame,
    dataset_therapies: pl.DataFrame | None = None,
    endpoints: Sequence[TteEndpoint | str] = ("OS", "PFS", "IC_PFS", "CNS_TTP", "IC_DOR"),
    cutoff_date: dt.date | None = None,
    cns_target_sites: Sequence[str] = ("brain", "leptomeninges"),
    order: Literal["endpoint", "patient"] = "endpoint",
) -> pl.DataFrame:
    """Derive time-to-event rows (ADTTE-like) for one or several index lines per patient.

    Parameters
    ----------
    dataset
        Index rows: ``patient_id``, ``start_date`` (index line start, day 0) and optionally
        ``line`` (the index line number; therapies of other lines are "new"). Without
        ``line``, one row per patient; with it, one row per ``(patient_id, line)``, each
        derived as if it were its patient's only row. ``derive``'s ``ad_reference``
        (every line, or filtered to the index line) with ``reference_date`` renamed
        ``start_date`` fits.
    dataset_assessments
        Timepoint responses: ``patient_id``, ``assessment_date``, ``compartment``
        (intracranial / extracranial / overall), ``response`` and optionally
        ``progression_date`` (earliest scan showing the PD). One criteria profile per
        compartment (e.g. ``ad_timepoints`` filtered to the chosen profiles).
    dataset_patients
        ``patient_id``, ``death_date``, ``last_known_alive_date``.
    dataset_therapies
        The ``treatments`` table (``patient_id``, ``line``, ``agent_class``, ``start_date``,
        ``target_site``) for the new-therapy and local-therapy rules; ``None`` = no such
        triggers.
    endpoints
        :class:`TteEndpoint` objects or ``paramcd`` codes of
        :data:`cnsrwe.endpoints.definitions.STANDARD_ENDPOINTS`.
    cutoff_date
        Data cutoff; used by the endpoints' ``data_cutoff`` rules (``None`` = no cutoff).
    cns_target_sites
        ``treatments.target_site`` values that make a local therapy a CNS local therapy.
    order
        Row order of the result: ``"endpoint"`` (see Returns) or ``"patient"``: sorted by
        ``patient_id``, ``line`` (nulls last) and ``paramcd``, the key order of ``ad_tte``.

    Returns
    -------
    polars.DataFrame
        Columns of :data:`ADTTE_SCHEMA`, one row per index row and endpoint
        (duration-of-response endpoints: responders only), endpoint by endpoint in the order
        of ``endpoints``, each in the order of the index rows in ``dataset``. Input frames
        are not modified.

    Raises
    ------
    ValueError
        Missing columns, unknown endpoint codes, null ``patient_id`` or ``start_date``,
        duplicated index rows (patients without ``line``; ``(patient_id, line)`` with it), a
        patient listed more than once in ``dataset_patients``.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> idx = pl.DataFrame({"patient_id": ["A"], "start_date": [dt.date(2020, 1, 1)]})
    >>> pts = pl.DataFrame({"patient_id": ["A"], "death_date": [None],
    ...                     "last_known_alive_date": [dt.date(2021, 2, 4)]})
    >>> tp = pl.DataFrame({"patient_id": ["A"], "assessment_date": [dt.date(2020, 3, 1)],
    ...                    "compartment": ["intracranial"], "response": ["PD"]})
    >>> out = derive_tte(idx, dataset_assessments=tp, dataset_patients=pts,
    ...                  endpoints=["OS", "IC_PFS"])
    >>> out.select("paramcd", "aval", "cnsr").rows()
    [('OS', 400, 1), ('IC_PFS', 60, 0)]
    """
    _require(dataset, "dataset", ("patient_id", "start_date"))
    _require(dataset_assessments, "dataset_assessments",
             ("patient_id", "assessment_date", "compartment", "response"))  # fmt: skip
    _require(dataset_patients, "dataset_patients",
             ("patient_id", "death_date", "last_known_alive_date"))  # fmt: skip
    if cutoff_date is not None and not isinstance(cutoff_date, dt.date):
        msg = f"`cutoff_date` must be a date, got {cutoff_date!r}"
        raise TypeError(msg)
    eps = _endpoints(endpoints)
    if order not in ("endpoint", "patient"):
        msg = f"`order` must be 'endpoint' or 'patient', got {order!r}"
        raise ValueError(msg)
    _check_index(dataset)
    rows, enum = _index_rows(dataset, dataset_patients, dataset_therapies, cutoff_date,
                             cns_target_sites)  # fmt: skip
    assessments = dataset_assessments
    if "progression_date" not in assessments.columns:
        assessments = assessments.with_columns(pl.lit(None, pl.Date).alias("progression_date"))
    scans = _Scans(assessments, enum)
    text = _Text()
    parts = [_endpoint(ep, rows, scans, text) for ep in eps]
    return _assemble(parts, eps, rows, text, cutoff_date, by_patient=order == "patient")


def _assemble(parts: list[dict[str, np.ndarray]], eps: list[TteEndpoint], rows: _Rows,
              text: _Text, cutoff_date: dt.date | None, *,
              by_patient: bool = False) -> pl.DataFrame:  # fmt: skip
    """One frame from the per-endpoint arrays: endpoint by endpoint, and within an endpoint
    in the order of the index rows in ``dataset``; with ``by_patient``, in the order of the
    sorted index rows (``rows``) and within a row by ``paramcd``."""
    if not parts:
        return pl.DataFrame(schema=ADTTE_SCHEMA)
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    which = np.repeat(np.arange(len(parts)), [len(p["row"]) for p in parts])
    if by_patient:  # endpoints ranked by paramcd (ties keep the order given)
        rank = np.empty(len(eps), np.int64)
        rank[sorted(range(len(eps)), key=lambda i: (eps[i].paramcd, i))] = np.arange(len(eps))
        order = np.argsort(cat["row"] * len(eps) + rank[which], kind="stable")
    else:
        order = np.argsort(which * len(rows.given) + rows.given[cat["row"]])
    row, ep = cat["row"][order], which[order]
    days = (cat["adt"] - cat["origin"])[order]
    cause = cat["cause"][order]
    strings = pl.Series(text.values, dtype=pl.String)
    out = rows.frame.select(pl.all().gather(pl.Series(row)))
    return out.with_columns(
        pl.Series("paramcd", [e.paramcd for e in eps], pl.String).gather(ep),
        pl.Series("param", [e.param for e in eps], pl.String).gather(ep),
        pl.Series("start_date", cat["origin"][order].astype(np.int32)).cast(pl.Date),
        pl.Series("adt", cat["adt"][order].astype(np.int32)).cast(pl.Date),
        pl.Series("aval", days),
        # numpy's element-wise division is correctly rounded; polars divides long columns
        # by a scalar through its reciprocal, so its last bit would depend on how many rows
        # share the call (and results would change with the chunking of a derivation)
        pl.Series("aval_months", days / DAYS_PER_MONTH, dtype=pl.Float64),
        pl.Series("cnsr", np.where(cause == 1, 0, 1)),
        pl.Series("cause", cause),
        strings.gather(cat["evntdesc"][order]).alias("evntdesc"),
        strings.gather(cat["srcrule"][order]).alias("srcrule"),
        pl.lit(cutoff_date, pl.Date).alias("cutoff_date"),
    ).with_columns(
        pl.when(pl.col("cause") > 0).then(pl.col("adt")).alias("event_date"),
        pl.when(pl.col("cause") == 0).then(pl.col("adt")).alias("censor_date"),
    ).select(list(ADTTE_SCHEMA)).cast(ADTTE_SCHEMA)  # type: ignore[arg-type]
