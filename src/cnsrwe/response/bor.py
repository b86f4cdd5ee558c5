"""Best overall response (BOR), unconfirmed and confirmed, vectorised over patients.

Rule (RECIST 1.1, Eisenhauer 2009 section 4.4, and admiralonco's pre-defined events in
``R/response_sources.R`` where RECIST is silent), applied to the analysis window of
:func:`~cnsrwe.response.window.analysis_window`, first matching event wins:

1. **CR** - unconfirmed: any CR. Confirmed: a CR followed by a CR at least
   ``confirm_min_days`` later (the first such CR closes the search), with only CR or NE
   between and at most ``max_ne_between`` NE (admiralonco ``cbor_cr``).
2. **PR** - unconfirmed: any PR. Confirmed: a PR followed by a CR or PR at least
   ``confirm_min_days`` later (the first such closes the search), with only CR, PR, NE or
   SD between, at most ``max_ne_between`` NE and ``max_sd_between`` SD, and no PR after a CR
   (admiralonco ``cbor_pr``; ``max_sd_between=1`` is its deprecated ``accept_sd=TRUE``).
3. **SD** - a CR, PR or SD at least ``sd_min_days`` after the reference date (so an
   unconfirmed CR/PR falls back to SD; admiralonco ``bor_sd``).
4. **NON-CR/NON-PD** - the same for NON-CR/NON-PD (admiralonco ``bor_non_crpd``).
5. **PD** - any PD (admiralonco ``bor_pd``).
6. **NE** - any other assessment (admiralonco ``bor_ne``).
7. **MISSING** - no assessment in the window (admiralonco ``no_data_missing``).

``bor_date`` is the date of the first assessment meeting the winning event (for a confirmed
response, the first assessment of the confirming pair).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from cnsrwe.errors import DataQualityWarning
from cnsrwe.response._keys import add_key
from cnsrwe.response._tables import TMP
from cnsrwe.response.rules import BorRule
from cnsrwe.response.window import GK, IDX, AnalysisWindow, analysis_window

CONF = f"{TMP}confirmed"
CONF_DATE = f"{TMP}conf_date"
CONF_RESP = f"{TMP}conf_resp"
#: Response codes for the confirmation search (everything else is ``_OTHER``).
_CODES = {"CR": 0, "PR": 1, "SD": 2, "NE": 3}
_OTHER = 4


def relabel_unreliable_cr(series: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Relabel as PR every CR that is later followed by a PR (RECIST 1.1 Table 3 footnote).

    Used only when ``BorRule.first_cr_reliable`` is False and confirmation is required.
    Emits a :class:`~cnsrwe.errors.DataQualityWarning` whose ``.rows`` lists the relabelled
    assessments.
    """
    last_pr = pl.col(IDX).filter(pl.col("response") == "PR").max().over(keys)
    flag = (pl.col("response") == "CR") & last_pr.is_not_null() & (pl.col(IDX) < last_pr)
    out = series.with_columns(flag.alias(f"{TMP}relabel"))
    rows = out.filter(pl.col(f"{TMP}relabel")).select([*keys, "assessment_date"])
    if rows.height:
        msg = (
            f"{rows.height} CR assessment(s) followed by a PR were relabelled PR "
            "(first_cr_reliable=False); `.rows` lists them"
        )
        warnings.warn(DataQualityWarning(msg, rows), stacklevel=3)
    return out.with_columns(
        pl.when(pl.col(f"{TMP}relabel"))
        .then(pl.lit("PR"))
        .otherwise(pl.col("response"))
        .alias("response")
    ).drop(f"{TMP}relabel")


