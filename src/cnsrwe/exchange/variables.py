"""Variable metadata of the ADaM-style datasets: one :class:`Var` per exported variable.

The same records drive the SAS transport writer (names, labels, lengths, date formats), the
SPSS/Stata writers (variable and value labels) and the data-definition table
(:mod:`cnsrwe.exchange.define`). Names follow the ADaM IG v1.3 (CDISC, 2021) where the IG has
a standard variable (``USUBJID``, ``TRTSDT``, ``PARAMCD``, ``AVALC``, ``ADT``, ``ANL01FL``,
``CNSR``, ``EVNTDESC``, ``STARTDT``, ``PCHG``...); variables the IG does not define are marked
``origin="Derived"`` with ``standard=False`` and listed in ``docs/exchange.md`` (deviations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Origin = Literal["Predecessor", "Derived", "Assigned"]

#: Numeric codes of response categories (AVAL of response parameters). Lower is better,
#: MISSING is last; value labels in SPSS/Stata exports use the same codes.
RESPONSE_CODES: dict[str, int] = {
    "CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "MISSING": 7,
}  # fmt: skip


@dataclass(frozen=True)
class Var:
    """One variable of an exported dataset.

    Attributes
    ----------
    name : upper-case name, at most 8 characters (SAS transport v5).
    label : at most 40 characters (SAS transport v5).
    kind : ``"char"``, ``"num"`` or ``"date"`` (a SAS numeric date, format DATE9.).
    origin : define-XML origin: Predecessor (copied from a data-format column), Derived,
        Assigned (a constant).
    source : where the value comes from, or how it is derived (one line for the define table).
    standard : ``True`` when the ADaM IG defines the variable with this meaning.
    codes : for a coded character variable, its categories (value labels of SPSS/Stata).
    """

    name: str
    label: str
    kind: Literal["char", "num", "date"]
    origin: Origin
    source: str
    standard: bool = True
    codes: tuple[str, ...] | None = None


_STUDY = Var("STUDYID", "Study Identifier", "char", "Assigned", "`study_id` given at export")
_USUBJ = Var("USUBJID", "Unique Subject Identifier", "char", "Predecessor",
             "patients.patient_id")  # fmt: skip
_LINE = Var("LINE", "Line of Systemic Therapy", "num", "Predecessor", "ad_reference.line",
            standard=False)  # fmt: skip
_RESP = tuple(RESPONSE_CODES)

ADSL_VARS: tuple[Var, ...] = (
    _STUDY, _USUBJ,
    Var("SUBJID", "Subject Identifier for the Study", "char", "Predecessor",
        "patients.patient_id"),
    Var("SITEID", "Study Site Identifier", "char", "Predecessor", "patients.site_id"),
    Var("AGE", "Age", "num", "Predecessor",
        "patients.age_at_index, else year(TRTSDT) - patients.birth_year"),
    Var("AGEU", "Age Units", "char", "Assigned", "'YEARS'"),
    Var("SEX", "Sex", "char", "Derived", "patients.sex: female F, male M, unknown U, other"
        " UNDIFFERENTIATED (SDTM CT C66731)", codes=("F", "M", "U", "UNDIFFERENTIATED")),
    Var("COHORT", "Study Cohort", "char", "Predecessor", "cohort given at export (study file)",
        standard=False),
    Var("TRT01A", "Actual Treatment for Period 01", "char", "Predecessor",
        "treatments.regimen of the index line"),
    Var("INDEXLN", "Index Line of Systemic Therapy", "num", "Derived",
        "the index line (first line giving the index agent, else `index_line`)", standard=False),
    Var("TRTSDT", "Date of First Exposure to Treatment", "date", "Predecessor",
        "treatments.start_date of the index line"),
    Var("TRTEDT", "Date of Last Exposure to Treatment", "date", "Predecessor",
        "treatments.end_date of the index line"),
    Var("DIAGDT", "Date of Initial Diagnosis", "date", "Predecessor",
        "patients.diagnosis_date", standard=False),
    Var("SMOKSTAT", "Smoking Status", "char", "Predecessor", "patients.smoking_status",
        standard=False, codes=("never", "former", "current", "unknown")),
    Var("HISTOL", "Tumour Histology", "char", "Predecessor", "patients.histology",
        standard=False),
    Var("STAGEDX", "AJCC Stage at Diagnosis", "char", "Predecessor",
        "patients.stage_at_diagnosis", standard=False),
    Var("ECOGBL", "ECOG Performance Status at Index", "num", "Predecessor",
        "patients.ecog_at_index", standard=False),
    Var("DTHFL", "Subject Death Flag", "char", "Derived", "'Y' when death_date is given",
        codes=("Y",)),
    Var("DTHDT", "Date of Death", "date", "Predecessor", "patients.death_date"),
    Var("LSTALVDT", "Date Last Known Alive", "date", "Derived",
        "death_date when dead, else last_known_alive_date"),
)

ADRS_VARS: tuple[Var, ...] = (
    _STUDY, _USUBJ, _LINE,
    Var("PARAMCD", "Parameter Code", "char", "Assigned",
        "OVR/IC_OVR/EX_OVR (timepoint), BOR/IC_BOR/EX_BOR (unconfirmed best), CBOR/IC_CBOR/"
        "EX_CBOR (confirmed best)"),
    Var("PARAM", "Parameter", "char", "Assigned", "label of PARAMCD"),
    Var("PARCAT1", "Parameter Category 1", "char", "Predecessor",
        "compartment: OVERALL, INTRACRANIAL, EXTRACRANIAL"),
    Var("PARCAT2", "Parameter Category 2", "char", "Predecessor", "criteria profile"),
    Var("AVALC", "Analysis Value (C)", "char", "Derived",
        "ad_timepoints.response (timepoint) or ad_bor.bor (best response)", codes=_RESP),
    Var("AVAL", "Analysis Value", "num", "Derived", "code of AVALC: CR 1, PR 2, SD 3,"
        " NON-CR/NON-PD 4, PD 5, NE 6, MISSING 7"),
    Var("ADT", "Analysis Date", "date", "Derived",
        "ad_timepoints.assessment_date, or ad_bor.bor_date"),
    Var("ANL01FL", "Analysis Flag 01", "char", "Derived", "'Y' for rows of the index line",
        codes=("Y",)),
)

ADTR_VARS: tuple[Var, ...] = (
    _STUDY, _USUBJ, _LINE,
    Var("PARAMCD", "Parameter Code", "char", "Assigned",
        "SUMDIAM/ICSUMDIA/EXSUMDIA (target sum per compartment), LDIAM (one lesion)"),
    Var("PARAM", "Parameter", "char", "Assigned", "label of PARAMCD"),
    Var("PARCAT1", "Parameter Category 1", "char", "Predecessor", "compartment"),
    Var("PARCAT2", "Parameter Category 2", "char", "Predecessor", "criteria profile"),
    Var("TRLNKID", "Link ID", "char", "Predecessor", "lesions.lesion_id (LDIAM rows)"),
    Var("AVAL", "Analysis Value", "num", "Derived",
        "target sum (ad_timepoints.target_sum_tenths / 10) or lesion diameter used"
        " (ad_lesions.used_tenths / 10), mm"),
    Var("ADT", "Analysis Date", "date", "Predecessor", "assessment_date"),
    Var("ABLFL", "Baseline Record Flag", "char", "Derived", "'Y' on the baseline scan",
        codes=("Y",)),
    Var("BASE", "Baseline Value", "num", "Derived", "baseline_sum_tenths / 10 (SUMDIAM rows)"),
    Var("CHG", "Change from Baseline", "num", "Derived", "AVAL - BASE"),
    Var("PCHG", "Percent Change from Baseline", "num", "Derived",
        "ad_timepoints.pct_change_baseline"),
    Var("NADIR", "Nadir Value", "num", "Derived", "nadir_sum_tenths / 10 (smallest sum before"
        " this scan, RECIST 1.1)", standard=False),
    Var("PCHGNAD", "Percent Change from Nadir", "num", "Derived",
        "ad_timepoints.pct_change_nadir", standard=False),
)

ADTTE_VARS: tuple[Var, ...] = (
    _STUDY, _USUBJ, _LINE,
    Var("PARAMCD", "Parameter Code", "char", "Assigned", "OS, PFS, IC_PFS, CNS_TTP, IC_DOR"),
    Var("PARAM", "Parameter", "char", "Assigned", "endpoint label (cnsrwe.endpoints)"),
    Var("STARTDT", "Time to Event Origin Date for Subject", "date", "Derived",
        "index line start, or first CR/PR for durations of response"),
    Var("ADT", "Analysis Date", "date", "Derived", "event or censoring date"),
    Var("AVAL", "Analysis Value", "num", "Derived", "ADT - STARTDT in days"),
    Var("AVALU", "Analysis Value Unit", "char", "Assigned", "'DAYS'"),
    Var("CNSR", "Censor", "num", "Derived",
        "0 = event of interest, 1 = censored or competing event"),
    Var("CAUSE", "Event Cause", "num", "Derived",
        "0 censored, 1 event of interest, 2.. competing events", standard=False),
    Var("EVNTDESC", "Event or Censoring Description", "char", "Derived",
        "what set ADT (cnsrwe.endpoints.derive_tte)"),
    Var("SRCRULE", "Source Rule", "char", "Derived", "rule of cnsrwe.endpoints that set ADT",
        standard=False),
    Var("CUTOFFDT", "Data Cutoff Date", "date", "Assigned", "cutoff given at export",
        standard=False),
)

#: Every ADaM-style dataset with its variables, in export order.
ADAM_VARS: dict[str, tuple[Var, ...]] = {
    "ADSL": ADSL_VARS, "ADRS": ADRS_VARS, "ADTR": ADTR_VARS, "ADTTE": ADTTE_VARS,
}  # fmt: skip

#: Dataset labels (at most 40 characters).
ADAM_LABELS: dict[str, str] = {
    "ADSL": "Subject-Level Analysis Dataset",
    "ADRS": "Response Analysis Dataset",
    "ADTR": "Tumor Results Analysis Dataset",
    "ADTTE": "Time-to-Event Analysis Dataset",
}
