"""Execute the study file's ``[[analyses]]``: response rates, survival, competing risks and
Cox models. Every number comes from ``cnsrwe.endpoints`` / ``cnsrwe.stats`` as ARD rows,
stamped with the analysis ``population`` key (``<analysis>`` or ``<analysis>/<cohort>``).

A test that cannot be computed on the data at hand (one group, no events, a model that does
not converge) is not silently dropped: the reason goes into the result's ``notes`` and is
printed under the table.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from cnsrwe.endpoints import cns_progression_competing, follow_up, response_rates
from cnsrwe.endpoints.rates import BOR_CODES
from cnsrwe.errors import CnsrweError
from cnsrwe.runner.endpoint_specs import ci_method, rate_definition
from cnsrwe.runner.groups import AnalysisPart
from cnsrwe.runner.prepare import PreparedStudy
from cnsrwe.runner.results import AnalysisResult, FigureSpec, stamp
from cnsrwe.stats import (
    chi_square,
    concat_ard,
    cox_ph,
    firth_cox,
    fisher_exact,
    kaplan_meier_by,
    logrank_test,
    pairwise_logrank,
)
from cnsrwe.stats.cuminc import CumulativeIncidence
from cnsrwe.stats.kaplan_meier import KaplanMeierByResult
from cnsrwe.study import AnalysisSpec

FAILURES = (CnsrweError, ValueError, ArithmeticError, RuntimeError)
DEFAULT_TIMES = (6.0, 12.0, 24.0)
EVENT_WORDS = {"progression": "progression", "cns_progression": "CNS progression",
               "extracranial_progression": "extracranial progression",
               "extracranial_only_progression": "extracranial-only progression",
               "death": "death"}
# statistic names of ``response_counts`` rows -> the best response they count
_COUNT_NAMES = {f"n_{c.lower().replace('-', '_').replace('/', '_')}": c for c in BOR_CODES}


def _fail(test: str, exc: Exception) -> str:
    return f"{test}: not estimable on these data ({exc})."


def _bor_counts_as_categorical(ard: pl.DataFrame, rate: str) -> pl.DataFrame:
    """``response_counts`` rows re-keyed as ``describe_categorical`` ``<rate>_bor=<BOR>``
    (the same numbers, in the key the efficacy table reads for "4 CR + 7 PR")."""
    cnt = ard.filter((pl.col("analysis") == "response_counts") & (pl.col("parameter") == rate))
    return cnt.with_columns(
        pl.lit("describe_categorical").alias("analysis"),
        (pl.lit(f"{rate}_bor=") + pl.col("statistic").replace_strict(
            _COUNT_NAMES, default="?")).alias("parameter"),
        pl.lit("n").alias("statistic"))


def run_response_rate(spec: AnalysisSpec, part: AnalysisPart,
                      prep: PreparedStudy) -> AnalysisResult:
    """ic/ex/o response rate per group with its CI; ``fisher_exact``/``chi_square`` compare
    responders vs non-responders across groups (r x 2 table)."""
    name = str(spec.endpoint)
    ep = prep.spec.endpoints[name]
    rd = rate_definition(name, ep)
    method = ci_method(name, ep)
    pop = part.frame.select("patient_id", "group", *(
        [ep.population] if ep.population != "all" else []))
    rr = response_rates(prep.bor, pop, by="group", rates=[rd], conf_level=ep.conf_level,
                        ci_method=method)  # type: ignore[arg-type]
    frames = [rr.to_ard()]
    groups, labels = list(part.groups), list(part.group_labels)
    if len(groups) > 1:
        whole = response_rates(prep.bor, pop, by=None, rates=[rd], conf_level=ep.conf_level,
                               ci_method=method)  # type: ignore[arg-type]
        frames.append(whole.to_ard().with_columns(pl.lit("all").alias("group")))
        groups.append("all")
        labels.append("All patients")
    ard = concat_ard(frames)
    ard = concat_ard([ard, _bor_counts_as_categorical(ard, name)])
    notes = []
    tab = rr.table.filter(pl.col("n") > 0).sort("group")
    table = [[int(k), int(n - k)] for k, n in zip(tab["k"], tab["n"], strict=True)]
    for test in spec.tests:
        if test == "binomial_ci" or len(table) < 2:
            if test != "binomial_ci":
                notes.append(f"{test}: needs at least two groups with patients.")
            continue
        try:
            res = fisher_exact(table) if test == "fisher_exact" else chi_square(table)
            ard = concat_ard([ard, res.to_ard(parameter=name)])
        except FAILURES as exc:
            notes.append(_fail(test, exc))
    return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                          stamp(ard, part.population), tuple(groups), tuple(labels),
                          notes=tuple(notes), extra={"endpoint": name, "label": ep.label})


def _tte(prep: PreparedStudy, endpoint: str, part: AnalysisPart,
         extra: tuple[str, ...] = ()) -> pl.DataFrame:
    rows = prep.adtte.filter(pl.col("paramcd") == endpoint.upper())
    return rows.join(part.frame.select("patient_id", "group", *extra), on="patient_id",
                     how="inner").with_columns(
        (pl.col("cnsr") == 0).cast(pl.Int64).alias("event"))


def _indicators(df: pl.DataFrame, groups: tuple[str, ...],
                reference: str) -> tuple[pl.DataFrame, list[str]]:
    """0/1 columns ``group=<g>`` for every group with patients except ``reference``."""
    present = [g for g in groups if g in set(df["group"].to_list()) and g != reference]
    cols = [f"group={g}" for g in present]
    return df.with_columns([(pl.col("group") == g).cast(pl.Float64).alias(c)
                            for g, c in zip(present, cols, strict=True)]), cols


def short_labels(labels: tuple[str, ...]) -> tuple[str, ...]:
    """Legend labels: the part before ":" ("Cohort 1: ALK-TKI-naive" -> "Cohort 1") when
    that keeps every label distinct, else the labels unchanged."""
    short = tuple(lab.split(":", 1)[0].strip() for lab in labels)
    return short if len(set(short)) == len(short) and all(short) else labels


def legend_key(labels: tuple[str, ...]) -> str:
    """Caption text spelling out shortened legend labels ("Cohort 1 = ALK-TKI-naive")."""
    short = short_labels(labels)
    pairs = [f"{a} = {b.split(':', 1)[1].strip()}" for a, b in zip(short, labels, strict=True)
             if a != b]
    return (" (" + "; ".join(pairs) + ")") if pairs else ""


def _display_km(km: KaplanMeierByResult, keys: tuple[str, ...],
                labels: tuple[str, ...]) -> KaplanMeierByResult:
    """The same fits keyed by printed label, in display order (for the figure only)."""
    labels = short_labels(labels)
    return KaplanMeierByResult({lab: km.fits[g] for g, lab in zip(keys, labels, strict=True)})


def _display_cif(cif: CumulativeIncidence, keys: tuple[str, ...],
                 labels: tuple[str, ...]) -> CumulativeIncidence:
    """The same estimates with groups renamed to their printed labels, in display order."""
    if len(keys) == 1:
        return cif
    names = dict(zip(keys, short_labels(labels), strict=True))
    return replace(cif, table=cif.table.with_columns(
        pl.col("group").replace_strict(names, return_dtype=pl.String)),
        groups=tuple(names[g] for g in keys),
        max_time={names[g]: cif.max_time[g] for g in keys})


def with_risk_table(frames: list[pl.DataFrame], km: KaplanMeierByResult,
                    months: pl.Series) -> tuple[pl.DataFrame, tuple[float, ...]]:
    """``frames`` plus the numbers at risk every 6 months (12 beyond 48), duplicates dropped,
    and those times (from 0 past the longest follow-up: the figure's risk-table ticks)."""
    xmax = max(float(months.max() or 0.0), 1.0)  # type: ignore[arg-type]
    step = 6.0 if xmax <= 48 else 12.0
    ticks = tuple(float(step * k) for k in range(int(xmax // step) + 2))
    at_risk = km.to_ard(times=ticks).filter(pl.col("statistic") == "n_risk")
    ard = concat_ard([*frames, at_risk]).unique(
        ["analysis", "group", "parameter", "statistic"], keep="first", maintain_order=True
    )
    return ard, ticks


def run_survival(spec: AnalysisSpec, part: AnalysisPart, prep: PreparedStudy,
                 *, time_unit: str = "months") -> AnalysisResult:
    """Kaplan-Meier per group (median, rates at ``times_months``), and the listed tests:
    log-rank, pairwise log-rank (Holm), Cox and Firth Cox HRs of each group vs the first,
    reverse-KM median follow-up. Competing events of the endpoint are censored here (the
    cause-specific view); the cumulative incidence is a ``competing_risks`` analysis."""
    name = str(spec.endpoint)
    df = _tte(prep, name, part)
    times = tuple(spec.times_months) or DEFAULT_TIMES
    present = tuple(g for g in part.groups if g in set(df["group"].to_list()))
    labels = tuple(lab for g, lab in zip(part.groups, part.group_labels, strict=True)
                   if g in present)
    notes: list[str] = []
    if df.height == 0:
        return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                              stamp(concat_ard([]), part.population),
                              notes=("No patients with this endpoint in the analysis set.",))
    km = kaplan_meier_by(df, time="aval_months", event="event", group="group")
    frames = [km.to_ard(times=times)]
    lr = None
    if len(present) > 1:
        if "logrank" in spec.tests:
            try:
                lr = logrank_test(df["aval_months"], df["event"], df["group"])
                frames.append(lr.to_ard())
            except FAILURES as exc:
                notes.append(_fail("log-rank", exc))
        if "pairwise_logrank" in spec.tests and len(present) > 2:
            try:
                frames.append(pairwise_logrank(df["aval_months"], df["event"],
                                               df["group"]).to_ard())
            except FAILURES as exc:
                notes.append(_fail("pairwise log-rank", exc))
        reference = part.reference_among(present)
        data, cols = _indicators(df, present, reference)
        for test, fit in (("cox", cox_ph), ("firth_cox", firth_cox)):
            if test not in spec.tests:
                continue
            try:
                res = fit(data.select("aval_months", "event", *cols), duration="aval_months",
                          event="event", covariates=cols)
                frames.append(res.to_ard())
            except FAILURES as exc:
                notes.append(_fail(test.replace("_", " "), exc))
    elif any(t in spec.tests for t in ("logrank", "pairwise_logrank", "cox", "firth_cox")):
        notes.append("Group comparisons need at least two groups with patients; not run.")
    fu = None
    if "reverse_km_follow_up" in spec.tests:
        try:
            fu = follow_up(df, by="group")
            frames.append(fu.to_ard())
        except FAILURES as exc:
            notes.append(_fail("reverse Kaplan-Meier follow-up", exc))
    ep = prep.spec.endpoints[name]
    ard, ticks = with_risk_table(frames, km, df["aval_months"])
    label_map = dict(zip(present, labels, strict=True))
    fig = FigureSpec(
        name=part.population.replace("/", "__") + "_km",
        caption=f"Kaplan-Meier estimates of {ep.label.lower()} — {part.title}"
                f"{legend_key(labels)}",
        alt=f"Kaplan-Meier curves of {ep.label} by group with numbers at risk",
        plot="plot_km", data=_display_km(km, present, labels),
        options={"times": ticks, "logrank": lr, "time_unit": time_unit,
                 "ylabel": f"{ep.label} probability"},
    )
    return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                          stamp(ard, part.population), present, labels, (fig,), tuple(notes),
                          extra={"endpoint": name, "label": ep.label, "times": times,
                                 "label_map": label_map, "follow_up": fu is not None,
                                 "reference": part.reference_among(present)})


def run_competing(spec: AnalysisSpec, part: AnalysisPart, prep: PreparedStudy,
                  *, time_unit: str = "months") -> AnalysisResult:
    """Aalen-Johansen cumulative incidence of the endpoint's event with its competing
    events, Gray's test across groups and cause-specific Cox HRs
    (:func:`cnsrwe.endpoints.cns_progression_competing`)."""
    name = str(spec.endpoint)
    ep = prep.spec.endpoints[name]
    df = _tte(prep, name, part)
    times = tuple(spec.times_months) or DEFAULT_TIMES
    notes = []
    if "fine_gray" in spec.tests:
        notes.append("fine_gray: not run by the report runner yet (Gray's test and the "
                     "cause-specific HRs are shown).")
    if df.height == 0:
        return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                              stamp(concat_ard([]), part.population),
                              notes=("No patients with this endpoint in the analysis set.",))
    present = tuple(g for g in part.groups if g in set(df["group"].to_list()))
    labels = tuple(lab for g, lab in zip(part.groups, part.group_labels, strict=True)
                   if g in present)
    ordered = df.with_columns(pl.col("group").replace_strict(
        {g: f"{i}" for i, g in enumerate(present)}, return_dtype=pl.String).alias("_order"))
    res = cns_progression_competing(ordered.sort("_order"), by="group" if len(present) > 1
                                    else None, times_months=times, conf_level=ep.conf_level)
    ard = res.to_ard()
    if len(present) == 1:
        ard = ard.with_columns(pl.lit(present[0]).alias("group"))
    causes = sorted(int(c) for c in df["cause"].unique().to_list() if c)
    cause_labels = {1: " or ".join(EVENT_WORDS.get(e, e) for e in ep.events)}
    for k, ev in enumerate(ep.competing):
        cause_labels[k + 2] = EVENT_WORDS.get(ev, ev)
    fig = FigureSpec(
        name=part.population.replace("/", "__") + "_cif",
        caption=f"Cumulative incidence of {ep.label.lower()} with competing events — "
                f"{part.title}{legend_key(labels)}",
        alt=f"Cumulative incidence curves of {ep.label} and competing events by group",
        plot="plot_cumulative_incidence", data=_display_cif(res.cif, present, labels),
        options={"causes": causes, "cause_labels": {c: cause_labels.get(c, f"cause {c}")
                                                    for c in causes},
                 "gray": res.gray, "time_unit": time_unit},
    )
    return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                          stamp(ard, part.population), present, labels, (fig,), tuple(notes),
                          extra={"endpoint": name, "label": ep.label, "times": times,
                                 "cause_labels": cause_labels})


