"""The prior-line progression table the cohort rules read (``progression_site_in``).

A cohort rule such as "intracranial progression on crizotinib" needs, for each prior line,
where the disease progressed: ``CNS_ONLY``, ``EXTRACRANIAL_ONLY`` or ``BOTH``
(docs/study-file.md, ``[data].prior_line_progression``). Three sources can tell, used in this
order for each (patient, line):

1. ``study_file``: the table named by the study file (abstracted from the notes by the
   study team; their explicit statement wins);
2. ``lesions``: the first progression derived from the lesion measurements of that line
   (``ad_progression`` of :func:`cnsrwe.derive.pipeline.derive_study`, the combined
   intracranial + extracranial profile when derived, else whole-body ``recist11``), i.e.
   RECIST 1.1 applied per compartment (response-criteria.md section 4.1);
3. ``treatments``: the data format's ``treatments.progression_site`` column as recorded by
   the site (``intracranial`` -> ``CNS_ONLY``, ``extracranial`` -> ``EXTRACRANIAL_ONLY``,
   ``both`` -> ``BOTH``), which the data format documents as the fallback "when no lesion
   data cover the line".

The result keeps the ``source`` of every row so the report can say how many sites came from
each source.
"""

from __future__ import annotations

import polars as pl

COMBINED_PROFILE = "recist11_intracranial+recist11_extracranial"
WHOLE_BODY_PROFILE = "recist11"
SITE_FROM_TREATMENTS = {"intracranial": "CNS_ONLY", "extracranial": "EXTRACRANIAL_ONLY",
                        "both": "BOTH"}
SOURCES = ("study_file", "lesions", "treatments")
SCHEMA = {"patient_id": pl.String, "line": pl.Int64, "progression_site": pl.String,
          "source": pl.String}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _from_lesions(progression: pl.DataFrame | None) -> pl.DataFrame:
    if progression is None or progression.height == 0:
        return _empty()
    profiles = set(progression["profile"].unique().to_list())
    profile = COMBINED_PROFILE if COMBINED_PROFILE in profiles else WHOLE_BODY_PROFILE
    return (progression.filter((pl.col("profile") == profile)
                               & pl.col("first_pd_date").is_not_null()
                               & pl.col("site").is_not_null())
            .select(pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
                    pl.col("site").cast(pl.String).alias("progression_site"),
                    pl.lit("lesions").alias("source")))


def _from_treatments(treatments: pl.DataFrame) -> pl.DataFrame:
    if "progression_site" not in treatments.columns:
        return _empty()
    return (treatments.filter(pl.col("line").is_not_null()
                              & pl.col("progression_site").is_not_null())
            .select(pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
                    pl.col("progression_site").cast(pl.String).str.to_lowercase()
                    .replace_strict(SITE_FROM_TREATMENTS, default=None)
                    .alias("progression_site"),
                    pl.lit("treatments").alias("source"))
            .filter(pl.col("progression_site").is_not_null())
            .unique(["patient_id", "line"], keep="first", maintain_order=True))


def build_prior_line_progression(
    treatments: pl.DataFrame,
    *,
    dataset_progression: pl.DataFrame | None = None,
    study_file_table: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per (patient, line) with a known progression site (module notes).

    Returns ``patient_id, line, progression_site, source`` sorted by patient and line.
    """
    parts = []
    if study_file_table is not None:
        parts.append(study_file_table.filter(pl.col("progression_site").is_not_null()).select(
            pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
            pl.col("progression_site").cast(pl.String), pl.lit("study_file").alias("source")))
    parts.append(_from_lesions(dataset_progression))
    parts.append(_from_treatments(treatments))
    rank = {s: i for i, s in enumerate(SOURCES)}
    out = pl.concat([p.cast(SCHEMA) for p in parts])  # type: ignore[arg-type]
    return (out.with_columns(pl.col("source").replace_strict(rank, return_dtype=pl.Int32)
                             .alias("_rank"))
            .sort(["patient_id", "line", "_rank"])
            .unique(["patient_id", "line"], keep="first", maintain_order=True)
            .drop("_rank"))
