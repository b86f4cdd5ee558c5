"""Statistical-methods paragraph (snapshot) and the per-patient appendix builder."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest

from cnsrwe.criteria import get_profile
from cnsrwe.criteria.timepoint import LESION_SCHEMA, TIMEPOINT_SCHEMA
from cnsrwe.report.appendix import LESION_COLUMNS, TIMEPOINT_COLUMNS, build_patient_appendix
from cnsrwe.report.document import FigureBlock, TableBlock
from cnsrwe.report.methods import MethodsDescription, write_methods_paragraph
from cnsrwe.response.rules import BorRule

from .figure_bytes import SVG
from .snapshot_text import assert_snapshot


def description() -> MethodsDescription:
    return MethodsDescription(
        criteria=get_profile("recist11_intracranial").title,
        bor_rule=BorRule().description,
        rate_ci_method="Clopper-Pearson exact",
        endpoints=("CNS time to progression (CNS-TTP): from the start of alectinib to "
                   "intracranial progression, censored at the last brain MRI",
                   "overall survival (OS): from the start of alectinib to death from any cause"),
        survival_method="the Kaplan-Meier method",
        survival_ci_method="the log-log transformed Greenwood variance (medians by "
                           "Brookmeyer-Crowley)",
        follow_up_method="the reverse Kaplan-Meier method",
        group_tests=("the log-rank test", "Fisher's exact test"),
        paired_tests=("McNemar's exact test",),
        regression=("Cox proportional-hazards regression (Efron ties)",),
        data_cutoff=dt.date(2021, 6, 1),
        software={"cnsrwe": "0.1.0", "Python": "3.11.9", "numpy": "2.1.0"},
        seeds={"bootstrap": 20220601},
    )


def test_methods_paragraph_snapshot() -> None:
    text = write_methods_paragraph(description())
    assert_snapshot("methods_paragraph", text + "\n")
    assert text == write_methods_paragraph(description())  # pure
    assert "95% confidence intervals (CIs) by the Clopper-Pearson exact method." in text
    assert "Groups were compared with the log-rank test and Fisher's exact test." in text
    assert text.endswith("Analyses were run with cnsrwe 0.1.0, Python 3.11.9, and numpy 2.1.0.")


def test_methods_paragraph_states_only_what_was_run() -> None:
    minimal = MethodsDescription(criteria="RECIST 1.1", bor_rule="unconfirmed best response",
                                 rate_ci_method="Wilson score", conf_level=0.9)
    text = write_methods_paragraph(minimal)
    assert text == ("Tumour response was assessed with RECIST 1.1. Best overall response was "
                    "derived as follows: unconfirmed best response. Response rates are "
                    "reported with 90% confidence intervals (CIs) by the Wilson score method.")
    later = dataclasses.replace(minimal, alpha=0.01, group_tests=("Fisher's exact test",))
    assert "significance level of 0.01." in write_methods_paragraph(later)


def test_methods_description_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"`conf_level` must be in \(0, 1\), got 95"):
        MethodsDescription(criteria="x", bor_rule="y", rate_ci_method="z", conf_level=95)
    with pytest.raises(ValueError, match="`criteria` must be a non-empty description"):
        MethodsDescription(criteria=" ", bor_rule="y", rate_ci_method="z")
    with pytest.raises(TypeError, match="`group_tests` must be a tuple of phrases"):
        MethodsDescription(criteria="x", bor_rule="y", rate_ci_method="z",
                           group_tests="log-rank")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- appendix

D0, D1, D2 = dt.date(2020, 1, 6), dt.date(2020, 3, 2), dt.date(2020, 4, 27)


def lesions() -> pl.DataFrame:
    rows = [("T1", "target", D0, 152, ""), ("T1", "target", D1, 88, ""),
            ("T1", "target", D2, 0, ""), ("T2", "target", D0, 110, ""),
            ("T2", "target", D1, None, "not_measured"), ("NT1", "non_target", D0, None, "")]
    base = {"patient_id": "P-001", "line": 1, "compartment": "intracranial",
            "profile": "recist11_intracranial", "is_baseline": False, "used_tenths": None}
    recs = [dict(base, lesion_id=a, role=b, assessment_date=c, recorded_tenths=d, flag=e)
            for a, b, c, d, e in rows]
    return pl.DataFrame(recs, schema=LESION_SCHEMA)


def timepoints() -> pl.DataFrame:
    base = {k: None for k in TIMEPOINT_SCHEMA} | {
        "patient_id": "P-001", "line": 1, "compartment": "intracranial",
        "profile": "recist11_intracranial", "baseline_date": D0}
    recs = [base | {"assessment_date": D1, "target_sum_tenths": 198, "pct_change_baseline": -24.9,
                    "response": "NE", "rule": "target:NE_missing_measurement"},
            base | {"assessment_date": D2, "target_sum_tenths": 0, "pct_change_baseline": -100.0,
                    "response": "PR", "rule": "target:CR+nontarget:NON-CR/NON-PD"}]
    return pl.DataFrame(recs, schema=TIMEPOINT_SCHEMA)


def test_appendix_columns_exist_in_the_criteria_output() -> None:
    assert set(LESION_COLUMNS) <= set(LESION_SCHEMA)
    assert set(TIMEPOINT_COLUMNS) <= set(TIMEPOINT_SCHEMA)


def test_patient_appendix_section() -> None:
    calls = []

    def plot(series: pl.DataFrame) -> FigureBlock:
        calls.append(series.height)
        return FigureBlock(name="spider_A", caption="Change of the target sum.",
                           alt="Spider plot", svg=SVG)

    spider = pl.DataFrame({"days_from_baseline": [0, 56, 112],
                           "pct_change_baseline": [0.0, -24.9, -100.0]})
    sec = build_patient_appendix(patient_label="A", lesions=lesions(), timepoints=timepoints(),
                                 spider=spider, plot_spider=plot, summary="Cohort 1.")
    assert sec.title == "Patient A"
    assert sec.level == 2
    assert calls == [3]
    les, tps = (b for b in sec.blocks if isinstance(b, TableBlock))
    assert les.grid(les.header)[0] == ["Lesion", "Role", "2020-01-06", "2020-03-02",
                                       "2020-04-27"]
    assert les.grid(les.body) == [["NT1", "non-target", "—", "", ""],
                                  ["T1", "target", "15.2", "8.8", "0.0"],
                                  ["T2", "target", "11.0", "—", ""]]
    assert "T2 on 2020-03-02: not_measured." in les.footnotes
    assert tps.grid(tps.body) == [
        ["2020-03-02", "intracranial", "19.8", "-24.9", "NE", "target:NE_missing_measurement"],
        ["2020-04-27", "intracranial", "0.0", "-100.0", "PR",
         "target:CR+nontarget:NON-CR/NON-PD"]]
    assert isinstance(sec.blocks[-1], FigureBlock)


def test_appendix_rejects_bad_input() -> None:
    two = pl.concat([lesions(), lesions().with_columns(pl.lit("P-002").alias("patient_id"))])
    with pytest.raises(ValueError, match="`lesions` must hold one patient_id"):
        build_patient_appendix(patient_label="A", lesions=two, timepoints=timepoints())
    with pytest.raises(ValueError, match=r"`timepoints` must have columns .* missing \['rule'\]"):
        build_patient_appendix(patient_label="A", lesions=lesions(),
                               timepoints=timepoints().drop("rule"))
    with pytest.raises(TypeError, match="`plot_spider` must return a FigureBlock, got str"):
        build_patient_appendix(patient_label="A", lesions=lesions(), timepoints=timepoints(),
                               spider=pl.DataFrame(), plot_spider=lambda s: "x")  # type: ignore
    with pytest.raises(ValueError, match="`patient_label` must be a non-empty pseudonym"):
        build_patient_appendix(patient_label="", lesions=lesions(), timepoints=timepoints())
