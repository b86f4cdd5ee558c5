"""Grammar of re-biopsy findings: one finding text -> kind, gene, alteration, ALK mutations.

A ``biopsies.finding`` cell is first split on ``;`` (several findings typed into one cell),
then each part is matched, case-insensitively and after trimming, against these forms (the
first that matches wins). ``MUT`` is a protein change in one-letter code, e.g. ``G1202R``,
``I1151Tins``; an optional ``p.`` prefix is dropped and three-letter codes
(``p.Gly1202Arg``) are converted first.

* ``alk_mutation``: ``[ALK] MUT``, or several MUT joined by ``+``, ``/``, ``,``, ``&`` or
  ``and`` (each may repeat ``ALK``): ``ALK G1202R``, ``ALK G1202R + L1196M``,
  ``ALK G1202R/L1196M``. A bare MUT list is accepted only when the row's ``result`` is
  ``alk_mutation``. Mutations are returned once each, in residue order.
* ``alk_amplification``: ``ALK amplification`` (on-target, no mutation).
* ``transformation``: ``SCLC``/``small cell [lung cancer|carcinoma]`` or
  ``SCC``/``squamous [cell carcinoma]`` together with ``transformation``/``transformed``:
  ``SCLC transformation``; ``transformation`` = ``sclc`` or ``scc``.
* ``bypass`` (gene = the altered gene, never ALK):
  ``GENE amplification|amp|amplified|gain`` with an optional copy number ``CN[=:] x`` or
  ``copy number x`` (``MET amplification (CN 4.5)``); ``GENE1-GENE2 fusion|rearrangement``
  with gene = GENE2, the 3' kinase partner (``AKAP9-BRAF fusion``); ``GENE MUT``,
  ``GENE exon N ...`` or ``GENE mutation`` (``KRAS G12A``, ``BRAF V600E``).
* ``alk_fusion``: ``[partner-]ALK [fusion|rearrangement|vN]`` (``EML4-ALK v3``): the driver
  seen again, not a resistance mechanism.
* ``none_detected``: ``none detected``, ``no ... detected``, ``negative``, ``wild type``,
  ``no mutation(s) (found)``.
* ``failed``: ``failed ...``, ``insufficient ...``, ``QNS``, ``not evaluable``.

Three-letter protein changes are converted only in a part that contains one (so a gene name
such as MET elsewhere is never touched).

Anything else is ``unparseable`` and is returned as a data-quality row by
:func:`cnsrwe.resistance.mechanisms.derive_biopsy_mechanisms`; it is never guessed.
"""

from __future__ import annotations

import polars as pl

_AA3 = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E",
    "GLY": "G", "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F",
    "PRO": "P", "SER": "S", "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V",
}  # fmt: skip
_AA = "ACDEFGHIKLMNPQRSTVWY"
MUT = rf"[{_AA}]\d{{2,4}}(?:[{_AA}](?:INS)?|DEL|INS[{_AA}]*|FS|\*)"
_SEP = r"\s*(?:\+|/|,|&|\bAND\b)\s*"
_ALK_LIST = rf"^(?:ALK\s*[:\-]?\s*)?{MUT}(?:{_SEP}(?:ALK\s*[:\-]?\s*)?{MUT})*$"
_GENE = r"[A-Z][A-Z0-9]{1,9}"

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "part": pl.String(), "kind": pl.String(), "gene": pl.String(),
    "alteration": pl.String(), "alk_mutations": pl.List(pl.String()),
    "copy_number": pl.Float64(), "transformation": pl.String(),
}  # fmt: skip


_THREE = "|".join(_AA3)
_THREE_CHANGE = rf"(?:^|[^A-Z])(?:{_THREE})\d{{2,4}}(?:{_THREE})\b"


