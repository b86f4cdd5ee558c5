"""Clinical and RECIST 1.1 consistency of the simulated data (independent of the validator)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from cnsrwe.io.schema import CNS_LOCATIONS


def _baseline(lesions: pl.DataFrame) -> pl.DataFrame:
    first = lesions.group_by("patient_id").agg(pl.col("assessment_date").min().alias("first"))
    return lesions.join(first, on="patient_id").filter(pl.col("assessment_date") == pl.col("first"))


def test_recist_target_entry_rules_hold_at_baseline(sim: dict[str, pl.DataFrame]) -> None:
    base = _baseline(sim["lesions"])
    targets = base.filter(pl.col("lesion_role") == "target")
    assert targets.height > 1000
    mm = pl.col("diameter_mm").cast(pl.Float64)
    node = pl.col("location") == "lymph_node"
    assert targets.filter(node & (mm < 15)).height == 0  # RECIST 1.1 §3.1.1: nodes >= 15 mm SA
    assert targets.filter(~node & (mm < 10)).height == 0  # non-nodal >= 10 mm
    assert targets["diameter_mm"].null_count() == 0
    per_organ = targets.group_by("patient_id", "location").len()["len"].max()
    assert per_organ == 2  # the cap is reached and never exceeded
    assert targets.group_by("patient_id").len()["len"].max() == 5
    cns = targets.with_columns(cns=pl.col("location").is_in(CNS_LOCATIONS))
    assert cns.group_by("patient_id", "cns").len()["len"].max() <= 5
    # measurable lesions left as non-targets exist only because of a cap or a size rule
    assert base.filter(pl.col("lesion_role") == "new").height == 0
    lm = base.filter(pl.col("location") == "leptomeninges")
    assert lm.height > 0
    assert (lm["lesion_role"] == "non_target").all()


def test_lesion_roles_statuses_and_sizes(sim: dict[str, pl.DataFrame]) -> None:
    les = sim["lesions"]
    role = pl.col("lesion_role")
    nt = les.filter(role == "non_target")
    assert nt["non_target_status"].null_count() == 0
    assert set(nt["non_target_status"].unique()) == {"present", "absent", "unequivocal_progression"}
    assert les.filter(role != "non_target")["non_target_status"].null_count() == les.filter(
        role != "non_target"
    ).height
    t = les.filter(role == "target")
    small = t.filter(pl.col("too_small_to_measure"))
    assert small.height > 0
    assert small["diameter_mm"].null_count() == small.height
    assert t.filter(~pl.col("too_small_to_measure"))["diameter_mm"].null_count() == 0
    # a lesion keeps its role, and appears once per scan
    assert les.group_by("patient_id", "lesion_id").agg(role.n_unique())["lesion_role"].max() == 1
    assert les.select("patient_id", "assessment_date", "lesion_id").is_duplicated().sum() == 0
    # modality follows the compartment: MRI for the CNS, CT for the body
    cns = pl.col("location").is_in(CNS_LOCATIONS)
    assert (les.filter(cns)["modality"] == "mri").all()
    assert (les.filter(~cns)["modality"] == "ct").all()


def test_new_lesions_appear_only_at_the_last_scan_after_baseline(
    sim: dict[str, pl.DataFrame],
) -> None:
    les = sim["lesions"]
    span = les.group_by("patient_id").agg(
        pl.col("assessment_date").min().alias("first"),
        pl.col("assessment_date").max().alias("last"),
    )
    new = les.filter(pl.col("lesion_role") == "new").join(span, on="patient_id")
    assert new.height > 0
    assert (new["assessment_date"] > new["first"]).all()
    assert (new["assessment_date"] == new["last"]).all()
    # a lesion that is not new is present from the patient's baseline on
    first_seen = les.group_by("patient_id", "lesion_id", "lesion_role").agg(
        pl.col("assessment_date").min().alias("seen")
    ).join(span, on="patient_id")
    old = first_seen.filter(pl.col("lesion_role") != "new")
    assert (old["seen"] == old["first"]).all()


def _events(sim: dict[str, pl.DataFrame]) -> pl.DataFrame:
    parts = [
        sim["lesions"].select("patient_id", pl.col("assessment_date").alias("d")),
        sim["timepoint_responses"].select("patient_id", pl.col("assessment_date").alias("d")),
        sim["clinical"].select("patient_id", pl.col("visit_date").alias("d")),
        sim["treatments"].select("patient_id", pl.col("start_date").alias("d")),
        sim["treatments"].select("patient_id", pl.col("end_date").alias("d")),
        sim["biopsies"].select("patient_id", pl.col("biopsy_date").alias("d")),
    ]
    return pl.concat(parts).drop_nulls()


def test_no_event_after_death_or_after_last_known_alive(sim: dict[str, pl.DataFrame]) -> None:
    pts = sim["patients"]
    assert (pts["death_date"].is_null() ^ pts["last_known_alive_date"].is_null()).all()
    assert 0.1 < pts["death_date"].is_not_null().mean() < 0.7  # type: ignore[operator]
    last = pts.select(
        "patient_id", pl.coalesce("death_date", "last_known_alive_date").alias("last")
    )
    ev = _events(sim).join(last, on="patient_id")
    assert ev.filter(pl.col("d") > pl.col("last")).height == 0
    assert pts["last_known_alive_date"].max() <= dt.date(2021, 6, 1)  # type: ignore[operator]


def test_treatment_lines_are_ordered_and_dated_consistently(sim: dict[str, pl.DataFrame]) -> None:
    tr = sim["treatments"]
    pts = sim["patients"]
    assert (tr.filter(pl.col("end_date").is_not_null()).select(
        (pl.col("end_date") >= pl.col("start_date")).all()
    ).item())  # fmt: skip
    ongoing = tr["end_reason"] == "ongoing"
    assert tr.filter(ongoing)["end_date"].null_count() == ongoing.sum()
    assert tr.filter(~ongoing)["end_date"].null_count() == 0
    systemic = tr.filter(pl.col("agent_class") != "radiotherapy").sort("patient_id", "start_date")
    per = systemic.group_by("patient_id", maintain_order=True).agg(
        pl.col("line"), pl.col("start_date"), pl.col("end_date"), pl.col("regimen")
    )
    for lines in per["line"].to_list()[:500]:  # lines are 1..k in start order
        assert lines == list(range(1, len(lines) + 1))
    prev_end = systemic.with_columns(
        pl.col("end_date").shift(1).over("patient_id").alias("prev_end")
    ).drop_nulls("prev_end")
    assert (prev_end["start_date"] > prev_end["prev_end"]).all()  # lines do not overlap
    alec = systemic.filter(pl.col("regimen") == "alectinib")
    assert alec["patient_id"].n_unique() == alec.height == pts.height  # one index line each
    rt = tr.filter(pl.col("agent_class") == "radiotherapy")
    assert rt.height > 0
    assert set(rt["rt_technique"].unique()) == {"srs", "wbrt"}
    assert (rt["target_site"] == "brain").all()
    assert tr.filter(pl.col("agent_class") != "radiotherapy")["rt_technique"].null_count() == (
        tr.height - rt.height
    )
    # progression on alectinib is followed by a next line for most who live long enough
    progressed = alec.filter(pl.col("end_date").is_not_null()).height
    assert progressed > 0
    assert systemic.filter(pl.col("regimen") == "lorlatinib").height > 0


def test_cohorts_and_clinical_patterns_look_like_the_2022_study(
    sim: dict[str, pl.DataFrame],
) -> None:
    pts, tr, cl, les = sim["patients"], sim["treatments"], sim["clinical"], sim["lesions"]
    assert pts["site_id"].n_unique() == 6
    prior = tr.filter(pl.col("regimen").is_in(["crizotinib", "ceritinib", "brigatinib",
                                               "ensartinib", "conteltinib", "iruplinalkib"]))
    alec = tr.filter(pl.col("regimen") == "alectinib")
    naive = alec.filter(pl.col("line") == 1).height / pts.height
    assert 0.25 < naive < 0.40  # cohort 1 is 20/65 = 31 % (plus a few after chemotherapy)
    assert prior["patient_id"].n_unique() > 0.5 * pts.height
    lm = les.filter(pl.col("location") == "leptomeninges")["patient_id"].n_unique()
    assert 0.05 < lm / pts.height < 0.25  # 9/65 = 14 % in the study
    # supportive care falls after alectinib starts (study Table 5)
    first = cl.sort("visit_date").group_by("patient_id", maintain_order=True).head(2)
    base = first.group_by("patient_id").first()
    early = first.group_by("patient_id").last()
    on_steroid = lambda d: (d["corticosteroid_mg_dexamethasone_eq"] > 0).sum()  # noqa: E731
    assert on_steroid(early) < 0.5 * on_steroid(base)
    assert (base["ecog"] >= 2).mean() > (early["ecog"] >= 2).mean()  # type: ignore[operator]
    # calls-only patients: radiologist calls, no lesion rows
    calls = sim["timepoint_responses"]["patient_id"].unique()
    assert calls.len() > 0
    assert les.filter(pl.col("patient_id").is_in(calls.implode())).height == 0
    # re-biopsies carry resistance findings
    findings = set(sim["biopsies"]["finding"].drop_nulls())
    assert {"ALK G1202R", "MET amplification", "none detected"} <= findings
