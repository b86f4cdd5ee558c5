"""A cBioPortal study folder from a study: clinical patient and sample files, timelines, and a
format checker for what this module writes.

File formats (cBioPortal documentation, "File Formats", https://docs.cbioportal.org/
file-formats/, sections Cancer Study, Clinical Data, Timeline Data):

* ``meta_study.txt``: ``type_of_cancer``, ``cancer_study_identifier``, ``name``,
  ``description``, ``add_global_case_list``; each meta file is ``key: value`` lines.
* ``data_clinical_patient.txt`` / ``data_clinical_sample.txt``: tab-separated, four header
  rows starting with ``#`` (display names, descriptions, datatypes ``STRING``/``NUMBER``/
  ``BOOLEAN``, priorities) and then the column header; ``PATIENT_ID`` (and ``SAMPLE_ID``) first.
  Survival pairs are ``<PREFIX>_MONTHS`` (NUMBER) and ``<PREFIX>_STATUS`` (``0:...``/``1:...``):
  ``OS_STATUS`` ``1:DECEASED``/``0:LIVING``, ``PFS_STATUS`` ``1:PROGRESSION``/``0:CENSORED``,
  and the custom pair ``CNS_TTP_MONTHS``/``CNS_TTP_STATUS``.
  Their meta files: ``genetic_alteration_type: CLINICAL``, ``datatype: PATIENT_ATTRIBUTES`` /
  ``SAMPLE_ATTRIBUTES``, ``data_filename``.
* ``data_timeline_<kind>.txt``: ``PATIENT_ID``, ``START_DATE``, ``STOP_DATE`` (whole days from
  a reference date; cnsrwe uses the diagnosis date), ``EVENT_TYPE`` (``TREATMENT``,
  ``IMAGING``, ``SPECIMEN``), then free columns; meta: ``datatype: TIMELINE``.

One sample per biopsy (patient, date and specimen): ``SAMPLE_ID`` = ``<patient>-B<n>`` in date
order; a biopsy with several findings keeps them ``;``-separated. Patients without a biopsy
get no sample. Months are days / 30.4375. Mutation files are not written (the data format has
no variant calls beyond the biopsy findings). cBioPortal's own validator (``validateData.py``)
needs a cBioPortal checkout and is not run here; :func:`check_cbioportal` checks the rules
above.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from cnsrwe.endpoints.sources import DAYS_PER_MONTH

__all__ = ["check_cbioportal", "write_cbioportal"]

_STATUS = {"OS": ("0:LIVING", "1:DECEASED"), "PFS": ("0:CENSORED", "1:PROGRESSION"),
           "CNS_TTP": ("0:CENSORED", "1:PROGRESSION")}  # fmt: skip
_TYPES = ("STRING", "NUMBER", "BOOLEAN")
_ID = re.compile(r"^[A-Za-z0-9._-]+$")


def _meta(path: Path, fields: Mapping[str, str]) -> None:
    path.write_text("".join(f"{k}: {v}\n" for k, v in fields.items()), encoding="utf-8")


def _clinical(path: Path, df: pl.DataFrame, info: Mapping[str, tuple[str, str, str]]) -> None:
    """Write a clinical file; ``info[col] = (display name, description, datatype)``."""
    cols = df.columns
    head = [
        "#" + "\t".join(info[c][0] for c in cols), "#" + "\t".join(info[c][1] for c in cols),
        "#" + "\t".join(info[c][2] for c in cols), "#" + "\t".join("1" for _ in cols),
        "\t".join(cols),
    ]  # fmt: skip
    body = df.select(pl.all().cast(pl.String).fill_null("NA")).write_csv(
        separator="\t", include_header=False, quote_style="never")  # fmt: skip
    path.write_text("\n".join(head) + "\n" + body, encoding="utf-8")


def _survival(adtte: pl.DataFrame) -> pl.DataFrame:
    rows = adtte.filter(pl.col("PARAMCD").is_in(list(_STATUS))).select(
        pl.col("USUBJID").alias("PATIENT_ID"), "PARAMCD",
        (pl.col("AVAL") / DAYS_PER_MONTH).round(4).alias("MONTHS"),
        pl.col("CNSR").cast(pl.Int64).alias("CNSR"),
    )  # fmt: skip
    out = rows.select("PATIENT_ID").unique()
    for code, (cens, event) in _STATUS.items():
        part = rows.filter(pl.col("PARAMCD") == code).select(
            "PATIENT_ID", pl.col("MONTHS").alias(f"{code}_MONTHS"),
            pl.when(pl.col("CNSR") == 0).then(pl.lit(event)).otherwise(pl.lit(cens))
            .alias(f"{code}_STATUS"),
        )  # fmt: skip
        out = out.join(part, on="PATIENT_ID", how="left")
    return out


def write_cbioportal(
    tables: Mapping[str, pl.DataFrame], adam: Mapping[str, pl.DataFrame], out_dir: str | Path,
    *, study_id: str, name: str, description: str = "", type_of_cancer: str = "nsclc",
) -> list[Path]:
    """Write a cBioPortal study folder.

    Parameters
    ----------
    tables
        ``patients``, ``treatments`` and (optional) ``biopsies``, ``ad_timepoints``.
    adam
        The result of :func:`cnsrwe.exchange.adam.build_adam` (ADSL and ADTTE are used).
    study_id
        ``cancer_study_identifier``: letters, digits, ``.``, ``_``, ``-``.
    """
    if not _ID.match(study_id):
        msg = f"`study_id` must be letters, digits, '.', '_' or '-', got {study_id!r}"
        raise ValueError(msg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    base = {"cancer_study_identifier": study_id}
    _meta(out / "meta_study.txt", {"type_of_cancer": type_of_cancer, **base, "name": name,
                                   "description": description or name,
                                   "add_global_case_list": "true"})  # fmt: skip
    paths.append(out / "meta_study.txt")
    adsl = adam["ADSL"]
    patient = adsl.select(
        pl.col("USUBJID").alias("PATIENT_ID"), pl.col("SEX").alias("SEX"), "AGE",
        pl.col("SITEID").alias("SITE_ID"), pl.col("TRT01A").alias("INDEX_REGIMEN"),
    ).join(_survival(adam["ADTTE"]), on="PATIENT_ID", how="left").sort("PATIENT_ID")
    info = {
        "PATIENT_ID": ("Patient Identifier", "Study patient identifier", "STRING"),
        "SEX": ("Sex", "Sex (CDISC code)", "STRING"),
        "AGE": ("Age", "Age in years at the index treatment", "NUMBER"),
        "SITE_ID": ("Site", "Contributing site", "STRING"),
        "INDEX_REGIMEN": ("Index Regimen", "Regimen of the index line", "STRING"),
        **{f"{c}_MONTHS": (f"{c} (months)", f"{c} time in months", "NUMBER") for c in _STATUS},
        **{f"{c}_STATUS": (f"{c} status", f"{c} status", "STRING") for c in _STATUS},
    }  # fmt: skip
    _clinical(out / "data_clinical_patient.txt", patient, info)
    _meta(out / "meta_clinical_patient.txt", {**base, "genetic_alteration_type": "CLINICAL",
          "datatype": "PATIENT_ATTRIBUTES", "data_filename": "data_clinical_patient.txt"})
    paths += [out / "data_clinical_patient.txt", out / "meta_clinical_patient.txt"]
    dx = tables["patients"].select("patient_id", pl.col("diagnosis_date").alias("__dx"))

    def day(col: str) -> pl.Expr:
        return (pl.col(col) - pl.col("__dx")).dt.total_days()

    timelines: dict[str, pl.DataFrame] = {}
    tr = tables["treatments"].join(dx, on="patient_id")
    kind = {"radiotherapy": "Radiation Therapy", "surgery": "Surgery"}
    timelines["treatment"] = tr.select(
        pl.col("patient_id").alias("PATIENT_ID"), day("start_date").alias("START_DATE"),
        day("end_date").alias("STOP_DATE"), pl.lit("TREATMENT").alias("EVENT_TYPE"),
        pl.col("agent_class").replace_strict(kind, default="Medical Therapy")
        .alias("TREATMENT_TYPE"), pl.col("agent_class").alias("SUBTYPE"),
        pl.col("regimen").alias("AGENT"), pl.col("line").alias("LINE"),
    )  # fmt: skip
    if "ad_timepoints" in tables:
        tp = tables["ad_timepoints"].join(dx, on="patient_id")
        timelines["imaging"] = tp.select(
            pl.col("patient_id").alias("PATIENT_ID"), day("assessment_date").alias("START_DATE"),
            pl.lit(None, pl.Int64).alias("STOP_DATE"), pl.lit("IMAGING").alias("EVENT_TYPE"),
            pl.col("compartment").str.to_uppercase().alias("COMPARTMENT"),
            pl.col("response").alias("RESPONSE"), pl.col("profile").alias("CRITERIA"),
            pl.col("line").alias("LINE"),
        )  # fmt: skip
    biopsies = tables.get("biopsies")
    if biopsies is not None and biopsies.height:
        samples = biopsies.group_by("patient_id", "biopsy_date", "specimen").agg(
            pl.col("method").unique().sort().str.join(";"),
            pl.col("result").unique().sort().str.join(";"),
            pl.col("finding").drop_nulls().unique().sort().str.join(";"),
        ).sort("patient_id", "biopsy_date", "specimen").with_columns(
            (pl.col("patient_id") + "-B" + pl.int_range(1, pl.len() + 1).over("patient_id")
             .cast(pl.String)).alias("SAMPLE_ID"),
        ).join(dx, on="patient_id")  # fmt: skip
        sample = samples.select(
            pl.col("patient_id").alias("PATIENT_ID"), "SAMPLE_ID",
            pl.col("specimen").str.to_uppercase().alias("SPECIMEN"),
            pl.col("method").str.to_uppercase().alias("METHOD"),
            pl.col("result").alias("RESULT"), pl.col("finding").alias("FINDING"),
        )  # fmt: skip
        sinfo = {
            "PATIENT_ID": ("Patient Identifier", "Study patient identifier", "STRING"),
            "SAMPLE_ID": ("Sample Identifier", "One re-biopsy (patient, date, specimen)",
                          "STRING"),
            "SPECIMEN": ("Specimen", "Tissue, plasma or CSF", "STRING"),
            "METHOD": ("Method", "Assay(s)", "STRING"),
            "RESULT": ("Result", "Result class(es)", "STRING"),
            "FINDING": ("Finding", "Finding(s) as reported", "STRING"),
        }  # fmt: skip
        _clinical(out / "data_clinical_sample.txt", sample, sinfo)
        _meta(out / "meta_clinical_sample.txt", {**base, "genetic_alteration_type": "CLINICAL",
              "datatype": "SAMPLE_ATTRIBUTES", "data_filename": "data_clinical_sample.txt"})
        paths += [out / "data_clinical_sample.txt", out / "meta_clinical_sample.txt"]
        timelines["specimen"] = samples.select(
            pl.col("patient_id").alias("PATIENT_ID"), day("biopsy_date").alias("START_DATE"),
            pl.lit(None, pl.Int64).alias("STOP_DATE"), pl.lit("SPECIMEN").alias("EVENT_TYPE"),
            "SAMPLE_ID", pl.col("specimen").str.to_uppercase().alias("SPECIMEN_TYPE"),
        )  # fmt: skip
    for kind_name, df in timelines.items():
        data = out / f"data_timeline_{kind_name}.txt"
        text = df.sort("PATIENT_ID", "START_DATE").select(pl.all().cast(pl.String).fill_null(""))
        text.write_csv(data, separator="\t", quote_style="never")
        _meta(out / f"meta_timeline_{kind_name}.txt", {**base, "genetic_alteration_type":
              "CLINICAL", "datatype": "TIMELINE", "data_filename": data.name})  # fmt: skip
        paths += [data, out / f"meta_timeline_{kind_name}.txt"]
    return paths


def _read_meta(path: Path, problems: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if ": " not in line:
            problems.append(f"{path.name} line {i}: not a `key: value` line")
            continue
        k, v = line.split(": ", 1)
        fields[k] = v
    return fields


def check_cbioportal(folder: str | Path) -> list[str]:
    """Check a study folder against the format rules in the module docstring; returns the
    problems found (empty when the folder conforms)."""
    root = Path(folder)
    problems: list[str] = []
    study = _read_meta(root / "meta_study.txt", problems) if (
        root / "meta_study.txt").exists() else {}  # fmt: skip
    for key in ("type_of_cancer", "cancer_study_identifier", "name", "description"):
        if key not in study:
            problems.append(f"meta_study.txt: missing `{key}`")
    patients: set[str] = set()
    for meta in sorted(root.glob("meta_*.txt")):
        if meta.name == "meta_study.txt":
            continue
        fields = _read_meta(meta, problems)
        for key in ("cancer_study_identifier", "genetic_alteration_type", "datatype",
                    "data_filename"):  # fmt: skip
            if key not in fields:
                problems.append(f"{meta.name}: missing `{key}`")
        if fields.get("cancer_study_identifier") != study.get("cancer_study_identifier"):
            problems.append(f"{meta.name}: cancer_study_identifier differs from meta_study.txt")
        data = root / fields.get("data_filename", "")
        if not data.is_file():
            problems.append(f"{meta.name}: data file {data.name!r} is missing")
            continue
        lines = data.read_text(encoding="utf-8").rstrip("\n").split("\n")
        kind = fields.get("datatype", "")
        if kind in ("PATIENT_ATTRIBUTES", "SAMPLE_ATTRIBUTES"):
            problems += _check_clinical(data.name, lines, patients, kind)
        elif kind == "TIMELINE":
            problems += _check_timeline(data.name, lines, patients)
        else:
            problems.append(f"{meta.name}: unknown datatype {kind!r}")
    return problems


def _check_clinical(name: str, lines: list[str], patients: set[str], kind: str) -> list[str]:
    out: list[str] = []
    if len(lines) < 5 or not all(line.startswith("#") for line in lines[:4]):
        return [f"{name}: the first four rows must be # header rows"]
    header = lines[4].split("\t")
    rows = [line.split("\t") for line in lines[:4]]
    if any(len(r) != len(header) for r in rows):
        out.append(f"{name}: # header rows and the column header differ in length")
    types = [t.lstrip("#") for t in rows[2]]
    out += [f"{name}: datatype {t!r} of {c} is not STRING/NUMBER/BOOLEAN"
            for c, t in zip(header, types, strict=False) if t not in _TYPES]  # fmt: skip
    out += [f"{name}: priority {p!r} of {c} is not a whole number"
            for c, p in zip(header, (p.lstrip("#") for p in rows[3]), strict=False)
            if not p.isdigit()]  # fmt: skip
    first = ["PATIENT_ID"] if kind == "PATIENT_ATTRIBUTES" else ["PATIENT_ID", "SAMPLE_ID"]
    if header[: len(first)] != first:
        out.append(f"{name}: the first column(s) must be {first}")
    for i, line in enumerate(lines[5:], start=6):
        cells = line.split("\t")
        if len(cells) != len(header):
            out.append(f"{name} row {i}: {len(cells)} cells for {len(header)} columns")
            continue
        if kind == "PATIENT_ATTRIBUTES":
            patients.add(cells[0])
        elif cells[0] not in patients:
            out.append(f"{name} row {i}: PATIENT_ID not in data_clinical_patient.txt")
        for col, typ, cell in zip(header, types, cells, strict=True):
            if typ == "NUMBER" and cell not in ("NA", ""):
                try:
                    float(cell)
                except ValueError:
                    out.append(f"{name} row {i}: {col} {cell!r} is not a number")
            if col.endswith("_STATUS") and cell not in ("NA", "") and not re.match(
                    r"^[01]:\S", cell):  # fmt: skip
                out.append(f"{name} row {i}: {col} {cell!r} is not '0:...' or '1:...'")
    return out


def _check_timeline(name: str, lines: list[str], patients: set[str]) -> list[str]:
    out: list[str] = []
    header = lines[0].split("\t")
    if header[:4] != ["PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE"]:
        out.append(f"{name}: the first columns must be PATIENT_ID, START_DATE, STOP_DATE,"
                   " EVENT_TYPE")  # fmt: skip
    for i, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(header):
            out.append(f"{name} row {i}: {len(cells)} cells for {len(header)} columns")
            continue
        if patients and cells[0] not in patients:
            out.append(f"{name} row {i}: PATIENT_ID not in data_clinical_patient.txt")
        if not re.match(r"^-?\d+$", cells[1]):
            out.append(f"{name} row {i}: START_DATE {cells[1]!r} is not a whole number of days")
        if cells[2] and not re.match(r"^-?\d+$", cells[2]):
            out.append(f"{name} row {i}: STOP_DATE {cells[2]!r} is not a whole number of days")
        if not cells[3]:
            out.append(f"{name} row {i}: EVENT_TYPE is empty")
    return out
