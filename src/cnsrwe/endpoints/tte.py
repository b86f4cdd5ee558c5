"""``derive_tte``: an ADTTE-like table (one row per patient and endpoint) from the timepoint
responses, the patients table and the therapy table, with explicit censoring.

Derivation, per endpoint and patient (rules in :mod:`cnsrwe.endpoints.sources`):

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

Output columns: ``patient_id`` (and ``line`` when given), ``paramcd``, ``param``,
``start_date``, ``adt`` (event or censoring date), ``event_date``, ``censor_date``, ``aval``
(days), ``aval_months`` (days / 30.4375), ``cnsr`` (0 = event of interest, 1 = censored or
competing event), ``cause`` (0 censored, 1 event of interest, 2.. competing), ``evntdesc``,
``srcrule`` (the rule that set the date) and ``cutoff_date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from cnsrwe.endpoints.definitions import STANDARD_ENDPOINTS, TteEndpoint
from cnsrwe.endpoints.sources import DAYS_PER_MONTH, WindowRule

_TMP = "__tte_"
_LOCAL = ("radiotherapy", "surgery")
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


def _trigger_dates(
    base: pl.DataFrame, therapies: pl.DataFrame | None, cns_sites: Sequence[str]
) -> pl.DataFrame:
    """Per patient: first new systemic therapy, first CNS and extracranial local therapy."""
    out = base.select("patient_id")
    names = ("new_anticancer_therapy", "cns_local_therapy", "extracranial_local_therapy")
    if therapies is None:
        return out.with_columns(pl.lit(None, pl.Date).alias(_TMP + n) for n in names)
    _require(therapies, "dataset_therapies", ("patient_id", "agent_class", "start_date"))
    th = therapies.select(
        "patient_id",
        pl.col("agent_class"),
        pl.col("start_date").alias(_TMP + "tstart"),
        (pl.col("line") if "line" in therapies.columns else pl.lit(None, pl.Int64))
        .cast(pl.Int64).alias(_TMP + "tline"),
        (pl.col("target_site") if "target_site" in therapies.columns else pl.lit(None, pl.String))
        .alias(_TMP + "site"),
    ).join(base.select("patient_id", "start_date", "line"), on="patient_id", how="inner")
    th = th.filter(pl.col(_TMP + "tstart") > pl.col("start_date"))
    local = pl.col("agent_class").is_in(_LOCAL)
    other_line = (
        pl.col(_TMP + "tline").is_null() | pl.col("line").is_null()
        | (pl.col(_TMP + "tline") != pl.col("line"))
    )  # fmt: skip
    agg = th.group_by("patient_id").agg(
        pl.col(_TMP + "tstart").filter(~local & other_line).min().alias(_TMP + names[0]),
        pl.col(_TMP + "tstart").filter(local & pl.col(_TMP + "site").is_in(list(cns_sites)))
        .min().alias(_TMP + names[1]),
        pl.col(_TMP + "tstart").filter(local & (pl.col(_TMP + "site") == "extracranial"))
        .min().alias(_TMP + names[2]),
    )
    return out.join(agg, on="patient_id", how="left")


def _limit_expr(rule: WindowRule) -> pl.Expr:
    """Last usable date under one window rule (null = no limit)."""
    trig = pl.col(_TMP + rule.kind)
    return trig if rule.counts_trigger_day else trig - pl.duration(days=1)


def _first_response(
    base: pl.DataFrame, assessments: pl.DataFrame, compartment: str
) -> pl.DataFrame:
    first = (
        assessments.join(base.select("patient_id", "start_date", _TMP + "limit"), on="patient_id")
        .filter(
            (pl.col("compartment") == compartment)
            & pl.col("response").is_in(["CR", "PR"])
            & (pl.col("assessment_date") > pl.col("start_date"))
            & (pl.col(_TMP + "limit").is_null()
               | (pl.col("assessment_date") <= pl.col(_TMP + "limit")))
        )
        .group_by("patient_id")
        .agg(pl.col("assessment_date").min().alias(_TMP + "origin"))
    )
    return base.join(first, on="patient_id", how="inner")


def _one_endpoint(
    base: pl.DataFrame, assessments: pl.DataFrame, ep: TteEndpoint
) -> pl.DataFrame:
    limits = [_limit_expr(w).alias(_TMP + f"lim{i}") for i, w in enumerate(ep.windows)]
    b = base.with_columns(limits)
    lim_cols = [_TMP + f"lim{i}" for i in range(len(ep.windows))]
    if lim_cols:
        b = b.with_columns(pl.min_horizontal(lim_cols).alias(_TMP + "limit"))
        binding = pl.lit(None, pl.String)
        for i in reversed(range(len(ep.windows))):  # first rule reaching the limit wins
            lim = pl.col(lim_cols[i])
            hit = lim.is_not_null() & (lim == pl.col(_TMP + "limit"))
            binding = pl.when(hit).then(pl.lit(i)).otherwise(binding)
        b = b.with_columns(binding.cast(pl.Int64).alias(_TMP + "bind"))
    else:
        b = b.with_columns(pl.lit(None, pl.Date).alias(_TMP + "limit"),
                           pl.lit(None, pl.Int64).alias(_TMP + "bind"))  # fmt: skip
    if ep.origin == "first_response":
        b = _first_response(b, assessments, ep.response_compartment)
    else:
        b = b.with_columns(pl.col("start_date").alias(_TMP + "origin"))

    a = assessments.join(
        b.select("patient_id", _TMP + "origin", _TMP + "limit"), on="patient_id", how="inner"
    ).with_columns(pl.coalesce("progression_date", "assessment_date").alias(_TMP + "pd_date"))
    inside = (pl.col("assessment_date") > pl.col(_TMP + "origin")) & (
        pl.col(_TMP + "limit").is_null() | (pl.col("assessment_date") <= pl.col(_TMP + "limit"))
    )
    a = a.filter(inside)

    # last adequate assessment (censor compartments; also the death-window reference)
    laa_comp = ep.censor.compartments or ("overall", "intracranial", "extracranial")
    laa = (
        a.filter(pl.col("compartment").is_in(list(laa_comp))
                 & pl.col("response").is_not_null() & (pl.col("response") != "NE"))
        .group_by("patient_id").agg(pl.col("assessment_date").max().alias(_TMP + "laa"))
    )
    b = b.join(laa, on="patient_id", how="left")

    candidates = []
    for prio, src in enumerate(ep.events):
        if src.kind == "progression":
            c = (
                a.filter(pl.col("compartment").is_in(list(src.compartments))
                         & (pl.col("response") == "PD"))
                .group_by("patient_id").agg(pl.col(_TMP + "pd_date").min().alias(_TMP + "date"))
            )
        else:
            ok = (
                pl.col("death_date").is_not_null()
                & (pl.col("death_date") >= pl.col(_TMP + "origin"))
                & (pl.col(_TMP + "limit").is_null()
                   | (pl.col("death_date") <= pl.col(_TMP + "limit")))
            )  # fmt: skip
            if src.death_window_days is not None:
                ref = pl.coalesce(_TMP + "laa", _TMP + "origin")
                ok = ok & ((pl.col("death_date") - ref).dt.total_days() <= src.death_window_days)
            c = b.filter(ok).select("patient_id", pl.col("death_date").alias(_TMP + "date"))
        candidates.append(c.with_columns(
            pl.lit(prio, pl.Int64).alias(_TMP + "prio"),
            pl.lit(src.cause, pl.Int64).alias("cause"),
            pl.lit(src.evntdesc).alias("evntdesc"),
            pl.lit(src.name).alias("srcrule"),
        ))  # fmt: skip
    events = (
        pl.concat(candidates)
        .sort("patient_id", _TMP + "date", _TMP + "prio")
        .group_by("patient_id", maintain_order=True).first()
        .drop(_TMP + "prio")
    )
    b = b.join(events, on="patient_id", how="left")
    return _censor(b, ep)


def _censor(b: pl.DataFrame, ep: TteEndpoint) -> pl.DataFrame:
    has_event = pl.col(_TMP + "date").is_not_null()
    windows = ep.windows
    bind = pl.col(_TMP + "bind")
    if ep.censor.kind == "last_known_alive":
        alive = pl.coalesce("last_known_alive_date", "death_date")
        cap = pl.lit(None, pl.Date)
        for i, w in enumerate(windows):
            if w.censor_at == "trigger":
                cap = pl.min_horizontal(cap, pl.col(_TMP + f"lim{i}"))
        date = pl.min_horizontal(alive, cap)
        capped = date.is_not_null() & alive.is_not_null() & (date < alive)
        reason = pl.when(capped).then(pl.lit("data_cutoff_alive_censor")).otherwise(
            pl.lit(ep.censor.name))
        desc = pl.when(capped).then(pl.lit("DATA CUTOFF")).otherwise(pl.lit(ep.censor.censdesc))
        no_data = date.is_null()
    else:
        date = pl.col(_TMP + "laa")
        no_data = date.is_null()
        death_dropped = (
            pl.col("death_date").is_not_null()
            & (pl.col(_TMP + "limit").is_null()
               | (pl.col("death_date") <= pl.col(_TMP + "limit")))
        )  # fmt: skip
        reason = pl.lit(ep.censor.name)
        desc = pl.lit(ep.censor.censdesc)
        for i in reversed(range(len(windows))):
            hit = bind.is_not_null() & (bind == i)
            reason = pl.when(hit).then(pl.lit(windows[i].name)).otherwise(reason)
            desc = pl.when(hit).then(pl.lit(windows[i].kind.upper().replace("_", " "))
                                     ).otherwise(desc)  # fmt: skip
        if any(e.kind == "death" for e in ep.events):
            reason = pl.when(death_dropped).then(pl.lit("death_outside_window")).otherwise(reason)
            desc = pl.when(death_dropped).then(pl.lit("DEATH AFTER MISSED ASSESSMENTS")
                                               ).otherwise(desc)  # fmt: skip
    reason = pl.when(no_data).then(pl.lit("no_adequate_assessment")).otherwise(reason)
    desc = pl.when(no_data).then(pl.lit("NO ADEQUATE ASSESSMENT: DAY 0")).otherwise(desc)
    out = b.with_columns(
        pl.when(has_event).then(pl.col(_TMP + "date"))
        .otherwise(pl.coalesce(date, pl.col(_TMP + "origin"))).alias("adt"),
        pl.when(has_event).then(pl.col("cause")).otherwise(0).cast(pl.Int64).alias("cause"),
        pl.when(has_event).then(pl.col("evntdesc")).otherwise(desc).alias("evntdesc"),
        pl.when(has_event).then(pl.col("srcrule")).otherwise(reason).alias("srcrule"),
        (~has_event & no_data).alias(_TMP + "nodata"),
    )
    if ep.no_adequate_assessment == "exclude":
        out = out.filter(~pl.col(_TMP + "nodata"))
    days = (pl.col("adt") - pl.col(_TMP + "origin")).dt.total_days()
    return out.select(
        "patient_id",
        pl.col("line").cast(pl.Int64),
        pl.lit(ep.paramcd).alias("paramcd"),
        pl.lit(ep.param).alias("param"),
        pl.col(_TMP + "origin").alias("start_date"),
        "adt",
        pl.when(pl.col("cause") > 0).then(pl.col("adt")).alias("event_date"),
        pl.when(pl.col("cause") == 0).then(pl.col("adt")).alias("censor_date"),
        days.alias("aval"),
        (days / DAYS_PER_MONTH).alias("aval_months"),
        pl.when(pl.col("cause") == 1).then(0).otherwise(1).cast(pl.Int64).alias("cnsr"),
        "cause",
        "evntdesc",
        "srcrule",
        pl.col(_TMP + "data_cutoff").alias("cutoff_date"),
    )


def derive_tte(
    dataset: pl.DataFrame,
    *,
    dataset_assessments: pl.DataFrame,
    dataset_patients: pl.DataFrame,
    dataset_therapies: pl.DataFrame | None = None,
    endpoints: Sequence[TteEndpoint | str] = ("OS", "PFS", "IC_PFS", "CNS_TTP", "IC_DOR"),
    cutoff_date: dt.date | None = None,
    cns_target_sites: Sequence[str] = ("brain", "leptomeninges"),
) -> pl.DataFrame:
    """Derive time-to-event rows (ADTTE-like) for one index line per patient.

    Parameters
    ----------
    dataset
        One row per patient: ``patient_id``, ``start_date`` (index line start, day 0) and
        optionally ``line`` (the index line number; therapies of other lines are "new").
        ``derive``'s ``ad_reference`` filtered to the index line, with ``reference_date``
        renamed ``start_date``, fits.
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

    Returns
    -------
    polars.DataFrame
        Columns of :data:`ADTTE_SCHEMA`, one row per patient and endpoint (duration-of-response
        endpoints: responders only). Input frames are not modified.

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
    eps: list[TteEndpoint] = []
    for e in endpoints:
        if isinstance(e, str):
            if e not in STANDARD_ENDPOINTS:
                msg = f"`endpoints` entries must be among {list(STANDARD_ENDPOINTS)!r}, got {e!r}"
                raise ValueError(msg)
            e = STANDARD_ENDPOINTS[e]
        eps.append(e)
    dup = dataset.filter(pl.col("patient_id").is_duplicated())["patient_id"].unique()
    if dup.len():
        msg = (f"`dataset` must have one row (the index line) per patient, got"
               f" {dup.len()} patients with several rows")  # fmt: skip
        raise ValueError(msg)
    if dataset["start_date"].null_count():
        msg = "`dataset.start_date` must not be missing, got null index dates"
        raise ValueError(msg)
    base = dataset.select(
        "patient_id", "start_date",
        (pl.col("line") if "line" in dataset.columns else pl.lit(None)).cast(pl.Int64)
        .alias("line"),
    ).join(
        dataset_patients.select(
            "patient_id", pl.col("death_date", "last_known_alive_date").cast(pl.Date)
        ),
        on="patient_id", how="left",
    )  # fmt: skip
    base = base.join(_trigger_dates(base, dataset_therapies, cns_target_sites),
                     on="patient_id", how="left")  # fmt: skip
    base = base.with_columns(pl.lit(cutoff_date, pl.Date).alias(_TMP + "data_cutoff"))
    assessments = dataset_assessments.select(
        "patient_id", pl.col("assessment_date").cast(pl.Date), "compartment",
        pl.col("response").cast(pl.String),
        (pl.col("progression_date") if "progression_date" in dataset_assessments.columns
         else pl.lit(None)).cast(pl.Date).alias("progression_date"),
    )  # fmt: skip
    frames = [_one_endpoint(base, assessments, ep) for ep in eps]
    return pl.concat(frames).cast(ADTTE_SCHEMA)  # type: ignore[arg-type]
