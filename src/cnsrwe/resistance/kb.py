"""The ALK mutation x ALK inhibitor evidence knowledge base (lookup and finding annotation).

The data file ``cnsrwe/data/kb/alk_resistance.csv`` (see its README for provenance, columns
and how each row was verified) holds one row per mutation x drug x evidence item x source.
Every row has a ``source`` and a ``verification`` status, ``verified`` or ``unverified``;
unverified rows are labelled as such in every output and their numbers (IC50) are never
shown as facts.

Rules
-----
1. **Mutation names** are read with the re-biopsy finding grammar
   (:mod:`cnsrwe.resistance.findings`): ``G1202R``, ``ALK G1202R``, ``p.Gly1202Arg``;
   several changes (``G1202R+L1196M``, ``G1202R/L1196M``) form one *compound* key, written
   in residue order joined by ``+``.
2. **Group labels** of the sources expand to members for matching and keep their label for
   provenance: ``I1171T/N/S`` = I1171T, I1171N, I1171S; ``I1171X`` = any change at I1171.
3. **Matches**: ``exact`` (the row names the query), ``group_member`` (the query is a member
   of the row's group), ``part_of_compound`` (a compound row containing the single query),
   ``component`` (a single-mutation row for one part of a compound query),
   ``any_alk_mutation`` (rows about "any ALK kinase-domain mutation"). Only ``exact`` and
   ``group_member`` rows say something about the query itself; a compound can behave
   unlike its parts (Yoda et al., Cancer Discov 2018), so component rows are context only.
4. **Activity per drug** from the matching ``exact``/``group_member`` rows: categories
   ``SENSITIVE``, ``TARGETED``, ``CLINICAL_RESPONSE`` count as *reported active*;
   ``RESISTANT``, ``REPORTED_RESISTANCE``, ``CLINICAL_NO_RESPONSE`` as *reported inactive*;
   both present = *conflicting* (shown, never resolved); ``INTERMEDIATE``, ``MIXED`` and
   ``NA`` count as neither.

This is an evidence lookup for research; it is never treatment advice (:data:`NOTICE`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import polars as pl

from cnsrwe._checks import require_columns
from cnsrwe.resistance.drugs import canonical_drug
from cnsrwe.resistance.findings import mutation_position, parse_findings

#: Knowledge-base version (bump when rows or their verification change).
KB_VERSION = "2026.11.1"

NOTICE = (
    "Evidence lookup for research use only - not treatment advice. Laboratory, review and"
    " small clinical series do not predict an individual patient's response; treatment"
    " decisions belong to the treating team, with current guidelines and product labels."
)
ACTIVE = ("SENSITIVE", "TARGETED", "CLINICAL_RESPONSE")
INACTIVE = ("RESISTANT", "REPORTED_RESISTANCE", "CLINICAL_NO_RESPONSE")
DRUG_ORDER = (
    "crizotinib", "ceritinib", "alectinib", "brigatinib", "ensartinib", "iruplinalkib",
    "conteltinib", "lorlatinib",
)  # fmt: skip
_DIRECT = ("exact", "group_member")
_MUT = re.compile(r"^([A-Z])(\d{3,4})(.*)$")

LOOKUP_COLUMNS = (
    "query", "match", "drug", "category", "evidence_type", "ic50_nM", "observation",
    "verification", "mutation", "source", "source_year", "row_id", "notes",
    "verification_method",
)  # fmt: skip


def _members(mutation: str, kind: str) -> list[str]:
    """Expand a source's mutation label to match keys (rule 2)."""
    if kind == "reference":
        return ["WT"]
    if kind == "any":
        return ["ANY"]
    if kind == "compound":
        parts = [p.strip() for p in mutation.split("+")]
        parts.sort(key=lambda p: int(_MUT.match(p).group(2)))  # type: ignore[union-attr]
        return ["+".join(parts)]
    out: list[str] = []
    for label in re.split(r"\s+or\s+", mutation.strip()):
        m = _MUT.match(label)
        if m is None:
            continue
        ref, pos, rest = m.groups()
        if rest == "X":
            out.append(f"{ref}{pos}*")
        elif "/" in rest:
            out.extend(f"{ref}{pos}{alt}" for alt in rest.split("/"))
        else:
            out.append(label)
    return out


@lru_cache(maxsize=1)
def _load() -> pl.DataFrame:
    path = resources.files("cnsrwe.data").joinpath("kb/alk_resistance.csv")
    with path.open("rb") as fh:
        kb = pl.read_csv(fh.read(), infer_schema=False)
    members = [_members(m, k) for m, k in zip(kb["mutation"], kb["mutation_kind"], strict=True)]
    return kb.with_columns(pl.Series("members", members, dtype=pl.List(pl.String)))


def load_kb() -> pl.DataFrame:
    """Return the knowledge base (every shipped row, all columns as text, plus ``members``)."""
    return _load().clone()


