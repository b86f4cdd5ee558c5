"""Keyed pseudonyms and per-patient date shifts (cnsrwe.io.deidentify)."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import polars as pl
import pytest
from store_studies import make_study, study_from_tables

from cnsrwe.errors import StoreError
from cnsrwe.io.deidentify import (
    deidentify,
    generate_key,
    key_fingerprint,
    pseudonym_and_shift,
    read_key,
)
from cnsrwe.io.loaded import LoadedStudy
from cnsrwe.io.schema import TABLES
from cnsrwe.store import Store

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


def test_matches_values_computed_with_openssl(reference_dir: Path) -> None:
    with (reference_dir / "deidentify" / "expected.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4
    for row in rows:
        assert pseudonym_and_shift(KEY_A, row["patient_id"]) == (
            row["pseudonym"],
            int(row["shift_days"]),
        )


def test_generate_key_is_private_random_and_never_overwritten(tmp_path: Path) -> None:
    path = generate_key(tmp_path / "k.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = read_key(path)
    assert len(key) == 32
    other = read_key(generate_key(tmp_path / "k2.key"))
    assert key != other
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        generate_key(path)
    assert read_key(path) == key
    bad = tmp_path / "bad.key"
    bad.write_text("abc\n", encoding="ascii")
    with pytest.raises(ValueError, match="must hold 64 hex characters, got 3"):
        read_key(bad)


def _intervals(study: LoadedStudy) -> dict[str, pl.DataFrame]:
    """Every date of every table minus the patient's diagnosis date, per row."""
    diag = study.tables["patients"].select("patient_id", _dx=pl.col("diagnosis_date"))
    out = {}
    for name, df in study.tables.items():
        dates = [c.name for c in TABLES[name].columns if c.type == "date"]
        joined = df.join(diag, on="patient_id", how="left", maintain_order="left")
        out[name] = joined.select([(pl.col(d) - pl.col("_dx")).alias(d) for d in dates])
    return out


def test_intervals_within_patients_are_preserved() -> None:
    study = make_study(30, seed=7).tables
    study["patients"] = study["patients"].drop("site_note")
    original = study_from_tables(study)
    deid = deidentify(original, KEY_A)
    before, after = _intervals(original), _intervals(deid)
    for name in before:
        assert after[name].equals(before[name]), name
    # every patient was moved, and by at most 180 days
    shift = (
        deid.tables["patients"]["diagnosis_date"] - original.tables["patients"]["diagnosis_date"]
    ).dt.total_days()
    assert shift.abs().min() >= 1
    assert shift.abs().max() <= 180
    assert deid.tables["patients"].schema == original.tables["patients"].schema
    assert deid.tables["patients"]["birth_year"].equals(original.tables["patients"]["birth_year"])
    assert deid.tables["lesions"]["lesion_id"].equals(original.tables["lesions"]["lesion_id"])


def test_pseudonyms_are_keyed_stable_and_hide_ids() -> None:
    tables = make_study(20, seed=8).tables
    tables["patients"] = tables["patients"].drop("site_note")
    study = study_from_tables(tables)
    a1, a2, b = deidentify(study, KEY_A), deidentify(study, KEY_A), deidentify(study, KEY_B)
    ids_a = a1.tables["patients"]["patient_id"]
    assert ids_a.equals(a2.tables["patients"]["patient_id"])
    assert not set(ids_a) & set(b.tables["patients"]["patient_id"])
    assert not set(ids_a) & set(study.tables["patients"]["patient_id"])
    assert ids_a.str.contains(r"^P[A-Z2-7]{12}$").all()
    assert ids_a.n_unique() == 20
    # the same patient gets the same pseudonym in every table
    assert set(a1.tables["lesions"]["patient_id"]) <= set(ids_a)
    assert all("/" not in s.path for s in a1.sources.values())
    assert a1.key_fingerprint == key_fingerprint(KEY_A) != key_fingerprint(KEY_B)


def test_extra_columns_are_refused_unless_dropped(small_study: LoadedStudy) -> None:
    with pytest.raises(ValueError, match="patients: site_note"):
        deidentify(small_study, KEY_A)
    dropped = deidentify(small_study, KEY_A, drop_extra_columns=True)
    assert "site_note" not in dropped.tables["patients"].columns
    with pytest.raises(ValueError, match="`key` must be 32 bytes, got 3"):
        deidentify(small_study, b"abc")


def test_store_checks_the_key_and_mode(small_study: LoadedStudy, tmp_path: Path) -> None:
    deid_a = deidentify(small_study, KEY_A, drop_extra_columns=True)
    path = tmp_path / "s.duckdb"
    with Store.create(path) as store:
        assert store.import_study(deid_a).status == "created"
        again = deidentify(small_study, KEY_A, drop_extra_columns=True)
        assert store.import_study(again).status == "unchanged"
        with pytest.raises(StoreError, match="key differs"):
            store.import_study(deidentify(small_study, KEY_B, drop_extra_columns=True))
        with pytest.raises(StoreError, match="holds de-identified data"):
            store.import_study(small_study)
        assert store.meta()["key_fingerprint"] == key_fingerprint(KEY_A)
        entry = store.audit()[-1]
        assert entry.action == "deidentified_import"
        text = repr(store.audit()) + repr(store.versions())
    for pid in small_study.tables["patients"]["patient_id"]:
        assert pid not in text
    assert KEY_A.hex() not in path.read_bytes().hex()
    with Store.create(tmp_path / "plain.duckdb") as store:
        store.import_study(small_study)
        with pytest.raises(StoreError, match="holds identified data"):
            store.import_study(deid_a)
