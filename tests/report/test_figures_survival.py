"""Kaplan-Meier and cumulative-incidence figures: FigureData snapshots, risk tables that equal
the statistics layer's ``at_risk`` and R's printed numbers at risk, annotation text, errors.

R references (tests/reference/survfit/README.md): ``summary(survfit(Surv(time, status) ~ x,
aml))`` (aml_km_log.csv), ``print(survfit(...))`` medians (aml_medians.csv) and
``summary(survfit(Surv(time, status) ~ ph.ecog, lung), times=c(30*1:11, 365*1:3))``
(lung_ecog_times.csv), all from survival 3.8-11's own regression transcripts.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cnsrwe.report.figures import (
    cif_figure_data,
    km_figure_data,
    plot_cumulative_incidence,
    plot_km,
)
from cnsrwe.stats import (
    cox_ph,
    cumulative_incidence,
    gray_test,
    kaplan_meier,
    kaplan_meier_by,
    logrank_test,
)

from ._figure_snapshots import assert_matches_snapshot

REF = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def aml() -> pl.DataFrame:
    return pl.read_csv(REF / "datasets" / "aml.csv")


@pytest.fixture(scope="module")
def aml_fit(aml: pl.DataFrame):  # type: ignore[no-untyped-def]
    return kaplan_meier_by(aml, time="time", event="status", group="x", conf_type="log")


def _aml_tests(aml: pl.DataFrame):  # type: ignore[no-untyped-def]
    lr = logrank_test(aml["time"], aml["status"], aml["x"])
    d = aml.with_columns((pl.col("x") == "Nonmaintained").cast(pl.Int64).alias("nonmaint"))
    cox = cox_ph(d, duration="time", event="status", covariates=["nonmaint"])
    return lr, cox


def test_km_figure_data_matches_snapshot(aml, aml_fit) -> None:  # type: ignore[no-untyped-def]
    lr, cox = _aml_tests(aml)
    data = km_figure_data(aml_fit, logrank=lr, cox=cox, hr_label="Nonmaintained vs Maintained",
                          times=[0, 20, 40, 60, 80, 100, 120, 140, 160], time_unit="weeks",
                          show_ci=True)
    assert_matches_snapshot("figure_km_aml", data)


def test_km_risk_table_equals_at_risk_and_r(aml_fit) -> None:  # type: ignore[no-untyped-def]
    ticks = [0.0, 20.0, 40.0, 60.0, 161.0, 170.0]
    data = km_figure_data(aml_fit, times=ticks, time_unit="weeks")
    rows = {r["label"]: r for r in data.content["risk_table"]["rows"]}
    assert data.content["risk_table"]["times"] == tuple(ticks)
    for label, fit in aml_fit.fits.items():
        assert list(rows[label]["n_risk"]) == fit.at_risk(ticks)["n_risk"].to_list()
    # R summary(survfit) n.risk at the Maintained group's event times (aml_km_log.csv)
    ref = pl.read_csv(REF / "survfit" / "aml_km_log.csv")
    for label in ("Maintained", "Nonmaintained"):
        sub = ref.filter(pl.col("group") == label)
        d = km_figure_data(aml_fit, times=sub["time"].to_list(), time_unit="weeks")
        row = next(r for r in d.content["risk_table"]["rows"] if r["label"] == label)
        assert list(row["n_risk"]) == [float(v) for v in sub["n_risk"]]
        assert list(row["counts"]) == [str(v) for v in sub["n_risk"]]


def test_km_risk_table_lung_by_ecog_equals_r_summary_times() -> None:
    ref = pl.read_csv(REF / "survfit" / "lung_ecog_times.csv")
    lung = pl.read_csv(REF / "datasets" / "lung.csv", null_values="NA").drop_nulls("ph.ecog")
    lung = lung.with_columns((pl.col("status") == 2).cast(pl.Int64).alias("dead"),
                             pl.col("ph.ecog").cast(pl.Int64))
    fit = kaplan_meier_by(lung, time="time", event="dead", group="ph.ecog", conf_type="log")
    for (g,), sub in ref.group_by("group", maintain_order=True):
        times = sub["time"].to_list()
        data = km_figure_data(fit, times=times, time_unit="days")
        row = next(r for r in data.content["risk_table"]["rows"] if r["label"] == str(g))
        assert list(row["n_risk"]) == [float(v) for v in sub["n_risk"]], f"ecog {g}"


def test_km_steps_medians_and_annotation_come_from_the_result(aml, aml_fit) -> None:  # type: ignore[no-untyped-def]
    lr, cox = _aml_tests(aml)
    data = km_figure_data(aml_fit, logrank=lr, cox=cox, hr_label="N vs M", time_unit="weeks")
    groups = {g["label"]: g for g in data.content["groups"]}
    for label, fit in aml_fit.fits.items():
        g = groups[label]
        assert list(g["step_x"]) == [0.0, *fit.table["time"].to_list()]
        assert list(g["step_y"]) == [1.0, *fit.table["survival"].to_list()]
        assert g["median"] == fit.median
    # R print(survfit(...)): Maintained 31 (18, NA), Nonmaintained 23 (8, NA)
    notes = data.content["annotation"]
    assert notes[0] == "Median (95% CI), weeks"
    assert "Maintained: 31.0 (18.0\u2013NR)" in notes
    assert "Nonmaintained: 23.0 (8.0\u2013NR)" in notes
    hr = float(cox.hazard_ratio[0])
    lo, up = float(cox.ci_lower[0]), float(cox.ci_upper[0])
    assert f"HR N vs M: {hr:.2f} (95% CI {lo:.2f}\u2013{up:.2f})" in notes
    assert notes[-1] == f"Log-rank p = {lr.p_value:.3f}"
    assert groups["Maintained"]["median_line"] == ((0.0, 0.5), (31.0, 0.5), (31.0, 0.0))


def test_km_single_curve_and_default_ticks() -> None:
    fit = kaplan_meier([9, 13, 13, 18, 23], [1, 1, 0, 1, 1])
    data = km_figure_data(fit)
    assert [g["label"] for g in data.content["groups"]] == ["All patients"]
    assert data.content["xticks"] == (0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0)
    assert data.content["groups"][0]["censor_x"] == (13.0,)
    assert data.content["xlabel"] == "Time (months)"


def test_plot_km_returns_figure_and_uses_given_ax(aml, aml_fit) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    lr, cox = _aml_tests(aml)
    fig = plot_km(aml_fit, logrank=lr, cox=cox, time_unit="weeks", title="Remission")
    assert isinstance(fig, Figure)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    # every risk-table count is drawn as text
    assert {"11", "12", "Number at risk"} <= texts
    own = Figure()
    ax = own.add_subplot(1, 1, 1)
    assert plot_km(aml_fit, ax=ax) is own


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"times": [0, 10, 5]}, ValueError, "`times` must be increasing"),
        ({"times": [-1, 10]}, ValueError, "`times` must be increasing finite times >= 0"),
        ({"xmax": 0}, ValueError, "`xmax` must be a positive finite time, got 0"),
        ({"digits": 7}, ValueError, "`digits` must be a whole number in \\[0, 4\\], got 7"),
        ({"time_unit": ""}, ValueError, "`time_unit` must be a non-empty string"),
        ({"logrank": 0.05}, TypeError, "`logrank` must be a LogrankResult"),
        ({"cox": "HR"}, TypeError, "`cox` must be a CoxResult"),
    ],
)
def test_km_bad_options(aml_fit, kwargs, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        km_figure_data(aml_fit, **kwargs)


def test_km_bad_result_and_hr_covariate(aml, aml_fit) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="`result` must be a KaplanMeierResult"):
        km_figure_data(aml)  # type: ignore[arg-type]
    _, cox = _aml_tests(aml)
    with pytest.raises(ValueError, match="`hr_covariate` must be one of \\['nonmaint'\\]"):
        km_figure_data(aml_fit, cox=cox, hr_covariate="age")
    with pytest.raises(ValueError, match="`annotation_loc` must be"):
        plot_km(aml_fit, annotation_loc="middle")


# --- cumulative incidence -----------------------------------------------------------------

#: A hand-built competing-risks cohort: cause 1 = CNS progression, 2 = death without it.
CR_DATA = pl.DataFrame({
    "time": [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0, 2.0, 3.0, 4.0, 6.0, 8.0, 9.0, 10.0, 12.0],
    "event": [1, 2, 1, 0, 1, 0, 2, 1, 2, 1, 0, 1, 2, 0, 1, 0],
    "arm": ["A"] * 8 + ["B"] * 8,
})  # fmt: skip


def _cif_inputs():  # type: ignore[no-untyped-def]
    d = CR_DATA.with_columns((pl.col("event") > 0).cast(pl.Int64).alias("any_event"))
    ci = cumulative_incidence(d["time"], d["event"], group=d["arm"])
    risk = kaplan_meier_by(d, time="time", event="any_event", group="arm")
    gray = [gray_test(d["time"], d["event"], d["arm"], cause=c) for c in (1, 2)]
    return ci, risk, gray


def test_cif_figure_data_matches_snapshot() -> None:
    ci, risk, gray = _cif_inputs()
    data = cif_figure_data(ci, risk=risk, gray=gray, times=[0, 3, 6, 9, 12],
                           cause_labels={1: "CNS progression", 2: "Death without CNS progression"})
    assert_matches_snapshot("figure_cif_small", data)


def test_cif_curves_risk_table_and_p_values_come_from_results() -> None:
    ci, risk, gray = _cif_inputs()
    ticks = [0.0, 3.0, 6.0, 9.0, 12.0]
    data = cif_figure_data(ci, risk=risk, gray={1: gray[0]}, times=ticks,
                           cause_labels={1: "CNS progression"})
    for curve in data.content["groups"]:
        sub = ci.table.filter((pl.col("group") == curve["group"])
                              & (pl.col("cause") == curve["cause"]))
        assert list(curve["step_y"][1:-1]) == sub["estimate"].to_list()
        assert curve["step_x"][-1] == ci.max_time[curve["group"]]
    for row in data.content["risk_table"]["rows"]:
        assert list(row["n_risk"]) == risk.fits[row["label"]].at_risk(ticks)["n_risk"].to_list()
    # hand-derived Aalen-Johansen for arm A, cause 1: 1/8; + (7/8)(6/7)(1/6); + S(4-)/4 with
    # S(4-) = 0.625; + S(7-)/1 with S(7-) = 0.234375
    a_cns = next(c for c in data.content["groups"] if c["group"] == "A" and c["cause"] == 1)
    assert a_cns["step_y"] == (0.0, 0.125, 0.25, 0.40625, 0.640625, 0.640625)
    # hand count: arm A times 1..7 -> at risk at t=3: 6 (times >= 3), at t=6: 2 (6, 7)
    a = next(r for r in data.content["risk_table"]["rows"] if r["label"] == "A")
    assert a["counts"] == ("8", "6", "2", "0", "0")
    assert data.content["annotation"] == (
        f"Gray's test, CNS progression: p = {gray[0].p_value:.3f}",
    )


def test_cif_errors() -> None:
    ci, risk, _ = _cif_inputs()
    with pytest.raises(TypeError, match="`result` must be a CumulativeIncidence"):
        cif_figure_data(risk)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`causes` must be among the observed causes"):
        cif_figure_data(ci, causes=[3])
    other = kaplan_meier_by(
        CR_DATA.with_columns(pl.lit("C").alias("arm"), (pl.col("event") > 0).alias("any")),
        time="time", event="any", group="arm",
    )
    with pytest.raises(ValueError, match="`risk` must have the groups of the cumulative"):
        cif_figure_data(ci, risk=other)
    with pytest.raises(TypeError, match="`gray` must be GrayTest results"):
        cif_figure_data(ci, gray=[0.04])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="`ylim` must satisfy"):
        plot_cumulative_incidence(ci, ylim=(0.5, 0.2))


def test_plot_cumulative_incidence_draws_legend_with_p_values() -> None:
    ci, risk, gray = _cif_inputs()
    fig = plot_cumulative_incidence(ci, risk=risk, gray=gray, cause_labels={1: "CNS PD"})
    legend = fig.axes[0].get_legend()
    assert legend is not None
    assert "Gray's test, CNS PD" in legend.get_title().get_text()