def confirmed_responses(series: pl.DataFrame, keys: list[str], rule: BorRule) -> pl.DataFrame:
    """Flag each CR/PR assessment that is confirmed under ``rule``.

    Returns ``series`` with three added columns: a boolean ``CONF``, the confirming
    assessment's date ``CONF_DATE`` and response ``CONF_RESP`` (null when unconfirmed).

    Method (no pairs of rows are built, no Python loop per patient): on the rows ordered by
    group key ``GK`` and per-group index ``IDX`` (dates increase within a group), the
    earliest row far enough away is one binary search of (group run, day + min days); the
    confirming row is the next CR (for a CR) or CR/PR (for a PR) at or after it, from a
    reversed running minimum of row numbers; the counts of NE, SD, PR and other calls
    between the response and its confirmation are differences of running counts, and
    "no PR after a CR" is a zero PR count after the first CR that follows the response.
    """
    s = series if GK in series.columns else add_key([series], keys, GK)[0]
    n = s.height
    g = s[GK].to_numpy()
    order: np.ndarray | None = None
    if n > 1:
        idx = s[IDX].to_numpy()
        same = g[1:] == g[:-1]
        if not (np.all(g[1:] >= g[:-1]) and np.all(idx[1:][same] > idx[:-1][same])):
            order = np.lexsort((idx, g))
            g = g[order]
    o = s if order is None else s[order]
    code = np.full(n, _OTHER, dtype=np.int8)
    for value, c in _CODES.items():
        code[(o["response"] == value).to_numpy()] = c
    day = o["assessment_date"].to_physical().to_numpy().astype(np.int64)
    run = np.zeros(n, dtype=np.uint64)
    run[1:] = np.cumsum(g[1:] != g[:-1])
    rows = np.arange(n + 1, dtype=np.int64)  # positions 0..n (n: none)
    # candidates: the CR and PR rows
    cand = np.flatnonzero(code <= 1)
    cand_cr = code[cand] == 0
    off = day - (int(day.min()) if n else 0)
    here = (run << np.uint64(33)) | off.astype(np.uint64)
    want_off = np.minimum(off[cand] + rule.confirm_min_days, (1 << 33) - 1)
    want = (run[cand] << np.uint64(33)) | want_off.astype(np.uint64)
    first_far = np.maximum(np.searchsorted(here, want, side="left"), cand + 1)
    # first CR (and first CR or PR) at or after each position
    pos_cr = np.where(code == 0, rows[:n], n)
    pos_resp = np.where(code <= 1, rows[:n], n)
    next_cr = np.append(np.minimum.accumulate(pos_cr[::-1])[::-1], n)
    next_resp = np.append(np.minimum.accumulate(pos_resp[::-1])[::-1], n)
    upper = np.where(cand_cr, next_cr[first_far], next_resp[first_far])
    found = upper < n
    upper = np.where(found, upper, cand)
    found &= run[upper] == run[cand]
    # calls of each code among the rows before each position 0..n
    before = {k: np.concatenate(([0], np.cumsum(code == k, dtype=np.int32))) for k in range(1, 5)}
    # counts over the rows after the response up to and including its confirmation
    n_pr, n_sd, n_ne, n_other = (before[k][upper + 1] - before[k][cand + 1] for k in range(1, 5))
    ne_ok = (n_ne <= rule.max_ne_between) & (n_other == 0)
    cr_ok = (n_pr == 0) & (n_sd == 0)
    first_cr = np.minimum(next_cr[cand + 1], upper)
    pr_after_cr = before[1][upper + 1] - before[1][first_cr + 1]
    pr_ok = (n_sd <= rule.max_sd_between) & (pr_after_cr == 0)
    ok = found & ne_ok & np.where(cand_cr, cr_ok, pr_ok)
    if rule.confirm_max_days is not None:
        ok &= day[upper] - day[cand] <= rule.confirm_max_days
    at = np.zeros(n, dtype=np.int64)
    flag = np.zeros(n, dtype=bool)
    at[cand], flag[cand] = upper, ok
    if order is not None:  # back to the caller's row order
        flag[order], at[order] = flag.copy(), order[at]
    conf = pl.Series(CONF, flag, dtype=pl.Boolean)
    taken = pl.Series(at, dtype=pl.UInt32)
    out = s.with_columns(
        conf,
        pl.when(conf).then(s["assessment_date"].gather(taken)).alias(CONF_DATE),
        pl.when(conf).then(s["response"].gather(taken)).alias(CONF_RESP),
    )
    if GK not in series.columns:
        out = out.drop(GK)
    return out


_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
_NO_PICK = (1 << 64) - 1  # a row that meets no event
_NO_ASSESSMENT = "no assessment in the analysis window"


_NO_RANK = np.uint64(len(_ORDER))


def _event_ranks(s: pl.DataFrame, rule: BorRule) -> np.ndarray:
    """Position in ``_ORDER`` of the first event each assessment meets (``_NO_RANK`` for
    none), as numpy masks assigned from the last event to the first so the first one met
    wins: CR / PR (confirmed when the rule requires it), SD = CR, PR or SD at least
    ``sd_min_days`` after the reference date, NON-CR/NON-PD the same, PD, NE = any call
    but PD (see the module docstring)."""
    resp = s["response"]
    is_ = {v: (resp == v).fill_null(False).to_numpy() for v in _ORDER}
    late = s.select(
        ((pl.col("assessment_date") - pl.col("reference_date")).dt.total_days()
         >= rule.sd_min_days).fill_null(False)
    ).to_series().to_numpy()  # fmt: skip
    conf = s[CONF].fill_null(False).to_numpy() if rule.confirm else True
    met = [
        is_["CR"] & conf,
        is_["PR"] & conf,
        (is_["CR"] | is_["PR"] | is_["SD"]) & late,
        is_["NON-CR/NON-PD"] & late,
        is_["PD"],
        is_["CR"] | is_["PR"] | is_["SD"] | is_["NON-CR/NON-PD"] | is_["NE"],
    ]
    rank = np.full(s.height, _NO_RANK, dtype=np.uint64)
    for i in reversed(range(len(met))):
        rank[met[i]] = i
    return rank


