"""Response rates (ic-ORR, ic-DCR, ex-ORR, ex-DCR, o-ORR, o-DCR) per population and group,
with exact Clopper-Pearson intervals and the CR/PR split the publications print.

Rules (``clinical/endpoints.md`` section 1; 2022 six-hospital alectinib study, Methods:
"Objective response rate or disease control rate was estimated with 95% confidence interval
based on the exact binomial distribution")
-------------------------------------------------------------------------------------------
* Numerator: patients of the population whose best overall response in the rate's
  compartment is one of ``responses`` (ORR: CR, PR; DCR: CR, PR, SD, NON-CR/NON-PD; the SD
  minimum-duration rule is applied upstream by the BOR rule).
* Denominator: every patient whose population flag is true, **including** patients with no
  BOR row (counted as ``MISSING``, a non-response): a rate is never computed on evaluable
  patients only unless the population says so (EP-04: 11 measurable of 20 with BM/LM).
* Interval: :func:`cnsrwe.stats.binomial_ci` (Clopper-Pearson by default). Estimates are
  stored unrounded; formatting belongs to the report layer.

Landmark disease control (:func:`landmark_disease_control`): disease control at week ``w``
means the first adequate assessment on or after day ``7 w - tolerance_days`` is CR, PR, SD
or NON-CR/NON-PD and no PD was recorded before it (PROFILE 1014 reported 12- and 24-week
intracranial DCR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from cnsrwe._checks import assert_open_unit_interval
from cnsrwe.endpoints.sources import _check_compartments
from cnsrwe.stats.ard import ArdRow, ard_frame, concat_ard
from cnsrwe.stats.proportions import BinomialMethod, binomial_ci

BOR_CODES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")
_CONTROL = ("CR", "PR", "SD", "NON-CR/NON-PD")


@dataclass(frozen=True)
class RateDefinition:
    """A response rate: ``responses`` in ``compartment`` among patients with ``population``.

    ``population`` names a boolean column of the population table, or ``"all"``.
    """

    name: str
    description: str
    compartment: str
    responses: tuple[str, ...]
    population: str

    def __post_init__(self) -> None:
        _check_compartments("compartment", (self.compartment,))
        bad = [r for r in self.responses if r not in BOR_CODES]
        if not self.responses or bad:
            msg = f"`responses` must be a non-empty subset of {list(BOR_CODES)!r}, got {bad!r}"
            raise ValueError(msg)


IC_ORR = RateDefinition("ic-ORR", "Intracranial ORR, measurable CNS disease",
                        "intracranial", ("CR", "PR"), "measurable_cns")  # fmt: skip
IC_ORR_ANY = RateDefinition("ic-ORR (any CNS)", "Intracranial ORR, any CNS disease",
                            "intracranial", ("CR", "PR"), "any_cns")  # fmt: skip
IC_CR_ANY = RateDefinition("ic-CR (any CNS)", "Intracranial CR rate, any CNS disease",
                           "intracranial", ("CR",), "any_cns")  # fmt: skip
IC_DCR = RateDefinition("ic-DCR", "Intracranial DCR, measurable CNS disease",
                        "intracranial", _CONTROL, "measurable_cns")  # fmt: skip
EX_ORR = RateDefinition("ex-ORR", "Extracranial ORR, measurable extracranial disease",
                        "extracranial", ("CR", "PR"), "measurable_extracranial")  # fmt: skip
EX_DCR = RateDefinition("ex-DCR", "Extracranial DCR, measurable extracranial disease",
                        "extracranial", _CONTROL, "measurable_extracranial")  # fmt: skip
O_ORR = RateDefinition("o-ORR", "Overall (whole-body) ORR, all patients",
                       "overall", ("CR", "PR"), "all")  # fmt: skip
O_DCR = RateDefinition("o-DCR", "Overall (whole-body) DCR, all patients",
                       "overall", _CONTROL, "all")  # fmt: skip
STANDARD_RATES: tuple[RateDefinition, ...] = (
    IC_ORR, IC_ORR_ANY, IC_CR_ANY, IC_DCR, EX_ORR, EX_DCR, O_ORR, O_DCR,
)  # fmt: skip

_COUNT_COLS = {f"n_{c.lower().replace('-', '_').replace('/', '_')}": c for c in BOR_CODES}


@dataclass(frozen=True)
class ResponseRates:
    """Rates per definition and group: ``table`` (one row each) and ``to_ard()``."""

    table: pl.DataFrame
    conf_level: float

    def to_ard(self) -> pl.DataFrame:
        """ARD: n, k, estimate, lower, upper (``binomial_ci``) and the count of each BOR."""
        frames = []
        for r in self.table.iter_rows(named=True):
            ci = binomial_ci(r["k"], r["n"], conf_level=self.conf_level,
                             method=r["ci_method"]) if r["n"] else None  # fmt: skip
            if ci is not None:
                frames.append(ci.to_ard(parameter=r["rate"], group=r["group"]))
            counts = [ArdRow("response_counts", r["rate"], name, float(r[name]),
                             f"best overall response counts, population {r['population']}",
                             group=r["group"]) for name in _COUNT_COLS]  # fmt: skip
            frames.append(ard_frame(counts))
        return concat_ard(frames)


def response_rates(
    dataset_bor: pl.DataFrame,
    dataset_population: pl.DataFrame,
    *,
    by: str | None = None,
    rates: Sequence[RateDefinition] = STANDARD_RATES,
    conf_level: float = 0.95,
    ci_method: BinomialMethod = "clopper-pearson",
) -> ResponseRates:
    """Response rates with exact CIs (rules in the module docstring).

    Parameters
    ----------
    dataset_bor
        ``patient_id``, ``compartment``, ``bor``: one row per patient and compartment (one
        criteria profile and BOR rule, e.g. ``ad_bor`` filtered).
    dataset_population
        One row per patient: ``patient_id``, the boolean population columns the rates name
        (``measurable_cns``, ``any_cns``, ``measurable_extracranial`` ...) and ``by``.
    by
        Optional group column of ``dataset_population`` (e.g. ``cohort``); ``""`` = all.
    rates
        :class:`RateDefinition` objects (default :data:`STANDARD_RATES`).
    """
    assert_open_unit_interval("conf_level", conf_level)
    for name, df, cols in (("dataset_bor", dataset_bor, ("patient_id", "compartment", "bor")),
                           ("dataset_population", dataset_population, ("patient_id",))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            msg = f"`{name}` must have columns {list(cols)!r}, got no {missing!r}"
            raise ValueError(msg)
    needed = sorted({r.population for r in rates if r.population != "all"}
                    | ({by} if by else set()))  # fmt: skip
    missing = [c for c in needed if c not in dataset_population.columns]
    if missing:
        msg = f"`dataset_population` must have the population/group columns, got no {missing!r}"
        raise ValueError(msg)
    if dataset_population["patient_id"].is_duplicated().any():
        msg = "`dataset_population` must have one row per patient, got duplicated patient_id"
        raise ValueError(msg)
    dup = dataset_bor.select("patient_id", "compartment").is_duplicated()
    if dup.any():
        msg = ("`dataset_bor` must have one row per patient and compartment (filter one profile"
               f" and BOR rule first), got {int(dup.sum())} duplicated rows")  # fmt: skip
        raise ValueError(msg)
    group = pl.col(by).cast(pl.String).fill_null("(missing)") if by else pl.lit("")
    pop = dataset_population.with_columns(group.alias("group"))
    groups = pop.select("group").unique().sort("group")
    parts = []
    for rate in rates:
        bor = dataset_bor.filter(pl.col("compartment") == rate.compartment).select(
            "patient_id", "bor")
        sel = pop
        if rate.population != "all":
            sel = pop.filter(pl.col(rate.population).fill_null(False))
        joined = sel.select("patient_id", "group").join(bor, on="patient_id", how="left")
        joined = joined.with_columns(pl.col("bor").fill_null("MISSING"))
        agg = joined.group_by("group").agg(
            pl.len().cast(pl.Int64).alias("n"),
            pl.col("bor").is_in(list(rate.responses)).sum().cast(pl.Int64).alias("k"),
            *[(pl.col("bor") == code).sum().cast(pl.Int64).alias(col)
              for col, code in _COUNT_COLS.items()],
        )  # fmt: skip
        # every group of the population table gets a row, even with an empty denominator
        agg = groups.join(agg, on="group", how="left").fill_null(0)
        parts.append(agg.with_columns(
            pl.lit(rate.name).alias("rate"), pl.lit(rate.population).alias("population"),
            pl.lit(rate.compartment).alias("compartment"),
            pl.lit("+".join(rate.responses)).alias("responses"),
        ))  # fmt: skip
    table = pl.concat(parts).with_columns(pl.lit(ci_method).alias("ci_method"))
    cis = [binomial_ci(k, n, conf_level=conf_level, method=ci_method) if n else None
           for k, n in zip(table["k"].to_list(), table["n"].to_list(), strict=True)]  # fmt: skip
    table = table.with_columns(
        pl.Series("estimate", [c.estimate if c else None for c in cis], pl.Float64),
        pl.Series("lower", [c.lower if c else None for c in cis], pl.Float64),
        pl.Series("upper", [c.upper if c else None for c in cis], pl.Float64),
    ).select("rate", "group", "population", "compartment", "responses", "n", "k",
             *_COUNT_COLS, "estimate", "lower", "upper", "ci_method")  # fmt: skip
    return ResponseRates(table, conf_level)


def landmark_disease_control(
    dataset: pl.DataFrame,
    *,
    dataset_assessments: pl.DataFrame,
    compartment: str = "intracranial",
    weeks: int = 12,
    tolerance_days: int = 7,
) -> pl.DataFrame:
    """Disease control at a landmark week, per patient (rule in the module docstring).

    ``dataset``: ``patient_id``, ``start_date``; ``dataset_assessments``: ``patient_id``,
    ``assessment_date``, ``compartment``, ``response``. Returns ``patient_id``,
    ``landmark_date`` (the assessment used, null if none) and ``disease_control`` (bool).
    """
    _check_compartments("compartment", (compartment,))
    if weeks < 1 or tolerance_days < 0:
        msg = f"`weeks` must be >= 1 and `tolerance_days` >= 0, got {weeks!r}, {tolerance_days!r}"
        raise ValueError(msg)
    a = dataset_assessments.filter(pl.col("compartment") == compartment).join(
        dataset.select("patient_id", "start_date"), on="patient_id", how="inner"
    ).with_columns((pl.col("assessment_date") - pl.col("start_date")).dt.total_days().alias("d"))
    a = a.filter(pl.col("d") > 0)
    first_pd = a.filter(pl.col("response") == "PD").group_by("patient_id").agg(
        pl.col("d").min().alias("pd_day"))
    land = (
        a.filter((pl.col("d") >= 7 * weeks - tolerance_days)
                 & pl.col("response").is_in([*_CONTROL, "PD"]))
        .sort("patient_id", "d").group_by("patient_id", maintain_order=True)
        .agg(pl.col("assessment_date").first().alias("landmark_date"),
             pl.col("d").first().alias("land_day"), pl.col("response").first().alias("resp"))
    )  # fmt: skip
    out = dataset.select("patient_id").join(land, on="patient_id", how="left").join(
        first_pd, on="patient_id", how="left")
    ok = (pl.col("resp").is_in(list(_CONTROL))
          & (pl.col("pd_day").is_null() | (pl.col("pd_day") > pl.col("land_day"))))  # fmt: skip
    return out.select("patient_id", "landmark_date", ok.fill_null(False).alias("disease_control"))
