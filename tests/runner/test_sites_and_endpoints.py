"""Prior-line progression sites (source precedence, vocabulary mapping) and the study-file
endpoint converter (checked against the endpoint layer's own catalogue)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cnsrwe.endpoints import STANDARD_ENDPOINTS
from cnsrwe.endpoints import sources as src
from cnsrwe.runner.endpoint_specs import ci_method, rate_definition, tte_endpoint
from cnsrwe.runner.sites import build_prior_line_progression
from cnsrwe.study import EndpointSpec


def _treatments() -> pl.DataFrame:
    return pl.DataFrame({
        "patient_id": ["A", "A", "B", "C", "C"],
        "line": [1, 2, 1, 1, None],
        "progression_site": ["intracranial", "both", "extracranial", None, "intracranial"],
    }, schema={"patient_id": pl.String, "line": pl.Int64, "progression_site": pl.String})


def _progression() -> pl.DataFrame:
    return pl.DataFrame({
        "patient_id": ["A", "B", "C", "C"],
        "line": [1, 1, 1, 1],
        "profile": ["recist11_intracranial+recist11_extracranial"] * 3 + ["recist11"],
        "first_pd_date": [dt.date(2020, 1, 1), None, dt.date(2020, 2, 1), dt.date(2020, 2, 1)],
        "site": ["EXTRACRANIAL_ONLY", None, "BOTH", "CNS_ONLY"],
    })


def test_sites_precedence_study_file_then_lesions_then_treatments() -> None:
    study_file = pl.DataFrame({"patient_id": ["C"], "line": [1],
                               "progression_site": ["CNS_ONLY"]})
    out = build_prior_line_progression(_treatments(), dataset_progression=_progression(),
                                       study_file_table=study_file)
    got = {(r["patient_id"], r["line"]): (r["progression_site"], r["source"])
           for r in out.iter_rows(named=True)}
    assert got == {
        ("A", 1): ("EXTRACRANIAL_ONLY", "lesions"),  # lesion data beat the recorded site
        ("A", 2): ("BOTH", "treatments"),            # 'both' -> BOTH
        ("B", 1): ("EXTRACRANIAL_ONLY", "treatments"),  # no derived PD: the recorded site
        ("C", 1): ("CNS_ONLY", "study_file"),         # the study file's table wins
    }


def test_sites_without_any_source_is_empty() -> None:
    t = pl.DataFrame({"patient_id": ["A"], "line": [1]})
    out = build_prior_line_progression(t)
    assert out.height == 0
    assert out.columns == ["patient_id", "line", "progression_site", "source"]


def _spec(**kw: object) -> EndpointSpec:
    return EndpointSpec(**kw)  # type: ignore[arg-type]


def test_os_spec_gives_the_catalogue_os_rules() -> None:
    ep = tte_endpoint("os", _spec(kind="time_to_event", label="Overall survival",
                                  compartment="overall", events=("death",),
                                  censor_at="last_known_alive",
                                  censor_new_anticancer_therapy=False,
                                  censor_cns_local_therapy=False))
    ref = STANDARD_ENDPOINTS["OS"]
    assert ep.censor == ref.censor
    assert ep.windows == ref.windows
    assert [(e.kind, e.cause, e.death_window_days) for e in ep.events] == [("death", 1, None)]


def test_pfs_spec_gives_the_catalogue_pfs_rules() -> None:
    ep = tte_endpoint("pfs", _spec(kind="time_to_event", label="PFS", compartment="overall",
                                   events=("progression", "death"),
                                   censor_cns_local_therapy=False))
    ref = STANDARD_ENDPOINTS["PFS"]
    assert ep.censor == ref.censor
    assert ep.windows == ref.windows
    assert [(e.kind, e.compartments, e.cause, e.death_window_days) for e in ep.events] == [
        (e.kind, e.compartments, e.cause, e.death_window_days) for e in ref.events]


def test_cns_ttp_with_death_competing_matches_cns_ttp_dc() -> None:
    ep = tte_endpoint("cns_ttp", _spec(kind="time_to_event", label="CNS-TTP",
                                       compartment="intracranial", events=("cns_progression",),
                                       competing=("death",)))
    ref = STANDARD_ENDPOINTS["CNS_TTP_DC"]
    assert ep.paramcd == "CNS_TTP"
    assert ep.censor == ref.censor
    assert ep.windows == ref.windows
    assert [(e.kind, e.compartments, e.cause, e.death_window_days) for e in ep.events] == [
        ("progression", ("intracranial",), 1, None), ("death", (), 2, 112)]
    assert ref.events[1].cause == 3  # the catalogue numbers death 3 (after extracranial 2)


def test_switches_remove_windows_and_dor_origin() -> None:
    ep = tte_endpoint("ic_dor", _spec(kind="duration_of_response", label="DOR",
                                      compartment="intracranial", origin="first_response",
                                      events=("cns_progression",),
                                      censor_new_anticancer_therapy=False,
                                      censor_at_data_cutoff=False))
    assert ep.origin == "first_response"
    assert ep.windows == (src.cns_local_therapy_censor,)


def test_rate_definition_and_ci_method_errors() -> None:
    spec = _spec(kind="response_rate", label="ORR", compartment="intracranial",
                 responses=("CR", "PR"), population="measurable_cns", ci_method="agresti_coull")
    rd = rate_definition("ic_orr", spec)
    assert (rd.name, rd.compartment, rd.responses, rd.population) == (
        "ic_orr", "intracranial", ("CR", "PR"), "measurable_cns")
    with pytest.raises(ValueError, match=r"`endpoints\.ic_orr\.ci_method` must be one of"):
        ci_method("ic_orr", spec)
    with pytest.raises(ValueError, match="must be a time-to-event endpoint"):
        tte_endpoint("ic_orr", spec)