def bor_from_window(
    window: AnalysisWindow, rule: BorRule, *, explain: bool = False
) -> pl.DataFrame:
    """Best overall response per output key from an :class:`AnalysisWindow`.

    Method: each assessment gets the rank (in ``_ORDER``) of the first event it meets; a
    group's BOR is its smallest rank, and the winning assessment is the group's first (by
    date) with that rank, so one integer minimum per group (a ``reduceat`` over the runs of
    the sorted group key ``GK``) replaces a filtered search per event. The winning row's
    fields and the audit text are built for the groups with assessments only; the other
    groups of the window are MISSING.
    """
    keys = window.keys
    s, groups = window.series, window.groups
    if GK not in s.columns or GK not in groups.columns:
        groups, s = add_key([groups.drop(GK, strict=False), s.drop(GK, strict=False)], keys, GK)
        groups = groups.sort(GK)
        s = s.sort(GK, IDX)
    if rule.confirm:
        if not rule.first_cr_reliable:
            s = relabel_unreliable_cr(s, keys)
        s = confirmed_responses(s, keys, rule)
    else:
        s = s.with_columns(
            pl.lit(False).alias(CONF),
            pl.lit(None, dtype=pl.Date).alias(CONF_DATE),
            pl.lit(None, dtype=pl.String).alias(CONF_RESP),
        )
    # rank in the high bits, row number in the low: the minimum is the first winning row;
    # the rows are sorted by GK, so each group is one run and its minimum one reduceat
    rank = _event_ranks(s, rule)
    picks = np.where(rank == _NO_RANK, np.uint64(_NO_PICK),
                     (rank << np.uint64(32)) | np.arange(s.height, dtype=np.uint64))  # fmt: skip
    g = s[GK].to_numpy()
    starts = np.flatnonzero(np.concatenate(([len(g) > 0], g[1:] != g[:-1])))
    best = np.minimum.reduceat(picks, starts) if len(g) else np.zeros(0, np.uint64)
    code = pl.Series(best >> np.uint64(32), dtype=pl.UInt64)
    rows = pl.Series(np.where(best == _NO_PICK, 0, best & np.uint64(0xFFFFFFFF)), dtype=pl.UInt32)
    picked = best != _NO_PICK
    per = s.select(
        pl.col(GK), pl.col("reference_date"),
        pl.col("assessment_date").alias(f"{TMP}d"), pl.col("response").alias(f"{TMP}r"),
        pl.col(CONF_DATE).alias(f"{TMP}c"), pl.col(CONF_RESP).alias(f"{TMP}cr"),
    )[rows].with_columns(
        pl.Series("n_assessments", np.diff(np.append(starts, len(g))), dtype=pl.Int64),
        pl.Series("bor", [*_ORDER, None], dtype=pl.String).gather(
            pl.Series(np.minimum(code.to_numpy(), len(_ORDER)), dtype=pl.UInt32)
        ),
    )  # fmt: skip
    if not picked.all():  # no event met (cannot happen with valid calls): as MISSING
        keep = pl.Series(picked)
        per = per.with_columns(
            *(pl.when(keep).then(pl.col(c)) for c in per.columns if c not in (GK, "n_assessments"))
        )
    per = per.with_columns(
        pl.col("bor").fill_null(pl.lit("MISSING")), pl.col(f"{TMP}d").alias("bor_date")
    )
    cols = ["bor", "bor_date"]
    if explain:
        per = per.with_columns(_reason_pieces()).with_columns(
            _reason(rule).alias("bor_reason"), _pick("c").alias("bor_confirmation_date")
        )
        cols += ["bor_reason", "bor_confirmation_date", "n_assessments"]
    # groups without an assessment in the window are MISSING
    out = groups.join(
        per.select(pl.col(GK).set_sorted(), *cols), on=GK, how="left", maintain_order="left"
    ).with_columns(pl.col("bor").fill_null(pl.lit("MISSING")))
    result_cols = [*keys, "bor", "bor_date"]
    if explain:
        out = out.with_columns(
            pl.col("bor_reason").fill_null(pl.lit(_NO_ASSESSMENT)),
            pl.col("n_assessments").fill_null(0),
            pl.lit(rule.description).alias("bor_rule"),
        )
        result_cols += ["bor_reason", "bor_confirmation_date", "n_assessments", "bor_rule"]
    return out.select(result_cols)


def _pick(prefix: str) -> pl.Expr:
    """A column of the winning assessment (null when the BOR is MISSING)."""
    return pl.col(f"{TMP}{prefix}")


