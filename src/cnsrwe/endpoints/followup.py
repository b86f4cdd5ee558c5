"""Median follow-up by the reverse Kaplan-Meier method, per group.

Rule (Schemper & Smith, Control Clin Trials 1996;17:343-346; ``clinical/endpoints.md``
section 7): take the endpoint's times and swap the indicator (events become censorings and
censorings become "events"), fit Kaplan-Meier and report its median with CI. This estimates
potential follow-up and is not pulled down by early deaths; the crude median of observation
times is reported beside it for contrast (EP-19). Use the OS rows for follow-up of survival,
the PFS rows for "median follow-up for PFS" (as the CROWN 5-year report). Always state the
data cutoff (``cutoff_date`` of the ADTTE rows) with the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cnsrwe.stats.ard import ArdRow, ard_frame, concat_ard
from cnsrwe.stats.kaplan_meier import FollowUpResult, median_follow_up


@dataclass(frozen=True)
class FollowUp:
    """Reverse-KM follow-up per group (``fits``) and the crude median observation time."""

    fits: dict[str, FollowUpResult]
    crude_median: dict[str, float]
    unit: str

    def table(self) -> pl.DataFrame:
        rows = []
        for g, fit in self.fits.items():
            lo, hi = fit.median_ci
            rows.append({"group": g, "median": fit.median, "lower": lo, "upper": hi,
                         "crude_median": self.crude_median[g], "unit": self.unit})  # fmt: skip
        return pl.DataFrame(rows, schema={"group": pl.String, "median": pl.Float64,
                                          "lower": pl.Float64, "upper": pl.Float64,
                                          "crude_median": pl.Float64, "unit": pl.String})

    def to_ard(self) -> pl.DataFrame:
        frames = []
        for g, fit in self.fits.items():
            frames.append(fit.to_ard().with_columns(pl.lit(g).alias("group")))
            frames.append(ard_frame([ArdRow(
                "median_follow_up", "crude_median_observation_time", "estimate",
                self.crude_median[g], f"median of observed times ({self.unit}), biased low",
                group=g)]))  # fmt: skip
        return concat_ard(frames)


def follow_up(
    dataset: pl.DataFrame, *, by: str | None = None, time: str = "aval_months"
) -> FollowUp:
    """Median follow-up by reverse KM per level of ``by`` (rules in the module docstring).

    ``dataset``: rows of one endpoint (normally ``paramcd == "OS"``) with ``time`` and
    ``cnsr`` (0 = event). Ties between an event and a censoring at the same time follow R
    ``survfit(Surv(time, 1 - status) ~ 1)``.
    """
    for col in (time, "cnsr", *([by] if by else [])):
        if col not in dataset.columns:
            msg = f"`dataset` must have column {col!r}, got columns {dataset.columns!r}"
            raise ValueError(msg)
    keys = dataset[by].cast(pl.String) if by else pl.Series([""] * dataset.height)
    fits, crude = {}, {}
    for g in sorted(set(keys.to_list())):
        sub = dataset.filter(keys == g)
        t = sub[time].to_numpy()
        fits[g] = median_follow_up(t, 1 - sub["cnsr"].to_numpy())
        crude[g] = float(sub[time].median())  # type: ignore[arg-type]
    unit = "months" if time == "aval_months" else time
    return FollowUp(fits, crude, unit)