def normalise_mutation(mutation: str) -> str:
    """Return the match key of an ALK mutation text (``"ALK G1202R/L1196M"`` ->
    ``"L1196M+G1202R"``); raise ``ValueError`` if it is not an ALK protein change."""
    if not isinstance(mutation, str) or not mutation.strip():
        msg = f"`mutation` must be an ALK protein change such as 'G1202R', got {mutation!r}"
        raise ValueError(msg)
    frame = pl.DataFrame({"t": [mutation], "r": ["alk_mutation"]})
    parsed = parse_findings(frame, text="t", result="r", into="p").select("p").unnest("p")
    if parsed["kind"][0] != "alk_mutation":
        msg = (
            "`mutation` must be an ALK protein change such as 'G1202R' or 'G1202R+L1196M',"
            f" got {mutation!r}"
        )
        raise ValueError(msg)
    return "+".join(parsed["alk_mutations"][0].to_list())


def _canonical_drug_name(drug: str) -> str:
    entry = canonical_drug(drug) if isinstance(drug, str) else None
    if entry is None or entry.drug_class != "alk_tki":
        choices = ", ".join(DRUG_ORDER)
        msg = f"`drug` must be an ALK inhibitor ({choices}, or an alias), got {drug!r}"
        raise ValueError(msg)
    return entry.name


def _matches(kb: pl.DataFrame, key: str) -> pl.DataFrame:
    parts = key.split("+")
    m = pl.col("members")
    if len(parts) == 1:
        wild = re.sub(r"^([A-Z]\d+).*$", r"\1*", key)
        match = (
            pl.when(m.list.contains(key) & (pl.col("mutation") == key)).then(pl.lit("exact"))
            .when(m.list.contains(key) | m.list.contains(wild)).then(pl.lit("group_member"))
            .when((pl.col("mutation_kind") == "compound")
                  & m.list.first().str.split("+").list.contains(key))
            .then(pl.lit("part_of_compound"))
            .when(m.list.contains("ANY")).then(pl.lit("any_alk_mutation"))
        )  # fmt: skip
    else:
        comp = pl.lit(False)
        for p in parts:
            wild = re.sub(r"^([A-Z]\d+).*$", r"\1*", p)
            comp = comp | m.list.contains(p) | m.list.contains(wild)
        match = (
            pl.when(m.list.contains(key)).then(pl.lit("exact"))
            .when((pl.col("mutation_kind") != "compound") & comp).then(pl.lit("component"))
            .when(m.list.contains("ANY")).then(pl.lit("any_alk_mutation"))
        )  # fmt: skip
    return kb.with_columns(match.alias("match")).filter(pl.col("match").is_not_null())


def lookup(
    mutation: str, drug: str | None = None, *, include_unverified: bool = True
) -> pl.DataFrame:
    """Return every knowledge-base row that concerns ``mutation`` (and ``drug``).

    Parameters
    ----------
    mutation : an ALK protein change, or several joined by ``+`` or ``/`` (a compound).
    drug : an ALK inhibitor name or alias (``X-396``, ``WX-0593``); ``None`` for all.
    include_unverified : keep rows whose ``verification`` is ``unverified`` (labelled).

    Returns
    -------
    A table with :data:`LOOKUP_COLUMNS`, ordered by drug, match and evidence type.
    ``ic50_nM`` is filled only for verified IC50 rows; ``observation`` holds a clinical or
    qualitative value text. Rows are evidence items, never collapsed.
    """
    key = normalise_mutation(mutation)
    kb = _matches(_load(), key)
    if drug is not None:
        name = _canonical_drug_name(drug)
        kb = kb.filter(pl.col("drug") == name)
    if not include_unverified:
        kb = kb.filter(pl.col("verification") == "verified")
    verified = pl.col("verification") == "verified"
    is_ic50 = pl.col("evidence_type") == "in_vitro_IC50"
    order = {d: i for i, d in enumerate(DRUG_ORDER)}
    return (
        kb.with_columns(
            pl.lit(key).alias("query"),
            pl.when(verified & is_ic50).then(pl.col("value").cast(pl.Float64, strict=False))
            .alias("ic50_nM"),
            pl.when(~is_ic50).then(pl.col("value")).alias("observation"),
            pl.col("drug").replace_strict(order, default=len(order), return_dtype=pl.Int64)
            .alias("_d"),
            pl.col("match").replace_strict(
                {"exact": 0, "group_member": 1, "component": 2, "part_of_compound": 3,
                 "any_alk_mutation": 4}, return_dtype=pl.Int64).alias("_m"),
        )
        .sort("_d", "drug", "_m", "evidence_type", "row_id")
        .select(LOOKUP_COLUMNS)
    )  # fmt: skip


