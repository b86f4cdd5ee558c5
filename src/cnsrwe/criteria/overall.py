"""Overall timepoint response from target, non-target and new-lesion responses.

RECIST 1.1 Table 1 (target disease) and Table 2 (non-target disease only: NON-CR/NON-PD
instead of SD), Eisenhauer et al. Eur J Cancer 2009;45:228-247, re-stated in the
response-criteria spec §1.8:

* any of target PD, non-target PD, a definite new lesion -> PD;
* target NE -> NE; target CR with non-target CR or NA -> CR; target CR with non-target
  NON-CR/NON-PD or NE -> PR; target PR -> PR; target SD -> SD;
* without target disease: non-target CR -> CR, NON-CR/NON-PD -> NON-CR/NON-PD, NE -> NE;
* without any baseline disease in the compartment: the response is empty (rule
  ``none:no_baseline_disease``);
* after an overall CR at the previous timepoint, any reappearing lesion is PD (EORTC RECIST
  FAQ "Does a new lesion always result in PD?"), rule ``PD:reappearance_after_CR``.
"""

from __future__ import annotations

import polars as pl

# RECIST 1.1 Tables 1 and 2 as ordered cases (first match wins): (condition name, response,
# rule); response/rule None = passed through from the target / non-target response or the
# target rule.
_OVERALL_CASES: tuple[tuple[str, str | None, str | None], ...] = (
    ("target_pd", "PD", None),
    ("nontarget_pd", "PD", "PD:nontarget_unequivocal_progression"),
    ("new_backdated", "PD", "PD:new_lesion_confirmed_later"),
    ("new", "PD", "PD:new_lesion"),
    ("target_ne", "NE", None),
    ("target_cr_all_gone", "CR", "CR:all_disease_gone"),
    ("target_cr_nontarget_ne", "PR", "PR:target_CR_nontarget_NE"),
    ("target_cr", "PR", "PR:target_CR_nontarget_persists"),
    ("target", None, None),
    ("nontarget_cr", "CR", "CR:nontarget_gone"),
    ("nontarget_ne", "NE", "NE:nontarget_not_assessed"),
    ("nontarget", None, "NON-CR/NON-PD:nontarget_persists"),
    ("none", None, "none:no_baseline_disease"),
)  # fmt: skip
_CASE = {name: i for i, (name, _, _) in enumerate(_OVERALL_CASES)}
#: Case code of the reappearance-after-CR rule (:func:`reappearance_after_cr`), after them.
_REAPPEARED = len(_OVERALL_CASES)


def overall_response(tp: pl.DataFrame, *, reappearance: bool = False) -> pl.DataFrame:
    """RECIST 1.1 Tables 1 and 2 (spec §1.8).

    The first matching case of ``_OVERALL_CASES`` is found once as a small integer (string
    comparisons evaluated once as boolean columns); response and rule are looked up from it.
    ``reappearance``: also apply :func:`reappearance_after_cr` (rows in ``_tp`` order with
    ``_pl``), read from the same cases instead of the response text.
    """
    tr, ntr, new = pl.col("target_response"), pl.col("nontarget_response"), pl.col("new_lesion")
    flags = tp.select(
        (tr == "PD").alias("t_pd"), (tr == "NE").alias("t_ne"), (tr == "CR").alias("t_cr"),
        (ntr == "PD").alias("n_pd"), (ntr == "NE").alias("n_ne"), (ntr == "CR").alias("n_cr"),
        ntr.is_in(["CR", "NA"]).alias("n_cr_na"), (new == "YES").alias("new"),
        (pl.col("new_lesion_as_read") != "YES").alias("not_read_yes"),
        (pl.col("n_targets") > 0).alias("has_t"), (pl.col("n_nontargets") > 0).alias("has_nt"),
        *_reappearance_flags(reappearance),
    )  # fmt: skip
    f = pl.col
    conditions = (
        ("target_pd", f("t_pd")), ("nontarget_pd", f("n_pd")),
        ("new_backdated", f("new") & f("not_read_yes")), ("new", f("new")),
        ("target_ne", f("has_t") & f("t_ne")),
        ("target_cr_all_gone", f("has_t") & f("t_cr") & f("n_cr_na")),
        ("target_cr_nontarget_ne", f("has_t") & f("t_cr") & f("n_ne")),
        ("target_cr", f("has_t") & f("t_cr")), ("target", f("has_t")),
        ("nontarget_cr", f("has_nt") & f("n_cr")), ("nontarget_ne", f("has_nt") & f("n_ne")),
        ("nontarget", f("has_nt")),
    )  # fmt: skip
    chain = pl.when(conditions[0][1]).then(_CASE[conditions[0][0]])
    for name, cond in conditions[1:]:
        chain = chain.when(cond).then(_CASE[name])
    case_expr = chain.otherwise(_CASE["none"]).cast(pl.UInt32)
    if reappearance:  # one more case: the reappearance rule fires
        flags = flags.with_columns(case_expr.alias("_case"))
        case_expr = pl.when(_reappeared(pl.col("_case"))).then(_REAPPEARED).otherwise(
            pl.col("_case")
        ).cast(pl.UInt32)
    case = flags.select(case_expr).to_series()
    responses = pl.Series([r for _, r, _ in _OVERALL_CASES] + ["PD"], dtype=pl.String)
    rules = pl.Series([r for _, _, r in _OVERALL_CASES] + ["PD:reappearance_after_CR"],
                      dtype=pl.String)  # fmt: skip
    c = pl.lit(case)
    resp = (
        pl.when(c == _CASE["target"]).then(tr)
        .when(c.is_in([_CASE["nontarget_cr"], _CASE["nontarget"]])).then(ntr)
        .otherwise(pl.lit(responses).gather(c))
    )  # fmt: skip
    rule = (
        pl.when(c.is_in([_CASE["target_pd"], _CASE["target_ne"], _CASE["target"]]))
        .then(pl.col("_trule")).otherwise(pl.lit(rules).gather(c))
    )  # fmt: skip
    return tp.with_columns(resp.alias("response"), rule.alias("rule")).drop("_trule")


