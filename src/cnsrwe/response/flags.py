"""Response flags (objective response, disease control) and duration-of-response inputs.

Definitions (endpoints.md section 1 and 2; RECIST 1.1 Eisenhauer 2009 sections 4.4-4.5):

* objective response: best overall response CR or PR;
* disease control: best overall response CR, PR, SD or NON-CR/NON-PD (SD and
  NON-CR/NON-PD already require the minimum duration inside the BOR derivation);
* duration of response runs from the date CR/PR criteria were first met (for confirmed
  responses the first assessment of the first confirmed pair) to the first PD after it.

NE and MISSING best responses are non-responders (flags False), so they stay in the
denominator as RECIST and the trials report it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from cnsrwe.response._tables import require_columns, to_polars
from cnsrwe.response.bor import CONF, confirmed_responses
from cnsrwe.response.rules import DISEASE_CONTROL, OBJECTIVE_RESPONSE, BorRule
from cnsrwe.response.window import analysis_window


def derive_response_flags(dataset: Any) -> pl.DataFrame:
    """Add ``objective_response`` and ``disease_control`` (booleans) to a BOR table.

    Parameters
    ----------
    dataset : output of :func:`~cnsrwe.response.best_overall_response` (needs ``bor``).

    Examples
    --------
    >>> import polars as pl
    >>> out = derive_response_flags(pl.DataFrame({"bor": ["PR", "SD", "NE"]}))
    >>> out["disease_control"].to_list()
    [True, True, False]
    """
    df = to_polars(dataset, "dataset")
    require_columns(df, "dataset", ["bor"])
    return df.with_columns(
        pl.col("bor").is_in(list(OBJECTIVE_RESPONSE)).fill_null(False).alias("objective_response"),
        pl.col("bor").is_in(list(DISEASE_CONTROL)).fill_null(False).alias("disease_control"),
    )


def duration_of_response_inputs(
    assessments: Any,
    reference_dates: Any,
    dataset_next_therapy: Any = None,
    *,
    rule: BorRule | None = None,
    by: Sequence[str] | str | None = None,
) -> pl.DataFrame:
    """Per patient (and ``by`` group): first response date, first PD after it, last assessment.

    Uses the same analysis window as :func:`~cnsrwe.response.best_overall_response`, but
    keeps the PD rows (the PD is the event); with ``rule.truncate_after_pd`` a response
    first seen after a PD does not count, as in the BOR. Returns ``patient_id``, the ``by``
    columns, ``response_date`` (null for non-responders), ``pd_date`` (first PD after
    ``response_date``, null if none) and ``last_adequate_date`` (last non-NE assessment from
    ``response_date`` up to ``pd_date``, the usual censoring date).
    """
    rule = BorRule() if rule is None else rule
    keep_all = BorRule(**{**rule.as_dict(), "truncate_after_pd": False})  # type: ignore[arg-type]
    w = analysis_window(
        assessments, reference_dates, rule=keep_all, by=by,
        dataset_next_therapy=dataset_next_therapy,
    )  # fmt: skip
    s = w.series
    if rule.confirm:
        s = confirmed_responses(s, w.keys, rule)
        is_resp = pl.col("response").is_in(["CR", "PR"]) & pl.col(CONF)
    else:
        is_resp = pl.col("response").is_in(["CR", "PR"])
    first_pd = pl.col("assessment_date").filter(pl.col("response") == "PD").min().over(w.keys)
    if rule.truncate_after_pd:
        # as in the BOR: a response after the first PD does not count
        is_resp = is_resp & (first_pd.is_null() | (pl.col("assessment_date") < first_pd))
    rdate = pl.col("assessment_date").filter(is_resp).min().over(w.keys)
    s = s.with_columns(rdate.alias("response_date"))
    after = pl.col("assessment_date") > pl.col("response_date")
    pd_after = pl.col("assessment_date").filter(after & (pl.col("response") == "PD")).min()
    s = s.with_columns(pd_after.over(w.keys).alias("pd_date"))
    adequate = (
        (pl.col("assessment_date") >= pl.col("response_date"))
        & (pl.col("response") != "NE")
        & (pl.col("pd_date").is_null() | (pl.col("assessment_date") <= pl.col("pd_date")))
    )
    per = s.group_by(w.keys).agg(
        pl.col("response_date").first(),
        pl.col("pd_date").first(),
        pl.col("assessment_date").filter(adequate).max().alias("last_adequate_date"),
    )
    out = w.groups.select(w.keys).join(per, on=w.keys, how="left", nulls_equal=True)
    return out.sort(w.keys, nulls_last=True)
