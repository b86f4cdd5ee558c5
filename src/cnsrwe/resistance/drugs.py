"""Drug vocabulary: agent names and aliases -> canonical name, class and ALK-TKI generation.

Rules
-----
1. A name is matched after *normalisation*: lower case, every character that is not a letter
   or a digit removed (``"WX-0593"``, ``"wx 0593"`` and ``"WX0593"`` are one key). Nothing
   else is guessed: a name that is not in :data:`DRUG_VOCABULARY` is *unknown* and reported by
   the callers (``cnsrwe.resistance.lines``), never matched to the nearest spelling.
2. ALK-TKI generations follow the 2024 progression-pattern study (Wu, Zou et al., J Transl Med
   2024, doi:10.1186/s12967-024-05388-0; Methods and Results "post-crizotinib stage"):
   crizotinib = first generation (``"1G"``); alectinib, ceritinib, brigatinib, ensartinib,
   iruplinalkib (WX-0593) and conteltinib (CT-707) = second generation (``"2G"``); lorlatinib =
   third generation (``"3G"``). The paper counts WX-0593 and ensartinib among the
   second-generation agents given after crizotinib.
3. Aliases are development codes and brand names as printed on labels and in trial
   registries (X-396 = ensartinib, WX-0593 = iruplinalkib, CT-707 = conteltinib, AP26113 =
   brigatinib, LDK378 = ceritinib, CH5424802 = alectinib, PF-06463922 = lorlatinib,
   PF-02341066 = crizotinib).

Non-ALK agents commonly given in these cohorts (platinum doublets, pemetrexed, taxanes,
bevacizumab, anlotinib, immune checkpoint inhibitors) are listed so that a chemotherapy line
is recognised rather than reported as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import polars as pl

Generation = Literal["1G", "2G", "3G"]


@dataclass(frozen=True)
class Drug:
    """One agent of the vocabulary.

    Attributes
    ----------
    name : canonical lower-case international non-proprietary name.
    drug_class : ``alk_tki``, ``chemotherapy``, ``anti_angiogenic``, ``immunotherapy``,
        ``other_targeted``.
    generation : ALK-TKI generation (``"1G"``, ``"2G"``, ``"3G"``) or ``None``.
    aliases : other names (development codes, brands) as they are usually written.
    """

    name: str
    drug_class: str
    generation: Generation | None = None
    aliases: tuple[str, ...] = ()


DRUG_VOCABULARY: tuple[Drug, ...] = (
    Drug("crizotinib", "alk_tki", "1G", ("Xalkori", "PF-02341066", "PF-2341066")),
    Drug("alectinib", "alk_tki", "2G", ("Alecensa", "CH5424802", "RO5424802", "AF802")),
    Drug("ceritinib", "alk_tki", "2G", ("Zykadia", "LDK378")),
    Drug("brigatinib", "alk_tki", "2G", ("Alunbrig", "AP26113")),
    Drug("ensartinib", "alk_tki", "2G", ("X-396", "Ensacove")),
    Drug("iruplinalkib", "alk_tki", "2G", ("WX-0593",)),
    Drug("conteltinib", "alk_tki", "2G", ("CT-707",)),
    Drug("lorlatinib", "alk_tki", "3G", ("Lorbrena", "Lorviqua", "PF-06463922")),
    Drug("cisplatin", "chemotherapy"),
    Drug("carboplatin", "chemotherapy"),
    Drug("nedaplatin", "chemotherapy"),
    Drug("pemetrexed", "chemotherapy", aliases=("Alimta",)),
    Drug("docetaxel", "chemotherapy"),
    Drug("paclitaxel", "chemotherapy"),
    Drug("nab-paclitaxel", "chemotherapy", aliases=("albumin-bound paclitaxel", "Abraxane")),
    Drug("gemcitabine", "chemotherapy"),
    Drug("vinorelbine", "chemotherapy"),
    Drug("etoposide", "chemotherapy"),
    Drug("irinotecan", "chemotherapy"),
    Drug("temozolomide", "chemotherapy"),
    Drug("bevacizumab", "anti_angiogenic", aliases=("Avastin",)),
    Drug("anlotinib", "anti_angiogenic"),
    Drug("endostar", "anti_angiogenic", aliases=("recombinant human endostatin",)),
    Drug("pembrolizumab", "immunotherapy", aliases=("Keytruda",)),
    Drug("nivolumab", "immunotherapy", aliases=("Opdivo",)),
    Drug("atezolizumab", "immunotherapy", aliases=("Tecentriq",)),
    Drug("sintilimab", "immunotherapy"),
    Drug("camrelizumab", "immunotherapy"),
    Drug("tislelizumab", "immunotherapy"),
    Drug("durvalumab", "immunotherapy"),
    Drug("capmatinib", "other_targeted"),
    Drug("savolitinib", "other_targeted"),
    Drug("tepotinib", "other_targeted"),
    Drug("dabrafenib", "other_targeted"),
    Drug("trametinib", "other_targeted"),
    Drug("osimertinib", "other_targeted"),
)

_NON_ALNUM = re.compile(r"[^0-9a-z]")


def normalise_drug_key(name: str) -> str:
    """Return the matching key of a drug name: lower case, letters and digits only."""
    return _NON_ALNUM.sub("", name.lower())


def _alias_table() -> dict[str, Drug]:
    table: dict[str, Drug] = {}
    for drug in DRUG_VOCABULARY:
        for spelling in (drug.name, *drug.aliases):
            key = normalise_drug_key(spelling)
            if key in table and table[key] is not drug:  # pragma: no cover - vocabulary bug
                msg = f"drug alias {spelling!r} is listed twice"
                raise RuntimeError(msg)
            table[key] = drug
    return table


ALIASES: dict[str, Drug] = _alias_table()

#: Canonical ALK-TKI names by generation.
ALK_TKI_GENERATION: dict[str, Generation] = {
    d.name: d.generation for d in DRUG_VOCABULARY if d.generation is not None
}


def canonical_drug(name: str) -> Drug | None:
    """Return the vocabulary entry for ``name`` (any alias, any case), or ``None`` if unknown."""
    return ALIASES.get(normalise_drug_key(name))


def vocabulary_frame() -> pl.DataFrame:
    """The vocabulary as a table: ``key``, ``drug``, ``drug_class``, ``alk_generation``."""
    keys = sorted(ALIASES)
    return pl.DataFrame(
        {
            "key": keys,
            "drug": [ALIASES[k].name for k in keys],
            "drug_class": [ALIASES[k].drug_class for k in keys],
            "alk_generation": [ALIASES[k].generation for k in keys],
        },
        schema={
            "key": pl.String, "drug": pl.String, "drug_class": pl.String,
            "alk_generation": pl.String,
        },
    )  # fmt: skip