def _reappearance_flags(wanted: bool) -> tuple[pl.Expr, ...]:
    if not wanted:
        return ()
    tr, ntr, line = pl.col("target_response"), pl.col("nontarget_response"), pl.col("_pl")
    return (
        (tr.is_in(["PR", "SD"]).fill_null(False)
         | (ntr == "NON-CR/NON-PD").fill_null(False)).alias("reappeared"),
        tr.is_not_null().alias("t_known"), ntr.is_not_null().alias("n_known"),
        (line == line.shift(1)).fill_null(False).alias("same_line"),
    )  # fmt: skip


def _reappeared(c: pl.Expr) -> pl.Expr:
    """:func:`reappearance_after_cr`'s rule on the cases ``c``: the previous row of the line
    has an overall CR (cases ``target_cr_all_gone`` or ``nontarget_cr``; in no other case is
    the response CR), disease reappeared, and the response is known and not PD."""
    was_cr = c.is_in([_CASE["target_cr_all_gone"], _CASE["nontarget_cr"]])
    known_not_pd = (
        c.is_in([_CASE[n] for n in ("target_ne", "target_cr_all_gone",
                                    "target_cr_nontarget_ne", "target_cr", "nontarget_cr",
                                    "nontarget_ne")])
        | ((c == _CASE["target"]) & pl.col("t_known"))
        | ((c == _CASE["nontarget"]) & pl.col("n_known"))
    )  # fmt: skip
    prev_cr = pl.col("same_line") & was_cr.shift(1).fill_null(False)
    return prev_cr & pl.col("reappeared") & known_not_pd


def reappearance_after_cr(tp: pl.DataFrame) -> pl.DataFrame:
    """After an overall CR at the previous timepoint, any reappearing disease is PD."""
    # rows are in (patient_id, line, assessment_date) order: the packed key ``_tp``
    same_line = (pl.col("_pl") == pl.col("_pl").shift(1)).fill_null(False)
    prev = pl.when(same_line).then(pl.col("response").shift(1))
    reappeared = pl.col("target_response").is_in(["PR", "SD"]).fill_null(False) | (
        pl.col("nontarget_response") == "NON-CR/NON-PD"
    ).fill_null(False)
    fire = (prev == "CR").fill_null(False) & reappeared & (pl.col("response") != "PD")
    return tp.with_columns(
        pl.when(fire).then(pl.lit("PD")).otherwise(pl.col("response")).alias("response"),
        pl.when(fire).then(pl.lit("PD:reappearance_after_CR")).otherwise(pl.col("rule"))
        .alias("rule"),
    )  # fmt: skip
