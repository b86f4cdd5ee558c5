"""The statistical-methods paragraph, written from a structured record of what was run.

:func:`write_methods_paragraph` is a pure function of a :class:`MethodsDescription`: the same
description gives the same text, word for word, so the paragraph can be snapshot-tested
and diffed between analysis-plan versions. It states only what the description holds —
nothing is assumed — in the order journals ask for (CONSORT/STROBE item 12, SAMPL
guidelines, Lang & Altman 2015): response criteria, best-response rule, confidence
intervals, time-to-event methods, follow-up, group comparisons, significance level, and
software with versions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cnsrwe.report.format import DEFAULT, FormatOptions, fmt_number


@dataclass(frozen=True)
class MethodsDescription:
    """What was run, in words supplied by the analysis layer (each a full noun phrase).

    criteria: the response-criteria profile description (e.g. from ``CriteriaProfile``).
    bor_rule: the best-overall-response rule description (e.g. from ``BorRule``).
    rate_ci_method: CI method of response rates ("Clopper-Pearson exact").
    conf_level: confidence level of every interval, in (0, 1).
    endpoints: definitions of the time-to-event endpoints, one phrase each.
    survival_method: "the Kaplan-Meier method" or similar; ``None`` if no survival analysis.
    survival_ci_method: CI of survival probabilities and medians.
    follow_up_method: how median follow-up was estimated (reverse Kaplan-Meier).
    group_tests: tests comparing groups ("the log-rank test", "Fisher's exact test" ...).
    paired_tests: tests of paired before/after data ("McNemar's exact test").
    regression: regression models ("Cox proportional-hazards regression with Efron ties").
    alpha: two-sided significance level.
    data_cutoff: the data cut-off date.
    software: package name -> version, printed in the given order.
    seeds: name -> seed of any random procedure (bootstrap, simulation).
    """

    criteria: str
    bor_rule: str
    rate_ci_method: str
    conf_level: float = 0.95
    endpoints: tuple[str, ...] = ()
    survival_method: str | None = None
    survival_ci_method: str | None = None
    follow_up_method: str | None = None
    group_tests: tuple[str, ...] = ()
    paired_tests: tuple[str, ...] = ()
    regression: tuple[str, ...] = ()
    alpha: float = 0.05
    data_cutoff: dt.date | None = None
    software: Mapping[str, str] = field(default_factory=dict)
    seeds: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("criteria", "bor_rule", "rate_ci_method"):
            v = getattr(self, name)
            if not isinstance(v, str) or not v.strip():
                msg = f"`{name}` must be a non-empty description, got {v!r}"
                raise ValueError(msg)
        for name in ("conf_level", "alpha"):
            v = getattr(self, name)
            if not 0 < v < 1:
                msg = f"`{name}` must be in (0, 1), got {v!r}"
                raise ValueError(msg)
        for name in ("endpoints", "group_tests", "paired_tests", "regression"):
            v = getattr(self, name)
            if isinstance(v, str):
                msg = f"`{name}` must be a tuple of phrases, not one string, got {v!r}"
                raise TypeError(msg)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _join(items: Sequence[str]) -> str:
    items = [i.strip().rstrip(".") for i in items]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _pct(x: float) -> str:
    return f"{fmt_number(x * 100, 6, options=FormatOptions()).rstrip('0').rstrip('.')}%"


def write_methods_paragraph(desc: MethodsDescription, *,
                            options: FormatOptions = DEFAULT) -> str:
    """The statistical-methods paragraph for ``desc`` (module notes)."""
    level = _pct(desc.conf_level)
    s = [f"Tumour response was assessed with {desc.criteria.strip().rstrip('.')}",
         f"Best overall response was derived as follows: {desc.bor_rule.strip().rstrip('.')}",
         f"Response rates are reported with {level} confidence intervals (CIs) by the "
         f"{desc.rate_ci_method.strip().rstrip('.')} method"]
    if desc.endpoints:
        s.append("Time-to-event endpoints were defined as follows: "
                 + "; ".join(e.strip().rstrip(".") for e in desc.endpoints))
    if desc.survival_method:
        txt = f"Time-to-event distributions were estimated with {desc.survival_method}"
        if desc.survival_ci_method:
            txt += f", with {level} CIs from {desc.survival_ci_method.strip().rstrip('.')}"
        s.append(txt)
    if desc.follow_up_method:
        s.append(f"Median follow-up was estimated by {desc.follow_up_method.strip().rstrip('.')}")
    if desc.group_tests:
        s.append(f"Groups were compared with {_join(desc.group_tests)}")
    if desc.paired_tests:
        s.append(f"Paired before/after data were compared with {_join(desc.paired_tests)}")
    if desc.regression:
        s.append(f"Adjusted associations were estimated with {_join(desc.regression)}")
    if desc.group_tests or desc.paired_tests or desc.regression:
        s.append(f"All tests were two-sided at a significance level of "
                 f"{fmt_number(desc.alpha, 3, options=options).rstrip('0')}")
    if desc.data_cutoff is not None:
        s.append(f"The data cut-off date was {desc.data_cutoff.isoformat()}")
    if desc.seeds:
        s.append("Random seeds: " + ", ".join(f"{k} = {v}" for k, v in desc.seeds.items()))
    if desc.software:
        s.append("Analyses were run with " + _join(
            [f"{k} {v}" for k, v in desc.software.items()]))
    return " ".join(_sentence(x) for x in s)
