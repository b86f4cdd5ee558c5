"""Reading a REDCap "records" CSV export of the cnsrwe project into the data format's tables.

Rules (REDCap's documented export layout; see ``docs/redcap.md``):

* The first column is the record ID field (``patient_id``); it fills ``patient_id`` of every
  table. ``redcap_event_name`` (longitudinal projects), ``redcap_repeat_instrument`` and
  ``redcap_repeat_instance`` (repeating instruments), ``redcap_data_access_group``,
  ``redcap_survey_identifier``, ``<form>_complete`` and ``<form>_timestamp`` are REDCap's own
  columns and are not data.
* A row with an empty ``redcap_repeat_instrument`` holds the non-repeating ``patient`` form;
  every other row holds one instance of the instrument it names (form name in a raw export,
  instrument label in a label export).
* Values are raw codes or labels (``values="auto"`` decides from the file: labels if any coded
  cell is a label and none is only a code). Codes and labels are decoded with the project's
  data dictionary; yes/no fields become ``true``/``false``.
* A checkbox arrives as one column per option, ``<field>___<code>``, holding ``1``/``0``
  (raw) or ``Checked``/``Unchecked`` (labels); the ticked options become the ``;``-list of the
  format, in dictionary order, followed by the items of ``vis_symptoms_other``.
* Every lesion must point to a scan: a ``imaging_assessment`` instance of the same record with
  the same date and modality.

Any problem above (a column not in the dictionary, a checkbox option the dictionary does not
have, an unknown choice code or label, a repeat instance given twice, a missing instrument)
is reported with record, event, instrument, instance and field, and no table is returned, so
nothing can be imported. Otherwise the text tables go through the standard validation
(:func:`cnsrwe.io.validate.validate_raw_study`): exactly the checks of a CSV folder.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from cnsrwe.errors import ValidationFailed
from cnsrwe.io.loaded import LoadedStudy, SourceFile
from cnsrwe.io.problems import Problem
from cnsrwe.io.raw import SOURCE_ROW, RawStudy, RawTable
from cnsrwe.io.validate import ValidationReport, validate_raw_study
from cnsrwe.redcap.design import (
    FIELD_BY_NAME,
    INSTRUMENTS,
    SYMPTOM_OTHER_CODE,
    Instrument,
)
from cnsrwe.redcap.dictionary import DictionaryField, ProjectDictionary, read_dictionary

__all__ = ["REDCAP_PROBLEMS", "load_redcap_export", "read_redcap_export",
           "validate_redcap_export"]  # fmt: skip

ValueMode = Literal["auto", "raw", "label"]

EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
_SYSTEM = (EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, "redcap_data_access_group",
           "redcap_survey_identifier")  # fmt: skip
_CHECKED = {"1": True, "0": False, "checked": True, "unchecked": False}
_YESNO_LABELS = {"yes": "true", "no": "false"}
_YESNO_CODES = {"1": "true", "0": "false"}
_CAP = 50

#: Problem codes of the REDCap reader (all errors: the export is not imported).
REDCAP_PROBLEMS: dict[str, str] = {
    "redcap_unreadable": "The export is not a UTF-8 CSV file that can be read.",
    "redcap_record_id": "The first column is not the record ID field of the dictionary.",
    "redcap_unknown_field": "A column is neither a dictionary field nor a REDCap column.",
    "redcap_unknown_option": "A checkbox column names an option the dictionary does not have.",
    "redcap_missing_instrument": "An instrument the study needs has no column in the export.",
    "redcap_unknown_instrument": "redcap_repeat_instrument names an instrument not in use.",
    "redcap_bad_instance": "redcap_repeat_instance is not a positive whole number.",
    "redcap_repeating_event": "A row repeats a whole event (not supported: repeat instruments).",
    "redcap_duplicate_instance": "One repeat instance of an instrument appears twice.",
    "redcap_unknown_choice": "A value is not a code (raw) or label of the field's choices.",
    "redcap_bad_checkbox": "A checkbox cell holds something other than 1/0 or Checked/Unchecked.",
    "redcap_lesion_without_scan": "A lesion's date and modality match no imaging_assessment.",
}


@dataclass(frozen=True)
class _Context:
    label: str
    frame: pl.DataFrame  # the export, every cell text, plus _source_row
    record_id: str
    fields: dict[str, DictionaryField]


class _Log:
    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, fix: str, *, table: str = "-",
            row: int | None = None, column: str | None = None,
            value: str | None = None) -> None:  # fmt: skip
        self.problems.append(
            Problem("error", code, table, self.label, row, column, value, message, fix)
        )

    def add_rows(self, code: str, rows: pl.DataFrame, ctx: _Context, *, form: str, field: str,
                 what: str, fix: str, table: str = "-") -> None:  # fmt: skip
        """One problem per offending row (first 50, then a count), located REDCap-style."""
        for rec in rows.head(_CAP).iter_rows(named=True):
            value = rec.get("__value")
            text = f"{_where(rec, ctx, form)}, field {field}: {what}"
            text += f" {value!r}." if value is not None else "."
            self.add(code, text, fix, table=table, row=rec[SOURCE_ROW], column=field,
                     value=value)  # fmt: skip
        if rows.height > _CAP:
            self.add(code, f"{rows.height - _CAP:,} more rows of field {field} have this"
                           f" problem (first {_CAP} shown).", fix, table=table, column=field)


def _where(rec: Mapping[str, object], ctx: _Context, form: str) -> str:
    parts = [f"record {rec[ctx.record_id]}"]
    if rec.get(EVENT) is not None:
        parts.append(f"event {rec[EVENT]}")
    instance = rec.get(REPEAT_INSTANCE)
    parts.append(f"instrument {form}" + (f" #{instance}" if instance is not None else ""))
    return ", ".join(parts)


def _norm(name: pl.Expr) -> pl.Expr:
    return name.str.strip_chars().str.to_lowercase().str.replace_all(" ", "_")


def read_redcap_export(
    export: str | Path,
    dictionary: str | Path | ProjectDictionary,
    *,
    values: ValueMode = "auto",
) -> RawStudy:
    """Read a REDCap records export (CSV) as the data format's text tables.

    Parameters
    ----------
    export
        The records CSV (raw or label values, classic or longitudinal, with repeating
        instruments), as exported from the project built from :func:`write_dictionary`.
    dictionary
        The project's data dictionary CSV (or a :class:`ProjectDictionary`).
    values
        ``"raw"`` (codes), ``"label"`` or ``"auto"`` (decided from the file).

    Returns
    -------
    RawStudy
        Text tables for :func:`cnsrwe.io.validate.validate_raw_study`; when the export has a
        REDCap problem, no table and the problems (codes in :data:`REDCAP_PROBLEMS`).
    """
    if values not in ("auto", "raw", "label"):
        msg = f"`values` must be one of 'auto', 'raw', 'label', got {values!r}"
        raise ValueError(msg)
    project = dictionary if isinstance(dictionary, ProjectDictionary) else (
        read_dictionary(dictionary))  # fmt: skip
    path = Path(export)
    log = _Log(path.name)
    frame, digest = _read_csv(path, log)
    if frame is None:
        return RawStudy(path, {}, problems=tuple(log.problems))
    ctx = _Context(path.name, frame, project.record_id, project.by_name())
    if not _check_header(ctx, log):
        return RawStudy(path, {}, problems=tuple(log.problems))
    rows = _rows_by_instrument(ctx, log)
    mode = _value_mode(ctx, values)
    texts: dict[str, pl.DataFrame] = {}
    for inst in INSTRUMENTS:
        part = rows.get(inst.form)
        if part is not None:
            texts[inst.form] = _decode(inst, part, ctx, mode, log)
    _check_lesion_scans(texts, ctx, log)
    if log.problems:
        return RawStudy(path, {}, problems=tuple(log.problems))
    tables: dict[str, RawTable] = {}
    for inst in INSTRUMENTS:
        if inst.table is None or inst.form not in texts:
            continue
        text = texts[inst.form].drop(EVENT, REPEAT_INSTANCE, strict=False)
        source = SourceFile(inst.table, str(path), inst.form, digest, text.height)
        tables[inst.table] = RawTable(inst.table, f"{path.name}[{inst.form}]", source, text)
    return RawStudy(path, tables)


def validate_redcap_export(
    export: str | Path,
    dictionary: str | Path | ProjectDictionary,
    *,
    values: ValueMode = "auto",
) -> ValidationReport:
    """Read a REDCap export (:func:`read_redcap_export`) and run the standard validation."""
    return validate_raw_study(read_redcap_export(export, dictionary, values=values))


def load_redcap_export(
    export: str | Path,
    dictionary: str | Path | ProjectDictionary,
    *,
    values: ValueMode = "auto",
) -> LoadedStudy:
    """The typed tables of a REDCap export, or :class:`~cnsrwe.errors.ValidationFailed`."""
    report = validate_redcap_export(export, dictionary, values=values)
    if report.study is None:
        first = report.errors[0]
        msg = (f"The REDCap export `{export}` has {len(report.errors)} error(s); first:"
               f" {first.location()}: {first.message}")  # fmt: skip
        raise ValidationFailed(msg, report.problems)
    return report.study


# --- reading and header -----------------------------------------------------------------------


def _read_csv(path: Path, log: _Log) -> tuple[pl.DataFrame | None, str]:
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, quote_char='"')
    except (OSError, UnicodeDecodeError, pl.exceptions.PolarsError) as exc:
        log.add("redcap_unreadable", f"`{path.name}` cannot be read as a UTF-8 CSV export"
                f" ({str(exc).splitlines()[0]}).",
                "Export the records again as 'CSV / Microsoft Excel (raw data)'.")  # fmt: skip
        return None, ""
    frame = frame.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
    )
    frame = frame.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias(SOURCE_ROW))
    return frame, hashlib.sha256(data).hexdigest()


def _check_header(ctx: _Context, log: _Log) -> bool:
    header = [c for c in ctx.frame.columns if c != SOURCE_ROW]
    ok = True
    if not header or header[0] != ctx.record_id:
        log.add("redcap_record_id",
                f"The first column must be the record ID field `{ctx.record_id}`, got"
                f" {header[0] if header else ''!r}.",
                "Export the records with raw variable names as the header (not labels).",
                row=1)  # fmt: skip
        return False
    forms = {f.form for f in ctx.fields.values()}
    for name in header[1:]:
        if name in _SYSTEM or name in ctx.fields:
            continue
        base, sep, code = name.partition("___")
        if name.endswith(("_complete", "_timestamp")) and name.rsplit("_", 1)[0] in forms:
            continue
        if sep and base in ctx.fields and ctx.fields[base].kind == "checkbox":
            if code not in {c.lower() for c in ctx.fields[base].choices}:
                known = ", ".join(ctx.fields[base].choices)
                log.add("redcap_unknown_option",
                        f"Checkbox column `{name}`: field {base} has no option {code!r}"
                        f" (options: {known}).",
                        "Use the data dictionary of the project the export came from.",
                        row=1, column=name)  # fmt: skip
                ok = False
            continue
        log.add("redcap_unknown_field",
                f"Column `{name}` is not a field of the data dictionary.",
                "Give the data dictionary of the project the export came from.",
                row=1, column=name)  # fmt: skip
        ok = False
    present = set(header)
    for inst in INSTRUMENTS:
        if inst.table not in ("patients", "treatments") and inst.form != "imaging_assessment":
            continue
        names = [f.name for f in FIELD_BY_NAME.values() if f.form == inst.form and f.column
                 != "patient_id"]  # fmt: skip
        needs_scans = inst.form == "imaging_assessment" and any(
            f.name in present for f in FIELD_BY_NAME.values() if f.form == "lesion")
        required = inst.form != "imaging_assessment" or needs_scans
        if required and not any(n in present for n in names):
            log.add("redcap_missing_instrument",
                    f"Instrument {inst.form} has no column in the export"
                    + (" (lesions must point to imaging_assessment scans)." if needs_scans
                       else "."),
                    f"Include instrument {inst.form} in the export.",
                    table=inst.table or "lesions")  # fmt: skip
            ok = False
    return ok


def _rows_by_instrument(ctx: _Context, log: _Log) -> dict[str, pl.DataFrame]:
    frame = ctx.frame
    cols = frame.columns
    instrument = _norm(pl.col(REPEAT_INSTRUMENT)) if REPEAT_INSTRUMENT in cols else pl.lit(None)
    instance = pl.col(REPEAT_INSTANCE) if REPEAT_INSTANCE in cols else pl.lit(None)
    event = pl.col(EVENT) if EVENT in cols else pl.lit(None, dtype=pl.String)
    frame = frame.with_columns(
        instrument.cast(pl.String).alias("__instrument"),
        instance.cast(pl.String).alias(REPEAT_INSTANCE),
        event.alias(EVENT),
    )
    forms = {i.form for i in INSTRUMENTS if i.repeating}
    where = (ctx, "-")
    bad_instance = frame.filter(
        pl.col(REPEAT_INSTANCE).is_not_null()
        & ~pl.col(REPEAT_INSTANCE).str.contains(r"^[1-9]\d{0,8}$")
    )
    _report(log, "redcap_bad_instance", bad_instance, where, REPEAT_INSTANCE,
            "redcap_repeat_instance must be a positive whole number, got",
            "Export the records again; do not edit REDCap's own columns.")  # fmt: skip
    repeated_event = frame.filter(
        pl.col("__instrument").is_null() & pl.col(REPEAT_INSTANCE).is_not_null()
    )
    _report(log, "redcap_repeating_event", repeated_event, where, REPEAT_INSTANCE,
            "a repeating event is not supported (instance", "Make the instruments repeat"
            " (Project Setup > Repeating instruments), not the events.")  # fmt: skip
    unknown = frame.filter(
        pl.col("__instrument").is_not_null() & ~pl.col("__instrument").is_in(list(forms))
    )
    _report(log, "redcap_unknown_instrument", unknown, where, REPEAT_INSTRUMENT,
            "unknown repeating instrument", "Repeating instruments of the study: "
            + ", ".join(sorted(forms)) + ".", value_col=REPEAT_INSTRUMENT)  # fmt: skip
    out: dict[str, pl.DataFrame] = {}
    for inst in INSTRUMENTS:
        if inst.repeating:
            part = frame.filter(pl.col("__instrument") == inst.form)
        else:
            part = frame.filter(pl.col("__instrument").is_null()
                                & pl.col(REPEAT_INSTANCE).is_null())  # fmt: skip
        names = [f.name for f in FIELD_BY_NAME.values() if f.form == inst.form]
        names = [n for n in names if n != ctx.record_id]
        present = [c for c in frame.columns if c in names or c.split("___")[0] in names]
        if not present:
            continue
        part = part.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in present))
        if inst.repeating:
            key = [ctx.record_id, EVENT, REPEAT_INSTANCE]
            dup = part.filter(pl.struct(key).is_duplicated() & ~pl.struct(key).is_first_distinct())
            for rec in dup.head(_CAP).iter_rows(named=True):
                log.add("redcap_duplicate_instance",
                        f"{_where(rec, ctx, inst.form)}: this repeat instance appears twice.",
                        "Keep one row per record, event, instrument and instance.",
                        table=inst.table or "-", row=rec[SOURCE_ROW],
                        column=REPEAT_INSTANCE)  # fmt: skip
        out[inst.form] = part
    return out


def _report(log: _Log, code: str, rows: pl.DataFrame, where: tuple[_Context, str], column: str,
            what: str, fix: str, *, value_col: str | None = None) -> None:  # fmt: skip
    ctx, _ = where
    for rec in rows.head(_CAP).iter_rows(named=True):
        value = rec[value_col or column]
        form = rec.get("__instrument") or "patient"
        log.add(code, f"{_where(rec, ctx, form)}: {what} {value!r}.", fix, row=rec[SOURCE_ROW],
                column=column, value=value)  # fmt: skip


# --- values ----------------------------------------------------------------------------------


def _value_mode(ctx: _Context, values: ValueMode) -> Literal["raw", "label"]:
    """``raw`` unless the coded cells are labels: decided on radio/dropdown fields."""
    if values != "auto":
        return values
    n_code = n_label = 0
    for name, field in ctx.fields.items():
        if field.kind not in ("radio", "dropdown") or name not in ctx.frame.columns:
            continue
        col = ctx.frame[name].drop_nulls()
        n_code += int(col.is_in(list(field.choices)).sum())
        n_label += int(col.is_in(list(field.choices.values())).sum())
    return "label" if n_label > n_code else "raw"


def _decode(inst: Instrument, part: pl.DataFrame, ctx: _Context, mode: str, log: _Log
            ) -> pl.DataFrame:  # fmt: skip
    """Text table of one instrument: format column names, decoded values, extra fields kept."""
    exprs: list[pl.Expr] = [pl.col(ctx.record_id).alias("patient_id")]
    own = [f for f in ctx.fields.values() if f.form == inst.form and f.name != ctx.record_id]
    for field in own:
        spec = FIELD_BY_NAME.get(field.name)
        target = spec.column if spec is not None and spec.column else field.name
        if spec is not None and spec.column is None and inst.form != "imaging_assessment":
            continue  # vis_symptoms_other: folded into symptoms
        if field.kind == "checkbox":
            exprs.append(_checkbox(field, part, ctx, inst, log).alias(target))
            continue
        if field.name not in part.columns:
            continue
        col = pl.col(field.name)
        if field.kind in ("radio", "dropdown", "yesno"):
            exprs.append(_choice(field, part, ctx, inst, mode, log).alias(target))
        else:
            exprs.append(col.alias(target))
    return part.select(*exprs, pl.col(EVENT), pl.col(REPEAT_INSTANCE), pl.col(SOURCE_ROW))


def _choice(field: DictionaryField, part: pl.DataFrame, ctx: _Context, inst: Instrument,
            mode: str, log: _Log) -> pl.Expr:  # fmt: skip
    col = pl.col(field.name)
    if field.kind == "yesno":
        mapping = _YESNO_CODES if mode == "raw" else _YESNO_LABELS
        key = col if mode == "raw" else col.str.to_lowercase()
    elif mode == "raw":
        mapping, key = field.choices, col
    else:
        mapping = {label: label for label in field.choices.values()}
        key = col
    decoded = key.replace_strict(mapping, default=None, return_dtype=pl.String)
    bad = part.filter(col.is_not_null() & decoded.is_null()).with_columns(col.alias("__value"))
    if bad.height:
        known = ", ".join(mapping)
        log.add_rows("redcap_unknown_choice", bad, ctx, form=inst.form, field=field.name,
                     what=f"unknown choice {'code' if mode == 'raw' else 'label'}",
                     fix=f"Use one of {known} (from the data dictionary).",
                     table=inst.table or "-")  # fmt: skip
    return decoded


def _checkbox(field: DictionaryField, part: pl.DataFrame, ctx: _Context, inst: Instrument,
              log: _Log) -> pl.Expr:  # fmt: skip
    items: list[pl.Expr] = []
    for code, label in field.choices.items():
        name = f"{field.name}___{code.lower()}"
        if name not in part.columns:
            continue
        flag = pl.col(name).str.to_lowercase().replace_strict(
            _CHECKED, default=None, return_dtype=pl.Boolean)
        bad = part.filter(pl.col(name).is_not_null() & flag.is_null()).with_columns(
            pl.col(name).alias("__value"))
        if bad.height:
            log.add_rows("redcap_bad_checkbox", bad, ctx, form=inst.form, field=name,
                         what="a checkbox must be 1/0 or Checked/Unchecked, got",
                         fix="Export the records again; checkbox cells are 1/0.",
                         table=inst.table or "-")  # fmt: skip
        if code == SYMPTOM_OTHER_CODE and f"{field.name}_other" in part.columns:
            other = pl.col(f"{field.name}_other")
            items.append(pl.when(other.is_not_null()).then(other)
                         .when(flag.fill_null(False)).then(pl.lit(label)))  # fmt: skip
            continue
        items.append(pl.when(flag.fill_null(False)).then(pl.lit(label)))
    if f"{field.name}_other" in part.columns and not any(
        c == SYMPTOM_OTHER_CODE for c in field.choices
    ):
        items.append(pl.col(f"{field.name}_other"))
    if not items:
        return pl.lit(None, dtype=pl.String)
    joined = pl.concat_list(items).list.drop_nulls().list.join(";")
    return pl.when(joined != "").then(joined)


def _check_lesion_scans(texts: dict[str, pl.DataFrame], ctx: _Context, log: _Log) -> None:
    lesions, scans = texts.get("lesion"), texts.get("imaging_assessment")
    if lesions is None or scans is None or "assessment_date" not in lesions.columns:
        return
    if "img_date" not in scans.columns or "img_modality" not in scans.columns:
        return
    register = scans.select(
        "patient_id", pl.col("img_date").alias("assessment_date"),
        pl.col("img_modality").alias("modality"),
    ).drop_nulls().unique()  # fmt: skip
    key = ["patient_id", "assessment_date", "modality"]
    orphans = lesions.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key)).join(
        register, on=key, how="anti").sort(SOURCE_ROW)  # fmt: skip
    for rec in orphans.head(_CAP).iter_rows(named=True):
        rec = {**rec, ctx.record_id: rec["patient_id"]}
        log.add("redcap_lesion_without_scan",
                f"{_where(rec, ctx, 'lesion')}, field les_date: no imaging_assessment of this"
                f" record on {rec['assessment_date']} with modality {rec['modality']}.",
                "Add the scan as an imaging_assessment instance, or correct the lesion's date"
                " or modality.", table="lesions", row=rec[SOURCE_ROW],
                column="les_date", value=rec["assessment_date"])  # fmt: skip
