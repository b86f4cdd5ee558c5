"""Target lesions: baseline selection, values used at each timepoint, and target response.

Rules (RECIST 1.1, Eisenhauer et al. 2009; RANO-BM, Lin et al. 2015):

* Measurable at baseline (§3.1.1): non-nodal longest diameter >= 10 mm (CNS: the
  profile's ``cns_min_measurable_tenths``), node short axis >= 15 mm; leptomeningeal
  disease is never measurable (§3.1.2).
* ``auto`` selection (spec §1.3 [P]): measurable lesions by descending diameter, ties by
  ``lesion_id``; a lesion is skipped when its organ already holds the per-organ cap; stop
  at the total cap. Organ = ``location`` (nodes: one organ, or by ``organ`` text).
* Value used at follow-up (§4.3.2 and spec §1.4): merged into another lesion -> 0; split ->
  sum of the fragments (``split_from``); measured -> the measurement (even below 5 mm);
  too small to measure -> 5 mm; nothing recorded -> missing.
* Target response (§4.3.1, spec §1.5): CR when every non-nodal target is 0 and every nodal
  target is below 10 mm; PD when ``100*S >= (100+pd)*nadir`` and the absolute rule holds
  (sum +5 mm, or RANO-BM: one lesion +5 mm against its value at the nadir timepoint);
  PR when ``100*S <= (100-pr)*baseline``; else SD. CR is tested first, then PD, then PR.
  With a target missing, PD if the measured lesions alone prove it, else NE (spec §1.4.7).
  The nadir is the smallest sum of the baseline and every earlier fully measured timepoint.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cnsrwe.criteria._flags import CODE, flag
from cnsrwe.criteria._prepare import one_of
from cnsrwe.criteria._runs import run_sums
from cnsrwe.criteria.profiles import CriteriaProfile

KEY = ("patient_id", "line")
TP_KEY = ("patient_id", "line", "assessment_date")


def measurable(profile: CriteriaProfile) -> pl.Expr:
    """Expression: the baseline row is measurable under ``profile``."""
    t = pl.col("_tenths")
    threshold = (
        pl.when(pl.col("_is_node")).then(profile.node_measurable_tenths)
        .when(pl.col("_cns")).then(profile.cns_min_measurable_tenths)
        .otherwise(profile.min_measurable_tenths)
    )  # fmt: skip
    return (
        t.is_not_null()
        & ~pl.col("_too_small")
        & ~one_of("location", profile.non_measurable_locations)
        & (t >= threshold)
    )


def select_targets(
    baseline: pl.DataFrame, profile: CriteriaProfile, compartment: str
) -> pl.DataFrame:
    """Add ``_target`` (bool) and ``_selection`` (reason, a code of :mod:`._flags`) to the
    baseline lesions of a scope."""
    if compartment == "intracranial":
        cap, per_organ = profile.cns_max_targets, profile.cns_max_targets_per_organ
    else:
        cap, per_organ = profile.max_targets, profile.max_targets_per_organ
    if profile.target_selection == "given":
        return baseline.with_columns(
            (pl.col("lesion_role") == "target").alias("_target"),
            pl.when(pl.col("lesion_role") == "target").then(flag("given_target"))
            .otherwise(flag("given_non_target")).cast(CODE).alias("_selection"),
        )  # fmt: skip
    organ = pl.col("location")
    if profile.node_organ_grouping == "by_organ_text":
        organ = (
            pl.when(pl.col("_is_node"))
            .then(pl.concat_str(organ, pl.lit(":"), pl.col("organ").fill_null("")))
            .otherwise(organ)
        )
    # rank the measurable lesions only: by line (_pl orders like patient_id, line), then
    # descending diameter, then lesion_id (_lc, the packed lesion code, orders like it)
    m = baseline.with_row_index("_i").filter(measurable(profile))
    line_key = m["_pl"].to_numpy()
    order = np.lexsort((m["_lc"].to_numpy(), -m["_tenths"].to_numpy(), line_key))
    line_key = line_key[order]
    n_m = line_key.size
    position = np.arange(n_m)
    new_line = np.ones(n_m, dtype=bool)
    new_line[1:] = line_key[1:] != line_key[:-1]
    eligible = np.ones(n_m, dtype=bool)
    if per_organ is not None:
        # rank within (line, organ) in the ranked order: a stable regrouping by organ code
        organ_code = m.select(organ.cast(pl.Categorical).to_physical()).to_series().to_numpy()
        organ_code = organ_code[order]
        regroup = np.lexsort((position, organ_code, line_key))
        k, o = line_key[regroup], organ_code[regroup]
        new_group = np.ones(n_m, dtype=bool)
        new_group[1:] = (k[1:] != k[:-1]) | (o[1:] != o[:-1])
        within = position - np.maximum.accumulate(np.where(new_group, position, 0))
        eligible[regroup] = within < per_organ
    # running count of eligible lesions per line (the rows are grouped by line)
    counted = np.cumsum(eligible)
    start = np.maximum.accumulate(np.where(new_line, position, 0))
    rank = counted - (counted[start] - eligible[start]) if n_m else counted
    chosen = eligible & (rank <= cap)
    selection = np.where(chosen, flag("auto_target"),
                         np.where(eligible, flag("total_cap"), flag("organ_cap")))
    rows = m["_i"].to_numpy()[order]
    n = baseline.height
    target = np.zeros(n, dtype=bool)
    target[rows] = chosen
    reason = np.full(n, flag("non_measurable"), dtype=np.uint32)
    reason[rows] = selection
    return baseline.with_columns(
        pl.Series("_target", target), pl.Series("_selection", reason, dtype=CODE)
    )


def unsplit(rows: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """The ``columns`` of the rows that are not split fragments (``_split`` false)."""
    narrow = rows.select(*columns, "_split")
    if not narrow["_split"].any():  # usually no fragments: no copy
        return narrow.drop("_split")
    return narrow.filter(~pl.col("_split")).drop("_split")


def sorted_on(df: pl.DataFrame, col: str) -> pl.DataFrame:
    """Flag ``col`` (already in ascending order) as sorted, so joins on it merge."""
    return df.with_columns(pl.col(col).set_sorted())


def lesion_grid(
    timepoints: pl.DataFrame, lesions: pl.DataFrame,
    carry: tuple[str, ...] = ("line", "assessment_date"),
) -> pl.DataFrame:
    """Every timepoint x baseline lesion of its line, sorted by the packed key ``_gk``.

    ``timepoints``: ``_tp``-sorted rows with ``line``, ``assessment_date``, ``_tp`` and
    ``_pl``; ``lesions``: baseline rows sorted by (``_pl``, ``_lc``) with ``_lc`` and
    ``_is_node`` (patient_id and lesion_id are looked up from the packed codes at the end).
    The lesion code is the lowest packed field, so ``_gk = _tp + _lc`` is the row's full
    key. ``carry``: the timepoint columns kept besides ``_tp`` and ``_pl``.
    """
    return sorted_on(timepoints.select(*carry, "_tp", "_pl"), "_pl").join(
        sorted_on(lesions.select("_pl", "_lc", "_is_node"), "_pl"), on="_pl",
        maintain_order="left_right",
    ).with_columns((pl.col("_tp") + pl.col("_lc")).set_sorted().alias("_gk"))


def target_values(
    timepoints: pl.DataFrame,
    targets: pl.DataFrame,
    followup: pl.DataFrame,
    profile: CriteriaProfile,
) -> pl.DataFrame:
    """One row per timepoint x target with ``_value`` (tenths used, null = missing) and flags.

    ``followup``: narrow rows (``_k`` sorted, ``_split``, ``_merged``, ``_slc`` = lesion code
    of ``split_from``, see ``assign_lines``); the grid is matched to them on one sorted
    UInt64 key.
    """
    grid = lesion_grid(timepoints, targets)
    own = sorted_on(unsplit(followup, "_k", "_tenths", "_too_small", "_merged"), "_k")
    frag = (
        followup.select("_tenths", "_too_small", "_tp", "_slc", "_split").filter("_split")
        .with_columns(
            pl.when(pl.col("_tenths").is_not_null()).then(pl.col("_tenths"))
            .when(pl.col("_too_small")).then(profile.too_small_tenths)
            .alias("_frag_value"),
            (pl.col("_tp") + pl.col("_slc")).alias("_fk"),
        )
        .group_by("_fk")
        .agg(pl.col("_frag_value").sum().alias("_frag_sum"), pl.len().alias("_n_fragments"))
        .sort("_fk")
    )  # fmt: skip
    g = grid.join(own, left_on="_gk", right_on="_k", how="left", maintain_order="left").join(
        sorted_on(frag, "_fk"), left_on="_gk", right_on="_fk", how="left", maintain_order="left"
    )
    merged = pl.col("_merged").fill_null(False)
    own_value = (
        pl.when(pl.col("_tenths").is_not_null()).then(pl.col("_tenths"))
        .when(pl.col("_too_small").fill_null(False)).then(profile.too_small_tenths)
    )  # fmt: skip
    value = (
        pl.when(merged).then(0)
        .when(pl.col("_frag_sum").is_not_null()).then(pl.col("_frag_sum") + own_value.fill_null(0))
        .otherwise(own_value)
    )  # fmt: skip
    flag_code = (
        pl.when(merged).then(flag("merged_into_other"))
        .when(pl.col("_frag_sum").is_not_null()).then(flag("sum_of_fragments"))
        .when(pl.col("_tenths").is_not_null()).then(flag("measured"))
        .when(pl.col("_too_small").fill_null(False)).then(flag("too_small_imputed"))
        .otherwise(flag("missing"))
    )  # fmt: skip
    return g.with_columns(
        value.cast(pl.Int64).alias("_value"), flag_code.cast(CODE).alias("_flag")
    ).select(
        "line", "assessment_date", "_tp", "_pl", "_lc", "_is_node", "_tenths",
        "_value", "_flag",
    )


def target_summary(
    values: pl.DataFrame,
    baseline_values: pl.DataFrame,
    baseline_info: pl.DataFrame,
    profile: CriteriaProfile,
) -> pl.DataFrame:
    """Per timepoint (packed key ``_tp``): sums, nadir, percentage changes, ``target_response``
    and ``_trule``.

    ``baseline_values``: ``_pl``, ``_pll`` (packed line and line-lesion keys) and ``_value``
    of each target at baseline. ``baseline_info``: ``_pl`` (packed line key), baseline_date,
    baseline_sum_tenths, one row per line with targets. ``values`` come from
    :func:`target_values` (sorted by timepoint).
    """
    node_normal = profile.node_normal_tenths
    # per timepoint: sums, missing values, and counts of rows breaking the CR conditions
    # (a missing value breaks neither, as polars' all() skips nulls)
    value, node = pl.col("_value"), pl.col("_is_node")
    per_tp = run_sums(values, "_tp", {
        "target_sum_tenths": value, "n_targets_missing": value.is_null(),
        "_nonzero": ~(node | (value == 0)), "_node_big": ~(~node | (value < node_normal)),
    }, keep=("line", "assessment_date", "_pl")).select(
        "_tp", "line", "assessment_date", "_pl", "target_sum_tenths",
        pl.col("n_targets_missing").cast(pl.get_index_type()),
        (pl.col("_nonzero") == 0).alias("_nonnode_zero"),
        (pl.col("_node_big") == 0).alias("_nodes_small"),
    )  # fmt: skip
    # evaluable sums: the baseline (first in its line: the baseline date precedes every
    # follow-up date) and every fully measured timepoint, in (line, date) order; the nadir
    # of a timepoint is the running minimum up to the previous entry, its date the latest
    # date reaching that minimum.
    base_seq = baseline_info.select(
        pl.col("_pl").alias("_s"), "_pl", pl.col("baseline_sum_tenths").alias("_e"),
        pl.col("baseline_date").alias("_e_date"), pl.lit(False).alias("_is_tp"),
    )
    tp_seq = per_tp.select(
        pl.col("_tp").alias("_s"), "_pl",
        pl.when(pl.col("n_targets_missing") == 0).then(pl.col("target_sum_tenths"))
        .alias("_e"),
        pl.col("assessment_date").alias("_e_date"), pl.lit(True).alias("_is_tp"),
    )
    # both are sorted by their packed key _s (a line's baseline key is below its timepoints')
    seq = base_seq.cast(tp_seq.schema).pipe(sorted_on, "_s").merge_sorted(
        sorted_on(tp_seq, "_s"), key="_s"
    )
    # running minimum per line in one cumulative pass: each line starts with its (non-null)
    # baseline sum; shifting line g's sums down by g * span puts them below every earlier
    # line's, so the global running minimum restarts at each line
    low, high = seq["_e"].min(), seq["_e"].max()
    span = 0 if high is None else int(high) - int(low) + 1  # type: ignore[call-overload]
    shift = (~pl.col("_is_tp")).cast(pl.Int64).cum_sum() * span
    running = ((pl.col("_e") - shift).cum_min() + shift).forward_fill()
    seq = seq.with_columns(running.alias("_run")).with_columns(
        pl.when(pl.col("_e") == pl.col("_run")).then(pl.col("_e_date")).forward_fill()
        .alias("_run_date"),
        pl.when(~pl.col("_is_tp")).then(pl.col("_e")).forward_fill().alias("_bsum"),
    ).with_columns(
        pl.col("_run").shift(1).alias("nadir_sum_tenths"),
        pl.col("_run_date").shift(1).alias("_nadir_date"),
    ).filter(pl.col("_is_tp"))
    s = per_tp.with_columns(
        seq["nadir_sum_tenths"], seq["_nadir_date"], seq["_bsum"].alias("baseline_sum_tenths")
    )
    if profile.pd_absolute_scope == "any_lesion":
        # a lesion's history, keyed by its packed line-lesion key and the date
        lesion_hist = pl.concat([
            baseline_values.join(baseline_info.select("_pl", "baseline_date"), on="_pl")
            .select("_pll", pl.col("baseline_date").alias("_nadir_date"),
                    pl.col("_value").alias("_nadir_value")),
            values.select((pl.col("_pl") + pl.col("_lc")).alias("_pll"),
                          pl.col("assessment_date").alias("_nadir_date"),
                          pl.col("_value").alias("_nadir_value")),
        ])  # fmt: skip
        grow = (
            values.select("_tp", (pl.col("_pl") + pl.col("_lc")).alias("_pll"), "_value")
            .join(s.select("_tp", "_nadir_date"), on="_tp")
            .join(lesion_hist, on=["_pll", "_nadir_date"], how="left")
            .group_by("_tp")
            .agg(
                ((pl.col("_value") - pl.col("_nadir_value")) >= profile.pd_absolute_tenths)
                .fill_null(False).any().alias("_abs_ok")
            )
        )
        s = s.join(grow, on="_tp", how="left", maintain_order="left")
        abs_rule = f"lesion_+{profile.pd_absolute_tenths / 10:g}mm"
    else:
        s = s.with_columns(
            ((pl.col("target_sum_tenths") - pl.col("nadir_sum_tenths"))
             >= profile.pd_absolute_tenths).alias("_abs_ok")
        )  # fmt: skip
        abs_rule = f"{profile.pd_absolute_tenths / 10:g}mm"
    cur, nad = pl.col("target_sum_tenths"), pl.col("nadir_sum_tenths")
    base = pl.col("baseline_sum_tenths")
    # exact integer cross-multiplication: +20 % <=> 100*S >= 120*nadir; -30 % <=> 100*S <= 70*B
    abs_ok = pl.col("_abs_ok").fill_null(False)
    pd_ok = (cur * 100 >= nad * (100 + profile.pd_increase_pct)) & abs_ok
    pr_ok = cur * 100 <= base * (100 - profile.pr_decrease_pct)
    complete = pl.col("n_targets_missing") == 0
    cr_ok = complete & pl.col("_nonnode_zero") & pl.col("_nodes_small")
    inc = f"+{profile.pd_increase_pct}%"
    # first matching case (a small integer), then response and rule looked up from it
    cases = (
        ("CR", "CR:targets_gone"), ("PD", f"PD:target_sum_{inc}_and_{abs_rule}"),
        ("PD", f"PD:measured_targets_{inc}_and_{abs_rule}"), ("NE", "NE:target_missing"),
        ("PR", f"PR:-{profile.pr_decrease_pct}%_from_baseline"), ("SD", "SD:target_sum"),
    )  # fmt: skip
    case = (
        pl.when(cr_ok).then(0).when(pd_ok & complete).then(1).when(pd_ok).then(2)
        .when(~complete).then(3).when(pr_ok).then(4).otherwise(5).cast(pl.UInt32)
    )  # fmt: skip
    resp = pl.lit(pl.Series([r for r, _ in cases], dtype=pl.String)).gather(pl.col("_case"))
    rule = pl.lit(pl.Series([r for _, r in cases], dtype=pl.String)).gather(pl.col("_case"))
    s = s.with_columns(case.alias("_case"))
    return s.with_columns(
        ((cur - base) * 100).alias("_pct_b_num"),
        ((cur - nad) * 100).alias("_pct_n_num"),
        resp.alias("target_response"),
        rule.alias("_trule"),
    ).with_columns(
        pl.when(complete & (base > 0)).then(pl.col("_pct_b_num")).alias("_pct_b_num"),
        pl.when(complete & (nad > 0)).then(pl.col("_pct_n_num")).alias("_pct_n_num"),
    ).pipe(_add_pct).select(
        "_tp", "target_sum_tenths", "baseline_sum_tenths", "nadir_sum_tenths",
        "pct_change_baseline", "pct_change_nadir", "n_targets_missing", "target_response",
        "_trule",
    )  # fmt: skip



def _add_pct(df: pl.DataFrame) -> pl.DataFrame:
    """Percentage changes as one correctly rounded IEEE division per row (numpy).

    polars' float division kernels can differ in the last bit with the row layout; numpy's
    element-wise division of exact integers does not, so results do not depend on which
    other patients are in the table.
    """
    out = {}
    for num, den, name in (("_pct_b_num", "baseline_sum_tenths", "pct_change_baseline"),
                           ("_pct_n_num", "nadir_sum_tenths", "pct_change_nadir")):
        n = df[num].cast(pl.Float64).to_numpy()
        d = df[den].cast(pl.Float64).fill_null(1.0).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = pl.Series(name, np.divide(n, d), dtype=pl.Float64, nan_to_null=True)
    return df.with_columns(**out)
