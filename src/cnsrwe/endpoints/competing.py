"""CNS progression with competing events: cumulative incidence by group, Gray's test and the
cause-specific Cox hazard ratio, from the ``CNS_TTP`` rows of :func:`derive_tte`.

Rules (``clinical/endpoints.md`` section 6)
-------------------------------------------
* Event coding: ``cause`` 0 censored, 1 CNS progression, 2 extracranial-only first
  progression, 3 death without progression (whichever competing events the endpoint
  definition names).
* Cumulative incidence: Aalen-Johansen (:func:`cnsrwe.stats.cumulative_incidence`), reported
  at fixed times in months (default 6, 12, 24), never 1 - KM with competing events censored
  (biased upward, EP-18).
* Gray's test (:func:`cnsrwe.stats.gray_test`) compares the cause-1 CIFs across groups.
* Cause-specific hazard ratio: :func:`cnsrwe.stats.cox_ph` with cause 1 as the event and all
  other outcomes censored at their time (what ALEX reported); the group enters as 0/1
  indicators against the first (sorted) level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from cnsrwe.stats.ard import ArdRow, ard_frame, concat_ard
from cnsrwe.stats.competing_risks import cumulative_incidence, gray_test
from cnsrwe.stats.cox import cox_ph
from cnsrwe.stats.cuminc import CumulativeIncidence
from cnsrwe.stats.gray import GrayTest


@dataclass(frozen=True)
class CnsCompetingRisks:
    """Cumulative incidence, Gray's test and cause-specific HRs (``None`` for one group)."""

    cif: CumulativeIncidence
    times_months: tuple[float, ...]
    gray: GrayTest | None
    cause_specific_hr: pl.DataFrame | None
    reference_group: str

    def to_ard(self) -> pl.DataFrame:
        """ARD: CIF per group and cause at ``times_months``, Gray's test, cause-specific HRs."""
        frames = [self.cif.to_ard(list(self.times_months))]
        if self.gray is not None:
            frames.append(self.gray.to_ard())
        if self.cause_specific_hr is not None:
            rows = [
                ArdRow("cause_specific_cox", f"{r['group']} vs {self.reference_group}", stat,
                       r[stat], "Cox model on cause 1, other causes censored, Efron ties",
                       group=r["group"])
                for r in self.cause_specific_hr.iter_rows(named=True)
                for stat in ("hazard_ratio", "lower", "upper", "p_value")
            ]
            frames.append(ard_frame(rows))
        return concat_ard(frames)


def cns_progression_competing(
    dataset: pl.DataFrame,
    *,
    by: str | None = None,
    times_months: Sequence[float] = (6.0, 12.0, 24.0),
    conf_level: float = 0.95,
) -> CnsCompetingRisks:
    """Competing-risk analysis of CNS progression (rules in the module docstring).

    ``dataset``: rows of one competing endpoint (e.g. ``paramcd == "CNS_TTP"``) with
    ``aval_months`` and ``cause``, plus the group column ``by``. Time is in months.
    """
    for col in ("aval_months", "cause", *([by] if by else [])):
        if col not in dataset.columns:
            msg = f"`dataset` must have column {col!r}, got columns {dataset.columns!r}"
            raise ValueError(msg)
    if "paramcd" in dataset.columns and dataset["paramcd"].n_unique() > 1:
        codes = sorted(dataset["paramcd"].unique().to_list())
        msg = f"`dataset` must hold one endpoint, got paramcd {codes!r}"
        raise ValueError(msg)
    time = dataset["aval_months"].to_numpy()
    cause = dataset["cause"].to_numpy()
    group = dataset[by].cast(pl.String).to_numpy() if by else None
    cif = cumulative_incidence(time, cause, group=group, conf_level=conf_level)
    levels = sorted(set(group.tolist())) if group is not None else [""]
    gray = hr = None
    if len(levels) > 1:
        gray = gray_test(time, cause, group, cause=1)
        dummies = {f"g{i}": (dataset[by].cast(pl.String) == lv).cast(pl.Float64)
                   for i, lv in enumerate(levels[1:])}  # fmt: skip
        data = pl.DataFrame({"time": time, "event": (cause == 1).astype(float), **dummies})
        fit = cox_ph(data, duration="time", event="event", covariates=list(dummies),
                     conf_level=conf_level)  # fmt: skip
        hr = pl.DataFrame({
            "group": levels[1:], "hazard_ratio": fit.hazard_ratio, "lower": fit.ci_lower,
            "upper": fit.ci_upper, "p_value": fit.p_value,
        })  # fmt: skip
    return CnsCompetingRisks(cif, tuple(float(t) for t in times_months), gray, hr, levels[0])
