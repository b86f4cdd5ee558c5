"""Synthetic LoadedStudy objects for the store tests and the import benchmark.

The studies are built directly (not read from files), typed exactly as the loader promises
(src/cnsrwe/io/loaded.py): every format column with its Arrow type, extras as strings, and
``_source_row``. ``sha256`` of each "file" is the digest of the table's NDJSON text, so equal
content gives equal digests, as byte-identical files would.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import numpy as np
import polars as pl

from cnsrwe.io.loaded import LoadedStudy, SourceFile
from cnsrwe.io.schema import POLARS_TYPES, TABLES

_EPOCH = date(2015, 1, 1)


def typed_frame(
    name: str, data: dict[str, object], extras: dict[str, object] | None = None
) -> pl.DataFrame:
    """A table with every format column typed per the format (missing columns all null)."""
    spec = TABLES[name]
    n = len(next(iter(data.values())))  # type: ignore[arg-type]
    cols = []
    for col in spec.columns:
        values = data.get(col.name, [None] * n)
        if isinstance(values, np.ndarray) and values.dtype == object:
            values = values.tolist()
        cols.append(pl.Series(col.name, values, dtype=POLARS_TYPES[col.type]))
    for cname, values in (extras or {}).items():
        if isinstance(values, np.ndarray):
            values = values.tolist()
        cols.append(pl.Series(cname, values, dtype=pl.String))
    cols.append(pl.Series("_source_row", np.arange(2, n + 2), dtype=pl.Int64))
    return pl.DataFrame(cols)


def study_from_tables(
    tables: dict[str, pl.DataFrame], *, folder: str = "/data/site"
) -> LoadedStudy:
    """Wrap frames into a LoadedStudy with digests of their content."""
    sources = {}
    for name, df in tables.items():
        text = df.drop("_source_row").write_ndjson()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        sources[name] = SourceFile(name, f"{folder}/{name}.csv", None, digest, df.height)
    return LoadedStudy(tables=dict(tables), sources=sources)


def _dates(offsets: np.ndarray) -> pl.Series:
    return pl.Series(offsets.astype("timedelta64[D]") + np.datetime64(_EPOCH, "D")).cast(pl.Date)


def make_study(
    n_patients: int, *, seed: int = 0, lesions_per_scan: int = 3, scans: int = 4
) -> LoadedStudy:
    """A study of ``n_patients`` with every table, nulls, decimals, lists and an extra column."""
    rng = np.random.default_rng(seed)
    n = n_patients
    pid = np.array([f"P{i:05d}" for i in range(n)])
    diag = rng.integers(0, 2000, n)
    dead = rng.random(n) < 0.4
    death = np.where(dead, diag + rng.integers(100, 1500, n), -1)
    patients = typed_frame(
        "patients",
        {
            "patient_id": pid,
            "site_id": rng.choice(["S1", "S2", "S3", "S4", "S5", "S6"], n),
            "sex": rng.choice(["female", "male"], n),
            "birth_year": rng.integers(1940, 1990, n),
            "smoking_status": rng.choice(["never", "former", "current", None], n),
            "histology": rng.choice(["adenocarcinoma", "squamous"], n),
            "diagnosis_date": _dates(diag),
            "stage_at_diagnosis": rng.choice(["IVA", "IVB", "IIIB"], n),
            "ecog_at_index": rng.integers(0, 3, n),
            "death_date": _dates(death).zip_with(
                pl.Series(dead), pl.Series([None] * n, dtype=pl.Date)
            ),
            "last_known_alive_date": _dates(diag + rng.integers(50, 1500, n)),
            "alk_fusion_variant": rng.choice(["EML4-ALK v1", "EML4-ALK v3", None], n),
        },
        extras={"site_note": rng.choice(["ok", "", None, 'récupéré; "quoted"'], n)},
    )
    # treatments: line 1 and 2 per patient, plus one radiotherapy with an empty line
    line_pid = np.repeat(pid, 3)
    kind = np.tile(np.array([0, 1, 2]), n)
    start = np.repeat(diag, 3) + np.tile(np.array([20, 400, 200]), n) + rng.integers(0, 30, 3 * n)
    agents = [["alectinib"], ["carboplatin", "pemetrexed"], []]
    treatments = typed_frame(
        "treatments",
        {
            "patient_id": line_pid,
            "line": [None if k == 2 else int(k + 1) for k in kind],
            "regimen": np.array(["alectinib", "carboplatin-pemetrexed", "srs"])[kind],
            "agent_class": np.array(["alk_tki", "chemotherapy", "radiotherapy"])[kind],
            "agents": [agents[k] if k != 2 else None for k in kind],
            "start_date": _dates(start),
            "end_date": _dates(start + 90),
            "end_reason": np.array(["progression", "toxicity", "completed"])[kind],
            "target_site": np.array([None, None, "brain"])[kind],
            "rt_technique": np.array([None, None, "srs"])[kind],
            "dose": np.array(["600 mg bid", None, "24 Gy"])[kind],
        },
    )
    m = n * scans * lesions_per_scan
    les_pid = np.repeat(pid, scans * lesions_per_scan)
    scan_no = np.tile(np.repeat(np.arange(scans), lesions_per_scan), n)
    les_no = np.tile(np.arange(lesions_per_scan), n * scans)
    scan_day = np.repeat(diag, scans * lesions_per_scan) + 60 * scan_no
    tenths = rng.integers(0, 5000, m)
    small = rng.random(m) < 0.05
    lesions = typed_frame(
        "lesions",
        {
            "patient_id": les_pid,
            "assessment_date": _dates(scan_day),
            "lesion_id": np.char.add("T", les_no.astype(str)),
            "location": rng.choice(["brain_parenchyma", "lung", "leptomeninges"], m),
            "organ": rng.choice(["left frontal lobe", None], m),
            "lesion_role": np.where(les_no == 0, "non_target", "target"),
            "diameter_mm": [
                None if s else Decimal(int(t)) / 10 for t, s in zip(tenths, small, strict=True)
            ],
            "non_target_status": np.where(les_no == 0, "present", None),
            "modality": rng.choice(["mri", "ct"], m),
            "too_small_to_measure": np.where(small, True, None),
        },
    )
    tp_n = n * scans
    tp = typed_frame(
        "timepoint_responses",
        {
            "patient_id": np.repeat(pid, scans),
            "assessment_date": _dates(np.repeat(diag, scans) + 60 * np.tile(np.arange(scans), n)),
            "compartment": np.full(tp_n, "intracranial"),
            "response": rng.choice(["CR", "PR", "SD", "PD", "NE"], tp_n),
            "criteria": np.full(tp_n, "recist11"),
        },
    )
    clinical = typed_frame(
        "clinical",
        {
            "patient_id": pid,
            "visit_date": _dates(diag + 10),
            "ecog": rng.integers(0, 4, n),
            "cns_symptoms": rng.random(n) < 0.5,
            "symptoms": [
                ["headache", "nausea"] if i % 3 == 0 else ([] if i % 3 == 1 else None)
                for i in range(n)
            ],
            "corticosteroid_mg_dexamethasone_eq": rng.choice([0.0, 4.0, 0.1 + 0.2, 8.25], n),
            "mannitol": rng.random(n) < 0.1,
        },
    )
    nb = max(n // 3, 1)
    biopsies = typed_frame(
        "biopsies",
        {
            "patient_id": pid[:nb],
            "biopsy_date": _dates(diag[:nb] + 500),
            "specimen": np.full(nb, "plasma"),
            "method": np.full(nb, "ngs"),
            "result": np.full(nb, "alk_mutation"),
            "finding": np.full(nb, "ALK G1202R"),
        },
    )
    return study_from_tables(
        {
            "patients": patients,
            "treatments": treatments,
            "lesions": lesions,
            "timepoint_responses": tp,
            "clinical": clinical,
            "biopsies": biopsies,
        }
    )


def without_source_row(df: pl.DataFrame) -> pl.DataFrame:
    """The frame as the store returns it: no ``_source_row``, sorted by the table key."""
    return df.drop("_source_row", strict=False)


def sort_by_key(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Sort like :meth:`cnsrwe.store.Store.read_table` (key, nulls first)."""
    return df.sort(list(TABLES[name].key), nulls_last=False, maintain_order=True)
