"""The hash-chained audit trail detects edits, deletions and truncation."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from store_studies import make_study

from cnsrwe.io.loaded import LoadedStudy
from cnsrwe.store import Store


@pytest.fixture
def audited(small_study: LoadedStudy, study_path: Path) -> Path:
    with Store.create(study_path) as store:
        store.import_study(small_study, reason="first")
        store.import_study(make_study(12, seed=9), reason="second")
        store.import_study(make_study(13, seed=9), reason="third")
    return study_path


def _tamper(path: Path, sql: str) -> None:
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()


def test_chain_is_valid_and_has_no_identifiers(audited: Path, small_study: LoadedStudy) -> None:
    with Store.open(audited, read_only=True) as store:
        check = store.verify_audit()
        entries = store.audit()
    assert check.ok
    assert check.n_rows == 4
    assert [e.action for e in entries] == ["create", "import", "import", "import"]
    assert [e.version for e in entries] == [None, 1, 2, 3]
    assert entries[3].details["tables"]["patients"]["added"] == 1
    assert entries[1].reason == "first"
    text = repr(entries)
    assert not any(pid in text for pid in small_study.tables["patients"]["patient_id"])


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE cnsrwe_audit_log SET reason = 'edited' WHERE seq = 1", "audit row 1 was altered"),
        ("DELETE FROM cnsrwe_audit_log WHERE seq = 2", "audit row 2 is missing"),
        ("DELETE FROM cnsrwe_audit_log WHERE seq = 3", "does not end where the metadata say"),
        (
            "UPDATE cnsrwe_audit_log SET details = replace(details, '\"added\":1', '\"added\":0')"
            " WHERE seq = 3",
            "audit row 3 was altered",
        ),
    ],
)
def test_tampering_is_detected(audited: Path, sql: str, problem: str) -> None:
    _tamper(audited, sql)
    with Store.open(audited, read_only=True) as store:
        check = store.verify_audit()
    assert not check.ok
    assert check.problem is not None
    assert problem in check.problem


def test_record_action_appends_to_the_chain(audited: Path) -> None:
    with Store.open(audited) as store:
        store.record_action("derive", details={"dataset": "adtte", "rows": 12}, version=3)
        with pytest.raises(ValueError, match="`action` must be one of"):
            store.record_action("delete", details={})
        entries = store.audit()
        assert store.verify_audit().ok
    assert entries[-1].action == "derive"
    assert entries[-1].details == {"dataset": "adtte", "rows": 12}
    assert len(entries) == 5
