"""Turn the study file's endpoint definitions into the endpoint layer's rule objects.

``[endpoints.<name>]`` (:class:`cnsrwe.study.EndpointSpec`) states an endpoint as data; the
endpoint layer computes from :class:`cnsrwe.endpoints.TteEndpoint` (time to event) and
:class:`cnsrwe.endpoints.RateDefinition` (response rates). The mapping restates
clinical/endpoints.md:

* events (section 3): ``progression`` -> first PD in the endpoint's compartment (``overall``:
  any compartment); ``cns_progression`` / ``extracranial_progression`` -> PD in that
  compartment; ``extracranial_only_progression`` -> extracranial PD without CNS PD; ``death``
  -> death, counted only within ``death_window_days`` of the last adequate assessment
  (section 5; no window for overall survival, whose censoring is the last date known alive).
* competing events (section 6) get causes 2, 3, ... in the order listed.
* censoring (section 5): the last adequate assessment in the endpoint's compartment (or the
  last date known alive), and one window rule per switch: new anticancer therapy, CNS local
  therapy, extracranial local therapy, data cut-off.
"""

from __future__ import annotations

from dataclasses import replace

from cnsrwe.endpoints import RateDefinition, TteEndpoint
from cnsrwe.endpoints import sources as src
from cnsrwe.study import EndpointSpec

_COMPARTMENTS = {"overall": src.ALL_SITES, "intracranial": ("intracranial",),
                 "extracranial": ("extracranial",)}
_CENSOR = {"overall": src.last_adequate_assessment_censor,
           "intracranial": src.last_adequate_cns_assessment_censor,
           "extracranial": src.last_adequate_extracranial_assessment_censor}


def _event(name: str, spec: EndpointSpec, cause: int) -> src.EventSource:
    window = None if spec.censor_at == "last_known_alive" else spec.death_window_days
    if name == "death":
        base = src.death_event if cause == 1 else src.death_competing_event
        desc = ("Death from any cause" + ("" if window is None else
                f", counted only within {window} days of the last adequate assessment"
                " (later deaths censored there)") + ("." if cause == 1 else
                f"; competing event (cause {cause})."))
        return replace(base, description=desc, cause=cause, death_window_days=window)
    if name == "progression":
        base = src.any_pd_event
        comps = _COMPARTMENTS[spec.compartment]
        return replace(base, compartments=comps, cause=cause)
    base = {"cns_progression": src.cns_pd_event,
            "extracranial_progression": src.extracranial_pd_event,
            "extracranial_only_progression": src.extracranial_only_pd_competing}[name]
    return replace(base, cause=cause)


def tte_endpoint(name: str, spec: EndpointSpec) -> TteEndpoint:
    """The :class:`TteEndpoint` of a time-to-event or duration-of-response endpoint
    (module notes); ``paramcd`` is the upper-cased endpoint name."""
    if spec.kind == "response_rate":
        msg = f"`{name}` must be a time-to-event endpoint, got kind {spec.kind!r}"
        raise ValueError(msg)
    events = [_event(e, spec, 1) for e in spec.events]
    events += [_event(e, spec, k + 2) for k, e in enumerate(spec.competing)]
    if spec.censor_at == "last_known_alive":
        censor = src.last_known_alive_censor
        cutoff = src.data_cutoff_alive_censor
    else:
        censor = _CENSOR[spec.compartment]
        cutoff = src.data_cutoff_censor
    windows = []
    if spec.censor_new_anticancer_therapy:
        windows.append(src.new_anticancer_therapy_censor)
    if spec.censor_cns_local_therapy:
        windows.append(src.cns_local_therapy_censor)
    if spec.censor_extracranial_local_therapy:
        windows.append(src.extracranial_local_therapy_censor)
    if spec.censor_at_data_cutoff:
        windows.append(cutoff)
    return TteEndpoint(name.upper(), spec.label, tuple(events), censor, tuple(windows),
                       origin=spec.origin, response_compartment=spec.compartment,
                       no_adequate_assessment=spec.no_adequate_assessment)


def rate_definition(name: str, spec: EndpointSpec) -> RateDefinition:
    """The :class:`RateDefinition` of a response-rate endpoint (``name`` kept as the rate
    name, so ARD rows carry the study file's endpoint name)."""
    if spec.kind != "response_rate":
        msg = f"`{name}` must be a response_rate endpoint, got kind {spec.kind!r}"
        raise ValueError(msg)
    return RateDefinition(name, spec.label, spec.compartment, tuple(spec.responses),
                          spec.population)


CI_METHODS = {"clopper_pearson": "clopper-pearson", "wilson": "wilson", "jeffreys": "jeffreys"}


def ci_method(name: str, spec: EndpointSpec) -> str:
    """The :func:`cnsrwe.stats.binomial_ci` method for the study file's ``ci_method``."""
    if spec.ci_method not in CI_METHODS:
        msg = (f"`endpoints.{name}.ci_method` must be one of {sorted(CI_METHODS)!r} (the"
               f" statistics layer has no {spec.ci_method!r} interval yet), got"
               f" {spec.ci_method!r}")
        raise ValueError(msg)
    return CI_METHODS[spec.ci_method]
