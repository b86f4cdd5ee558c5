"""Who is in an analysis, and in which group: the ``by`` / ``groups`` / ``within`` /
``cohorts`` / ``per_cohort`` keys of ``[[analyses]]`` (docs/study-file.md) applied to the
analysis set.

* ``cohorts`` keeps the listed cohorts; ``within`` keeps patients who are members of every
  listed subgroup (members only: a patient outside a subgroup's analysis population is not a
  member);
* ``by = "cohort"``: one group per cohort; ``by = <subgroup>``: members vs non-members of
  the subgroup's analysis population (patients outside it are left out);
  ``groups = [a, b, ...]``: one group per listed subgroup (a patient in several is counted
  in the first listed, and the count of such patients is returned); neither: one group
  ``all``;
* ``per_cohort = true`` repeats the analysis in each cohort: one part per cohort.

Reference group of hazard ratios: the first cohort for ``by = "cohort"``; the non-members
for ``by = <subgroup>``; the LAST listed subgroup for ``groups`` (so ``groups =
["symptomatic_bm", "asymptomatic_bm"]`` gives the HR of symptomatic vs asymptomatic, as the
2022 paper reports it).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cnsrwe.runner.prepare import ALL
from cnsrwe.study import AnalysisSpec


@dataclass(frozen=True)
class AnalysisPart:
    """One run of an analysis: ``population`` (the ARD population key), its ``frame``
    (analysis-set rows with a ``group`` column), group keys and labels in display order."""

    population: str
    title: str
    frame: pl.DataFrame
    groups: tuple[str, ...]
    group_labels: tuple[str, ...]
    n_overlap: int = 0
    reference: str = ""

    def reference_among(self, present: tuple[str, ...]) -> str:
        """The reference group of hazard ratios among the groups with patients."""
        if self.reference in present:
            return self.reference
        return present[-1] if self.reference != self.groups[0] else present[0]


def _label(name: str, sub_labels: dict[str, str]) -> str:
    return sub_labels.get(name, name)


def analysis_title(spec: AnalysisSpec, *, endpoint_label: str | None,
                   subgroup_labels: dict[str, str]) -> str:
    """The printed title: the study file's ``label``, else built from the endpoint and the
    grouping ("Intracranial ORR by cohort, within: Uncontrolled CNS metastases")."""
    if spec.label:
        return spec.label
    head = endpoint_label or spec.name.replace("_", " ").capitalize()
    if spec.by == "cohort":
        head += " by cohort"
    elif spec.by is not None:
        head += f" by: {_label(spec.by, subgroup_labels)}"
    elif spec.groups:
        head += ": " + " vs ".join(_label(g, subgroup_labels) for g in spec.groups)
    if spec.within:
        head += ", within: " + ", ".join(_label(w, subgroup_labels) for w in spec.within)
    return head


def analysis_parts(spec: AnalysisSpec, aset: pl.DataFrame, *, cohort_labels: dict[str, str],
                   subgroup_labels: dict[str, str],
                   endpoint_label: str | None = None) -> list[AnalysisPart]:
    """Split the analysis set for ``spec`` (module notes)."""
    df = aset
    if spec.cohorts:
        df = df.filter(pl.col("cohort").is_in(list(spec.cohorts)))
    for sub in spec.within:
        df = df.filter(pl.col(sub).fill_null(False))
    n_overlap = 0
    if spec.by == "cohort":
        keys = [c for c in cohort_labels if c in set(df["cohort"].to_list())]
        labels = [cohort_labels[c] for c in keys]
        df = df.with_columns(pl.col("cohort").alias("group"))
    elif spec.by is not None:
        df = df.filter(pl.col(spec.by).is_not_null()).with_columns(
            pl.when(pl.col(spec.by)).then(pl.lit(spec.by))
            .otherwise(pl.lit(f"not_{spec.by}")).alias("group"))
        keys = [spec.by, f"not_{spec.by}"]
        lab = _label(spec.by, subgroup_labels)
        labels = [lab, f"Not: {lab}"]
    elif spec.groups:
        member = [pl.col(g).fill_null(False) for g in spec.groups]
        n_overlap = int(df.select(pl.sum_horizontal([m.cast(pl.Int32) for m in member]) > 1)
                        .to_series().sum())
        expr = pl.when(member[0]).then(pl.lit(spec.groups[0]))
        for g, m in zip(spec.groups[1:], member[1:], strict=True):
            expr = expr.when(m).then(pl.lit(g))
        df = df.with_columns(expr.otherwise(None).alias("group")).filter(
            pl.col("group").is_not_null())
        keys = list(spec.groups)
        labels = [_label(g, subgroup_labels) for g in keys]
    else:
        df = df.with_columns(pl.lit(ALL).alias("group"))
        keys, labels = [ALL], ["All patients"]
    title = analysis_title(spec, endpoint_label=endpoint_label,
                           subgroup_labels=subgroup_labels)
    reference = keys[0] if spec.by == "cohort" or len(keys) == 1 else keys[-1]
    if not spec.per_cohort:
        return [AnalysisPart(spec.name, title, df, tuple(keys), tuple(labels), n_overlap,
                             reference)]
    parts = []
    for c, clab in cohort_labels.items():
        if spec.cohorts and c not in spec.cohorts:
            continue
        sub = df.filter(pl.col("cohort") == c)
        parts.append(AnalysisPart(f"{spec.name}/{c}", f"{title} — {clab}", sub, tuple(keys),
                                  tuple(labels), n_overlap, reference))
    return parts