def run_cox(spec: AnalysisSpec, part: AnalysisPart, prep: PreparedStudy) -> AnalysisResult:
    """Cox (Efron) and/or Firth Cox regression of the endpoint on the group indicator and
    the listed baseline facts (booleans as 0/1); patients with a missing covariate are left
    out (complete cases, their number noted)."""
    name = str(spec.endpoint)
    covs = list(spec.covariates)
    df = _tte(prep, name, part, tuple(covs))
    present = tuple(g for g in part.groups if g in set(df["group"].to_list()))
    data, gcols = (_indicators(df, present, part.reference_among(present))
                   if len(present) > 1 else (df, []))
    data = data.with_columns([pl.col(c).cast(pl.Float64) for c in covs])
    terms = gcols + covs
    complete = data.drop_nulls(terms)
    notes = []
    if complete.height < data.height:
        notes.append(f"{data.height - complete.height} patient(s) with a missing covariate "
                     "left out (complete-case analysis).")
    frames = []
    for test, fit in (("cox", cox_ph), ("firth_cox", firth_cox)):
        if test not in spec.tests:
            continue
        try:
            frames.append(fit(complete.select("aval_months", "event", *terms),
                              duration="aval_months", event="event", covariates=terms).to_ard())
        except FAILURES as exc:
            notes.append(_fail(test.replace("_", " "), exc))
    ard = concat_ard(frames)
    return AnalysisResult(spec.name, spec.kind, part.population, part.title,
                          stamp(ard, part.population), part.groups, part.group_labels,
                          notes=tuple(notes), extra={"endpoint": name, "terms": terms,
                                                     "label": prep.spec.endpoints[name].label})
