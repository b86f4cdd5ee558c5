"""Import a loaded study into a new store, derive, and build the ADaM-style datasets."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cnsrwe.derive import derive_into_store
from cnsrwe.exchange import build_adam, read_adam_inputs
from cnsrwe.io.loaded import LoadedStudy
from cnsrwe.store import Store

Tables = dict[str, pl.DataFrame]


def derive_and_build(loaded: LoadedStudy, path: Path) -> tuple[Tables, Tables]:
    with Store.create(path) as store:
        store.import_study(loaded)
        derive_into_store(store)
        inputs = read_adam_inputs(store)
    adam = build_adam(inputs, study_id="ALKCNS", index_agent="alectinib")
    return inputs, adam
