"""Creating, opening, importing and reading back a study file."""

from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from store_studies import make_study, sort_by_key, study_from_tables, without_source_row

from cnsrwe.errors import SchemaError, StoreError
from cnsrwe.io.loaded import LoadedStudy, SourceFile
from cnsrwe.store import Store


def expected(study: LoadedStudy, name: str) -> pl.DataFrame:
    return sort_by_key(name, without_source_row(study.tables[name]))


def test_round_trip_gives_exactly_the_input(small_study: LoadedStudy, study_path: Path) -> None:
    with Store.create(study_path) as store:
        result = store.import_study(small_study, reason="first export")
        assert result.status == "created"
        assert result.version == 1
        assert store.tables() == list(small_study.tables)
        for name in small_study.tables:
            got = store.read_table(name)
            assert got.schema == expected(small_study, name).schema
            assert got.equals(expected(small_study, name)), name


def test_decimal_tenths_lists_and_text_survive(study_path: Path) -> None:
    study = make_study(3, seed=5)
    lesions = study.tables["lesions"].with_columns(
        pl.Series(
            "diameter_mm",
            [Decimal("0.1"), Decimal("99999999.9"), None, Decimal("12.5")]
            + [Decimal("0.0")] * (study.tables["lesions"].height - 4),
            dtype=pl.Decimal(9, 1),
        )
    )
    clinical = study.tables["clinical"].with_columns(
        pl.Series("symptoms", [["a;b", "é"], [], None], dtype=pl.List(pl.String)),
        pl.Series("corticosteroid_mg_dexamethasone_eq", [0.1 + 0.2, -0.0, float("nan")]),
    )
    study = study_from_tables({**study.tables, "lesions": lesions, "clinical": clinical})
    with Store.create(study_path) as store:
        store.import_study(study)
        got = store.read_table("lesions")
        assert got.equals(expected(study, "lesions"))
        assert Decimal("99999999.9") in got["diameter_mm"].to_list()
        cl = store.read_table("clinical")
        assert cl.equals(expected(study, "clinical"))
        assert cl["symptoms"].to_list()[:3] == [["a;b", "é"], [], None]
        assert cl["corticosteroid_mg_dexamethasone_eq"][0] == 0.1 + 0.2


def test_reimport_of_identical_data_writes_nothing(
    small_study: LoadedStudy, study_path: Path
) -> None:
    with Store.create(study_path) as store:
        store.import_study(small_study)
        audit_before = store.audit()
    with Store.open(study_path) as store:
        again = store.import_study(small_study, reason="same files")
        assert again.status == "unchanged"
        assert again.version == 1
        assert len(store.versions()) == 1
        assert store.audit() == audit_before


def test_changes_are_counted_by_key_and_history_rebuilds(study_path: Path) -> None:
    v1 = make_study(10, seed=2)
    patients = v1.tables["patients"]
    # remove two patients, change one, add one
    changed = patients.filter(~pl.col("patient_id").is_in(["P00000", "P00001"])).with_columns(
        pl.when(pl.col("patient_id") == "P00002")
        .then(pl.lit(4))
        .otherwise(pl.col("ecog_at_index"))
        .alias("ecog_at_index")
    )
    new_row = patients.filter(pl.col("patient_id") == "P00003").with_columns(
        pl.lit("P99999").alias("patient_id")
    )
    same_ecog = patients.filter(pl.col("patient_id") == "P00002")["ecog_at_index"][0] == 4
    v2 = study_from_tables({**v1.tables, "patients": pl.concat([changed, new_row])})
    with Store.create(study_path) as store:
        store.import_study(v1)
        result = store.import_study(v2, reason="site 2 corrections")
        assert result.status == "updated"
        counts = {c.table: (c.added, c.removed, c.changed) for c in result.tables}
        assert counts["patients"] == (1, 2, 0 if same_ecog else 1)
        assert counts["lesions"] == (0, 0, 0)
        assert store.read_table("patients", version=1).equals(expected(v1, "patients"))
        assert store.read_table("patients").equals(expected(v2, "patients"))
        keys = store.changed_keys(2)["patients"]
        assert keys.filter(pl.col("change") == "removed")["patient_id"].to_list() == [
            "P00000",
            "P00001",
        ]
        assert keys.filter(pl.col("change") == "added")["patient_id"].to_list() == ["P99999"]
        history = store.versions()
        assert [v.reason for v in history] == [None, "site 2 corrections"]
        assert history[1].tables[0].removed == 2
        assert store.verify_audit().ok


