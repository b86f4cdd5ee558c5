"""A small but real report built from cnsrwe.stats results on reference data.

* Survival: R's ``aml`` data (tests/reference/datasets/aml.csv), Kaplan-Meier by group with
  R's default log CI (``survfit(Surv(time, status) ~ x, aml)``) and the log-rank test;
  R printed medians in tests/reference/survfit/aml_medians.csv.
* Cox: ``coxph(Surv(time, status) ~ age + sex, lung)`` (tests/reference/coxph), R printed
  values in expected.json ``lung_summary``.
* Efficacy: the 2022 study's Tables 2 and 3 counts (tests/reference/published_2022), exact
  CIs from ``binomial_ci``; CR/PR splits as printed in the paper's Table 2.
* Baseline: the 2022 study's Table 1 counts (see tests/reference/report/README.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from cnsrwe.report.document import Paragraph, Report, Section
from cnsrwe.report.tables import (
    MedianRow,
    RateRow,
    Variable,
    tab_baseline,
    tab_cox,
    tab_response,
    tab_survival,
)
from cnsrwe.stats import (
    ArdRow,
    ard_frame,
    binomial_ci,
    concat_ard,
    cox_ph,
    fisher_exact,
    kaplan_meier_by,
    logrank_test,
)

REF = Path(__file__).parents[1] / "reference"
COHORTS = ("1", "2", "3")
COHORT_LABELS = ("Cohort 1", "Cohort 2", "Cohort 3")
N_2022 = {"1": 20, "2": 32, "3": 13}

# 2022 Table 1 (printed counts): variable -> level -> counts per cohort 1, 2, 3
TABLE1_COUNTS: dict[str, dict[str, tuple[int, int, int]]] = {
    "sex": {"Male": (6, 16, 9), "Female": (14, 16, 4)},
    "ecog": {"0-1": (14, 22, 9), ">=2": (6, 10, 4)},
    "smoking": {"Never": (16, 23, 5), "Current or former": (4, 9, 8)},
    "lm": {"Yes": (4, 2, 3), "No": (16, 30, 10)},
}
# 2022 Table 1 age: median (min, max) per cohort
AGE = {"1": (52.0, 30.0, 76.0), "2": (51.0, 23.0, 69.0), "3": (55.0, 40.0, 71.0)}
# 2022 Table 2: CR and PR among responders, all patients / with CNS target lesions
SPLIT = {"ic_orr_all": {"1": (4, 7), "2": (6, 11), "3": (3, 2)},
         "ic_orr_target": {"1": (2, 7), "2": (2, 11), "3": (1, 2)}}
# 2022 Table 2: median shrinkage (range), %
SHRINK = {"1": (53.0, 0.0, 100.0), "2": (58.0, 14.0, 100.0), "3": (28.0, 0.0, 100.0)}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def baseline_ard() -> pl.DataFrame:
    rows = []
    for g in COHORTS:
        rows.append(ArdRow("population", "subjects", "n", float(N_2022[g]), "count", group=g))
        med, lo, hi = AGE[g]
        for s, v in (("median", med), ("min", lo), ("max", hi)):
            rows.append(ArdRow("describe_continuous", "age", s, v, "median (range)", group=g))
    for var, levels in TABLE1_COUNTS.items():
        for lev, counts in levels.items():
            for g, k in zip(COHORTS, counts, strict=True):
                par = f"{var}={lev}"
                rows.append(ArdRow("describe_categorical", par, "n", float(k), "count", group=g))
                rows.append(ArdRow("describe_categorical", par, "p", k / N_2022[g], "count",
                                   group=g))
    tests = [fisher_exact(list(levels.values())).to_ard(parameter=var)
             for var, levels in TABLE1_COUNTS.items()]
    return concat_ard([ard_frame(rows), *tests])


def efficacy_ard() -> pl.DataFrame:
    frames = []
    params = {"CNS ORR in all cohort patients": "ic_orr_all",
              "CNS ORR in patients with CNS target lesions": "ic_orr_target",
              "CNS ORR in patients with uncontrolled CNS metastases": "ic_orr_uncontrolled",
              "CNS ORR in patients with measurable uncontrolled CNS metastases":
                  "ic_orr_uncontrolled_measurable"}
    for rec in read_csv(REF / "published_2022" / "binomial_ci_tables_2_3.csv"):
        res = binomial_ci(int(rec["k"]), int(rec["n"]))
        frames.append(res.to_ard(parameter=params[rec["row"]], group=rec["cohort"]))
    rows = []
    for par, by_g in SPLIT.items():
        for g, (cr, pr) in by_g.items():
            rows.append(ArdRow("describe_categorical", f"{par}_bor=CR", "n", cr, "count", group=g))
            rows.append(ArdRow("describe_categorical", f"{par}_bor=PR", "n", pr, "count", group=g))
    for g, (med, lo, hi) in SHRINK.items():
        for s, v in (("median", med), ("min", lo), ("max", hi)):
            rows.append(ArdRow("describe_continuous", "shrinkage", s, v, "median (range)",
                               group=g))
        rows.append(ArdRow("population", "subjects", "n", float(N_2022[g]), "count", group=g))
    return concat_ard([*frames, ard_frame(rows)])


def aml() -> pl.DataFrame:
    return pl.read_csv(REF / "datasets" / "aml.csv")


def survival_ard() -> pl.DataFrame:
    data = aml()
    km = kaplan_meier_by(data, time="time", event="status", group="x", conf_type="log")
    lr = logrank_test(data["time"], data["status"], data["x"])
    return concat_ard([km.to_ard(times=[12.0, 24.0]), lr.to_ard()])


def lung_cox_ard() -> pl.DataFrame:
    lung = pl.read_csv(REF / "coxph" / "data" / "lung.csv", null_values="NA").with_columns(
        (pl.col("status") == 2).cast(pl.Int64).alias("event"))
    return cox_ph(lung, duration="time", event="event", covariates=["age", "sex"]).to_ard()


def all_ard() -> pl.DataFrame:
    return concat_ard([baseline_ard(), efficacy_ard(), survival_ard(), lung_cox_ard()]).unique(
        maintain_order=True)


def table1():
    variables = [
        Variable("age", "Age", unit="years", decimals=0),
        Variable("sex", "Sex", ("Male", "Female")),
        Variable("ecog", "ECOG performance status", ("0-1", ">=2"), ("0–1", "≥ 2")),
        Variable("smoking", "Smoking status", ("Never", "Current or former"),
                 ("Never smoker", "Current or former smoker")),
        Variable("lm", "Leptomeningeal metastases", ("Yes", "No")),
    ]
    return tab_baseline(baseline_ard(), variables=variables, groups=COHORTS,
                        group_labels=COHORT_LABELS, caption="Baseline characteristics",
                        add_p=True)


def table2():
    rows = [RateRow("ic_orr_all", "CNS ORR, all patients", ("ic_orr_all_bor", ("CR", "PR"))),
            RateRow("ic_orr_target", "CNS ORR, patients with CNS target lesions",
                    ("ic_orr_target_bor", ("CR", "PR"))),
            MedianRow("shrinkage", "Intracranial tumour shrinkage", unit="%", decimals=0)]
    return tab_response(efficacy_ard(), rows=rows, groups=COHORTS, group_labels=COHORT_LABELS,
                        name="table2", caption="Intracranial efficacy of alectinib")


def survival_table():
    return tab_survival(survival_ard(), groups=("Maintained", "Nonmaintained"),
                        landmarks=(12.0, 24.0), time_unit="weeks", name="aml_km",
                        caption="Remission duration in AML (R aml data)")


def cox_table():
    return tab_cox(lung_cox_ard(), terms=[("age", "Age (per year)"), ("sex", "Female vs male")],
                   name="lung_cox", caption="Cox model of survival in the lung data")


def small_report(extra_sections: tuple[Section, ...] = ()) -> Report:
    return Report(
        title="cnsrwe example report",
        subtitle=("Reference data: 2022 six-hospital study tables, R aml and lung",),
        sections=(
            Section("Patients", (Paragraph("Baseline characteristics by cohort."), table1())),
            Section("Intracranial efficacy", (table2(),)),
            Section("Survival", (survival_table(), cox_table())),
            *extra_sections,
        ),
    )
