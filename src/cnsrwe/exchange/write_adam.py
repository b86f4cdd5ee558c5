"""Writing the ADaM-style datasets of :func:`cnsrwe.exchange.adam.build_adam` to a folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import polars as pl

from cnsrwe.exchange.define import build_define, write_define
from cnsrwe.exchange.variables import ADAM_LABELS, ADAM_VARS
from cnsrwe.exchange.xpt import check_xpt_dataset, write_parquet_dataset, write_xpt

__all__ = ["write_adam"]

AdamFormat = Literal["xpt", "parquet"]


def write_adam(datasets: Mapping[str, pl.DataFrame], out_dir: str | Path, *,
               file_format: AdamFormat = "xpt") -> list[Path]:  # fmt: skip
    """Write each dataset as ``adsl.xpt`` ... (or ``.parquet``) plus ``define.csv`` and
    ``define.xlsx``; every dataset is checked against the XPT v5 limits before any file is
    written (the same limits apply to Parquet, so both formats carry the same names).

    Returns the paths written.
    """
    if file_format not in ("xpt", "parquet"):
        msg = f"`file_format` must be 'xpt' or 'parquet', got {file_format!r}"
        raise ValueError(msg)
    unknown = [n for n in datasets if n not in ADAM_VARS]
    if unknown:
        msg = f"`datasets` must be among {list(ADAM_VARS)!r}, got {unknown[0]!r}"
        raise ValueError(msg)
    for name, df in datasets.items():
        check_xpt_dataset(df, name=name, label=ADAM_LABELS[name], variables=ADAM_VARS[name])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writer = write_xpt if file_format == "xpt" else write_parquet_dataset
    paths = [
        writer(df, out / f"{name.lower()}.{file_format}", name=name, label=ADAM_LABELS[name],
               variables=ADAM_VARS[name])
        for name, df in datasets.items()
    ]  # fmt: skip
    define = build_define(datasets, ADAM_VARS)
    paths.extend(write_define(define, datasets, ADAM_LABELS, out))
    return paths
