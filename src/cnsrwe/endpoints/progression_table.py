"""Progression site and pattern tables per cohort, with Fisher's exact test across cohorts.

Input: ``ad_progression`` rows (one profile; ``site``, ``extent``, ``cns_oligo``,
``symptomatic``) of patients with a first progression, joined with a group column.
Categories follow ``clinical/endpoints.md`` section 4: site CNS_ONLY / EXTRACRANIAL_ONLY /
BOTH; extent OLIGO / MULTI / EXTENSIVE; ``cns_oligo`` and ``symptomatic`` as yes/no/unknown.
Patients without progression (site ``NONE``) are left out. The r x c exact test is
:func:`cnsrwe.stats.fisher_exact` (Freeman-Halton), over categories with at least one patient.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cnsrwe.stats.ard import ArdRow, ard_frame, concat_ard
from cnsrwe.stats.contingency import fisher_exact

VARIABLES: dict[str, tuple[str, ...]] = {
    "site": ("CNS_ONLY", "EXTRACRANIAL_ONLY", "BOTH"),
    "extent": ("OLIGO", "MULTI", "EXTENSIVE"),
    "cns_oligo": ("yes", "no"),
    "symptomatic": ("yes", "no", "unknown"),
}


def progression_tables(dataset: pl.DataFrame, *, by: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Counts per variable, category and group (``table``) and the ARD with Fisher p-values.

    Returns ``(table, ard)``; ``table`` has columns variable, category, group, n, total,
    fraction (total = patients with progression in the group).
    """
    for col in ("site", "extent", "cns_oligo", "symptomatic", by):
        if col not in dataset.columns:
            msg = f"`dataset` must have column {col!r}, got columns {dataset.columns!r}"
            raise ValueError(msg)
    d = dataset.filter(pl.col("site").is_in(list(VARIABLES["site"]))).with_columns(
        pl.col(by).cast(pl.String).alias("group"),
        *[pl.when(pl.col(c).is_null()).then(pl.lit("unknown"))
          .when(pl.col(c)).then(pl.lit("yes")).otherwise(pl.lit("no")).alias(c)
          for c in ("cns_oligo", "symptomatic")],
    )  # fmt: skip
    groups = sorted(d["group"].unique().to_list())
    frames, ards = [], []
    for var, cats in VARIABLES.items():
        grid = pl.DataFrame({"category": list(cats)}).join(
            pl.DataFrame({"group": groups}, schema={"group": pl.String}), how="cross")
        counts = d.group_by(pl.col(var).alias("category"), "group").agg(
            pl.len().cast(pl.Int64).alias("n"))
        t = grid.join(counts, on=["category", "group"], how="left").fill_null(0)
        frames.append(t.with_columns(pl.lit(var).alias("variable")))
        mat = np.array([[t.filter((pl.col("category") == c) & (pl.col("group") == g))["n"].item()
                         for g in groups] for c in cats])  # fmt: skip
        mat = mat[mat.sum(axis=1) > 0][:, mat.sum(axis=0) > 0]
        if mat.shape[0] >= 2 and mat.shape[1] >= 2:
            ards.append(fisher_exact(mat).to_ard(parameter=var))
    table = pl.concat(frames).join(
        d.group_by("group").agg(pl.len().cast(pl.Int64).alias("total")), on="group", how="left"
    ).with_columns(pl.col("total").fill_null(0))
    table = table.with_columns((pl.col("n") / pl.col("total")).alias("fraction")).select(
        "variable", "category", "group", "n", "total", "fraction")
    rows = [ArdRow("progression_pattern", f"{r['variable']}={r['category']}", "n",
                   float(r["n"]), "count among patients with progression", group=r["group"])
            for r in table.iter_rows(named=True)]  # fmt: skip
    return table, concat_ard([ard_frame(rows), *ards])
