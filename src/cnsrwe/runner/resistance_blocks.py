"""The report section "Resistance and treatment sequences" from the results of
:mod:`cnsrwe.runner.resistance` (numbers read back from their ARD rows; figures as rendered).

Order: lines of therapy; one progression-incidence table per ``[[resistance.comparisons]]``
(Fisher's exact test, with Pearson's chi-square beside it, labelled); oligo-progression and
local therapy; subsequent therapy after 2G failure; the treatment-sequence sankey; re-biopsy
mechanisms with the sunburst; the knowledge-base findings table with its notice (research use,
never treatment advice); survival after 2G failure by ALK mutation status.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from cnsrwe.report import FigureBlock, FormatOptions, Paragraph, Section, TableBlock
from cnsrwe.report.format import fmt_int, fmt_n_pct, fmt_number, fmt_p
from cnsrwe.runner import assemble as asm
from cnsrwe.runner.assemble_tables import simple_table
from cnsrwe.runner.resistance import EVENT_LABELS, STAGE_WORDS
from cnsrwe.runner.results import AnalysisResult

TITLE = "Resistance and treatment sequences"
Block = Paragraph | TableBlock | FigureBlock


def _values(r: AnalysisResult, analysis: str) -> dict[tuple[str, str, str], float]:
    """(group, parameter, statistic) -> value of one ARD analysis."""
    a = r.ard.filter(pl.col("analysis") == analysis)
    return {(g, p, s): v for g, p, s, v in a.select("group", "parameter", "statistic",
                                                    "value").iter_rows()}


def _n_of(events: float | None, n: float | None, opt: FormatOptions) -> str:
    if events is None or not n:
        return "–"
    return f"{fmt_int(events, options=opt)}/{fmt_n_pct(n, events / n, options=opt)}"


def _lines_block(r: AnalysisResult, opt: FormatOptions) -> Block:
    v = _values(r, "alk_tki_lines")
    rows = []
    for rec in r.extra["table"].iter_rows(named=True):
        g = f"{rec['sequence_stage']} / {rec['alk_generation']} / {rec['alk_tki']}"
        rows.append((STAGE_WORDS.get(rec["sequence_stage"], rec["sequence_stage"]),
                     rec["alk_generation"] or "", rec["alk_tki"],
                     fmt_int(v[(g, "", "n_lines")], options=opt),
                     fmt_int(v[(g, "", "n_patients")], options=opt)))
    return simple_table("resistance_lines", r.title,
                        ("Sequence stage", "Generation", "ALK-TKI", "Lines", "Patients"), rows,
                        ["Sequence stage from the ALK-TKIs of earlier lines (docs/resistance.md"
                         "); generation of a line = highest among its ALK-TKIs."])


def _comparison_block(r: AnalysisResult, opt: FormatOptions) -> Block:
    groups = list(r.extra["groups"])
    rows = []
    for event in r.extra["events"]:
        v = _values(r, f"progression_incidence_{event}")
        pearson, yates = ({(g, p): x for (g, p, s), x in _values(r, a).items()
                           if s == "p_value"} for a in ("chi_square", "chi_square_yates"))
        for stratum in r.extra["tables"][event]["stratum"].unique(maintain_order=True):
            cells = [_n_of(v.get((f"{stratum} / {g}", event, "events")),
                           v.get((f"{stratum} / {g}", event, "n")), opt) for g in groups]
            p = next((x for (g, p_, s), x in v.items() if s == "p_value" and p_ == event
                      and g.startswith(f"{stratum} / ") and x is not None), None)
            rows.append((EVENT_LABELS[event], stratum, *cells, fmt_p(p, options=opt),
                         fmt_p(pearson.get((stratum, event)), options=opt),
                         fmt_p(yates.get((stratum, event)), options=opt)))
    return simple_table(
        "resistance_" + r.population.rsplit("/", 1)[1], r.title,
        ("Event", "Stratum", *groups, "Fisher p", "Pearson χ² p", "χ² p (Yates)"), rows,
        ["Events / progressed lines (%). A line whose event cannot be decided is left out of "
         "the denominator. Fisher's exact test (two-sided) is the test used; Pearson's "
         "chi-square (without and, for 2 x 2 tables, with Yates' correction) is shown beside "
         "it because published papers name it. Baseline CNS metastases: a CNS lesion on the "
         "line's baseline scan."])


def _oligo_blocks(r: AnalysisResult, opt: FormatOptions) -> list[Block]:
    inc = _values(r, "progression_incidence_oligo")
    loc = _values(r, "local_therapy_use")
    rows = []
    for g in r.extra["local"]["group"].to_list():
        months = loc.get((g, "", "median_months_added"))
        rows.append((g, fmt_int(loc[(g, "", "n_progressed")], options=opt),
                     _n_of(inc.get((f"all / {g}", "oligo", "events")),
                           inc.get((f"all / {g}", "oligo", "n")), opt),
                     _n_of(loc[(g, "", "n_oligo_local")], loc[(g, "", "n_oligo")], opt),
                     fmt_number(months, opt.decimals, options=opt)))
    p = next((x for (g, _p, s), x in inc.items() if s == "p_value" and g.startswith("all / ")
              and x is not None), None)
    return [simple_table("resistance_oligo", r.title,
                         ("ALK-TKI line", "Progressed", "Oligo-progression",
                          "Local therapy for oligo-progression",
                          "Median months on drug after local therapy"), rows,
                         ["Oligo-progression: 1-3 progressing lesions. Local therapy: radio"
                          "therapy or surgery of the line started on or after the progression "
                          f"date. Fisher's exact test across lines: p = {fmt_p(p, options=opt)}."]
                         )]


def _subsequent_block(r: AnalysisResult, opt: FormatOptions) -> Block:
    v = _values(r, "subsequent_therapy_after_2g")
    tab = r.extra["table"]
    groups = tab["group"].unique(maintain_order=True).to_list()
    rows = [(item, *[_n_of(v.get((f"{item} / {g}", "", "yes")),
                           v.get((f"{item} / {g}", "", "n")), opt) for g in groups])
            for item in tab["item"].unique(maintain_order=True).to_list()]
    return simple_table("resistance_subsequent", r.title,
                        ("", *[STAGE_WORDS.get(g, g) for g in groups]), rows,
                        ["Groups: sequence stage of the first 2G ALK-TKI line that progressed."])


def _mechanism_block(r: AnalysisResult, opt: FormatOptions) -> Block:
    v = _values(r, "rebiopsy_mechanism")
    rows = [(rec["specimen"], rec["mechanism_class"].replace("_", " "),
             fmt_int(v[(f"{rec['specimen']} / {rec['mechanism_class']}", "", "n")],
                     options=opt))
            for rec in r.extra["table"].iter_rows(named=True)]
    return simple_table("resistance_mechanisms", r.title, ("Specimen", "Mechanism", "Samples"),
                        rows, ["One sample = patient x biopsy date x specimen; classes and "
                               "grammar in docs/resistance.md."])


def _findings_blocks(r: AnalysisResult) -> list[Block]:
    rows = [(str(rec["patient_id"]), str(rec["biopsy_date"]), rec["specimen"],
             rec["kb_query"], ", ".join(rec["inhibitors_reported_active"] or []) or "none",
             rec["sources"] or "no verified direct evidence")
            for rec in r.extra["rows"].iter_rows(named=True)]
    out: list[Block] = [Paragraph(r.extra["notice"])]
    if rows:
        out.append(simple_table("resistance_findings", r.title,
                                ("Patient", "Biopsy date", "Specimen", "ALK mutation(s)",
                                 "Inhibitors reported active", "Sources (verification)"),
                                rows, ["Knowledge-base evidence (cnsrwe.resistance); a compound"
                                       " is matched only by rows about that compound. "
                                       + r.extra["notice"]]))
    else:
        out.append(Paragraph("No re-biopsy sample shows an ALK kinase-domain mutation."))
    return out


def resistance_section(results: list[AnalysisResult], figures: Mapping[str, FigureBlock],
                       opt: FormatOptions) -> Section | None:
    """The section, or ``None`` when the study file did not enable it."""
    mine = {r.population: r for r in results if r.kind in ("resistance",
                                                           "resistance_survival")}
    if not mine:
        return None
    blocks: list[Block] = [_lines_block(mine["resistance/lines"], opt)]
    for pop, r in mine.items():
        if pop.startswith("resistance/incidence/"):
            blocks.append(_comparison_block(r, opt))
    blocks += _oligo_blocks(mine["resistance/oligo_local"], opt)
    blocks.append(_subsequent_block(mine["resistance/subsequent"], opt))
    blocks += asm._figs(mine["resistance/sequences"], figures)
    if "resistance/rebiopsy" in mine:
        blocks.append(_mechanism_block(mine["resistance/rebiopsy"], opt))
        blocks += asm._figs(mine["resistance/rebiopsy"], figures)
        blocks += asm._notes(mine["resistance/rebiopsy"])
        blocks += _findings_blocks(mine["resistance/findings"])
    for r in mine.values():
        if r.kind == "resistance_survival":
            blocks += asm.survival_blocks(r, figures, opt)
    return Section(TITLE, tuple(blocks))