def test_a_missing_table_is_recorded_as_removed(study_path: Path) -> None:
    v1 = make_study(6, seed=3)
    v2 = study_from_tables({k: v for k, v in v1.tables.items() if k != "biopsies"})
    with Store.create(study_path) as store:
        store.import_study(v1)
        result = store.import_study(v2)
        removed = {c.table: c for c in result.tables}["biopsies"]
        assert not removed.present
        assert removed.removed == v1.tables["biopsies"].height
        assert "biopsies" not in store.tables()
        with pytest.raises(StoreError, match="table `biopsies` is not in version 2"):
            store.read_table("biopsies")
        assert store.read_table("biopsies", version=1).equals(expected(v1, "biopsies"))


def test_extra_columns_appear_and_disappear_per_version(study_path: Path) -> None:
    v1 = make_study(4, seed=4)
    p = v1.tables["patients"]
    v2 = study_from_tables(
        {
            **v1.tables,
            "patients": p.drop("site_note").with_columns(pl.lit("x").alias("Comment (free)")),
        }
    )
    with Store.create(study_path) as store:
        store.import_study(v1)
        result = store.import_study(v2)
        assert {c.table: c.changed for c in result.tables}["patients"] == p.height
        assert store.read_table("patients").columns[-1] == "Comment (free)"
        assert "site_note" not in store.read_table("patients").columns
        assert store.read_table("patients", version=1).equals(expected(v1, "patients"))
        assert store.read_table("patients", version=2).equals(expected(v2, "patients"))


def test_null_key_parts_compare_equal(study_path: Path) -> None:
    """treatments.line is nullable and part of the key: a radiotherapy row must not churn."""
    v1 = make_study(5, seed=6)
    assert v1.tables["treatments"]["line"].null_count() > 0
    with Store.create(study_path) as store:
        store.import_study(v1)
        t = v1.tables["treatments"].with_columns(
            pl.when(pl.col("line").is_null())
            .then(pl.lit("30 Gy"))
            .otherwise(pl.col("dose"))
            .alias("dose")
        )
        result = store.import_study(study_from_tables({**v1.tables, "treatments": t}))
        c = {c.table: c for c in result.tables}["treatments"]
        assert (c.added, c.removed, c.changed) == (0, 0, 5)


def test_bad_input_changes_nothing(small_study: LoadedStudy, study_path: Path) -> None:
    with Store.create(study_path) as store:
        store.import_study(small_study)
        before = store.read_table("patients")
        bad_type = small_study.tables["patients"].with_columns(
            pl.col("ecog_at_index").cast(pl.Float64)
        )
        with pytest.raises(SchemaError, match=r"`patients.ecog_at_index` must have type"):
            store.import_study(study_from_tables({**small_study.tables, "patients": bad_type}))
        dup = pl.concat([small_study.tables["patients"], small_study.tables["patients"].head(1)])
        with pytest.raises(SchemaError, match="2 rows sharing a key"):
            store.import_study(study_from_tables({**small_study.tables, "patients": dup}))
        reserved = small_study.tables["patients"].with_columns(pl.lit("x").alias("_cnsrwe_rid"))
        with pytest.raises(SchemaError, match="reserved"):
            store.import_study(study_from_tables({**small_study.tables, "patients": reserved}))
        case = small_study.tables["patients"].with_columns(pl.lit("x").alias("SEX"))
        with pytest.raises(SchemaError, match="differ only in case"):
            store.import_study(study_from_tables({**small_study.tables, "patients": case}))
        assert len(store.versions()) == 1
        assert store.read_table("patients").equals(before)
        assert store.verify_audit().ok


