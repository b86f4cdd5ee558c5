"""Survival of the first ALK-TKI line after failure of a second-generation ALK-TKI, by ALK
mutation status (Wu, Zou et al., J Transl Med 2024, Results "Efficacy of subsequent
therapy", Fig. 5).

* index 2G failure: a patient's earliest 2G ALK-TKI line with ``end_reason = progression``;
* the line analysed: the patient's first later line with an ALK-TKI;
* mutation status: from tissue re-biopsies (not failed) taken at or after that progression
  (sample ``line`` >= the 2G line): ``ALK mutation`` when any sample shows an ALK
  kinase-domain mutation (class ``alk_single`` or ``alk_compound``), else ``No ALK
  mutation``; patients without such a sample are not analysed;
* line PFS: line start to line end when the line ended for progression or death; otherwise
  censored at the last date known alive (or at the data cut-off when that is missing);
  OS: line start to death, otherwise censored likewise. Months = days / 30.4375;
* Kaplan-Meier per group, log-rank, Cox (Efron ties) HR of ``ALK mutation`` vs ``No ALK
  mutation``, and Firth's penalised Cox model when a group has fewer events than
  ``[resistance].firth_below_events``.
"""

from __future__ import annotations

import polars as pl

from cnsrwe.runner.analyses import DEFAULT_TIMES, FAILURES, with_risk_table
from cnsrwe.runner.inputs import StudyInputs
from cnsrwe.runner.prepare import PreparedStudy
from cnsrwe.runner.results import AnalysisResult, FigureSpec, stamp
from cnsrwe.stats import cox_ph, firth_cox, kaplan_meier_by, logrank_test
from cnsrwe.study.resistance_spec import ResistanceSpec

DAYS_PER_MONTH = 365.25 / 12
MUTATED = "ALK mutation"
WILD = "No ALK mutation"
ENDPOINTS = {"pfs": "Line PFS", "os": "Overall survival"}


def after_2g_groups(lines: pl.DataFrame, samples: pl.DataFrame) -> pl.DataFrame:
    """``patient_id, line, reference_date, end_date, end_reason, group`` (module notes)."""
    index = (lines.filter(pl.col("alk_generation") == "2G",
                          pl.col("end_reason") == "progression")
             .group_by("patient_id").agg(pl.col("line").min().alias("_index")))
    later = (lines.join(index, on="patient_id")
             .filter(pl.col("line") > pl.col("_index"), pl.col("alk_tki").is_not_null())
             .sort("line").group_by("patient_id").agg(pl.all().first()))
    status = (samples.join(index, on="patient_id")
              .filter(pl.col("line") >= pl.col("_index"), pl.col("specimen") == "tissue",
                      pl.col("mechanism_class") != "failed")
              .group_by("patient_id")
              .agg(pl.col("mechanism_class").is_in(["alk_single", "alk_compound"]).any()
                   .alias("_mut")))
    return later.join(status, on="patient_id", how="inner").select(
        "patient_id", "line", "reference_date", "end_date", "end_reason",
        pl.when(pl.col("_mut")).then(pl.lit(MUTATED)).otherwise(pl.lit(WILD)).alias("group"))


def _times(groups: pl.DataFrame, patients: pl.DataFrame, cutoff: object,
           endpoint: str) -> pl.DataFrame:
    d = groups.join(patients.select("patient_id", "death_date", "last_known_alive_date"),
                    on="patient_id", how="left")
    censor = pl.coalesce("last_known_alive_date", pl.lit(cutoff, pl.Date))
    if endpoint == "pfs":
        event = pl.col("end_reason").is_in(["progression", "death"]).fill_null(False)
        stop = pl.when(event).then(pl.col("end_date")).otherwise(censor)
    else:
        event = pl.col("death_date").is_not_null()
        stop = pl.coalesce("death_date", censor)
    return d.select("group", ((stop - pl.col("reference_date")).dt.total_days()
                              / DAYS_PER_MONTH).alias("aval_months"),
                    event.cast(pl.Int64).alias("event")).drop_nulls("aval_months")


def _one(prep: PreparedStudy, df: pl.DataFrame, endpoint: str,
         rs: ResistanceSpec) -> AnalysisResult:
    pop = f"resistance/after_2g_{endpoint}"
    title = f"{ENDPOINTS[endpoint]} of the first ALK-TKI after 2G failure, by ALK mutation"
    present = tuple(g for g in (MUTATED, WILD) if g in set(df["group"].to_list()))
    notes: list[str] = []
    km = kaplan_meier_by(df, time="aval_months", event="event", group="group")
    frames = [km.to_ard(times=DEFAULT_TIMES)]
    lr = None
    if len(present) == 2:
        try:
            lr = logrank_test(df["aval_months"], df["event"], df["group"])
            frames.append(lr.to_ard())
        except FAILURES as exc:
            notes.append(f"log-rank: not estimable on these data ({exc}).")
        data = df.with_columns((pl.col("group") == MUTATED).cast(pl.Float64)
                               .alias(f"group={MUTATED}"))
        events = df.group_by("group").agg(pl.col("event").sum())["event"].min()
        fits = [("Cox", cox_ph)]
        if int(events or 0) < rs.firth_below_events:  # type: ignore[arg-type]
            fits.append(("Firth Cox", firth_cox))
            notes.append(f"A group has fewer than {rs.firth_below_events} events: Firth's "
                         "penalised Cox model is shown beside the Cox model.")
        for label, fit in fits:
            try:
                frames.append(fit(data.select("aval_months", "event", f"group={MUTATED}"),
                                  duration="aval_months", event="event",
                                  covariates=[f"group={MUTATED}"]).to_ard())
            except FAILURES as exc:
                notes.append(f"{label}: not estimable on these data ({exc}).")
    else:
        notes.append("Only one mutation-status group has patients; no comparison.")
    ard, ticks = with_risk_table(frames, km, df["aval_months"])
    fig = FigureSpec(
        pop.replace("/", "__") + "_km", f"Kaplan-Meier estimates: {title}",
        f"Kaplan-Meier curves of {ENDPOINTS[endpoint]} by ALK mutation status with numbers "
        "at risk", "plot_km", km,
        {"times": ticks, "logrank": lr, "time_unit": prep.spec.output.time_unit,
         "ylabel": f"{ENDPOINTS[endpoint]} probability"})
    return AnalysisResult(pop.split("/", 1)[1], "resistance_survival", pop, title,
                          stamp(ard, pop), present, present, (fig,), tuple(notes),
                          extra={"endpoint": endpoint, "label": ENDPOINTS[endpoint],
                                 "times": DEFAULT_TIMES, "label_map": {g: g for g in present},
                                 "follow_up": False, "reference": WILD})


def survival_after_2g(prep: PreparedStudy, inputs: StudyInputs, lines: pl.DataFrame,
                      samples: pl.DataFrame, rs: ResistanceSpec) -> list[AnalysisResult]:
    """PFS and OS results (module notes); none when no patient qualifies."""
    groups = after_2g_groups(lines, samples)
    if groups.height == 0:
        return []
    pts = inputs.tables["patients"]
    return [_one(prep, _times(groups, pts, prep.spec.study.data_cutoff, e), e, rs)
            for e in ENDPOINTS]
