"""The typed study-file model, part 1: metadata, data, index line, cohorts, subgroups.

Every class is a frozen dataclass; :mod:`cnsrwe.study._decode` builds them from TOML and
calls their ``check()`` for rules involving several fields. Rules are structured data
(tables and arrays), never code strings, so a statistical analysis plan can be reviewed
and diffed (house style, convention 3). The meaning of every key is in
``docs/study-file.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from cnsrwe.io.schema import AGENT_CLASS, END_REASON
from cnsrwe.study._decode import Issue
from cnsrwe.study.vocabulary import FACTS, PROGRESSION_SITES

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

Scalar = bool | int | float | str


def check_name(value: str, key: str = "name") -> list[Issue]:
    """A rule name must be lower snake case (it becomes a column value and a file name)."""
    if _NAME.match(value):
        return []
    return [Issue((key,), f"`{key}` must be lower snake case (a-z, 0-9, _), got {value!r}")]


def _check_vocab(key: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> list[Issue]:
    return [
        Issue((key, k), f"`{key}` entries must be one of {list(allowed)!r}, got {v!r}")
        for k, v in enumerate(values)
        if v not in allowed
    ]


@dataclass(frozen=True)
class StudyInfo:
    """``[study]``: who, what and the data cut-off (the administrative censoring date)."""

    title: str
    data_cutoff: dt.date
    authors: tuple[str, ...] = ()
    description: str = ""
    reference: str = ""


@dataclass(frozen=True)
class DataSpec:
    """``[data]``: a folder of tables or a study store, relative to the study file."""

    folder: str | None = None
    store: str | None = None
    prior_line_progression: str | None = None

    def check(self) -> list[Issue]:
        if (self.folder is None) == (self.store is None):
            return [Issue((), "give exactly one of `data.folder` or `data.store`, got "
                          f"{'both' if self.folder else 'neither'}")]
        return []


@dataclass(frozen=True)
class LineMatch:
    """Which treatment rows a rule talks about; every field given must hold (AND).

    Agent and regimen names are compared case-insensitively; an empty field is no filter.
    ``progression_site_in`` is the site of progression on that line (``CNS_ONLY``,
    ``EXTRACRANIAL_ONLY``, ``BOTH``) from the caller's prior-line progression table.
    """

    agents_any: tuple[str, ...] = ()
    regimen_in: tuple[str, ...] = ()
    agent_class_in: tuple[str, ...] = ()
    end_reason_in: tuple[str, ...] = ()
    progression_site_in: tuple[str, ...] = ()

    def check(self) -> list[Issue]:
        return [
            *_check_vocab("agent_class_in", self.agent_class_in, AGENT_CLASS),
            *_check_vocab("end_reason_in", self.end_reason_in, END_REASON),
            *_check_vocab("progression_site_in", self.progression_site_in, PROGRESSION_SITES),
        ]

    @property
    def is_empty(self) -> bool:
        """No field given: every line matches."""
        return not any((self.agents_any, self.regimen_in, self.agent_class_in,
                        self.end_reason_in, self.progression_site_in))

    def describe(self) -> str:
        """Plain-language summary, e.g. ``agents include crizotinib; site in CNS_ONLY``."""
        parts = []
        for label, values in (("agents include any of", self.agents_any),
                              ("regimen in", self.regimen_in),
                              ("agent class in", self.agent_class_in),
                              ("end reason in", self.end_reason_in),
                              ("progression site in", self.progression_site_in)):
            if values:
                parts.append(f"{label} {', '.join(values)}")
        return "; ".join(parts) or "any line"


@dataclass(frozen=True)
class IndexRule:
    """``[index]``: which systemic line is the index treatment (day 0 = its start date).

    Among a patient's systemic lines (rows with a line number whose class is not
    radiotherapy or surgery) matching ``match`` and started within
    [``start_from``, ``start_to``], take the ``occurrence`` (first / last / nth by line
    number, then start date).
    """

    match: LineMatch
    occurrence: Literal["first", "last", "nth"] = "first"
    n: int | None = None
    start_from: dt.date | None = None
    start_to: dt.date | None = None

    def check(self) -> list[Issue]:
        issues = []
        if self.match.is_empty:
            issues.append(Issue(("match",), "`index.match` must name at least one of "
                                "agents_any, regimen_in, agent_class_in, got an empty table"))
        if self.match.progression_site_in:
            issues.append(Issue(("match", "progression_site_in"),
                                "`index.match.progression_site_in` is not allowed: the index"
                                " line's own progression is an outcome, not a selection rule"))
        if self.occurrence == "nth" and (self.n is None or self.n < 1):
            issues.append(Issue(("n",), f"`index.n` must be a whole number >= 1 when occurrence"
                                f" is 'nth', got {self.n!r}"))
        if self.occurrence != "nth" and self.n is not None:
            issues.append(Issue(("n",), "`index.n` is only used with occurrence = 'nth', got"
                                f" occurrence {self.occurrence!r}"))
        if self.start_from and self.start_to and self.start_from > self.start_to:
            issues.append(Issue(("start_to",), f"`index.start_to` must be on or after start_from"
                                f" ({self.start_from}), got {self.start_to}"))
        return issues


@dataclass(frozen=True)
class PriorLinesCondition:
    """One condition over the systemic lines before the index line (line number smaller).

    ``among`` picks the lines considered (default: all prior systemic lines); the
    ``quantifier`` says how many of them must satisfy ``match``:
    ``none`` (no considered line matches), ``any`` (at least ``min_count`` match),
    ``all`` (at least one considered line and all match), ``first`` / ``last`` (the
    earliest / latest considered line, by line number, matches).
    """

    quantifier: Literal["none", "any", "all", "first", "last"]
    match: LineMatch = field(default_factory=LineMatch)
    among: LineMatch = field(default_factory=LineMatch)
    min_count: int = 1
    description: str = ""

    def check(self) -> list[Issue]:
        issues = []
        if self.min_count < 1:
            issues.append(Issue(("min_count",), f"`min_count` must be >= 1, got {self.min_count}"))
        if self.min_count != 1 and self.quantifier != "any":
            issues.append(Issue(("min_count",), "`min_count` is only used with quantifier 'any',"
                                f" got quantifier {self.quantifier!r}"))
        if self.among.progression_site_in:
            issues.append(Issue(("among", "progression_site_in"), "`among.progression_site_in`"
                                " is not allowed: put progression sites under `match`"))
        return issues

    def describe(self) -> str:
        """Plain language, e.g. ``the last prior line with agent class in alk_tki: ...``."""
        if self.description:
            return self.description
        among = "prior line" if self.among.is_empty else f"prior line ({self.among.describe()})"
        q = {"none": f"no {among} with", "any": f"at least {self.min_count} {among} with",
             "all": f"every {among} has", "first": f"the first {among} has",
             "last": f"the last {among} has"}[self.quantifier]
        return f"{q} {self.match.describe()}"


@dataclass(frozen=True)
class CohortRule:
    """``[[cohorts]]``: a cohort is the patients for whom every ``prior_lines`` condition
    holds (an empty list = every patient with an index line)."""

    name: str
    label: str
    prior_lines: tuple[PriorLinesCondition, ...] = ()
    description: str = ""

    def check(self) -> list[Issue]:
        return check_name(self.name)


@dataclass(frozen=True)
class CohortPolicy:
    """``[cohort_policy]``: what happens to a patient matching several cohorts.

    ``unassigned`` (default) reports them with the reason and assigns none;
    ``first_listed`` assigns the first cohort in file order and records the others.
    Patients matching no cohort are always reported, never silently dropped.
    """

    on_multiple: Literal["unassigned", "first_listed"] = "unassigned"


@dataclass(frozen=True)
class FactCondition:
    """A condition over baseline facts: a test of one fact, or ``all_of`` / ``any_of`` /
    ``not`` of conditions. Missing facts give an unknown result (three-valued logic), so a
    patient with missing data is neither silently in nor out.

    Tests (exactly one kind with ``fact``): ``equals``, ``in``, ``min``/``max`` (inclusive,
    either or both), ``is_missing``.
    """

    fact: str | None = None
    equals: Scalar | None = None
    in_: tuple[Scalar, ...] | None = field(default=None, metadata={"key": "in"})
    min: float | None = None
    max: float | None = None
    is_missing: bool | None = None
    all_of: tuple[FactCondition, ...] | None = None
    any_of: tuple[FactCondition, ...] | None = None
    not_: FactCondition | None = field(default=None, metadata={"key": "not"})

    def check(self) -> list[Issue]:
        forms = [k for k, v in (("fact", self.fact), ("all_of", self.all_of),
                                ("any_of", self.any_of), ("not", self.not_)) if v is not None]
        if len(forms) != 1:
            return [Issue((), "a condition must have exactly one of `fact`, `all_of`, `any_of`,"
                          f" `not`, got {forms or 'none'}")]
        tests = [k for k, v in (("equals", self.equals), ("in", self.in_),
                                ("min/max", self.min if self.min is not None else self.max),
                                ("is_missing", self.is_missing)) if v is not None]
        if self.fact is None:
            if tests:
                return [Issue((), f"`{tests[0]}` needs `fact` in the same condition")]
            if self.all_of == () or self.any_of == ():
                return [Issue((), "`all_of`/`any_of` must list at least one condition")]
            return []
        if self.fact not in FACTS:
            from cnsrwe.study._decode import closest_hint

            hint = closest_hint(self.fact, list(FACTS))
            return [Issue(("fact",), f"`fact` must be a baseline fact{hint}, got {self.fact!r}")]
        if len(tests) != 1:
            return [Issue((), f"a `fact` condition needs exactly one test (equals, in, min/max,"
                          f" is_missing), got {tests or 'none'}")]
        kind = FACTS[self.fact].type
        if tests[0] == "min/max" and kind not in ("int", "number"):
            return [Issue(("fact",), f"`min`/`max` need a numeric fact, got {self.fact!r}"
                          f" ({kind})")]
        if self.min is not None and self.max is not None and self.min > self.max:
            return [Issue(("max",), f"`max` must be >= min ({self.min}), got {self.max}")]
        if self.equals is not None and not _fits(kind, self.equals):
            return [Issue(("equals",), f"`equals` must be a {kind} value for fact"
                          f" {self.fact!r}, got {self.equals!r}")]
        for k, v in enumerate(self.in_ or ()):
            if not _fits(kind, v):
                return [Issue(("in", k), f"`in` values must be {kind} for fact {self.fact!r},"
                              f" got {v!r}")]
        return []

    def facts_used(self) -> set[str]:
        """Every fact name the condition reads."""
        out = {self.fact} if self.fact else set()
        for sub in (*(self.all_of or ()), *(self.any_of or ()),
                    *((self.not_,) if self.not_ else ())):
            out |= sub.facts_used()
        return out

    def describe(self) -> str:
        """Plain language, e.g. ``n_brain_mets in [1, 3]``."""
        if self.all_of is not None:
            return "(" + " and ".join(c.describe() for c in self.all_of) + ")"
        if self.any_of is not None:
            return "(" + " or ".join(c.describe() for c in self.any_of) + ")"
        if self.not_ is not None:
            return f"not {self.not_.describe()}"
        if self.equals is not None:
            return f"{self.fact} = {_show(self.equals)}"
        if self.in_ is not None:
            return f"{self.fact} in {{{', '.join(_show(v) for v in self.in_)}}}"
        if self.is_missing is not None:
            return f"{self.fact} is {'missing' if self.is_missing else 'known'}"
        if self.min is not None and self.max is not None:
            return f"{self.fact} in [{_show(self.min)}, {_show(self.max)}]"
        if self.min is not None:
            return f"{self.fact} >= {_show(self.min)}"
        return f"{self.fact} <= {_show(self.max)}"


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _fits(kind: str, value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return ok and (kind == "number" or float(value).is_integer())


@dataclass(frozen=True)
class SubgroupRule:
    """``[[subgroups]]``: members satisfy ``when``; ``within`` (optional) restricts the
    analysis population (outside it a patient is not a member)."""

    name: str
    label: str
    when: FactCondition
    within: FactCondition | None = None
    description: str = ""

    def check(self) -> list[Issue]:
        return check_name(self.name)


@dataclass(frozen=True)
class EligibilityRule:
    """``[[eligibility]]``: an inclusion criterion; patients failing it are excluded from
    every cohort and counted in the patient flow under ``label``."""

    name: str
    label: str
    when: FactCondition

    def check(self) -> list[Issue]:
        return check_name(self.name)


@dataclass(frozen=True)
class BaselineSpec:
    """``[baseline]``: windows (days on or before the index date) that define baseline."""

    imaging_window_days: int = 28
    clinical_window_days: int = 14
    measurable_cns_min_mm: float = 10.0

    def check(self) -> list[Issue]:
        issues = []
        for key in ("imaging_window_days", "clinical_window_days"):
            if getattr(self, key) < 0:
                issues.append(Issue((key,), f"`{key}` must be >= 0, got {getattr(self, key)}"))
        if self.measurable_cns_min_mm <= 0:
            issues.append(Issue(("measurable_cns_min_mm",), "`measurable_cns_min_mm` must be"
                                f" > 0, got {self.measurable_cns_min_mm}"))
        return issues


@dataclass(frozen=True)
class ResponseSpec:
    """``[response]``: criteria profiles (shipped names or inline tables read by
    ``cnsrwe.criteria.CriteriaProfile.from_dict``) and the best-overall-response rule
    (fields of ``cnsrwe.response.BorRule``)."""

    profiles: tuple[Any, ...]
    bor: dict[str, Any] = field(default_factory=dict)

    def check(self) -> list[Issue]:
        issues = []
        if not self.profiles:
            issues.append(Issue(("profiles",), "`response.profiles` must name at least one"
                                " criteria profile, got an empty array"))
        for k, p in enumerate(self.profiles):
            if not isinstance(p, str | dict):
                issues.append(Issue(("profiles", k), "`profiles` entries must be a profile name"
                                    f" or an inline table, got {p!r}"))
        return issues
