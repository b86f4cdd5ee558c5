"""RANO-BM corticosteroid and clinical-status gates (Lin et al., Lancet Oncol 2015 Table).

Lin 2015 (table re-checked via PMC7251532 Table 2 and PMC6499019 Table 4): CR needs no
corticosteroids and a clinically stable or improved patient; PR and SD need a stable or
decreased dose and a clinically stable or improved patient; clinical worsening is PD; an
increase of corticosteroids alone is not progression. Implementation (spec §3.4 [P]):

1. imaging PD stays PD; ``symptom_change == "deterioration"`` -> PD (``uses_clinical_status``).
2. imaging CR with dose <= ``physiologic_dex_mg`` -> CR; otherwise it is judged as a PR.
3. CR/PR/SD/NON-CR/NON-PD with a dose above the baseline dose -> NE
   (rule ``NE:corticosteroid_increase``): neither response nor progression.
4. Missing dose or clinical status where needed -> NE (``missing_clinical="ne"``) or no gate.

Clinical visits come from the ``clinical`` table and are matched to a scan by the nearest
``visit_date`` within ``clinical_window_days``; the baseline dose is the visit nearest to
the line's reference date within the same window. ``symptom_change`` values
``significant_improvement``, ``moderate_improvement`` and ``no_improvement`` count as
clinically stable or improved. The data format has no attribution of deterioration to the
tumour: every recorded deterioration is taken as tumour-related (document in the SAP).
"""

from __future__ import annotations

import polars as pl

from cnsrwe.criteria.profiles import CriteriaProfile
from cnsrwe.errors import SchemaError

_STABLE_OR_BETTER = ("significant_improvement", "moderate_improvement", "no_improvement")
CLINICAL_COLUMNS = ("patient_id", "visit_date", "symptom_change",
                    "corticosteroid_mg_dexamethasone_eq")


def _nearest_visit(
    keys: pl.DataFrame, date_col: str, clinical: pl.DataFrame, window_days: int, prefix: str
) -> pl.DataFrame:
    left = keys.with_columns(pl.col(date_col).alias("_match_date")).sort("_match_date")
    right = clinical.select(
        pl.col("patient_id").cast(pl.String),
        pl.col("visit_date").alias("_match_date"),
        pl.col("corticosteroid_mg_dexamethasone_eq").cast(pl.Float64).alias(f"{prefix}dex"),
        pl.col("symptom_change").cast(pl.String).alias(f"{prefix}symptom"),
    ).sort("_match_date")
    return left.join_asof(
        right, on="_match_date", by="patient_id", strategy="nearest",
        tolerance=f"{window_days}d", check_sortedness=False,
    ).drop("_match_date")  # fmt: skip


def apply_rano_gates(
    tp: pl.DataFrame, clinical: pl.DataFrame | None, reference: pl.DataFrame,
    profile: CriteriaProfile,
) -> pl.DataFrame:
    """Apply steroid/clinical gates to ``response``/``rule``; adds the clinical columns."""
    if clinical is None:
        clinical = pl.DataFrame(
            schema={"patient_id": pl.String, "visit_date": pl.Date, "symptom_change": pl.String,
                    "corticosteroid_mg_dexamethasone_eq": pl.Float64}
        )
    missing = [c for c in CLINICAL_COLUMNS if c not in clinical.columns]
    if missing:
        msg = f"`clinical` lacks required column `{missing[0]}`, got columns {clinical.columns!r}"
        raise SchemaError(msg)
    w = profile.clinical_window_days
    tp = _nearest_visit(tp, "assessment_date", clinical, w, "_c_")
    base = _nearest_visit(
        reference.select("patient_id", "line", "reference_date"), "reference_date", clinical, w,
        "_b_",
    ).select("patient_id", "line", "_b_dex")
    tp = tp.join(base, on=["patient_id", "line"], how="left")
    dex, bdex, sym = pl.col("_c_dex"), pl.col("_b_dex"), pl.col("_c_symptom")
    r = pl.col("response")
    responding = r.is_in(["CR", "PR", "SD", "NON-CR/NON-PD"])
    deteriorated = (sym == "deterioration").fill_null(False) if profile.uses_clinical_status \
        else pl.lit(False)
    stable = sym.is_in(list(_STABLE_OR_BETTER))
    need_missing = pl.lit(False)
    if profile.uses_clinical_status:
        need_missing = need_missing | sym.is_null()
    if profile.uses_corticosteroids:
        need_missing = need_missing | dex.is_null() | (bdex.is_null() & (dex > 0))
        dose_up = (dex > bdex.fill_null(0.0)).fill_null(False)
        steroid_free = (dex <= profile.physiologic_dex_mg).fill_null(False)
    else:
        dose_up, steroid_free = pl.lit(False), pl.lit(True)
    not_stable = ~stable.fill_null(False) if profile.uses_clinical_status else pl.lit(False)
    gate_missing = profile.missing_clinical == "ne"
    new_resp = (
        pl.when(r == "PD").then(r)
        .when(deteriorated).then(pl.lit("PD"))
        .when(responding & need_missing & pl.lit(gate_missing)).then(pl.lit("NE"))
        .when(responding & dose_up).then(pl.lit("NE"))
        .when(responding & not_stable & ~need_missing).then(pl.lit("NE"))
        .when((r == "CR") & ~steroid_free).then(pl.lit("PR"))
        .otherwise(r)
    )  # fmt: skip
    new_rule = (
        pl.when(r == "PD").then(pl.col("rule"))
        .when(deteriorated).then(pl.lit("PD:clinical_deterioration"))
        .when(responding & need_missing & pl.lit(gate_missing))
        .then(pl.lit("NE:clinical_data_missing"))
        .when(responding & dose_up).then(pl.lit("NE:corticosteroid_increase"))
        .when(responding & not_stable & ~need_missing).then(pl.lit("NE:clinical_status_unclear"))
        .when((r == "CR") & ~steroid_free).then(pl.lit("PR:imaging_CR_on_corticosteroids"))
        .otherwise(pl.col("rule"))
    )  # fmt: skip
    return tp.with_columns(new_resp.alias("response"), new_rule.alias("rule")).rename(
        {"_c_dex": "corticosteroid_mg", "_b_dex": "baseline_corticosteroid_mg",
         "_c_symptom": "symptom_change"}
    )  # fmt: skip
