"""Time-to-event endpoint definitions: one frozen object per endpoint, built from the rules of
:mod:`cnsrwe.endpoints.sources`, and the shipped catalogue (``clinical/endpoints.md``
sections 2, 3, 5 and 6).

Field names follow the study file (:class:`cnsrwe.study.specs.EndpointSpec`): ``origin``
(``index_start`` | ``first_response``), the censoring choices as rules, and
``no_adequate_assessment`` (``censor_day_0`` | ``exclude``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cnsrwe.endpoints.sources import (
    CensorSource,
    EventSource,
    WindowRule,
    _check_compartments,
    any_pd_event,
    cns_local_therapy_censor,
    cns_pd_event,
    data_cutoff_alive_censor,
    data_cutoff_censor,
    death_competing_event,
    death_event,
    death_event_windowed,
    extracranial_only_pd_competing,
    last_adequate_assessment_censor,
    last_adequate_cns_assessment_censor,
    last_known_alive_censor,
    new_anticancer_therapy_censor,
)


@dataclass(frozen=True)
class TteEndpoint:
    """A time-to-event endpoint (one ``paramcd`` of the ADTTE-like output).

    Attributes
    ----------
    paramcd : short code (``OS``, ``PFS``, ``IC_PFS``, ``CNS_TTP`` ...).
    param : label.
    events : event sources, in tie-break order. Sources with ``cause == 1`` are events of
        interest (``cnsr = 0``); others are competing events (``cnsr = 1``, ``cause`` kept).
    censor : where a patient without an event is censored.
    windows : window rules ending the observation (new therapy, local therapy, cutoff).
    origin : ``"index_start"`` or ``"first_response"`` (duration of response; responders
        only; the first CR/PR timepoint in ``response_compartment`` after the index start).
    response_compartment : compartment of the response defining the origin.
    no_adequate_assessment : ``"censor_day_0"`` (default, section 5) or ``"exclude"``.
    """

    paramcd: str
    param: str
    events: tuple[EventSource, ...]
    censor: CensorSource
    windows: tuple[WindowRule, ...] = ()
    origin: Literal["index_start", "first_response"] = "index_start"
    response_compartment: str = "intracranial"
    no_adequate_assessment: Literal["censor_day_0", "exclude"] = "censor_day_0"

    def __post_init__(self) -> None:
        if not self.events:
            msg = f"`events` must list at least one event source, got none for {self.paramcd!r}"
            raise ValueError(msg)
        if not any(e.cause == 1 for e in self.events):
            msg = f"`events` must include a cause-1 event source, got none for {self.paramcd!r}"
            raise ValueError(msg)
        if self.origin not in ("index_start", "first_response"):
            msg = f"`origin` must be 'index_start' or 'first_response', got {self.origin!r}"
            raise ValueError(msg)
        _check_compartments("response_compartment", (self.response_compartment,))
        if self.no_adequate_assessment not in ("censor_day_0", "exclude"):
            msg = ("`no_adequate_assessment` must be 'censor_day_0' or 'exclude', got"
                   f" {self.no_adequate_assessment!r}")  # fmt: skip
            raise ValueError(msg)

    @property
    def is_competing(self) -> bool:
        """True when some event source is a competing event (cause > 1)."""
        return any(e.cause > 1 for e in self.events)

    def describe(self) -> str:
        """The whole rule set in plain language (printed with every result)."""
        parts = [f"{self.paramcd} ({self.param}): origin {self.origin}"]
        parts += [f"event [{e.name}, cause {e.cause}]: {e.description}" for e in self.events]
        parts.append(f"censor [{self.censor.name}]: {self.censor.description}")
        parts += [f"window [{w.name}]: {w.description}" for w in self.windows]
        parts.append(f"no adequate assessment: {self.no_adequate_assessment}")
        return "; ".join(parts)


_PD_WINDOWS = (new_anticancer_therapy_censor, data_cutoff_censor)
_CNS_WINDOWS = (new_anticancer_therapy_censor, cns_local_therapy_censor, data_cutoff_censor)

OS = TteEndpoint(
    "OS", "Overall survival", (death_event,), last_known_alive_censor,
    (data_cutoff_alive_censor,),
)  # fmt: skip
PFS = TteEndpoint(
    "PFS", "Progression-free survival", (any_pd_event, death_event_windowed),
    last_adequate_assessment_censor, _PD_WINDOWS,
)  # fmt: skip
IC_PFS = TteEndpoint(
    "IC_PFS", "Intracranial progression-free survival", (cns_pd_event, death_event_windowed),
    last_adequate_cns_assessment_censor, _CNS_WINDOWS,
)  # fmt: skip
CNS_TTP = TteEndpoint(
    "CNS_TTP",
    "Time to CNS progression; extracranial-only first progression (2) and death (3) compete",
    (cns_pd_event, extracranial_only_pd_competing, death_competing_event),
    last_adequate_cns_assessment_censor, _CNS_WINDOWS,
)  # fmt: skip
CNS_TTP_DEATH_COMPETING = TteEndpoint(
    "CNS_TTP_DC",
    "Time to CNS progression; only death (3) competes, extracranial progression ignored",
    (cns_pd_event, death_competing_event),
    last_adequate_cns_assessment_censor, _CNS_WINDOWS,
)  # fmt: skip
CNS_TTP_DEATH_CENSORED = TteEndpoint(
    "CNS_TTP_DCENS",
    "Time to CNS progression; death without CNS progression censored at the last adequate"
    " CNS assessment",
    (cns_pd_event,), last_adequate_cns_assessment_censor, _CNS_WINDOWS,
)  # fmt: skip
IC_DOR = TteEndpoint(
    "IC_DOR", "Intracranial duration of response (to CNS progression)", (cns_pd_event,),
    last_adequate_cns_assessment_censor, _CNS_WINDOWS, origin="first_response",
)  # fmt: skip
IC_DOR_DEATH = TteEndpoint(
    "IC_DOR_D", "Intracranial duration of response (to CNS progression or death)",
    (cns_pd_event, death_event_windowed), last_adequate_cns_assessment_censor, _CNS_WINDOWS,
    origin="first_response",
)  # fmt: skip

#: The shipped endpoint catalogue, by ``paramcd``.
STANDARD_ENDPOINTS: dict[str, TteEndpoint] = {
    e.paramcd: e
    for e in (OS, PFS, IC_PFS, CNS_TTP, CNS_TTP_DEATH_COMPETING, CNS_TTP_DEATH_CENSORED,
              IC_DOR, IC_DOR_DEATH)
}  # fmt: skip
