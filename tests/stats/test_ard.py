"""The ARD contract: fixed columns, values kept unrounded."""

from __future__ import annotations

from cnsrwe.stats.ard import ARD_SCHEMA, ArdRow, ard_frame, concat_ard


def test_ard_frame_keeps_full_precision_and_column_order() -> None:
    frame = ard_frame([ArdRow("binomial_ci", "ORR", "estimate", 17 / 32, "Clopper-Pearson")])
    assert frame.columns == list(ARD_SCHEMA)
    assert frame["value"][0] == 17 / 32


def test_concat_stamps_population() -> None:
    a = ard_frame([ArdRow("x", "p", "s", 1.0, "m")])
    b = ard_frame([ArdRow("y", "p", "s", None, "m", group="g")])
    out = concat_ard([a, b], population="cohort 1")
    assert out["population"].to_list() == ["cohort 1", "cohort 1"]
    assert out["value"].to_list() == [1.0, None]
    assert concat_ard([]).columns == list(ARD_SCHEMA)