def test_create_refuses_existing_and_open_refuses_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.create(path).close()
    with pytest.raises(StoreError, match="already exists"):
        Store.create(path)
    text = tmp_path / "notes.duckdb"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(StoreError, match="not a cnsrwe study"):
        Store.open(text)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="no cnsrwe metadata"):
        Store.open(other)
    with pytest.raises(StoreError, match="not an existing study file"):
        Store.open(tmp_path / "missing.duckdb")


def test_open_refuses_a_newer_store_schema(study_path: Path) -> None:
    Store.create(study_path).close()
    con = duckdb.connect(str(study_path))
    con.execute("UPDATE cnsrwe_meta SET value = '99' WHERE key = 'store_schema_version'")
    con.close()
    with pytest.raises(StoreError, match="store schema version 99, newer than this cnsrwe"):
        Store.open(study_path)


def test_read_table_argument_errors(small_study: LoadedStudy, study_path: Path) -> None:
    with Store.create(study_path) as store:
        with pytest.raises(StoreError, match="has no import yet"):
            store.read_table("patients")
        store.import_study(small_study)
        with pytest.raises(
            ValueError, match=r"`version` must be an integer between 1 and 1, got 2"
        ):
            store.read_table("patients", version=2)
        with pytest.raises(ValueError, match="`name` must be one of"):
            store.read_table("patient")


def test_read_only_store_refuses_import(small_study: LoadedStudy, study_path: Path) -> None:
    Store.create(study_path).close()
    with (
        Store.open(study_path, read_only=True) as store,
        pytest.raises(StoreError, match="read-only"),
    ):
        store.import_study(small_study)


def test_views_show_current_rows(small_study: LoadedStudy, study_path: Path) -> None:
    with Store.create(study_path) as store:
        store.import_study(small_study)
    con = duckdb.connect(str(study_path), read_only=True)
    n = con.execute("SELECT count(*) FROM lesions").fetchone()
    cols = [d[0] for d in con.execute("SELECT * FROM patients LIMIT 0").description]
    con.close()
    assert n == (small_study.tables["lesions"].height,)
    assert cols == without_source_row(small_study.tables["patients"]).columns


def test_provenance_keeps_file_names_not_folders(
    small_study: LoadedStudy, study_path: Path
) -> None:
    with Store.create(study_path) as store:
        store.import_study(small_study)
        files = store.versions()[0].files
    assert {f.file_name for f in files} == {f"{t}.csv" for t in small_study.tables}
    assert all("/" not in f.file_name for f in files)
    assert {f.sha256 for f in files} == {s.sha256 for s in small_study.sources.values()}


def test_new_file_digests_with_the_same_data_make_an_empty_version(
    small_study: LoadedStudy, study_path: Path
) -> None:
    resaved = LoadedStudy(
        tables=small_study.tables,
        sources={
            name: SourceFile(s.table, s.path, s.sheet, "f" * 64, s.n_rows)
            for name, s in small_study.sources.items()
        },
    )
    with Store.create(study_path) as store:
        store.import_study(small_study)
        result = store.import_study(resaved, reason="re-saved in Excel")
        assert result.status == "updated"
        assert not any(c.is_changed for c in result.tables)
        assert {f.sha256 for f in store.versions()[1].files} == {"f" * 64}


def test_negative_zero_keeps_its_sign(study_path: Path) -> None:
    study = make_study(2, seed=11)
    clinical = study.tables["clinical"].with_columns(
        pl.Series("corticosteroid_mg_dexamethasone_eq", [-0.0, 0.0])
    )
    with Store.create(study_path) as store:
        store.import_study(study_from_tables({**study.tables, "clinical": clinical}))
        got = store.read_table("clinical")["corticosteroid_mg_dexamethasone_eq"].to_list()
    assert [math.copysign(1.0, x) for x in got] == [-1.0, 1.0]


def test_a_store_in_use_by_another_process_is_reported(study_path: Path) -> None:
    Store.create(study_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(study_path)!r}); print('held', flush=True);"
         " time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="in use by another process"):
            Store.open(study_path)
    finally:
        holder.kill()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
