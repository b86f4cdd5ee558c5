"""The Spark engine: the same per-patient derivation, run on Apache Spark (extra ``spark``).

:func:`derive_spark` runs :func:`~cnsrwe.derive.pipeline.derive_study` - the very function
of the embedded engine, with the same :class:`~cnsrwe.scale.results.DeriveSettings` - on
patient buckets of a Spark cluster (or ``local[N]``):

1. every input table present (``treatments``, ``lesions``, ``timepoint_responses``,
   ``clinical``; only the columns of :data:`~cnsrwe.scale.parquet_source.READ_COLUMNS`) is
   read from Parquet and wrapped in one *envelope* frame: ``patient_id``, ``_table`` and
   one struct column per table (null except for the row's own table);
2. each patient gets the bucket ``pmod(xxhash64(patient_id), n_buckets)`` with
   ``n_buckets = ceil(patients / chunk_patients)``, so every row of a patient is in one
   bucket and a bucket holds about ``chunk_patients`` patients (the memory bound of one
   Python worker);
3. ``groupBy(bucket).applyInArrow`` hands each bucket to Python as one Arrow table; the
   tables are rebuilt as polars frames and derived;
4. the results are written as ``<output>/<ad_table>/`` Parquet parts - the layout of the
   embedded engine (:mod:`cnsrwe.scale.results`), so
   :func:`~cnsrwe.scale.results.read_results` reads both - by one of two writers:

   * ``python`` (local paths: ``local[N]`` or a file system every executor mounts): each
     Python worker writes its bucket's parts itself and returns only row counts; the
     result goes to ``<output>.partial`` and is renamed when complete;
   * ``spark`` (any URI, e.g. ``s3a://``): each bucket returns an envelope (``_table`` +
     one struct column per ``ad_*`` table), written once to ``<output>/_staging/``
     partitioned by ``_table`` (so the derivation runs once and nothing large is cached in
     the JVM heap; ``persist()`` ran out of the default 1 GB heap at 10^5 patients), then
     each table is copied from its partition by Spark's Parquet writer.

Because ``derive_study`` is a pure function of each patient's rows, the rows equal those of
the embedded engine whatever the bucketing (tested in tests/scale/). Part files are not in
patient order; ``read_results`` sorts.

Paths may be local folders or any URI Spark can read and write (``s3a://``, ``abfss://``,
``hdfs://``); see docs/scale.md for cluster use.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from cnsrwe import __version__
from cnsrwe._checks import assert_in, import_optional
from cnsrwe.derive.schemas import AD_SCHEMAS
from cnsrwe.errors import SchemaError
from cnsrwe.scale.embedded import ScaleRun
from cnsrwe.scale.parquet_source import (
    DEFAULT_CHUNK_PATIENTS,
    READ_COLUMNS,
    open_parquet_study,
    patient_ranges,
)
from cnsrwe.scale.results import (
    AD_ARROW_SCHEMAS,
    WORKER_ENVIRONMENT,
    DeriveSettings,
    prepare_output,
    replace_output,
    to_arrow,
    worker_jemalloc_conf,
    write_part,
    write_run_file,
)

DEFAULT_MASTER = "local[2]"
Writer = Literal["auto", "python", "spark"]
#: Sub-folder of the output holding the derived envelope until the tables are written.
STAGING = "_staging"
_SPARK_TYPES = {
    "string": "StringType", "int64": "LongType", "double": "DoubleType",
    "date32[day]": "DateType", "bool": "BooleanType",
}  # fmt: skip

#: Arrow schema of the output envelope: the table name and one struct per ``ad_*`` table.
ENVELOPE_SCHEMA = pa.schema(
    [pa.field("_table", pa.string())]
    + [pa.field(name, pa.struct(list(schema))) for name, schema in AD_ARROW_SCHEMAS.items()]
)


def _delete(session: Any, path: str) -> None:
    """Remove a folder (local or any Hadoop file system URI)."""
    if not _is_uri(path):
        shutil.rmtree(path, ignore_errors=True)
        return
    jvm = session.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    hpath.getFileSystem(session.sparkContext._jsc.hadoopConfiguration()).delete(hpath, True)


def _pyspark() -> Any:
    return import_optional("pyspark.sql", extra="spark", needed_by="derive --engine spark")


def _is_uri(path: str | Path) -> bool:
    return "://" in str(path)


def spark_session(
    master: str | None = DEFAULT_MASTER, *, app_name: str = "cnsrwe-derive",
    config: Mapping[str, str] | None = None,
) -> Any:
    """A SparkSession for the derivation (raises BackendNotAvailableError without pyspark).

    ``master=None`` keeps the master given to ``spark-submit``. Local masters get this
    interpreter as the Python worker, the Spark UI off, as many shuffle partitions as
    cores and :data:`~cnsrwe.scale.results.WORKER_ENVIRONMENT` as the Python workers'
    environment (``spark.executorEnv.*``; at 100,000 patients the derivation took about
    19 s instead of 20.5 s); ``config`` entries are applied last.
    """
    sql = _pyspark()
    builder = sql.SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    builder = builder.config("spark.sql.session.timeZone", "UTC").config(
        "spark.ui.showConsoleProgress", "false"
    )
    if master is not None and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        cores = master[master.find("[") + 1 : -1] if "[" in master else "1"
        parts = str(os.cpu_count() or 2) if cores == "*" else cores
        builder = builder.config("spark.ui.enabled", "false").config(
            "spark.sql.shuffle.partitions", parts
        )
        for key, value in WORKER_ENVIRONMENT.items():
            if key == "_RJEM_MALLOC_CONF":
                value = worker_jemalloc_conf(os.environ.get(key))
            builder = builder.config(f"spark.executorEnv.{key}", value)
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _spark_struct(schema: pa.Schema) -> Any:
    types = import_optional("pyspark.sql.types", extra="spark", needed_by="derive --engine spark")
    return types.StructType([
        types.StructField(f.name, getattr(types, _SPARK_TYPES[str(f.type)])(), True)
        for f in schema
    ])  # fmt: skip


def _output_spark_schema() -> Any:
    types = import_optional("pyspark.sql.types", extra="spark", needed_by="derive --engine spark")
    return types.StructType(
        [types.StructField("_table", types.StringType(), True)]
        + [types.StructField(n, _spark_struct(s), True) for n, s in AD_ARROW_SCHEMAS.items()]
    )


def _input_frames(spark: Any, input: str | Path) -> dict[str, Any]:
    """Spark frames of the input tables present, restricted to the columns used."""
    if _is_uri(input):
        errors = import_optional("pyspark.errors", extra="spark", needed_by="derive --engine spark")
        found = {}
        for table in READ_COLUMNS:
            for path in (f"{input}/{table}.parquet", f"{input}/{table}"):
                try:
                    found[table] = spark.read.parquet(path)
                    break
                except errors.AnalysisException:
                    continue
    else:
        study = open_parquet_study(input)
        found = {t: spark.read.parquet(*[str(p) for p in study.files[t]])
                 for t in READ_COLUMNS if t in study.files}  # fmt: skip
    if "treatments" not in found:
        msg = f"`input` must hold a treatments table in Parquet, got {str(input)!r}"
        raise SchemaError(msg)
    return {t: df.select([c for c in READ_COLUMNS[t] if c in df.columns])
            for t, df in found.items()}  # fmt: skip


def _envelope(frames: dict[str, Any]) -> Any:
    f = _pyspark().functions
    types = {t: df.schema for t, df in frames.items()}
    blocks = []
    for table, df in frames.items():
        cols = [f.col("patient_id").cast("string").alias("patient_id"),
                f.lit(table).alias("_table")]
        for other in frames:
            if other == table:
                cols.append(f.struct(*[f.col(c) for c in df.columns]).alias(other))
            else:
                cols.append(f.lit(None).cast(types[other]).alias(other))
        blocks.append(df.select(*cols))
    out = blocks[0]
    for block in blocks[1:]:
        out = out.unionByName(block)
    return out


def _unpack(batch: pa.Table, tables: list[str]) -> dict[str, pl.DataFrame]:
    out = {}
    for table in tables:
        part = batch.filter(pc.equal(batch.column("_table"), table))
        structs = part.column(table).combine_chunks()
        out[table] = pl.from_arrow(pa.Table.from_struct_array(structs))  # type: ignore[assignment]
    return out


def _unpack_pair(
    lesions: pa.Table, rest: pa.Table, tables: list[str]
) -> dict[str, pl.DataFrame]:
    """The tables of one bucket from a co-group: flat lesion rows and an envelope of the rest."""
    out = _unpack(rest, [t for t in tables if t != "lesions"])
    out["lesions"] = pl.from_arrow(lesions.drop_columns(["_bucket"]))  # type: ignore[assignment]
    return out


def _bucket_of(*batches: pa.Table) -> int:
    batch = next(b for b in batches if b.num_rows)
    return int(batch.column("_bucket")[0].as_py())


def _pack(results: Mapping[str, pl.DataFrame]) -> pa.Table:
    blocks = []
    for name, df in results.items():
        tab = to_arrow(name, df)
        n = tab.num_rows
        if not n:
            continue
        arrays: list[pa.Array] = [pa.array([name] * n, pa.string())]
        for field in ENVELOPE_SCHEMA:
            if field.name == "_table":
                continue
            if field.name == name:
                arrays.append(pa.StructArray.from_arrays(
                    [c.combine_chunks() for c in tab.columns], fields=list(tab.schema)
                ))  # fmt: skip
            else:
                arrays.append(pa.nulls(n, field.type))
        blocks.append(pa.Table.from_arrays(arrays, schema=ENVELOPE_SCHEMA))
    return pa.concat_tables(blocks) if blocks else ENVELOPE_SCHEMA.empty_table()


def bucket_function(settings: DeriveSettings, tables: list[str]) -> Any:
    """The function Spark applies to each patient bucket (Arrow tables in, envelope out).

    With a ``lesions`` table the bucket arrives as a co-group (flat lesion rows, envelope
    of the other tables), otherwise as one envelope.
    """

    def derive_bucket(batch: pa.Table) -> pa.Table:
        return _pack(settings.derive(_unpack(batch, tables)).as_tables())

    def derive_pair(lesions: pa.Table, rest: pa.Table) -> pa.Table:
        return _pack(settings.derive(_unpack_pair(lesions, rest, tables)).as_tables())

    return derive_pair if "lesions" in tables else derive_bucket


def _write_bucket(
    settings: DeriveSettings, inputs: dict[str, pl.DataFrame], folder: str, bucket: int
) -> pa.Table:
    result = settings.derive(inputs).as_tables()
    counts = []
    for name, df in result.items():
        if df.height:
            write_part(name, df, f"{folder}/{name}/part-b{bucket:06d}.parquet")
        counts.append(df.height)
    return pa.table({"_table": list(result), "rows": pa.array(counts, pa.int64())})


def writing_function(settings: DeriveSettings, tables: list[str], folder: str) -> Any:
    """The bucket function of the ``python`` writer: derive, write parts, return row counts.

    Each bucket writes ``<folder>/<ad_table>/part-<bucket>.parquet``; a retried task
    rewrites the same files with the same rows. Input as in :func:`bucket_function`.
    """

    def derive_and_write(batch: pa.Table) -> pa.Table:
        return _write_bucket(settings, _unpack(batch, tables), folder, _bucket_of(batch))

    def derive_and_write_pair(lesions: pa.Table, rest: pa.Table) -> pa.Table:
        return _write_bucket(settings, _unpack_pair(lesions, rest, tables), folder,
                             _bucket_of(lesions, rest))  # fmt: skip

    return derive_and_write_pair if "lesions" in tables else derive_and_write


def _bucketed(frames: dict[str, Any], n_buckets: int) -> Any:
    """The input grouped by patient bucket, ready for ``applyInArrow``.

    Every row gets ``_bucket = pmod(xxhash64(patient_id as string), n_buckets)``. The
    ``lesions`` table, by far the largest, is shuffled as flat rows and co-grouped with one
    envelope of the other tables: a struct envelope of every table shuffled about twice as
    slowly at 10^5 patients (measured with a no-op bucket function, ``local[2]``).
    """
    f = _pyspark().functions
    bucket = f.pmod(f.xxhash64(f.col("patient_id").cast("string")), f.lit(n_buckets))
    if "lesions" not in frames:
        return _envelope(frames).withColumn("_bucket", bucket).groupBy("_bucket")
    lesions = frames["lesions"].withColumn("_bucket", bucket)
    rest = _envelope({t: df for t, df in frames.items() if t != "lesions"})
    return lesions.groupBy("_bucket").cogroup(rest.withColumn("_bucket", bucket).groupBy("_bucket"))


def _write_with_python(
    grouped: Any, cfg: DeriveSettings, tables: list[str], final: Path
) -> dict[str, int]:
    """Derive and write parts from the Python workers into ``<final>.partial``, then rename."""
    work = final.with_name(final.name + ".partial")
    if work.exists():
        shutil.rmtree(work)
    for name in AD_SCHEMAS:
        (work / name).mkdir(parents=True)
    try:
        func = writing_function(cfg, tables, str(work.resolve()))
        done = grouped.applyInArrow(func, "_table string, rows long")
        counts: dict[str, int] = {}
        for row in done.collect():
            counts[row["_table"]] = counts.get(row["_table"], 0) + int(row["rows"])
        rows = {name: counts.get(name, 0) for name in AD_SCHEMAS}
        for name in AD_SCHEMAS:
            if not any((work / name).glob("*.parquet")):
                empty = pl.DataFrame(schema=AD_SCHEMAS[name])
                write_part(name, empty, work / name / "part-empty.parquet")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    replace_output(work, final)
    return rows


def _write_with_spark(
    session: Any, grouped: Any, cfg: DeriveSettings, tables: list[str], output: str,
    mode: str,
) -> dict[str, int]:
    """Derive into an envelope, stage it partitioned by table, copy each table out."""
    func = bucket_function(cfg, tables)
    derived = grouped.applyInArrow(func, _output_spark_schema())
    staging = f"{output}/{STAGING}"
    derived.write.mode("overwrite").partitionBy("_table").parquet(staging)
    try:
        counts = dict(session.read.parquet(staging).groupBy("_table").count().collect())
        rows = {name: int(counts.get(name, 0)) for name in AD_SCHEMAS}
        for name in AD_SCHEMAS:
            if rows[name]:
                part = session.read.parquet(f"{staging}/_table={name}").select(f"{name}.*")
            else:
                part = session.createDataFrame([], _spark_struct(AD_ARROW_SCHEMAS[name]))
            part.write.mode(mode).parquet(f"{output}/{name}")
    finally:
        _delete(session, staging)
    return rows


def derive_spark(
    input: str | Path,
    output: str | Path,
    *,
    spark: Any = None,
    master: str = DEFAULT_MASTER,
    settings: DeriveSettings | None = None,
    chunk_patients: int = DEFAULT_CHUNK_PATIENTS,
    overwrite: bool = False,
    writer: Writer = "auto",
) -> ScaleRun:
    """Derive every analysis dataset of the Parquet study ``input`` on Spark into ``output``.

    Parameters
    ----------
    input, output : local folders or URIs (``s3a://bucket/study``); the layouts of
        :mod:`cnsrwe.scale.parquet_source` and :mod:`cnsrwe.scale.results`.
    spark : an existing SparkSession (default: :func:`spark_session` with ``master``).
    settings : derivation settings (default: the defaults of ``derive_study``).
    chunk_patients : about this many patients per bucket (memory of one Python worker).
    overwrite : replace an existing output (the ``python`` writer replaces it only once
        the new result is complete).
    writer : ``python`` - each Python worker writes its bucket's parts straight to
        ``output`` (a local path every executor sees: ``local[N]`` or a shared file
        system); ``spark`` - results go back to Spark, are staged and written by Spark's
        writers (any URI); ``auto`` - ``python`` for local paths, ``spark`` for URIs.

    ``ScaleRun.seconds`` excludes Spark start-up (the session exists before the clock).
    """
    patient_ranges(pl.Series(["x"]), chunk_patients)  # checks chunk_patients
    assert_in("writer", writer, ("auto", "python", "spark"))
    local = not _is_uri(output)
    if writer == "python" and not local:
        msg = f"`writer` 'python' needs a local or shared-file-system path, got {str(output)!r}"
        raise ValueError(msg)
    use = ("python" if local else "spark") if writer == "auto" else writer
    cfg = settings or DeriveSettings()
    if local:
        prepare_output(output, overwrite=overwrite)
    session = spark if spark is not None else spark_session(master)
    t0 = time.perf_counter()
    frames = _input_frames(session, input)
    n_patients = frames["treatments"].select("patient_id").distinct().count()
    n_buckets = max(1, math.ceil(n_patients / chunk_patients))
    grouped = _bucketed(frames, n_buckets)
    if use == "python":
        rows = _write_with_python(grouped, cfg, list(frames), Path(output))
    else:
        if local and Path(output).exists():
            shutil.rmtree(output)
        mode = "overwrite" if overwrite or local else "errorifexists"
        rows = _write_with_spark(session, grouped, cfg, list(frames), str(output), mode)
    secs = time.perf_counter() - t0
    if local:
        write_run_file(Path(output), {
            "engine": "spark", "writer": use, "master": session.sparkContext.master,
            "spark_version": session.version, "cnsrwe_version": __version__, **cfg.as_dict(),
            "chunk_patients": chunk_patients, "buckets": n_buckets, "patients": n_patients,
            "tables": rows,
        })  # fmt: skip
    return ScaleRun("spark", str(output), n_patients, n_buckets, rows, secs)
