"""ADaM-style analysis datasets (ADSL, ADRS, ADTR, ADTTE) built from a study's tables.

Inputs are the validated input tables (``patients``, ``treatments``) and the derived tables
of ``cnsrwe derive`` (``ad_reference``, ``ad_timepoints``, ``ad_bor``, ``ad_lesions``); the
time-to-event rows come from :func:`cnsrwe.endpoints.tte.derive_tte`. Nothing is recomputed
here: every value is copied or re-expressed (codes, units, names) from those tables, so an
export shows exactly what the toolkit derived.

Rules (ADaM IG v1.3 names; deviations in ``docs/exchange.md``):

* The *index line* of a patient is the first systemic line whose regimen or agents contain
  ``index_agent`` (case-insensitive) when it is given, else line ``index_line`` (default 1).
  ``ANL01FL = "Y"`` marks ADRS rows of the index line; ADTTE is derived for the index line.
* ADRS: timepoint responses (``OVR``, ``IC_OVR``, ``EX_OVR`` for the overall, intracranial and
  extracranial compartments) and best overall responses (``BOR``... unconfirmed, ``CBOR``...
  confirmed) per line; ``PARCAT2`` keeps the criteria profile, so two profiles of one
  compartment stay apart.
* ADTR: the target sum per compartment (``SUMDIAM``, ``ICSUMDIA``, ``EXSUMDIA``) with a
  baseline row, change and percent change from baseline and from nadir; one ``LDIAM`` row per
  target lesion and scan (the diameter the criteria used, e.g. 5 mm for too-small lesions).
* Lesion diameters stored in tenths of a millimetre are divided by 10 (exact in binary64 for
  one decimal place as printed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl

from cnsrwe.endpoints.tte import derive_tte
from cnsrwe.exchange.variables import ADAM_VARS, RESPONSE_CODES, Var

__all__ = ["ADAM_INPUTS", "build_adam", "read_adam_inputs", "select_index_line"]

#: Tables :func:`build_adam` reads.
ADAM_INPUTS = ("patients", "treatments", "ad_reference", "ad_timepoints", "ad_bor", "ad_lesions")
_PREFIX = {"overall": "", "intracranial": "IC_", "extracranial": "EX_"}
_SUM_CODE = {"overall": "SUMDIAM", "intracranial": "ICSUMDIA", "extracranial": "EXSUMDIA"}
_BOR_CODE = {"unconfirmed": "BOR", "confirmed": "CBOR"}
_COMPARTMENT_LABEL = {"overall": "Overall", "intracranial": "Intracranial",
                      "extracranial": "Extracranial"}  # fmt: skip
_SEX = {"female": "F", "male": "M", "unknown": "U", "other": "UNDIFFERENTIATED"}
DEFAULT_TTE_PROFILES = ("recist11", "recist11_intracranial", "recist11_extracranial")
DEFAULT_ENDPOINTS = ("OS", "PFS", "IC_PFS", "CNS_TTP", "IC_DOR")


def read_adam_inputs(store: object) -> dict[str, pl.DataFrame]:
    """Read the tables of :data:`ADAM_INPUTS` from an open :class:`cnsrwe.store.Store`.

    Raises
    ------
    cnsrwe.errors.StoreError
        When the study has no import, or ``cnsrwe derive`` has not been run.
    """
    from cnsrwe.errors import StoreError
    from cnsrwe.store import Store

    assert isinstance(store, Store)
    if store.current_version() is None:
        msg = f"the study {store.path.name!r} has no import yet; run `cnsrwe import` first"
        raise StoreError(msg)
    have = set(store.sql("SELECT table_name FROM information_schema.tables")["table_name"])
    missing = [t for t in ADAM_INPUTS[2:] if t not in have]
    if missing:
        msg = (f"the study {store.path.name!r} has no derived table {missing[0]!r};"
               " run `cnsrwe derive` first")  # fmt: skip
        raise StoreError(msg)
    out = {name: store.read_table(name) for name in ADAM_INPUTS[:2]}
    for name in ADAM_INPUTS[2:]:
        out[name] = store.sql(f'SELECT * FROM "{name}"')
    return out


def select_index_line(
    dataset: pl.DataFrame, *, index_line: int = 1, index_agent: str | None = None
) -> pl.DataFrame:
    """One row per patient with an index line, from ``ad_reference``-like rows.

    ``dataset`` needs ``patient_id``, ``line``, ``regimen``, ``reference_date``, ``end_date``
    and (for ``index_agent``) ``agents`` or ``regimen``. Returns ``patient_id``, ``line``,
    ``regimen``, ``start_date``, ``end_date``.
    """
    if isinstance(index_line, bool) or not isinstance(index_line, int) or index_line < 1:
        msg = f"`index_line` must be a whole number >= 1, got {index_line!r}"
        raise ValueError(msg)
    rows = dataset.filter(pl.col("line").is_not_null())
    if index_agent is not None:
        agent = index_agent.strip().lower()
        if not agent:
            msg = f"`index_agent` must name an agent, got {index_agent!r}"
            raise ValueError(msg)
        hit = pl.col("regimen").str.to_lowercase().str.contains(agent, literal=True)
        rows = rows.filter(hit.fill_null(False)).sort("patient_id", "line")
        rows = rows.group_by("patient_id", maintain_order=True).first()
    else:
        rows = rows.filter(pl.col("line") == index_line)
    return rows.select(
        "patient_id", "line", "regimen",
        pl.col("reference_date").alias("start_date"), "end_date",
    ).unique("patient_id", keep="first", maintain_order=True)  # fmt: skip


def _finish(df: pl.DataFrame, variables: Sequence[Var], study_id: str) -> pl.DataFrame:
    """Columns in ``variables`` order, typed (char String, num Float64, date Date)."""
    types = {"char": pl.String, "num": pl.Float64, "date": pl.Date}
    if df.width == 0:
        return pl.DataFrame(schema={v.name: types[v.kind] for v in variables})
    cols: list[pl.Expr] = []
    for v in variables:
        if v.name == "STUDYID":
            expr = pl.lit(study_id, pl.String)
        elif v.name in df.columns:
            expr = pl.col(v.name)
        else:
            expr = pl.lit(None)
        cols.append(expr.cast(types[v.kind]).alias(v.name))
    return df.select(cols)


def _adsl(tables: Mapping[str, pl.DataFrame], index: pl.DataFrame,
          cohorts: pl.DataFrame | None) -> pl.DataFrame:  # fmt: skip
    p = tables["patients"]
    df = p.join(index, on="patient_id", how="left")
    if cohorts is not None:
        df = df.join(cohorts.select("patient_id", pl.col("cohort").alias("COHORT")),
                     on="patient_id", how="left")  # fmt: skip
    birth = pl.col("birth_year") if "birth_year" in df.columns else pl.lit(None, pl.Int64)
    age = pl.col("age_at_index") if "age_at_index" in df.columns else pl.lit(None, pl.Float64)
    return df.select(
        pl.col("patient_id").alias("USUBJID"), pl.col("patient_id").alias("SUBJID"),
        pl.col("site_id").alias("SITEID"),
        pl.coalesce(age.cast(pl.Float64),
                    (pl.col("start_date").dt.year() - birth).cast(pl.Float64)).alias("AGE"),
        pl.lit("YEARS").alias("AGEU"),
        pl.col("sex").replace_strict(_SEX, default=None).alias("SEX"),
        *(["COHORT"] if "COHORT" in df.columns else []),
        pl.col("regimen").alias("TRT01A"), pl.col("line").alias("INDEXLN"),
        pl.col("start_date").alias("TRTSDT"), pl.col("end_date").alias("TRTEDT"),
        pl.col("diagnosis_date").alias("DIAGDT"), pl.col("smoking_status").alias("SMOKSTAT"),
        pl.col("histology").alias("HISTOL"), pl.col("stage_at_diagnosis").alias("STAGEDX"),
        pl.col("ecog_at_index").alias("ECOGBL"),
        pl.when(pl.col("death_date").is_not_null()).then(pl.lit("Y")).alias("DTHFL"),
        pl.col("death_date").alias("DTHDT"),
        pl.coalesce("death_date", "last_known_alive_date").alias("LSTALVDT"),
    ).sort("USUBJID")  # fmt: skip


def _param(code_col: str, label: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return pl.col(code_col).alias("PARAMCD"), label.alias("PARAM")


def _adrs(tables: Mapping[str, pl.DataFrame], index: pl.DataFrame) -> pl.DataFrame:
    idx = index.select("patient_id", pl.col("line").alias("__index_line"))
    prefix = pl.col("compartment").replace_strict(_PREFIX, default="")
    comp_label = pl.col("compartment").replace_strict(_COMPARTMENT_LABEL, default="")
    tp = tables["ad_timepoints"].select(
        "patient_id", "line", "compartment", "profile",
        (prefix + "OVR").alias("__code"),
        (comp_label + pl.lit(" Timepoint Response")).alias("__label"),
        pl.col("response").alias("AVALC"), pl.col("assessment_date").alias("ADT"),
    )  # fmt: skip
    bor = tables["ad_bor"]
    rule = pl.col("bor_rule_name")
    rule_code = rule.replace_strict(_BOR_CODE, default=rule.str.to_uppercase().str.slice(0, 5))
    best = bor.select(
        "patient_id", "line", "compartment", "profile",
        (prefix + rule_code).alias("__code"),
        (comp_label + pl.lit(" Best Overall Response (") + rule + pl.lit(")")).alias("__label"),
        pl.col("bor").alias("AVALC"), pl.col("bor_date").alias("ADT"),
    )  # fmt: skip
    df = pl.concat([tp, best], how="vertical_relaxed").join(idx, on="patient_id", how="left")
    code, label = _param("__code", pl.col("__label"))
    return df.select(
        pl.col("patient_id").alias("USUBJID"), pl.col("line").alias("LINE"), code, label,
        pl.col("compartment").str.to_uppercase().alias("PARCAT1"),
        pl.col("profile").alias("PARCAT2"), "AVALC",
        pl.col("AVALC").replace_strict(RESPONSE_CODES, default=None).alias("AVAL"), "ADT",
        pl.when(pl.col("line") == pl.col("__index_line")).then(pl.lit("Y")).alias("ANL01FL"),
    ).sort("USUBJID", "LINE", "PARAMCD", "PARCAT2", "ADT", nulls_last=True)  # fmt: skip


def _adtr(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    tp = tables["ad_timepoints"].filter(pl.col("baseline_sum_tenths").is_not_null())
    code = pl.col("compartment").replace_strict(_SUM_CODE, default="SUMDIAM")
    label = pl.col("compartment").replace_strict(_COMPARTMENT_LABEL, default="") + pl.lit(
        " Sum of Target Diameters (mm)"
    )
    keys = ["patient_id", "line", "compartment", "profile"]
    follow = tp.select(
        *keys, pl.col("assessment_date").alias("ADT"),
        (pl.col("target_sum_tenths") / 10).alias("AVAL"),
        (pl.col("baseline_sum_tenths") / 10).alias("BASE"),
        pl.col("pct_change_baseline").alias("PCHG"),
        (pl.col("nadir_sum_tenths") / 10).alias("NADIR"),
        pl.col("pct_change_nadir").alias("PCHGNAD"), pl.lit(None, pl.String).alias("ABLFL"),
    )  # fmt: skip
    base = tp.group_by(keys).agg(
        pl.col("baseline_date").first().alias("ADT"),
        (pl.col("baseline_sum_tenths").first() / 10).alias("AVAL"),
    ).with_columns(
        pl.col("AVAL").alias("BASE"), pl.lit(0.0).alias("PCHG"), pl.lit(None, pl.Float64)
        .alias("NADIR"), pl.lit(None, pl.Float64).alias("PCHGNAD"), pl.lit("Y").alias("ABLFL"),
    ).select(follow.columns)  # fmt: skip
    sums = pl.concat([base, follow]).with_columns(
        code.alias("PARAMCD"), label.alias("PARAM"), (pl.col("AVAL") - pl.col("BASE"))
        .alias("CHG"), pl.lit(None, pl.String).alias("TRLNKID"),
    )  # fmt: skip
    les = tables["ad_lesions"].filter(pl.col("role") == "target").select(
        *keys, pl.col("assessment_date").alias("ADT"),
        (pl.col("used_tenths") / 10).alias("AVAL"),
        pl.when(pl.col("is_baseline")).then(pl.lit("Y")).alias("ABLFL"),
        pl.lit("LDIAM").alias("PARAMCD"), pl.lit("Longest Diameter (mm)").alias("PARAM"),
        pl.col("lesion_id").alias("TRLNKID"),
    )  # fmt: skip
    df = pl.concat([sums, les], how="diagonal_relaxed")
    return df.select(
        pl.col("patient_id").alias("USUBJID"), pl.col("line").alias("LINE"), "PARAMCD", "PARAM",
        pl.col("compartment").str.to_uppercase().alias("PARCAT1"),
        pl.col("profile").alias("PARCAT2"), "TRLNKID", "AVAL", "ADT", "ABLFL", "BASE", "CHG",
        "PCHG", "NADIR", "PCHGNAD",
    ).sort("USUBJID", "LINE", "PARCAT2", "PARAMCD", "TRLNKID", "ADT", nulls_last=True)


def _adtte(tables: Mapping[str, pl.DataFrame], index: pl.DataFrame, *,
           endpoints: Sequence[str], cutoff_date: dt.date | None,
           tte_profiles: Sequence[str]) -> pl.DataFrame:  # fmt: skip
    if index.height == 0:
        return pl.DataFrame()
    tp = tables["ad_timepoints"].join(
        index.select("patient_id", "line"), on=["patient_id", "line"], how="semi"
    ).filter(pl.col("profile").is_in(list(tte_profiles)))
    out = derive_tte(
        index.select("patient_id", "line", "start_date"), dataset_assessments=tp,
        dataset_patients=tables["patients"], dataset_therapies=tables["treatments"],
        endpoints=list(endpoints), cutoff_date=cutoff_date,
    )  # fmt: skip
    return out.select(
        pl.col("patient_id").alias("USUBJID"), pl.col("line").alias("LINE"),
        pl.col("paramcd").alias("PARAMCD"), pl.col("param").alias("PARAM"),
        pl.col("start_date").alias("STARTDT"), pl.col("adt").alias("ADT"),
        pl.col("aval").alias("AVAL"), pl.lit("DAYS").alias("AVALU"),
        pl.col("cnsr").alias("CNSR"), pl.col("cause").alias("CAUSE"),
        pl.col("evntdesc").alias("EVNTDESC"), pl.col("srcrule").alias("SRCRULE"),
        pl.col("cutoff_date").alias("CUTOFFDT"),
    ).sort("USUBJID", "PARAMCD")  # fmt: skip


def build_adam(
    tables: Mapping[str, pl.DataFrame],
    *,
    study_id: str,
    index_line: int = 1,
    index_agent: str | None = None,
    dataset_cohorts: pl.DataFrame | None = None,
    endpoints: Sequence[str] = DEFAULT_ENDPOINTS,
    tte_profiles: Sequence[str] = DEFAULT_TTE_PROFILES,
    cutoff_date: dt.date | None = None,
) -> dict[str, pl.DataFrame]:
    """Build ADSL, ADRS, ADTR and ADTTE (typed by :data:`cnsrwe.exchange.variables.ADAM_VARS`).

    Parameters
    ----------
    tables
        The tables of :data:`ADAM_INPUTS` (see :func:`read_adam_inputs`).
    study_id
        ``STUDYID`` of every row (1 to 200 characters).
    index_line, index_agent
        How the index line is chosen (module docstring).
    dataset_cohorts
        Optional ``patient_id, cohort`` rows (e.g. from :func:`cnsrwe.study.assign_cohorts`).
    endpoints
        ``paramcd`` codes of :data:`cnsrwe.endpoints.definitions.STANDARD_ENDPOINTS`.
    tte_profiles
        Criteria profiles whose timepoints feed the endpoints (one per compartment).
    cutoff_date
        Data cutoff passed to :func:`~cnsrwe.endpoints.tte.derive_tte`.

    Returns
    -------
    dict
        ``{"ADSL": ..., "ADRS": ..., "ADTR": ..., "ADTTE": ...}``; input tables are unchanged.
    """
    if not isinstance(study_id, str) or not 1 <= len(study_id.strip()) <= 200:
        msg = f"`study_id` must be 1 to 200 characters, got {study_id!r}"
        raise ValueError(msg)
    missing = [t for t in ADAM_INPUTS if t not in tables]
    if missing:
        msg = f"`tables` must hold {list(ADAM_INPUTS)!r}, got no {missing!r}"
        raise ValueError(msg)
    if dataset_cohorts is not None and not {"patient_id", "cohort"} <= set(
        dataset_cohorts.columns
    ):
        msg = ("`dataset_cohorts` must have columns patient_id and cohort, got"
               f" {dataset_cohorts.columns!r}")
        raise ValueError(msg)
    index = select_index_line(tables["ad_reference"], index_line=index_line,
                              index_agent=index_agent)  # fmt: skip
    raw = {
        "ADSL": _adsl(tables, index, dataset_cohorts),
        "ADRS": _adrs(tables, index),
        "ADTR": _adtr(tables),
        "ADTTE": _adtte(tables, index, endpoints=endpoints, cutoff_date=cutoff_date,
                        tte_profiles=tte_profiles),
    }  # fmt: skip
    return {name: _finish(raw[name], ADAM_VARS[name], study_id.strip()) for name in raw}
