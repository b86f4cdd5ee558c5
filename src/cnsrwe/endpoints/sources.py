"""Event and censoring rules of the time-to-event endpoints, as frozen, printable objects.

The design follows admiral's ``event_source`` / ``censor_source`` and admiralonco's
``tte_sources`` catalogue: every rule is a named object with a plain-language
``description`` and every threshold is a field, so a statistical analysis plan can be read,
reviewed and diffed as data. One engine (:func:`cnsrwe.endpoints.tte.derive_tte`) serves every
endpoint.

Rules (``clinical/endpoints.md`` sections 3, 5 and 6)
-----------------------------------------------------
* An **event source** gives, per patient, the earliest date of one kind of event that is
  observed inside the patient's observation window: first progression in a set of compartments
  (date of the earliest scan showing it, i.e. ``progression_date`` when the timepoint table
  has it, else the assessment date) or death. Ties between sources at one date go to the source
  listed first (so simultaneous CNS and extracranial progression counts as CNS progression,
  section 3). ``cause`` is the competing-risk code (section 6: 1 CNS progression,
  2 extracranial-only first progression, 3 death without progression).
* A death counts as an event only if it falls within ``death_window_days`` of the last
  adequate assessment (or of the origin when there is none); otherwise the patient is censored
  at the last adequate assessment ("death after >= 2 missed assessments", section 5; default
  112 days = two 8-weekly intervals, the field ``death_window_days`` of the study file).
* A **window rule** ends the observation window at a trigger date: new systemic anticancer
  therapy, local therapy to a CNS lesion, local therapy to an extracranial lesion, the data
  cutoff. Assessments and events dated after the trigger (or on it, when
  ``counts_trigger_day`` is False) are not used; the patient is censored at the last adequate
  assessment on or before it (section 5).
* The **censor rule** gives the censoring date when no event is seen: the last adequate
  assessment in a set of compartments (adequate = a timepoint response other than NE), or the
  last date known alive (overall survival, EP-20). A patient with no adequate post-baseline
  assessment is censored at the origin, day 0 (section 5, last row but one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Compartment = Literal["intracranial", "extracranial", "overall"]
COMPARTMENTS: tuple[str, ...] = ("intracranial", "extracranial", "overall")
EventKind = Literal["progression", "death"]
WindowKind = Literal[
    "new_anticancer_therapy", "cns_local_therapy", "extracranial_local_therapy", "data_cutoff"
]
CensorKind = Literal["last_adequate_assessment", "last_known_alive"]

#: Days per month used for ``aval_months`` (365.25 / 12), as most SAS and R oncology
#: programs (e.g. admiral's ``compute_duration(out_unit = "months")``) use.
DAYS_PER_MONTH = 30.4375


def _check_compartments(name: str, values: tuple[str, ...]) -> None:
    bad = [v for v in values if v not in COMPARTMENTS]
    if bad:
        msg = f"`{name}` entries must be among {list(COMPARTMENTS)!r}, got {bad!r}"
        raise ValueError(msg)


@dataclass(frozen=True)
class EventSource:
    """One kind of event of a time-to-event endpoint.

    Attributes
    ----------
    name : rule name (printed in the ``srcrule`` column of the output).
    description : plain-language rule.
    kind : ``"progression"`` (first PD in ``compartments``) or ``"death"``.
    compartments : compartments whose PD counts (progression only).
    evntdesc : event description written to the output.
    cause : competing-risk code (1 = event of interest).
    death_window_days : death only; counted as an event only within this many days of the
        last adequate assessment (``None`` = always counted, as for overall survival).
    """

    name: str
    description: str
    kind: EventKind
    evntdesc: str
    compartments: tuple[str, ...] = ()
    cause: int = 1
    death_window_days: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("progression", "death"):
            msg = f"`kind` must be 'progression' or 'death', got {self.kind!r}"
            raise ValueError(msg)
        _check_compartments("compartments", self.compartments)
        if self.kind == "progression" and not self.compartments:
            msg = "`compartments` must name at least one compartment for a progression event"
            raise ValueError(msg)
        if self.cause < 1:
            msg = f"`cause` must be >= 1, got {self.cause!r}"
            raise ValueError(msg)
        if self.death_window_days is not None and self.death_window_days < 0:
            msg = f"`death_window_days` must be >= 0 or None, got {self.death_window_days!r}"
            raise ValueError(msg)


@dataclass(frozen=True)
class WindowRule:
    """A trigger that ends the observation window (a censoring rule of section 5).

    ``counts_trigger_day``: whether an assessment or event dated on the trigger day itself is
    still used (True for new therapy: "last adequate assessment on or before the new therapy
    start"; False for local CNS therapy: "before the local therapy").
    ``censor_at``: ``"last_adequate_assessment"`` (default) or ``"trigger"`` (the trigger date
    itself; used by overall survival at the data cutoff).
    """

    name: str
    description: str
    kind: WindowKind
    counts_trigger_day: bool = True
    censor_at: Literal["last_adequate_assessment", "trigger"] = "last_adequate_assessment"


@dataclass(frozen=True)
class CensorSource:
    """Where a patient without an event is censored.

    ``kind = "last_adequate_assessment"`` uses the latest non-NE timepoint response in
    ``compartments`` after the origin; ``"last_known_alive"`` uses
    ``patients.last_known_alive_date`` (overall survival).
    """

    name: str
    description: str
    kind: CensorKind
    censdesc: str
    compartments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_compartments("compartments", self.compartments)
        if self.kind == "last_adequate_assessment" and not self.compartments:
            msg = "`compartments` must name at least one compartment for an assessment censor"
            raise ValueError(msg)


# --------------------------------------------------------------------------- catalogue

ALL_SITES = ("overall", "intracranial", "extracranial")

death_event = EventSource(
    "death_event", "Death from any cause, on the date of death.", "death", "DEATH",
)  # fmt: skip
death_event_windowed = EventSource(
    "death_event_windowed",
    "Death from any cause without prior progression, counted only within 112 days (two"
    " 8-weekly assessment intervals) of the last adequate assessment; later deaths are"
    " censored at that assessment.",
    "death", "DEATH", death_window_days=112,
)  # fmt: skip
death_competing_event = EventSource(
    "death_competing_event",
    "Death from any cause before the event of interest (competing event, cause 3), counted"
    " only within 112 days of the last adequate assessment.",
    "death", "DEATH WITHOUT PROGRESSION", cause=3, death_window_days=112,
)  # fmt: skip
any_pd_event = EventSource(
    "any_pd_event",
    "First progression at any site (whole-body, intracranial or extracranial timepoint PD),"
    " dated by the earliest scan showing it.",
    "progression", "PROGRESSIVE DISEASE", compartments=ALL_SITES,
)  # fmt: skip
cns_pd_event = EventSource(
    "cns_pd_event",
    "First intracranial (CNS) progression, dated by the earliest scan showing it.",
    "progression", "CNS PROGRESSION", compartments=("intracranial",),
)  # fmt: skip
extracranial_pd_event = EventSource(
    "extracranial_pd_event",
    "First extracranial progression, dated by the earliest scan showing it.",
    "progression", "EXTRACRANIAL PROGRESSION", compartments=("extracranial",),
)  # fmt: skip
extracranial_only_pd_competing = EventSource(
    "extracranial_only_pd_competing",
    "Extracranial progression without CNS progression at the same or an earlier assessment"
    " (competing event, cause 2; ALEX-style coding).",
    "progression", "EXTRACRANIAL-ONLY PROGRESSION", compartments=("extracranial",), cause=2,
)  # fmt: skip

last_adequate_assessment_censor = CensorSource(
    "last_adequate_assessment_censor",
    "No event: censored at the last adequate assessment (any compartment) after the origin.",
    "last_adequate_assessment", "LAST ADEQUATE ASSESSMENT", compartments=ALL_SITES,
)  # fmt: skip
last_adequate_cns_assessment_censor = CensorSource(
    "last_adequate_cns_assessment_censor",
    "No event: censored at the last adequate CNS assessment (brain imaging with an"
    " intracranial response other than NE) after the origin.",
    "last_adequate_assessment", "LAST ADEQUATE CNS ASSESSMENT", compartments=("intracranial",),
)  # fmt: skip
last_adequate_extracranial_assessment_censor = CensorSource(
    "last_adequate_extracranial_assessment_censor",
    "No event: censored at the last adequate extracranial assessment after the origin.",
    "last_adequate_assessment", "LAST ADEQUATE EXTRACRANIAL ASSESSMENT",
    compartments=("extracranial",),
)  # fmt: skip
last_known_alive_censor = CensorSource(
    "last_known_alive_censor",
    "Alive: censored at the last date known alive (not the last scan).",
    "last_known_alive", "LAST KNOWN ALIVE",
)  # fmt: skip

new_anticancer_therapy_censor = WindowRule(
    "new_anticancer_therapy_censor",
    "New systemic anticancer therapy (or TKI switch) before the event: censored at the last"
    " adequate assessment on or before its start.",
    "new_anticancer_therapy", counts_trigger_day=True,
)  # fmt: skip
cns_local_therapy_censor = WindowRule(
    "cns_local_therapy_censor",
    "Local therapy to a CNS lesion (SRS, WBRT, surgery) before CNS progression: censored at"
    " the last adequate assessment before the local therapy.",
    "cns_local_therapy", counts_trigger_day=False,
)  # fmt: skip
extracranial_local_therapy_censor = WindowRule(
    "extracranial_local_therapy_censor",
    "Local therapy to an extracranial lesion before progression: censored at the last"
    " adequate assessment before it.",
    "extracranial_local_therapy", counts_trigger_day=False,
)  # fmt: skip
data_cutoff_censor = WindowRule(
    "data_cutoff_censor",
    "Data cutoff: events after the cutoff are not counted; censored at the last adequate"
    " assessment on or before the cutoff.",
    "data_cutoff", counts_trigger_day=True,
)  # fmt: skip
data_cutoff_alive_censor = WindowRule(
    "data_cutoff_alive_censor",
    "Data cutoff: a death after the cutoff, or life known beyond it, is censored at the"
    " cutoff date.",
    "data_cutoff", counts_trigger_day=True, censor_at="trigger",
)  # fmt: skip
