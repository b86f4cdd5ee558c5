"""An import killed inside its transaction leaves the study file as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_studies import make_study, sort_by_key, without_source_row

from cnsrwe.store import Store
from cnsrwe.store.importer import TEST_HOOK_ENV

_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from store_studies import make_study
from cnsrwe.store import Store
with Store.open({path!r}) as store:
    store.import_study(make_study(400, seed=99), reason="killed")
"""


def test_sigkill_inside_the_transaction_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    first = make_study(20, seed=1)
    with Store.create(path) as store:
        store.import_study(first, reason="v1")
        audit_before = store.audit()
    marker = tmp_path / "paused"
    env = {**os.environ, TEST_HOOK_ENV: str(marker)}
    code = _CHILD.format(tests=str(Path(__file__).parent), path=str(path))
    child = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the importer ended before reaching the hook"
            assert time.monotonic() < deadline, "the importer never reached the hook"
            time.sleep(0.05)
        # the first table has been written inside the open transaction: kill -9 now
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with Store.open(path) as store:
        assert [v.version for v in store.versions()] == [1]
        assert store.audit() == audit_before
        assert store.verify_audit().ok
        for name, df in first.tables.items():
            assert store.read_table(name).equals(sort_by_key(name, without_source_row(df)))
        # and the store still takes imports afterwards
        assert store.import_study(make_study(21, seed=1)).status == "updated"
        assert store.verify_audit().ok