def _reason_pieces() -> list[pl.Expr]:
    """Text of the winning date, its study day and the confirmation date, for _reason."""
    return [
        pl.col("bor_date").cast(pl.String).alias(f"{TMP}date_text"),
        (pl.col("bor_date") - pl.col("reference_date")).dt.total_days().cast(pl.String)
        .alias(f"{TMP}day_text"),
        _pick("c").cast(pl.String).alias(f"{TMP}conf_text"),
    ]  # fmt: skip


def _reason(rule: BorRule) -> pl.Expr:
    bor = pl.col("bor")
    # the text pieces are columns computed once by _reason_pieces (each branch of the
    # when-chain below is evaluated on every row)
    date, day, conf = _pick("date_text"), _pick("day_text"), _pick("conf_text")
    conf_resp = _pick("cr")
    first_resp = _pick("r")
    sd_day = str(rule.sd_min_days)
    resp_word = "confirmed CR/PR" if rule.confirm else "CR/PR"
    return (
        pl.when(bor.is_in(["CR", "PR"]) & pl.lit(rule.confirm))
        .then(pl.format("{} on {} confirmed by {} on {}", bor, date, conf_resp, conf))
        .when(bor.is_in(["CR", "PR"]))
        .then(pl.format("first {} on {} (confirmation not required)", bor, date))
        .when(bor == "SD")
        .then(pl.format(
            "no {}; {} on {} at day {} >= " + sd_day, pl.lit(resp_word), first_resp, date, day
        ))
        .when(bor == "NON-CR/NON-PD")
        .then(pl.format("NON-CR/NON-PD on {} at day {} >= " + sd_day, date, day))
        .when(bor == "PD")
        .then(pl.format(
            "PD on {}; no " + resp_word + ", and no SD or NON-CR/NON-PD at or after day "
            + sd_day, date,
        ))
        .when(bor == "NE")
        .then(pl.format(
            "no " + resp_word + ", no PD, and no SD or NON-CR/NON-PD at or after day "
            + sd_day + "; first assessment {}", date,
        ))
        .otherwise(pl.lit(_NO_ASSESSMENT))
    )  # fmt: skip


def best_overall_response(
    assessments: Any,
    reference_dates: Any,
    dataset_next_therapy: Any = None,
    *,
    rule: BorRule | None = None,
    by: Sequence[str] | str | None = None,
    explain: bool = False,
) -> pl.DataFrame:
    """Best overall response per patient (and per ``by`` group) from timepoint responses.

    Parameters
    ----------
    assessments : polars, pandas or pyarrow table with ``patient_id``, ``assessment_date``
        and ``response``. Permitted values of ``response``: CR, PR, SD, NON-CR/NON-PD, PD,
        NE, ND (ND rows are ignored); anything else raises
        :class:`~cnsrwe.errors.CriteriaError` naming the patient, date and value.
    reference_dates : table with ``patient_id`` and ``reference_date`` (line start);
        optional ``next_therapy_date`` and any ``by`` key it is keyed by (e.g. ``line``).
    dataset_next_therapy : optional table with ``patient_id`` (and reference keys) and
        ``next_therapy_date``; assessments on or after it are ignored.
    rule : a :class:`~cnsrwe.response.rules.BorRule` (default: unconfirmed RECIST 1.1).
    by : extra grouping columns of ``assessments``, e.g. ``["line", "compartment"]``.
    explain : add ``bor_reason``, ``bor_confirmation_date``, ``n_assessments`` and
        ``bor_rule`` columns for audit pages.

    Returns
    -------
    polars.DataFrame with ``patient_id``, the ``by`` columns, ``bor`` (CR, PR, SD,
    NON-CR/NON-PD, PD, NE or MISSING) and ``bor_date``; one row per row of
    ``reference_dates`` (crossed with the ``by`` values it lacks), sorted by key.

    References
    ----------
    Eisenhauer EA et al. Eur J Cancer 2009;45:228-247, section 4.4 and Table 3.
    admiralonco ``R/response_sources.R`` (events ``bor_*``, ``cbor_*``).

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> a = pl.DataFrame({"patient_id": ["P1", "P1"],
    ...                   "assessment_date": [dt.date(2020, 2, 26), dt.date(2020, 3, 25)],
    ...                   "response": ["PR", "PR"]})
    >>> r = pl.DataFrame({"patient_id": ["P1"], "reference_date": [dt.date(2020, 1, 1)]})
    >>> best_overall_response(a, r, rule=BorRule(confirm=True))["bor"].to_list()
    ['PR']
    """
    rule = BorRule() if rule is None else rule
    if not isinstance(rule, BorRule):
        msg = f"`rule` must be a BorRule, got {type(rule).__name__!r}"
        raise TypeError(msg)
    window = analysis_window(
        assessments, reference_dates, rule=rule, by=by, dataset_next_therapy=dataset_next_therapy
    )
    return bor_from_window(window, rule, explain=explain)
