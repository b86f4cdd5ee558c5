"""Derivation at scale: bounded-memory Parquet reading, the embedded engine and Spark.

* :mod:`.parquet_source` - patient-keyed chunked reading of a Parquet study;
* :mod:`.embedded` - :func:`derive_parquet`, chunked (optionally multi-process) derivation
  from Parquet to a Parquet result folder;
* :mod:`.spark_engine` - :func:`derive_spark`, the same per-patient derivation on Apache
  Spark (optional extra ``spark``);
* :mod:`.results` - shared settings, the result folder layout and :func:`read_results`.

See docs/scale.md.
"""

from cnsrwe.scale.embedded import ScaleRun, derive_parquet
from cnsrwe.scale.parquet_source import (
    READ_COLUMNS,
    ParquetStudy,
    iter_chunks,
    open_parquet_study,
    patient_ids,
    patient_ranges,
    read_chunk,
)
from cnsrwe.scale.results import AD_ARROW_SCHEMAS, DeriveSettings, read_results

__all__ = [
    "AD_ARROW_SCHEMAS",
    "READ_COLUMNS",
    "DeriveSettings",
    "ParquetStudy",
    "ScaleRun",
    "derive_parquet",
    "iter_chunks",
    "open_parquet_study",
    "patient_ids",
    "patient_ranges",
    "read_chunk",
    "read_results",
]
