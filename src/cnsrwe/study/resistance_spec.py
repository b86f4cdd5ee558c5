"""The ``[resistance]`` table of a study file: the resistance and treatment-sequence section.

The section is off unless ``enabled = true``, so a study file without the table gives the
same report as before. Its keys are the settings the functions of :mod:`cnsrwe.resistance`
take (docs/resistance.md): the progression profile and symptom window of Table 2 of the
2024 progression-pattern study (Wu, Zou et al., J Transl Med 2024), the re-biopsy timing
rule (:class:`cnsrwe.resistance.BiopsyTimingRule`), the sankey depth, when Firth's
penalised Cox model is added, and the group comparisons (``[[resistance.comparisons]]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cnsrwe.study._decode import Issue
from cnsrwe.study.model import check_name

STAGES = ("first_line", "tki_naive_later_line", "post_crizotinib", "post_2g", "post_3g")
GENERATIONS = ("1G", "2G", "3G")
INCIDENCE_EVENTS = ("cns", "symptomatic", "symptomatic_cns", "oligo")


@dataclass(frozen=True)
class ResistanceComparison:
    """``[[resistance.comparisons]]``: progression incidence across groups of ALK-TKI lines.

    The lines compared are the ALK-TKI lines whose ``sequence_stage`` is in ``stages`` and
    whose generation is in ``generations`` (empty = any). ``groups`` maps a printed group
    label to the ALK-TKIs of that group (any alias, e.g. ``WX-0593``); lines with an ALK-TKI
    in no group form the group ``others`` when it is given, else they are left out. For
    each of ``events`` the section prints events / progressed lines per group, overall and
    by baseline CNS metastases, with Fisher's exact test and Pearson's chi-square beside it.
    """

    name: str
    label: str
    groups: dict[str, tuple[str, ...]]
    stages: tuple[Literal[STAGES], ...] = ()  # type: ignore[valid-type]
    generations: tuple[Literal[GENERATIONS], ...] = ()  # type: ignore[valid-type]
    others: str = ""
    events: tuple[Literal[INCIDENCE_EVENTS], ...] = (  # type: ignore[valid-type]
        "cns", "symptomatic", "symptomatic_cns")

    def check(self) -> list[Issue]:
        from cnsrwe.resistance.drugs import canonical_drug

        issues = check_name(self.name)
        if not self.groups:
            issues.append(Issue(("groups",), "`groups` must name at least one group of "
                                "ALK-TKIs, got an empty table"))
        for label, agents in self.groups.items():
            if not agents:
                issues.append(Issue(("groups", label), f"`groups.{label}` must list at least "
                                    "one ALK-TKI, got an empty array"))
            for j, agent in enumerate(agents):
                drug = canonical_drug(agent)
                if drug is None or drug.generation is None:
                    issues.append(Issue(("groups", label, j), f"`groups.{label}` entries must"
                                        f" be ALK-TKIs of the drug vocabulary, got {agent!r}"))
        if self.others and self.others in self.groups:
            issues.append(Issue(("others",), "`others` must differ from the group labels, got"
                                f" {self.others!r}"))
        if not self.events:
            issues.append(Issue(("events",), "`events` must list at least one event, got an "
                                "empty array"))
        return issues


@dataclass(frozen=True)
class ResistanceSpec:
    """``[resistance]``: switch and settings of the resistance section (module notes).

    ``progression_profile``: the ``ad_progression`` profile whose first progression of each
    line is classified (empty = the intracranial + extracranial RECIST pair when both are in
    ``[response]``, else the first profile). ``symptom_window_days``: a symptom counts when
    recorded within this many days of the progression (``ProgressionRule``; project default
    28). ``biopsy_days_before_progression`` / ``biopsy_days_after_progression``: the
    re-biopsy timing rule. ``sankey_max_steps``: transitions drawn. ``firth_below_events``:
    Firth's Cox model is added when a group has fewer events than this.
    ``kb_include_unverified``: also use unverified knowledge-base rows in the findings table.
    """

    enabled: bool = False
    progression_profile: str = ""
    symptom_window_days: int = 28
    biopsy_days_before_progression: int = 30
    biopsy_days_after_progression: int = 60
    sankey_max_steps: int = 3
    firth_below_events: int = 10
    kb_include_unverified: bool = False
    comparisons: tuple[ResistanceComparison, ...] = ()

    def check(self) -> list[Issue]:
        issues = []
        for key in ("symptom_window_days", "biopsy_days_before_progression",
                    "biopsy_days_after_progression", "firth_below_events"):
            if getattr(self, key) < 0:
                issues.append(Issue((key,), f"`{key}` must be >= 0, got {getattr(self, key)}"))
        if self.sankey_max_steps < 1:
            issues.append(Issue(("sankey_max_steps",), "`sankey_max_steps` must be >= 1, got"
                                f" {self.sankey_max_steps}"))
        seen: set[str] = set()
        for k, c in enumerate(self.comparisons):
            if c.name in seen:
                issues.append(Issue(("comparisons", k, "name"), "`comparisons` names must be"
                                    f" unique, got {c.name!r} twice"))
            seen.add(c.name)
        return issues


__all__ = ["ResistanceComparison", "ResistanceSpec"]
