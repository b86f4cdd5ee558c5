"""The cnsrwe study data format, version 1, as data.

This module is the single contract for input tables: readers, validation, the store,
the demo generator and ``docs/data-format.md`` are all driven from it. A table is a
folder file (``patients.csv`` / ``patients.parquet``) or an XLSX sheet of the same name.

Column types are logical types, mapped to Arrow/DuckDB types by ``ARROW_TYPES`` /
``DUCKDB_TYPES``:

``string``   free text (UTF-8)
``int``      whole number
``decimal1`` a number with at most one decimal place (stored exactly as DECIMAL(9,1));
             lesion diameters are compared in tenths of a millimetre, never as floats
``number``   a real number
``date``     an ISO 8601 calendar date, ``YYYY-MM-DD``
``bool``     ``true``/``false`` (also ``yes``/``no``, ``1``/``0``, case-insensitive)
``list``     a semicolon-separated list of strings (``headache;nausea``)

A column is *required* when the file must contain it; it is *nullable* when a cell may
be empty. Extra columns are kept verbatim as strings (never dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

LogicalType = Literal["string", "int", "decimal1", "number", "date", "bool", "list"]

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    Attributes
    ----------
    name : column name, lower snake case, fixed by the format.
    type : logical type (see module docstring).
    required : the column must be present in the file.
    nullable : a cell may be empty.
    allowed : the controlled vocabulary (exact, case-sensitive), or ``None``.
    minimum, maximum : inclusive numeric range, or ``None``.
    meaning : one line for the data dictionary.
    example : an example value as it would be typed into a file.
    """

    name: str
    type: LogicalType
    required: bool
    nullable: bool
    meaning: str
    example: str
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Table:
    """One input table: its columns, its key and what one row is."""

    name: str
    row_is: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_table: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (``KeyError`` if the format has none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of every column of the format, in documented order."""
        return tuple(c.name for c in self.columns)


# --- controlled vocabularies -------------------------------------------------------------

SEX = ("female", "male", "other", "unknown")
SMOKING_STATUS = ("never", "former", "current", "unknown")
HISTOLOGY = ("adenocarcinoma", "squamous", "adenosquamous", "large_cell", "nsclc_nos", "other")
STAGE = (
    "I", "IA", "IB", "II", "IIA", "IIB", "III", "IIIA", "IIIB", "IIIC",
    "IV", "IVA", "IVB", "unknown",
)  # fmt: skip
AGENT_CLASS = (
    "alk_tki", "chemotherapy", "immunotherapy", "anti_angiogenic", "radiotherapy",
    "surgery", "other",
)  # fmt: skip
END_REASON = ("progression", "toxicity", "death", "completed", "ongoing", "other")
TARGET_SITE = ("brain", "leptomeninges", "spine", "extracranial")
RT_TECHNIQUE = ("srs", "wbrt", "fsrt", "other")
PROGRESSION_SITE = ("intracranial", "extracranial", "both")
LOCATION = (
    "brain_parenchyma", "leptomeninges", "spinal_cord", "lung", "lymph_node", "liver",
    "adrenal", "bone", "pleura", "other",
)  # fmt: skip
#: Lesion locations inside the central nervous system (the "intracranial" compartment of
#: the 2022 study; spinal-cord lesions are CNS disease and are grouped with it).
CNS_LOCATIONS = ("brain_parenchyma", "leptomeninges", "spinal_cord")
LESION_ROLE = ("target", "non_target", "new")
NON_TARGET_STATUS = ("present", "absent", "unequivocal_progression")
MODALITY = ("mri", "ct", "pet_ct")
COMPARTMENT = ("intracranial", "extracranial", "overall")
RESPONSE = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
SYMPTOM_CHANGE = (
    "significant_improvement", "moderate_improvement", "no_improvement", "deterioration",
)  # fmt: skip
SPECIMEN = ("tissue", "plasma", "csf")
BIOPSY_METHOD = ("ngs", "pcr", "fish", "ihc", "histology", "other")
BIOPSY_RESULT = ("alk_mutation", "bypass", "transformation", "none_detected", "failed")

_PID = Column(
    "patient_id", "string", required=True, nullable=False,
    meaning="Study patient identifier (pseudonymised before sharing); never a hospital number.",
    example="P001",
)  # fmt: skip

PATIENTS = Table(
    name="patients",
    row_is="one patient",
    key=("patient_id",),
    required_table=True,
    columns=(
        _PID,
        Column("site_id", "string", True, False, "Contributing hospital or site code.", "S1"),
        Column("sex", "string", True, False, "Sex recorded at the site.", "female", SEX),
        Column(
            "birth_year", "int", False, True,
            "Year of birth (give this or age_at_index).", "1968", minimum=1900, maximum=2030,
        ),
        Column(
            "age_at_index", "number", False, True,
            "Age in years at the index treatment start (give this or birth_year).", "54",
            minimum=0, maximum=120,
        ),
        Column(
            "smoking_status", "string", True, True, "Smoking history.", "never", SMOKING_STATUS
        ),
        Column("histology", "string", True, True, "Tumour histology.", "adenocarcinoma", HISTOLOGY),
        Column("diagnosis_date", "date", True, False, "Date of NSCLC diagnosis.", "2018-03-14"),
        Column(
            "stage_at_diagnosis", "string", True, True, "AJCC stage at diagnosis.", "IVB", STAGE
        ),
        Column(
            "ecog_at_index", "int", True, True, "ECOG performance status at index.", "1",
            minimum=0, maximum=5,
        ),
        Column("death_date", "date", True, True, "Date of death; empty if alive.", ""),
        Column(
            "last_known_alive_date", "date", True, True,
            "Last date the patient was known to be alive (required unless death_date is given).",
            "2021-06-30",
        ),
        Column(
            "alk_test_method", "string", False, True, "How ALK positivity was established.",
            "ihc", ("ihc", "fish", "ngs", "rt_pcr", "other"),
        ),
        Column("alk_fusion_variant", "string", False, True, "ALK fusion variant.", "EML4-ALK v3"),
    ),
)

TREATMENTS = Table(
    name="treatments",
    row_is="one systemic line, or one local therapy (radiotherapy, surgery)",
    key=("patient_id", "line", "regimen", "start_date"),
    required_table=True,
    notes=(
        "A local therapy given during a systemic line carries that line's number.",
        "An ongoing treatment has an empty end_date and end_reason 'ongoing'.",
    ),
    columns=(
        _PID,
        Column(
            "line", "int", True, True,
            "Line of systemic therapy (1 = first line); for a local therapy, the line during which"
            " it was given (empty if none).", "2", minimum=0, maximum=30,
        ),
        Column("regimen", "string", True, False, "Regimen name as given.", "alectinib"),
        Column("agent_class", "string", True, False, "Kind of therapy.", "alk_tki", AGENT_CLASS),
        Column("agents", "list", True, True, "Agents, semicolon-separated.", "alectinib"),
        Column("start_date", "date", True, False, "First dose / first fraction / surgery date.",
               "2019-01-10"),
        Column("end_date", "date", True, True, "Last dose; empty while ongoing.", "2020-02-03"),
        Column("end_reason", "string", True, True, "Why it ended.", "progression", END_REASON),
        Column(
            "target_site", "string", True, True, "Site a local therapy was aimed at.",
            "brain", TARGET_SITE,
        ),
        Column(
            "rt_technique", "string", True, True, "Radiotherapy technique.", "srs", RT_TECHNIQUE
        ),
        Column("dose", "string", False, True, "Dose as prescribed.", "600 mg bid"),
        Column(
            "progression_site", "string", False, True,
            "Where the disease progressed when end_reason is 'progression' (as recorded by the"
            " site; used for cohort rules when no lesion data cover the line).",
            "intracranial", PROGRESSION_SITE,
        ),
    ),
)

LESIONS = Table(
    name="lesions",
    row_is="one lesion at one imaging assessment",
    key=("patient_id", "assessment_date", "lesion_id"),
    notes=(
        "diameter_mm is the longest diameter, or the short axis for a lymph node (RECIST 1.1).",
        "A lesion too small to measure is recorded with too_small_to_measure = true and an empty"
        " diameter; the response engine counts it as 5 mm (RECIST 1.1, Eisenhauer 2009, §4.3.2).",
    ),
    columns=(
        _PID,
        Column("assessment_date", "date", True, False, "Scan date.", "2019-03-02"),
        Column("lesion_id", "string", True, False, "Lesion identifier, stable across scans.", "T1"),
        Column("location", "string", True, False, "Anatomical location.", "brain_parenchyma",
               LOCATION),
        Column("organ", "string", True, True, "Organ or sub-site (free text).",
               "left frontal lobe"),
        Column("lesion_role", "string", True, False, "Role fixed at baseline (new = appeared on"
               " follow-up).", "target", LESION_ROLE),
        Column("diameter_mm", "decimal1", True, True,
               "Longest diameter (short axis for nodes) in mm, at most one decimal.", "12.5",
               minimum=0, maximum=500),
        Column("non_target_status", "string", True, True,
               "For non-target lesions: present, absent or unequivocal progression.", "present",
               NON_TARGET_STATUS),
        Column("modality", "string", True, False, "Imaging modality.", "mri", MODALITY),
        Column("too_small_to_measure", "bool", True, True,
               "Radiologist reports the lesion as too small to measure.", "false"),
        Column("split_from", "string", False, True,
               "For a fragment: lesion_id of the lesion it split from.", ""),
        Column("merged_into", "string", False, True,
               "For a merged lesion: lesion_id of the lesion it merged into.", ""),
        Column("equivocal", "bool", False, True,
               "A new lesion reported as equivocal (not yet progression).", "false"),
    ),
)

TIMEPOINT_RESPONSES = Table(
    name="timepoint_responses",
    row_is="one radiologist timepoint call for one compartment",
    key=("patient_id", "assessment_date", "compartment", "criteria"),
    columns=(
        _PID,
        Column("assessment_date", "date", True, False, "Scan date.", "2019-03-02"),
        Column("compartment", "string", True, False, "Which compartment the call is for.",
               "intracranial", COMPARTMENT),
        Column("response", "string", True, False, "Timepoint response.", "PR", RESPONSE),
        Column("criteria", "string", True, False, "Criteria the call applied.", "recist11",
               ("recist11", "cns_mrecist", "rano_bm", "rano_lm", "other")),
    ),
)

CLINICAL = Table(
    name="clinical",
    row_is="one clinical visit",
    key=("patient_id", "visit_date"),
    columns=(
        _PID,
        Column("visit_date", "date", True, False, "Visit date.", "2019-02-01"),
        Column("ecog", "int", True, True, "ECOG performance status.", "1", minimum=0, maximum=5),
        Column("cns_symptoms", "bool", True, True, "Any CNS symptom present.", "true"),
        Column("symptoms", "list", True, True, "Symptoms, semicolon-separated.",
               "headache;dizziness"),
        Column("symptom_change", "string", True, True,
               "Change of CNS symptoms since the index treatment start.",
               "significant_improvement", SYMPTOM_CHANGE),
        Column("corticosteroid_mg_dexamethasone_eq", "number", True, True,
               "Daily corticosteroid dose in mg dexamethasone equivalent (0 if none).", "4",
               minimum=0, maximum=100),
        Column("mannitol", "bool", True, True, "Mannitol given for intracranial pressure.",
               "false"),
    ),
)

BIOPSIES = Table(
    name="biopsies",
    row_is="one re-biopsy finding",
    key=("patient_id", "biopsy_date", "specimen", "finding"),
    notes=("A biopsy with two findings (e.g. a compound mutation and MET amplification) has"
           " two rows.",),
    columns=(
        _PID,
        Column("biopsy_date", "date", True, False, "Sample date.", "2020-05-11"),
        Column("specimen", "string", True, False, "Specimen type.", "plasma", SPECIMEN),
        Column("method", "string", True, False, "Assay.", "ngs", BIOPSY_METHOD),
        Column("result", "string", True, False, "Result class.", "alk_mutation", BIOPSY_RESULT),
        Column("finding", "string", True, True, "Finding as reported.", "ALK G1202R"),
    ),
)

#: Every table of format version 1, in load order (parents before children).
TABLES: dict[str, Table] = {
    t.name: t
    for t in (PATIENTS, TREATMENTS, LESIONS, TIMEPOINT_RESPONSES, CLINICAL, BIOPSIES)
}

ARROW_TYPES: dict[LogicalType, str] = {
    "string": "large_string",
    "int": "int64",
    "decimal1": "decimal128(9, 1)",
    "number": "float64",
    "date": "date32",
    "bool": "bool",
    "list": "large_list<large_string>",
}

POLARS_TYPES: dict[LogicalType, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "decimal1": pl.Decimal(9, 1),
    "number": pl.Float64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
    "list": pl.List(pl.String()),
}

DUCKDB_TYPES: dict[LogicalType, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "decimal1": "DECIMAL(9,1)",
    "number": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
    "list": "VARCHAR[]",
}
