"""Test helper: write a study as a REDCap records export, following REDCap's export layout.

Layout (REDCap "Export Data" CSV, and the API ``content=record, type=flat``): the record ID
first; ``redcap_event_name`` in longitudinal projects; ``redcap_repeat_instrument`` and
``redcap_repeat_instance`` when instruments repeat; then every field in dictionary order with
each instrument's ``<form>_complete`` after its fields; a checkbox as one column per option
``<field>___<code>``. Per record: the non-repeating row first, then one row per repeat
instance. Raw values are codes (checkbox 1/0, yes/no 1/0); label values are the choice labels
(checkbox Checked/Unchecked, yes/no Yes/No). Written from the typed study so the round trip
compares like with like; Python loops are fine here (tests only).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from cnsrwe.io.loaded import LoadedStudy
from cnsrwe.redcap.design import FIELDS, INSTRUMENTS, SYMPTOM_OTHER_CODE, FieldSpec

Mode = Literal["raw", "label"]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def export_header(*, events: bool) -> list[str]:
    """Column names of the export, in REDCap's order."""
    header = ["patient_id"]
    if events:
        header.append("redcap_event_name")
    header += ["redcap_repeat_instrument", "redcap_repeat_instance"]
    for inst in INSTRUMENTS:
        for f in FIELDS:
            if f.form != inst.form or f.name == "patient_id":
                continue
            if f.kind == "checkbox":
                header += [f"{f.name}___{code}" for code, _ in f.choices]
            else:
                header.append(f.name)
        header.append(f"{inst.form}_complete")
    return header


def _cells(f: FieldSpec, row: dict[str, Any], mode: Mode) -> dict[str, str]:
    value = row.get(f.column) if f.column else None
    if f.kind == "checkbox":
        items = list(value or [])
        known = {label: code for code, label in f.choices}
        other = [i for i in items if i not in known]
        out = {}
        for code, label in f.choices:
            on = label in items or (code == SYMPTOM_OTHER_CODE and bool(other))
            out[f"{f.name}___{code}"] = ("1" if on else "0") if mode == "raw" else (
                "Checked" if on else "Unchecked")
        out[f"{f.name}_other"] = ";".join(other)
        return out
    if f.kind == "yesno":
        if value is None:
            return {f.name: ""}
        return {f.name: ("1" if value else "0") if mode == "raw" else ("Yes" if value else "No")}
    if f.choices:
        if value is None:
            return {f.name: ""}
        code = {label: c for c, label in f.choices}[value]
        return {f.name: code if mode == "raw" else value}
    return {f.name: _text(value)}


def write_export(
    study: LoadedStudy, path: Path, *, mode: Mode = "raw", event: str | None = None
) -> Path:
    """Write ``study`` as a REDCap export (every instance in ``event`` when given)."""
    header = export_header(events=event is not None)
    by_patient: dict[str, list[dict[str, str]]] = {}
    patients = study.tables["patients"].to_dicts()
    for p in patients:
        row = dict.fromkeys(header, "")
        row["patient_id"] = p["patient_id"]
        for f in FIELDS:
            if f.form == "patient" and f.name != "patient_id":
                row.update(_cells(f, p, mode))
        row["patient_complete"] = "2"
        by_patient[p["patient_id"]] = [row]
    counters: dict[tuple[str, str], int] = {}
    for inst in INSTRUMENTS:
        if not inst.repeating:
            continue
        if inst.table is None:  # imaging_assessment: one instance per scan of the lesions
            if "lesions" not in study.tables:
                continue
            scans = study.tables["lesions"].select("patient_id", "assessment_date", "modality")
            records = [{"patient_id": r["patient_id"], "img_date": r["assessment_date"],
                        "img_modality": r["modality"]} for r in scans.unique(
                            maintain_order=True).to_dicts()]  # fmt: skip
        elif inst.table in study.tables:
            records = study.tables[inst.table].to_dicts()
        else:
            continue
        for rec in records:
            pid = rec["patient_id"]
            n = counters[(pid, inst.form)] = counters.get((pid, inst.form), 0) + 1
            row = dict.fromkeys(header, "")
            row.update({"patient_id": pid, "redcap_repeat_instrument": inst.form,
                        "redcap_repeat_instance": str(n), f"{inst.form}_complete": "2"})
            for f in FIELDS:
                if f.form != inst.form:
                    continue
                if inst.table is None:
                    row.update(_cells(_with_column(f), rec, mode))
                elif f.column is not None:  # vis_symptoms_other is written with vis_symptoms
                    row.update(_cells(f, rec, mode))
            by_patient[pid].append(row)
    if event is not None:
        for rows in by_patient.values():
            for r in rows:
                r["redcap_event_name"] = event
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for rows in by_patient.values():
            writer.writerows(rows)
    return path


def _with_column(f: FieldSpec) -> FieldSpec:
    from dataclasses import replace

    return replace(f, column=f.name)
