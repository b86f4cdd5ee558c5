"""Property: after any sequence of imports, every version reads back as its input."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_studies import make_study, sort_by_key, study_from_tables, without_source_row

from cnsrwe.io.loaded import LoadedStudy
from cnsrwe.store import Store

texts = st.one_of(st.none(), st.text(max_size=6))


@st.composite
def studies(draw: st.DrawFn) -> LoadedStudy:
    """A small study: random size and seed, random rows dropped, random free text."""
    n = draw(st.integers(1, 6))
    base = make_study(n, seed=draw(st.integers(0, 3)), lesions_per_scan=2, scans=2)
    tables = {}
    for name, df in base.tables.items():
        keep = draw(st.lists(st.booleans(), min_size=df.height, max_size=df.height))
        if name != "patients" and not draw(st.booleans()):
            continue  # optional tables come and go
        tables[name] = df.filter(pl.Series(keep)) if name != "patients" else df
    notes = draw(st.lists(texts, min_size=n, max_size=n))
    tables["patients"] = tables["patients"].with_columns(
        pl.Series("site_note", notes, dtype=pl.String)
    )
    return study_from_tables(tables)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(studies(), min_size=1, max_size=4))
def test_every_version_reads_back_as_its_input(inputs: list[LoadedStudy]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stored: list[LoadedStudy] = []
        with Store.create(Path(folder) / "s.duckdb") as store:
            for study in inputs:
                result = store.import_study(study)
                if result.status == "unchanged":
                    assert stored, "the first import cannot be unchanged"
                else:
                    stored.append(study)
                assert result.version == len(stored)
            for k, study in enumerate(stored, start=1):
                assert store.tables(version=k) == list(study.tables)
                for name, df in study.tables.items():
                    want = sort_by_key(name, without_source_row(df))
                    got = store.read_table(name, version=k)
                    assert got.equals(want), (k, name)
            assert store.verify_audit().ok
            assert len(store.audit()) == 1 + len(stored)