def parse_findings(frame: pl.DataFrame, *, text: str, result: str, into: str) -> pl.DataFrame:
    """Add a struct column ``into`` (fields of :data:`FINDING_SCHEMA`) parsing ``text``.

    ``text`` holds one finding per row (already split on ``;``); ``result`` is the row's
    ``biopsies.result`` (used only to accept a bare mutation list as ALK). The grammar is
    applied in stages (normalise, extract, decide) so each regular expression runs once.
    """
    norm = pl.col(text).str.strip_chars().str.to_uppercase().str.replace_all(r"\bP\.", "")
    norm = norm.str.replace_all(r"\s+", " ")
    f = frame.with_columns(norm.alias("_u"))
    f = f.with_columns(
        pl.when(pl.col("_u").str.contains(_THREE_CHANGE))
        .then(pl.col("_u").str.replace_many(list(_AA3), list(_AA3.values())))
        .otherwise(pl.col("_u")).alias("_u")
    )
    u = pl.col("_u")
    sclc = r"\b(?:SCLC|SMALL[ -]CELL(?: LUNG)?(?: CANCER| CARCINOMA)?)\b"
    scc = r"\b(?:SCC|SQUAMOUS(?: CELL)?(?: CARCINOMA| CANCER)?)\b"
    f = f.with_columns(
        (
            u.str.contains(_ALK_LIST)
            & (u.str.starts_with("ALK") | (pl.col(result) == "alk_mutation"))
        ).alias("_alk"),
        (u.str.contains("TRANSFORM") & u.str.contains(sclc)).alias("_sclc"),
        (u.str.contains("TRANSFORM") & u.str.contains(scc)).alias("_scc"),
        u.str.extract(rf"^({_GENE}) (?:AMPLIFICATION|AMP|AMPLIFIED|GAIN)\b", 1).alias("_amp"),
        u.str.extract(rf"^{_GENE}[-:/]({_GENE}) (?:FUSION|REARRANGEMENT)\b", 1).alias("_fus"),
        u.str.extract(rf"^({_GENE}) (?:{MUT}|EXON ?\d+\b.*|MUTATION\b.*)$", 1).alias("_pt"),
        u.str.contains(rf"^(?:{_GENE}[-:/])?ALK(?: FUSION| REARRANGEMENT|\b V\d.*|$)")
        .alias("_afus"),
        u.str.contains(
            r"^(?:NONE( DETECTED)?|NO .*DETECTED|NEGATIVE|WILD[ -]?TYPE|WT|NO MUTATIONS?( FOUND)?)$"
        ).alias("_none"),
        u.str.contains(r"^(?:FAILED.*|INSUFFICIENT.*|QNS|NOT EVALUABLE|NOT ASSESSABLE)$")
        .alias("_failed"),
        u.str.extract(r"(?:\bCN|COPY NUMBER)\s*[=:]?\s*(\d+(?:\.\d+)?)", 1)
        .cast(pl.Float64, strict=False).alias("_cn"),
        u.str.extract_all(MUT).alias("_muts"),
    )
    amp, fusion, point = pl.col("_amp"), pl.col("_fus"), pl.col("_pt")
    kind = (
        pl.when(pl.col("_alk")).then(pl.lit("alk_mutation"))
        .when(amp == "ALK").then(pl.lit("alk_amplification"))
        .when(pl.col("_sclc") | pl.col("_scc")).then(pl.lit("transformation"))
        .when(amp.is_not_null()).then(pl.lit("bypass"))
        .when(fusion.is_not_null() & (fusion != "ALK")).then(pl.lit("bypass"))
        .when(point.is_not_null() & (point != "ALK")).then(pl.lit("bypass"))
        .when(pl.col("_afus")).then(pl.lit("alk_fusion"))
        .when(pl.col("_none")).then(pl.lit("none_detected"))
        .when(pl.col("_failed")).then(pl.lit("failed"))
        .otherwise(pl.lit("unparseable"))
    )  # fmt: skip
    f = f.with_columns(kind.alias("_kind"))
    k = pl.col("_kind")
    gene = (
        pl.when(k == "alk_mutation").then(pl.lit("ALK"))
        .when(k != "bypass").then(None)
        .when(amp.is_not_null()).then(amp)
        .when(fusion.is_not_null()).then(fusion)
        .otherwise(point)
    )  # fmt: skip
    alteration = (
        pl.when(k == "alk_mutation").then(pl.lit("mutation"))
        .when(k != "bypass").then(None)
        .when(amp.is_not_null()).then(pl.lit("amplification"))
        .when(fusion.is_not_null()).then(pl.lit("fusion"))
        .otherwise(pl.lit("mutation"))
    )  # fmt: skip
    muts = pl.col("_muts").list.eval(
        pl.element().str.replace(r"INS$", "ins").unique()
        .sort_by(mutation_position(pl.element().str.replace(r"INS$", "ins").unique()))
    )  # fmt: skip
    out = pl.struct(
        pl.col(text).str.strip_chars().alias("part"),
        k.alias("kind"),
        gene.alias("gene"),
        alteration.alias("alteration"),
        pl.when(k == "alk_mutation").then(muts)
        .otherwise(pl.lit([], dtype=pl.List(pl.String))).alias("alk_mutations"),
        pl.when(amp.is_not_null() & (k == "bypass")).then(pl.col("_cn")).alias("copy_number"),
        pl.when(k != "transformation").then(None)
        .when(pl.col("_sclc")).then(pl.lit("sclc")).otherwise(pl.lit("scc"))
        .alias("transformation"),
    )  # fmt: skip
    return f.with_columns(out.alias(into)).drop(
        "_u", "_alk", "_sclc", "_scc", "_amp", "_fus", "_pt", "_afus", "_none", "_failed",
        "_cn", "_muts", "_kind",
    )


def mutation_position(expr: pl.Expr) -> pl.Expr:
    """Residue number of a one-letter protein change (``"G1202R"`` -> 1202)."""
    return expr.str.extract(r"^[A-Z](\d+)", 1).cast(pl.Int64)
