"""The typed study-file model, part 2: endpoints, analyses, outputs and the whole file.

Endpoint fields follow ``clinical/endpoints.md`` (sections 1-3 for definitions, section 5
for censoring, section 6 for competing risks): every censoring choice a statistician might
set differently is a field with the project default, and is printed with the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cnsrwe.study._decode import Issue
from cnsrwe.study.model import (
    BaselineSpec,
    CohortPolicy,
    CohortRule,
    DataSpec,
    EligibilityRule,
    IndexRule,
    ResponseSpec,
    StudyInfo,
    SubgroupRule,
    check_name,
)
from cnsrwe.study.resistance_spec import ResistanceSpec
from cnsrwe.study.vocabulary import EVENTS, METHODS, TESTS_FOR_KIND

Compartment = Literal["intracranial", "extracranial", "overall"]
BOR_VALUES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")


@dataclass(frozen=True)
class EndpointSpec:
    """``[endpoints.<name>]``: one endpoint.

    ``kind`` is ``response_rate`` (numerator = best responses in ``responses``,
    denominator = patients with boolean fact ``population`` true, or ``all``),
    ``time_to_event`` (from ``origin`` to the first of ``events``; ``competing`` events end
    follow-up as a competing cause) or ``duration_of_response`` (origin = first CR/PR in the
    compartment; responders only).
    """

    kind: Literal["response_rate", "time_to_event", "duration_of_response"]
    label: str
    compartment: Compartment
    # response rates
    responses: tuple[str, ...] = ()
    population: str = "all"
    landmark_weeks: int | None = None
    ci_method: Literal["clopper_pearson", "wilson", "agresti_coull", "jeffreys"] = (
        "clopper_pearson"
    )
    conf_level: float = 0.95
    # time to event
    origin: Literal["index_start", "first_response"] = "index_start"
    events: tuple[Literal[EVENTS], ...] = ()  # type: ignore[valid-type]
    competing: tuple[Literal[EVENTS], ...] = ()  # type: ignore[valid-type]
    censor_at: Literal["last_adequate_assessment", "last_known_alive"] = (
        "last_adequate_assessment"
    )
    censor_new_anticancer_therapy: bool = True
    censor_cns_local_therapy: bool = True
    censor_extracranial_local_therapy: bool = False
    censor_at_data_cutoff: bool = True
    death_window_days: int | None = 112
    no_adequate_assessment: Literal["censor_day_0", "exclude"] = "censor_day_0"

    def check(self) -> list[Issue]:
        issues: list[Issue] = []
        if not 0 < self.conf_level < 1:
            issues.append(Issue(("conf_level",), "`conf_level` must be in (0, 1), got"
                                f" {self.conf_level}"))
        if self.kind == "response_rate":
            if not self.responses:
                issues.append(Issue(("responses",), "`responses` must list the best responses"
                                    " counted as success (e.g. ['CR', 'PR']), got none"))
            issues += [Issue(("responses", k), f"`responses` entries must be one of"
                             f" {list(BOR_VALUES)!r}, got {r!r}")
                       for k, r in enumerate(self.responses) if r not in BOR_VALUES]
            for key in ("events", "competing"):
                if getattr(self, key):
                    issues.append(Issue((key,), f"`{key}` is only used by time-to-event"
                                        " endpoints, got a response_rate endpoint"))
            return issues
        if self.responses or self.landmark_weeks is not None:
            issues.append(Issue(("responses",), "`responses`/`landmark_weeks` are only used by"
                                f" response_rate endpoints, got kind {self.kind!r}"))
        if not self.events:
            issues.append(Issue(("events",), "`events` must list at least one event, got none"))
        both = sorted(set(self.events) & set(self.competing))
        if both:
            issues.append(Issue(("competing",), f"`competing` must not repeat an event, got"
                                f" {both!r} in both"))
        if self.censor_at == "last_known_alive" and tuple(self.events) != ("death",):
            issues.append(Issue(("censor_at",), "`censor_at` = 'last_known_alive' is for"
                                f" overall survival (events = ['death']), got {list(self.events)}"))
        if self.kind == "duration_of_response" and self.origin != "first_response":
            issues.append(Issue(("origin",), "`origin` must be 'first_response' for a"
                                f" duration_of_response endpoint, got {self.origin!r}"))
        if self.death_window_days is not None and self.death_window_days < 0:
            issues.append(Issue(("death_window_days",), "`death_window_days` must be >= 0,"
                                f" got {self.death_window_days}"))
        return issues


AnalysisKind = Literal[
    "response_rate", "survival", "competing_risks", "cox", "compare_groups",
    "paired_before_after",
]  # fmt: skip


@dataclass(frozen=True)
class AnalysisSpec:
    """``[[analyses]]``: one comparison or model to run.

    ``by`` is ``cohort``, or a subgroup name (members vs non-members), or omitted (one
    group); ``groups`` lists subgroups to compare as separate groups instead. ``within``
    restricts to subgroups (all must hold); ``cohorts`` restricts to cohorts;
    ``per_cohort`` repeats the analysis in each cohort. ``tests`` names the methods (see
    ``cnsrwe.study.vocabulary.METHODS``).
    """

    name: str
    kind: AnalysisKind
    endpoint: str | None = None
    by: str | None = None
    groups: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()
    per_cohort: bool = False
    tests: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    after_days: tuple[int, int] | None = None
    times_months: tuple[float, ...] = ()
    label: str = ""
    note: str = ""

    def check(self) -> list[Issue]:
        issues = check_name(self.name)
        needs_endpoint = self.kind in ("response_rate", "survival", "competing_risks", "cox")
        if needs_endpoint and self.endpoint is None:
            issues.append(Issue(("endpoint",), f"`endpoint` is required for kind {self.kind!r}"))
        if not needs_endpoint and self.endpoint is not None:
            issues.append(Issue(("endpoint",), f"`endpoint` is not used by kind {self.kind!r}"))
        if self.by is not None and self.groups:
            issues.append(Issue(("groups",), "give `by` or `groups`, not both"))
        if self.groups and len(self.groups) < 2:
            issues.append(Issue(("groups",), "`groups` must list at least two subgroups, got"
                                f" {list(self.groups)}"))
        if self.kind == "cox" and not (self.covariates or self.by or self.groups):
            issues.append(Issue(("covariates",), "a cox analysis needs `by`, `groups` or"
                                " `covariates`, got none"))
        if self.kind in ("compare_groups", "paired_before_after") and not self.variables:
            issues.append(Issue(("variables",), f"`variables` must list the facts to compare"
                                f" for kind {self.kind!r}, got none"))
        if self.kind == "paired_before_after" and self.after_days is None:
            issues.append(Issue(("after_days",), "`after_days` = [from, to] (days after the"
                                " index date) is required for paired_before_after"))
        if self.after_days is not None and not 0 <= self.after_days[0] <= self.after_days[1]:
            issues.append(Issue(("after_days",), "`after_days` must be [from, to] with"
                                f" 0 <= from <= to, got {list(self.after_days)}"))
        if self.times_months and self.kind not in ("survival", "competing_risks"):
            issues.append(Issue(("times_months",), "`times_months` is only used by survival"
                                f" and competing_risks analyses, got kind {self.kind!r}"))
        allowed = TESTS_FOR_KIND[self.kind]
        for k, t in enumerate(self.tests):
            if t not in METHODS:
                from cnsrwe.study._decode import closest_hint

                issues.append(Issue(("tests", k), f"`tests` entries must be known methods"
                                    f"{closest_hint(t, list(METHODS))}, got {t!r}"))
            elif t not in allowed:
                issues.append(Issue(("tests", k), f"`tests` for kind {self.kind!r} must be"
                                    f" among {list(allowed)!r}, got {t!r}"))
        return issues


@dataclass(frozen=True)
class OutputSpec:
    """``[output]``: report formats, figure formats and display units."""

    dir: str = "report"
    formats: tuple[Literal["html", "docx", "xlsx"], ...] = ("html", "xlsx")
    figure_formats: tuple[Literal["png", "svg", "pdf"], ...] = ("png",)
    time_unit: Literal["days", "weeks", "months", "years"] = "months"
    percent_decimals: int = 1
    figure_dpi: int = 300

    def check(self) -> list[Issue]:
        issues = []
        if not 0 <= self.percent_decimals <= 4:
            issues.append(Issue(("percent_decimals",), "`percent_decimals` must be in 0..4,"
                                f" got {self.percent_decimals}"))
        if not 72 <= self.figure_dpi <= 1200:
            issues.append(Issue(("figure_dpi",), "`figure_dpi` must be in 72..1200, got"
                                f" {self.figure_dpi}"))
        return issues


@dataclass(frozen=True)
class StudyFile:
    """A whole study file (format version 1), as loaded by :func:`cnsrwe.study.load_study`."""

    format_version: Literal[1]
    study: StudyInfo
    data: DataSpec
    index: IndexRule
    response: ResponseSpec
    cohorts: tuple[CohortRule, ...] = ()
    cohort_policy: CohortPolicy = field(default_factory=CohortPolicy)
    eligibility: tuple[EligibilityRule, ...] = ()
    baseline: BaselineSpec = field(default_factory=BaselineSpec)
    subgroups: tuple[SubgroupRule, ...] = ()
    endpoints: dict[str, EndpointSpec] = field(default_factory=dict)
    analyses: tuple[AnalysisSpec, ...] = ()
    output: OutputSpec = field(default_factory=OutputSpec)
    resistance: ResistanceSpec = field(default_factory=ResistanceSpec)

    def check(self) -> list[Issue]:
        issues: list[Issue] = []
        for key in ("cohorts", "eligibility", "subgroups", "analyses"):
            seen: set[str] = set()
            for k, rule in enumerate(getattr(self, key)):
                if rule.name in seen:
                    issues.append(Issue((key, k, "name"), f"`{key}` names must be unique, got"
                                        f" {rule.name!r} twice"))
                seen.add(rule.name)
        for name in self.endpoints:
            issues += [Issue(("endpoints", name), i.message.replace("`name`", "endpoint name"))
                       for i in check_name(name)]
        return issues
