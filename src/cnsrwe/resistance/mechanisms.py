"""Resistance mechanisms per re-biopsy sample, and the sample's timing against progression.

Rules
-----
1. **Findings.** Each ``biopsies`` row's ``finding`` is split on ``;`` and parsed with the
   grammar of :mod:`cnsrwe.resistance.findings`. An empty finding takes its meaning from
   ``result`` when that is ``none_detected`` or ``failed``; otherwise it is unparseable. A
   finding whose parsed kind contradicts ``result`` (e.g. ``result = bypass``, finding
   ``ALK G1202R``) is reported (``result_finding_mismatch``); the parsed finding is used.
   Unparseable findings are reported (``unparseable_finding``) and never guessed.
2. **Sample.** Rows with the same ``patient_id``, ``biopsy_date`` and ``specimen`` are one
   sample (the data format puts a biopsy's second finding on a second row).
3. **Mechanism class of a sample**, first match wins:

   ``unparseable``            nothing in the sample could be read
   ``on_and_off_target``      an ALK alteration together with a bypass or transformation
   ``alk_compound``           >= 2 distinct ALK kinase-domain mutations in the sample (in one
                              finding, e.g. ``ALK G1202R/L1196M``, or on two rows)
   ``alk_single``             exactly one ALK kinase-domain mutation
   ``alk_amplification``      ALK amplification without mutation
   ``transformation``         SCLC or squamous transformation (``transformation`` = sclc/scc)
   ``bypass``                 an off-target alteration (``bypass`` lists ``GENE alteration``)
   ``failed``                 the sample failed (insufficient material, QNS)
   ``none_detected``          sequenced, nothing found (an ALK fusion seen again counts here)

   Two mutations found in plasma cannot be shown to sit on one allele; such samples keep
   ``alk_compound`` (the brief's rule) and get ``compound_phase_unknown = true``.
   ALK mutations outside the kinase domain (``kinase_domain`` of the rule) are listed in
   ``alk_other_mutations`` and do not count.
4. **Timing** (data behind the 2024 study's Fig. 1, re-biopsy timing; Wu, Zou et al.,
   J Transl Med 2024, doi:10.1186/s12967-024-05388-0). A line's progression date is its
   ``end_date`` when ``end_reason = "progression"`` (or the date given in
   ``dataset_progression``). A sample belongs to the latest progressed line whose progression
   date is on or before ``biopsy_date + days_before_progression``. Then
   ``days_from_progression = biopsy_date - progression_date`` and ``timing`` is

   ``before_progression``     taken during a line, earlier than ``days_before_progression``
                              before that line's own progression (a mid-line biopsy); this
                              takes precedence over the two timings below, and the sample
                              then belongs to that line (``days_from_progression`` < 0)
   ``no_prior_progression``   no progressed line qualifies
   ``after_next_line_start``  on or after the start of the next systemic line
   ``at_progression``         within [-days_before, +days_after] of the progression date
   ``after_progression``      later than the window but before the next line started
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import polars as pl

from cnsrwe._checks import as_frame
from cnsrwe.errors import DataQualityError, DataQualityWarning, SchemaError
from cnsrwe.resistance.findings import mutation_position, parse_findings

CheckType = Literal["error", "warning", "none"]
_NEEDED = ("patient_id", "biopsy_date", "specimen", "method", "result", "finding")
_SAMPLE = ["patient_id", "biopsy_date", "specimen"]
_EXPECTED_KINDS = {
    "alk_mutation": ["alk_mutation", "alk_amplification"],
    "bypass": ["bypass"],
    "transformation": ["transformation"],
    "none_detected": ["none_detected", "alk_fusion"],
    "failed": ["failed"],
}
ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(), "source_row": pl.Int64(), "code": pl.String(),
    "value": pl.String(), "message": pl.String(),
}  # fmt: skip
MECHANISM_CLASSES = (
    "unparseable", "on_and_off_target", "alk_compound", "alk_single", "alk_amplification",
    "transformation", "bypass", "failed", "none_detected",
)  # fmt: skip
TIMINGS = (
    "no_prior_progression", "before_progression", "at_progression", "after_progression",
    "after_next_line_start",
)  # fmt: skip


@dataclass(frozen=True)
class BiopsyTimingRule:
    """How a re-biopsy is placed against the progression of a line (project convention).

    Attributes
    ----------
    days_before_progression : a sample taken up to this many days *before* the progression
        date still counts as taken at that progression (the work-up that confirms it).
    days_after_progression : a sample up to this many days after the progression date is
        ``at_progression``; later ones (before the next line) are ``after_progression``.
    kinase_domain : first and last residue of the ALK kinase domain; mutations outside it are
        not counted as on-target resistance mutations. Default 1116-1392, the "protein
        kinase" feature of UniProt Q9UM73 as recalled [M: check before relying on a mutation
        at the edges; every known resistance mutation, 1151-1269, lies well inside].
    """

    days_before_progression: int = 30
    days_after_progression: int = 60
    kinase_domain: tuple[int, int] = (1116, 1392)

    def __post_init__(self) -> None:
        for name in ("days_before_progression", "days_after_progression"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                msg = f"`{name}` must be a whole number of days >= 0, got {value!r}"
                raise ValueError(msg)
        lo, hi = self.kinase_domain
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 < lo < hi):
            msg = (
                "`kinase_domain` must be two residues (first < last),"
                f" got {self.kinase_domain!r}"
            )
            raise ValueError(msg)

    @property
    def description(self) -> str:
        """The rule in one sentence, for a statistical analysis plan."""
        return (
            "A re-biopsy belongs to the latest progression on or before"
            f" {self.days_before_progression} days after the sample; it is 'at progression'"
            f" from {self.days_before_progression}"
            f" days before to {self.days_after_progression} days after that progression;"
            f" ALK mutations count when within residues {self.kinase_domain[0]}-"
            f"{self.kinase_domain[1]}."
        )


@dataclass(frozen=True)
class BiopsyMechanisms:
    """Result of :func:`derive_biopsy_mechanisms`.

    Attributes
    ----------
    samples : one row per sample (``patient_id``, ``biopsy_date``, ``specimen``): ``methods``,
        ``mechanism_class``, ``alk_mutations`` (kinase-domain, by residue), ``n_alk_mutations``,
        ``compound_in_one_finding``, ``compound_phase_unknown``, ``alk_other_mutations``,
        ``alk_amplification``, ``bypass`` (``GENE alteration`` list), ``transformation``,
        ``has_bypass``, ``has_transformation``, ``n_unparseable``, then the timing columns
        ``line``, ``line_alk_tki``, ``line_generation``, ``sequence_stage``,
        ``progression_date``, ``next_line_start``, ``days_from_progression``, ``timing``.
    findings : one row per finding part: ``source_row`` (1-based row of the input),
        ``patient_id``, ``biopsy_date``, ``specimen``, ``result``, ``part``, ``kind``, ``gene``,
        ``alteration``, ``alk_mutations``, ``copy_number``, ``transformation``.
    issues : data-quality rows: ``patient_id``, ``source_row``, ``code``, ``value``, ``message``.
    rule : the timing rule used.
    """

    samples: pl.DataFrame
    findings: pl.DataFrame
    issues: pl.DataFrame
    rule: BiopsyTimingRule


def _check(data: object) -> pl.DataFrame:
    bx = as_frame(data, "dataset_biopsies", _NEEDED)
    if bx.schema["biopsy_date"] != pl.Date:
        msg = f"`biopsies.biopsy_date` must be a Date column, got {bx.schema['biopsy_date']}"
        raise SchemaError(msg)
    return bx


def _findings(bx: pl.DataFrame, rule: BiopsyTimingRule) -> pl.DataFrame:
    text = pl.col("finding").cast(pl.String)
    empty = text.is_null() | (text.str.strip_chars() == "")
    part = (
        pl.when(~empty).then(text)
        .when(pl.col("result") == "none_detected").then(pl.lit("none detected"))
        .when(pl.col("result") == "failed").then(pl.lit("failed"))
        .otherwise(pl.lit(""))
    )  # fmt: skip
    ex = (
        bx.with_row_index("source_row", offset=1)
        .select(
            pl.col("source_row").cast(pl.Int64), pl.col("patient_id").cast(pl.String),
            "biopsy_date", pl.col("specimen").cast(pl.String),
            pl.col("method").cast(pl.String), pl.col("result").cast(pl.String),
            part.str.split(";").alias("_part"),
        )
        .with_columns(pl.col("_part").list.len().alias("_n"))
        .explode("_part")
        .filter((pl.col("_part").str.strip_chars() != "") | (pl.col("_n") == 1))
        .drop("_n")
    )  # fmt: skip
    parsed = parse_findings(ex, text="_part", result="result", into="_p").unnest("_p").drop(
        "_part"
    )
    lo, hi = rule.kinase_domain
    pos = mutation_position(pl.element())
    in_kd = (pos >= lo) & (pos <= hi)
    return parsed.with_columns(
        pl.col("alk_mutations").list.eval(pl.element().filter(~in_kd)).alias("_outside"),
        pl.col("alk_mutations").list.eval(pl.element().filter(in_kd)),
    )


def _finding_issues(f: pl.DataFrame) -> pl.DataFrame:
    unparseable = f.filter(pl.col("kind") == "unparseable").select(
        "patient_id", "source_row", pl.lit("unparseable_finding").alias("code"),
        pl.col("part").alias("value"),
        pl.lit("finding does not match the finding grammar (docs/resistance.md); not classified")
        .alias("message"),
    )  # fmt: skip
    expected = pl.col("result").replace_strict(
        {k: v for k, v in _EXPECTED_KINDS.items()}, default=None,
        return_dtype=pl.List(pl.String),
    )  # fmt: skip
    mismatch = f.filter(
        (pl.col("kind") != "unparseable")
        & expected.is_not_null()
        & ~expected.list.contains(pl.col("kind"))
    ).select(
        "patient_id", "source_row", pl.lit("result_finding_mismatch").alias("code"),
        pl.col("part").alias("value"),
        pl.format("result is {} but the finding reads as {}; the finding is used",
                  pl.col("result"), pl.col("kind")).alias("message"),
    )  # fmt: skip
    outside = f.filter(pl.col("_outside").list.len() > 0).select(
        "patient_id", "source_row", pl.lit("alk_mutation_outside_kinase_domain").alias("code"),
        pl.col("_outside").list.join("+").alias("value"),
        pl.lit("ALK mutation outside the kinase domain; not counted as a resistance mutation")
        .alias("message"),
    )  # fmt: skip
    return pl.concat([unparseable, mismatch, outside]).cast(ISSUE_SCHEMA)


def _samples(f: pl.DataFrame) -> pl.DataFrame:
    kind = pl.col("kind")
    bypass_label = pl.concat_str(pl.col("gene"), pl.lit(" "), pl.col("alteration"))
    s = (
        f.sort("source_row")
        .group_by(_SAMPLE, maintain_order=True)
        .agg(
            pl.col("method").unique(maintain_order=True).alias("methods"),
            pl.col("alk_mutations").list.explode(keep_nulls=False, empty_as_null=False)
            .unique().alias("_alk"),
            (pl.col("alk_mutations").list.len() >= 2).any().alias("compound_in_one_finding"),
            pl.col("_outside").list.explode(keep_nulls=False, empty_as_null=False)
            .unique().alias("alk_other_mutations"),
            (kind == "alk_amplification").any().alias("alk_amplification"),
            bypass_label.filter(kind == "bypass").unique(maintain_order=True).alias("bypass"),
            pl.col("transformation").drop_nulls().first().alias("transformation"),
            (kind == "failed").any().alias("_failed"),
            (kind == "unparseable").sum().cast(pl.Int64).alias("n_unparseable"),
            (kind != "unparseable").sum().alias("_n_read"),
        )
        .with_columns(
            pl.col("_alk").list.eval(pl.element().sort_by(mutation_position(pl.element())))
            .alias("alk_mutations"),
        )
        .with_columns(pl.col("alk_mutations").list.len().cast(pl.Int64).alias("n_alk_mutations"))
        .with_columns(
            (pl.col("bypass").list.len() > 0).alias("has_bypass"),
            pl.col("transformation").is_not_null().alias("has_transformation"),
        )
    )  # fmt: skip
    on = (pl.col("n_alk_mutations") > 0) | pl.col("alk_amplification")
    off = pl.col("has_bypass") | pl.col("has_transformation")
    cls = (
        pl.when(pl.col("_n_read") == 0).then(pl.lit("unparseable"))
        .when(on & off).then(pl.lit("on_and_off_target"))
        .when(pl.col("n_alk_mutations") >= 2).then(pl.lit("alk_compound"))
        .when(pl.col("n_alk_mutations") == 1).then(pl.lit("alk_single"))
        .when(pl.col("alk_amplification")).then(pl.lit("alk_amplification"))
        .when(pl.col("has_transformation")).then(pl.lit("transformation"))
        .when(pl.col("has_bypass")).then(pl.lit("bypass"))
        .when(pl.col("_failed")).then(pl.lit("failed"))
        .otherwise(pl.lit("none_detected"))
    )  # fmt: skip
    return s.with_columns(
        cls.alias("mechanism_class"),
        ((pl.col("n_alk_mutations") >= 2) & (pl.col("specimen") == "plasma"))
        .alias("compound_phase_unknown"),
    ).drop("_alk", "_failed", "_n_read")


def _timing(
    samples: pl.DataFrame, lines: pl.DataFrame, progression: pl.DataFrame | None,
    rule: BiopsyTimingRule,
) -> pl.DataFrame:
    ln = lines.select(
        "patient_id", "line", pl.col("alk_tki").alias("line_alk_tki"),
        pl.col("alk_generation").alias("line_generation"), "sequence_stage",
        pl.when(pl.col("end_reason") == "progression").then(pl.col("end_date"))
        .alias("progression_date"),
        pl.col("next_therapy_date").alias("next_line_start"),
        pl.col("reference_date").alias("_start"), pl.col("end_date").alias("_end"),
    )  # fmt: skip
    if progression is not None:
        given = progression.select(
            pl.col("patient_id").cast(pl.String), pl.col("line").cast(pl.Int64),
            pl.col("progression_date").cast(pl.Date).alias("_pd"),
        )
        ln = ln.join(given, on=["patient_id", "line"], how="left").with_columns(
            pl.coalesce("_pd", "progression_date").alias("progression_date")
        ).drop("_pd")
    ln = ln.filter(pl.col("progression_date").is_not_null())
    keys = samples.select(_SAMPLE).unique()
    cand = (
        keys.join(ln, on="patient_id", how="inner")
        .filter(pl.col("progression_date")
                <= pl.col("biopsy_date") + pl.duration(days=rule.days_before_progression))
        .sort("progression_date", "line")
        .group_by(_SAMPLE)
        .agg(pl.all().last())
    )  # fmt: skip
    out = samples.join(cand, on=_SAMPLE, how="left", nulls_equal=True)
    days = (pl.col("biopsy_date") - pl.col("progression_date")).dt.total_days()
    timing = (
        pl.when(pl.col("progression_date").is_null()).then(pl.lit("no_prior_progression"))
        .when(pl.col("next_line_start").is_not_null()
              & (pl.col("biopsy_date") >= pl.col("next_line_start")))
        .then(pl.lit("after_next_line_start"))
        .when(days <= rule.days_after_progression).then(pl.lit("at_progression"))
        .otherwise(pl.lit("after_progression"))
    )  # fmt: skip
    out = out.with_columns(days.alias("days_from_progression"), timing.alias("timing"))
    # a sample taken during a line, earlier than that line's progression window
    cols = [c for c in ln.columns if c != "patient_id"]
    current = (
        keys.join(ln, on="patient_id", how="inner")
        .filter((pl.col("_start") <= pl.col("biopsy_date"))
                & (pl.col("_end").is_null() | (pl.col("biopsy_date") <= pl.col("_end")))
                & (pl.col("progression_date")
                   > pl.col("biopsy_date") + pl.duration(days=rule.days_before_progression)))
        .sort("_start", "line")
        .group_by(_SAMPLE)
        .agg(pl.all().last())
        .rename({c: f"_c{c}" for c in cols})
    )  # fmt: skip
    out = out.join(current, on=_SAMPLE, how="left", nulls_equal=True)
    use = pl.col("_cline").is_not_null() & pl.col("timing").is_in(
        ["no_prior_progression", "after_next_line_start"]
    )
    out = out.with_columns(
        *(pl.when(use).then(pl.col(f"_c{c}")).otherwise(pl.col(c)).alias(c) for c in cols),
        pl.when(use).then((pl.col("biopsy_date") - pl.col("_cprogression_date")).dt.total_days())
        .otherwise(pl.col("days_from_progression")).alias("days_from_progression"),
        pl.when(use).then(pl.lit("before_progression")).otherwise(pl.col("timing"))
        .alias("timing"),
    )  # fmt: skip
    return out.drop([f"_c{c}" for c in cols] + ["_start", "_end"])


def derive_biopsy_mechanisms(
    dataset_biopsies: pl.DataFrame,
    dataset_lines: pl.DataFrame,
    *,
    dataset_progression: pl.DataFrame | None = None,
    rule: BiopsyTimingRule | None = None,
    check_type: CheckType = "warning",
) -> BiopsyMechanisms:
    """Classify each re-biopsy sample's resistance mechanism and its timing.

    Parameters
    ----------
    dataset_biopsies : the ``biopsies`` table of the data format.
    dataset_lines : ``LinesOfTherapy.lines`` from
        :func:`cnsrwe.resistance.lines.derive_lines_of_therapy`.
    dataset_progression : optional ``patient_id``, ``line``, ``progression_date`` overriding
        the line end date (e.g. ``first_pd_date`` of ``ad_progression``).
    rule : timing rule (default :class:`BiopsyTimingRule`).
    check_type : what to do when findings cannot be read or contradict ``result``:
        ``"error"`` raises :class:`DataQualityError`, ``"warning"`` emits
        :class:`DataQualityWarning` (both carry ``.rows``), ``"none"`` only returns them
        in ``issues``.

    Returns
    -------
    BiopsyMechanisms (see the module docstring for the rules).
    """
    if check_type not in ("error", "warning", "none"):
        msg = f"`check_type` must be one of 'error', 'warning', 'none', got {check_type!r}"
        raise ValueError(msg)
    rule = BiopsyTimingRule() if rule is None else rule
    if not isinstance(rule, BiopsyTimingRule):
        msg = f"`rule` must be a BiopsyTimingRule, got {type(rule).__name__}"
        raise TypeError(msg)
    bx = _check(dataset_biopsies)
    f = _findings(bx, rule)
    issues = _finding_issues(f)
    samples = _timing(_samples(f), dataset_lines, dataset_progression, rule).select(
        *_SAMPLE, "methods", "mechanism_class", "alk_mutations", "n_alk_mutations",
        "compound_in_one_finding", "compound_phase_unknown", "alk_other_mutations",
        "alk_amplification", "bypass", "transformation", "has_bypass", "has_transformation",
        "n_unparseable", "line", "line_alk_tki", "line_generation", "sequence_stage",
        "progression_date", "next_line_start", "days_from_progression", "timing",
    )
    findings = f.drop("_outside", "method")
    if issues.height and check_type != "none":
        msg = (
            f"{issues.height} biopsy finding(s) could not be read or contradict `result`;"
            " see `issues` (rows, codes) and the finding grammar in docs/resistance.md"
        )
        if check_type == "error":
            raise DataQualityError(msg, rows=issues)
        warnings.warn(DataQualityWarning(msg, rows=issues), stacklevel=2)
    return BiopsyMechanisms(samples=samples, findings=findings, issues=issues, rule=rule)