def summarise_lookup(rows: pl.DataFrame) -> pl.DataFrame:
    """Per drug, from :func:`lookup` rows: verified/unverified categories and activity (rule 4).

    Returns ``drug``, ``activity`` (``reported active``, ``reported inactive``,
    ``conflicting``, ``no verified direct evidence``), ``verified_categories``,
    ``unverified_categories``, ``n_verified``, ``n_unverified``. Only ``exact`` and
    ``group_member`` rows are used.
    """
    direct = rows.filter(pl.col("match").is_in(list(_DIRECT)))
    ver = pl.col("verification") == "verified"
    out = direct.group_by("drug", maintain_order=True).agg(
        pl.col("category").filter(ver).unique(maintain_order=True).alias("verified_categories"),
        pl.col("category").filter(~ver).unique(maintain_order=True)
        .alias("unverified_categories"),
        ver.sum().cast(pl.Int64).alias("n_verified"),
        (~ver).sum().cast(pl.Int64).alias("n_unverified"),
    )  # fmt: skip
    act = pl.col("verified_categories").list.eval(pl.element().is_in(list(ACTIVE))).list.any()
    inact = (
        pl.col("verified_categories").list.eval(pl.element().is_in(list(INACTIVE))).list.any()
    )
    activity = (
        pl.when(act & inact).then(pl.lit("conflicting"))
        .when(act).then(pl.lit("reported active"))
        .when(inact).then(pl.lit("reported inactive"))
        .otherwise(pl.lit("no verified direct evidence"))
    )  # fmt: skip
    return out.with_columns(activity.alias("activity")).select(
        "drug", "activity", "verified_categories", "unverified_categories", "n_verified",
        "n_unverified",
    )


def annotate_findings(
    biopsy_mechanisms: pl.DataFrame, *, include_unverified: bool = False
) -> pl.DataFrame:
    """Add the inhibitors reported active/inactive for each sample's ALK mutation finding.

    Parameters
    ----------
    biopsy_mechanisms : ``BiopsyMechanisms.samples`` (needs ``patient_id``, ``biopsy_date``,
        ``specimen``, ``alk_mutations``).
    include_unverified : also use unverified rows (default ``False``: only verified evidence
        decides the lists).

    Returns
    -------
    The samples with at least one ALK kinase-domain mutation, plus ``kb_query`` (the
    mutation, or the compound key), ``inhibitors_reported_active``,
    ``inhibitors_reported_inactive``, ``inhibitors_conflicting`` (drug lists, rule 4, direct
    matches only), ``kb_row_ids`` and ``kb_notice`` (:data:`NOTICE`).
    """
    need = ("patient_id", "biopsy_date", "specimen", "alk_mutations")
    require_columns(biopsy_mechanisms, "biopsy_mechanisms", need)
    keys = ["patient_id", "biopsy_date", "specimen"]
    s = biopsy_mechanisms.filter(pl.col("alk_mutations").list.len() > 0).with_columns(
        pl.col("alk_mutations").list.eval(pl.element().sort_by(mutation_position(pl.element())))
        .list.join("+").alias("kb_query")
    )
    kb = _load()
    if not include_unverified:
        kb = kb.filter(pl.col("verification") == "verified")
    long = kb.select("row_id", "drug", "category", "mutation", "members").explode("members")
    q = s.select(*keys, "kb_query").with_columns(
        pl.when(~pl.col("kb_query").str.contains(r"\+"))
        .then(pl.col("kb_query").str.replace(r"^([A-Z]\d+).*$", "${1}*")).alias("_wild")
    )
    hits = pl.concat([
        q.join(long, left_on="kb_query", right_on="members", how="inner"),
        q.filter(pl.col("_wild").is_not_null())
        .join(long, left_on="_wild", right_on="members", how="inner"),
    ], how="diagonal_relaxed").filter(pl.col("drug").is_in(list(DRUG_ORDER)))  # fmt: skip
    per_drug = hits.group_by(*keys, "drug").agg(
        pl.col("category").is_in(list(ACTIVE)).any().alias("_a"),
        pl.col("category").is_in(list(INACTIVE)).any().alias("_i"),
        pl.col("row_id").unique().sort(),
    )
    order = {d: i for i, d in enumerate(DRUG_ORDER)}
    per_sample = (
        per_drug.with_columns(pl.col("drug").replace_strict(order, return_dtype=pl.Int64)
                              .alias("_o"))
        .sort("_o")
        .group_by(keys)
        .agg(
            pl.col("drug").filter(pl.col("_a") & ~pl.col("_i")).alias("inhibitors_reported_active"),
            pl.col("drug").filter(pl.col("_i") & ~pl.col("_a"))
            .alias("inhibitors_reported_inactive"),
            pl.col("drug").filter(pl.col("_a") & pl.col("_i")).alias("inhibitors_conflicting"),
            pl.col("row_id").list.explode().unique().sort().alias("kb_row_ids"),
        )
    )  # fmt: skip
    empty = pl.lit([], dtype=pl.List(pl.String))
    return s.join(per_sample, on=keys, how="left", nulls_equal=True).with_columns(
        *(pl.col(c).fill_null(empty) for c in (
            "inhibitors_reported_active", "inhibitors_reported_inactive",
            "inhibitors_conflicting", "kb_row_ids")),
        pl.lit(NOTICE).alias("kb_notice"),
    )  # fmt: skip
