"""The shared argument checks of cnsrwe._checks (table inputs)."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from cnsrwe._checks import as_frame, require_columns
from cnsrwe.errors import SchemaError

FRAME = pl.DataFrame({"patient_id": ["a", "b"], "line": [1, 2]})


def test_polars_frame_is_returned_unchanged() -> None:
    assert as_frame(FRAME, "treatments", ("patient_id", "line")) is FRAME


def test_missing_column_names_the_first_missing_and_the_columns_present() -> None:
    with pytest.raises(SchemaError) as info:
        as_frame(FRAME, "treatments", ("patient_id", "agents", "regimen"))
    assert str(info.value) == (
        "`treatments` lacks required column `agents`, got columns ['patient_id', 'line']"
    )
    with pytest.raises(ValueError, match=r"^`x` lacks required column `regimen`, got columns"):
        require_columns(FRAME, "x", ("line", "regimen"))
    require_columns(FRAME, "x", ("line",))  # present: no error


def test_other_kinds_only_when_allowed() -> None:
    lazy, pandas, arrow = FRAME.lazy(), FRAME.to_pandas(), FRAME.to_arrow()
    with pytest.raises(SchemaError, match=r"^`treatments` must be a polars DataFrame, got list$"):
        as_frame([1, 2], "treatments")
    for other, kind in ((lazy, "LazyFrame"), (pandas, "DataFrame"), (arrow, "Table")):
        with pytest.raises(SchemaError, match=rf"must be a polars DataFrame, got {kind}$"):
            as_frame(other, "treatments", ("line",))
    allow = ("lazy", "pandas", "arrow")
    for other in (lazy, pandas, arrow, arrow.to_batches()[0]):
        out = as_frame(other, "treatments", ("line",), allow=allow)
        assert out.equals(FRAME)
    with pytest.raises(SchemaError, match=r"^`d` must be a polars, pandas or pyarrow table, got"):
        as_frame(pa.array([1]), "d", allow=allow)
    with pytest.raises(SchemaError, match=r"^`d` must be a polars or pandas table, got dict$"):
        as_frame({"line": [1]}, "d", allow=("pandas",))
    assert isinstance(pandas, pd.DataFrame)  # the input is left as it was


def test_unknown_kind_is_an_argument_error() -> None:
    with pytest.raises(ValueError, match=r"^`allow` must be one of .*, got 'numpy'$"):
        as_frame(FRAME, "d", allow=("numpy",))  # type: ignore[arg-type]
