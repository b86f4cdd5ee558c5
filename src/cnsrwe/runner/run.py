"""``run_report``: a study file in, the full report out.

Writes into ``out_dir``: ``report.html`` (self-contained), ``report.docx``, ``report.xlsx``
(as the study file's ``[output].formats`` or the ``formats`` argument asks), ``figures/``
(every figure as PNG and SVG, plus PDF when asked), ``results.csv`` (every number of the
report, full precision) and ``manifest.json`` (hashes of the study file, every input file and
every output, software versions; no time stamps), so a rerun on the same inputs and software
gives byte-identical HTML, CSV, SVG and manifest.

Console output (rich progress bar, on stderr) names steps and analyses only, never patient
identifiers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cnsrwe.report import FigureBlock, FormatOptions
from cnsrwe.report.manifest import write_manifest
from cnsrwe.report.results_csv import write_results_csv
from cnsrwe.runner.document import APPENDIX_LIMIT, build_report
from cnsrwe.runner.execute import analysis_count, collect_ard, run_analyses
from cnsrwe.runner.inputs import read_inputs
from cnsrwe.runner.prepare import prepare_study
from cnsrwe.runner.resistance import resistance_results
from cnsrwe.runner.results import AnalysisResult, FigureSpec
from cnsrwe.runner.standard import quality_result
from cnsrwe.study import load_study

FORMATS = ("html", "docx", "xlsx")
FIGURE_FORMATS = ("png", "svg", "pdf")
# A larger SVG (e.g. a waterfall of thousands of bars) is shown in the HTML as its PNG (the
# SVG file is still written): inline SVG of that size makes the page slow to open.
SVG_INLINE_MAX_CHARS = 1_000_000


@dataclass(frozen=True)
class RunResult:
    """What a run wrote: ``files`` (relative to ``out_dir``), counts and wall time."""

    out_dir: Path
    files: tuple[str, ...]
    n_patients: int
    n_results: int
    n_figures: int
    seconds: float


def _check_formats(values: Sequence[str], allowed: Sequence[str], name: str) -> tuple[str, ...]:
    bad = [v for v in values if v not in allowed]
    if bad:
        msg = f"`{name}` entries must be among {list(allowed)!r}, got {bad!r}"
        raise ValueError(msg)
    return tuple(dict.fromkeys(values))


def render_figures(specs: Sequence[FigureSpec], folder: Path, *, formats: Sequence[str],
                   dpi: int) -> tuple[dict[str, FigureBlock], list[Path]]:
    """Draw each figure, save it (PNG and SVG always, for the documents; PDF if asked) and
    return the document blocks and the files written."""
    import matplotlib.pyplot as plt

    from cnsrwe.report import figures as figmod

    folder.mkdir(parents=True, exist_ok=True)
    fmts = tuple(dict.fromkeys(("png", "svg", *formats)))
    blocks: dict[str, FigureBlock] = {}
    paths: list[Path] = []
    for spec in specs:
        fig = getattr(figmod, spec.plot)(spec.data, **spec.options)
        try:
            written = figmod.save_figure(fig, folder / spec.name, formats=fmts, dpi=dpi,
                                         title=spec.caption)
        finally:
            plt.close(fig)
        paths += written
        svg = (folder / f"{spec.name}.svg").read_text(encoding="utf-8")
        blocks[spec.name] = FigureBlock(
            spec.name, spec.caption, spec.alt,
            svg=svg if len(svg) <= SVG_INLINE_MAX_CHARS else None,
            png=(folder / f"{spec.name}.png").read_bytes())
    return blocks, paths


def run_report(
    study_path: str | Path,
    out_dir: str | Path | None = None,
    *,
    formats: Sequence[str] | None = None,
    figure_formats: Sequence[str] | None = None,
    appendix_limit: int = APPENDIX_LIMIT,
    show_progress: bool = False,
) -> RunResult:
    """Run the study file at ``study_path`` and write the report to ``out_dir`` (default:
    the study file's ``[output].dir``, relative to it). Raises ``StudyFileError`` (study file
    problems with lines), ``ValidationFailed`` (data problems) or ``SchemaError``; nothing is
    written before the study file and data have loaded."""
    t0 = time.perf_counter()
    loaded = load_study(study_path)
    spec = loaded.spec
    fmts = _check_formats(formats if formats is not None else spec.output.formats, FORMATS,
                          "formats")
    ffmts = _check_formats(figure_formats if figure_formats is not None
                           else spec.output.figure_formats, FIGURE_FORMATS, "figure_formats")
    if appendix_limit < 0:
        msg = f"`appendix_limit` must be >= 0, got {appendix_limit!r}"
        raise ValueError(msg)
    out = Path(out_dir) if out_dir is not None else Path(study_path).parent / spec.output.dir
    options = FormatOptions(pct_decimals=spec.output.percent_decimals)

    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True, quiet=not show_progress)
    with Progress(console=console, transient=True, disable=not show_progress) as bar:
        task = bar.add_task("Reading data", total=None)
        inputs = read_inputs(loaded)
        bar.update(task, description="Deriving datasets and cohorts")
        prep = prepare_study(spec, inputs)
        steps = analysis_count(prep)
        bar.update(task, description="Running analyses", total=steps + 3, completed=0)
        results: list[AnalysisResult] = run_analyses(
            prep, progress=lambda name: bar.update(task, advance=1,
                                                   description=f"Analysis {name}"))
        results += resistance_results(prep, inputs)
        results.append(quality_result(prep, inputs.problems))
        ard = collect_ard(results)
        bar.update(task, description="Drawing figures")
        out.mkdir(parents=True, exist_ok=True)
        specs = [f for r in results for f in r.figures]
        blocks, fig_paths = render_figures(specs, out / "figures", formats=ffmts,
                                           dpi=spec.output.figure_dpi)
        bar.update(task, advance=1, description="Writing documents")
        report = build_report(prep, results, blocks, options=options,
                              appendix_limit=appendix_limit)
        written = [write_results_csv(ard, out / "results.csv")]
        from cnsrwe.report import write_docx, write_html, write_xlsx

        if "html" in fmts:
            written.append(write_html(report, out / "report.html"))
        if "docx" in fmts:
            written.append(write_docx(report, out / "report.docx"))
        if "xlsx" in fmts:
            written.append(write_xlsx(report, ard, out / "report.xlsx"))
        bar.update(task, advance=1, description="Writing manifest")
        outputs = sorted(written + fig_paths)
        write_manifest(out, study_file=Path(study_path).resolve(), inputs=list(inputs.files),
                       outputs=outputs, command=["cnsrwe", "report", Path(study_path).name])
        bar.update(task, advance=1)
    files = sorted(p.relative_to(out).as_posix() for p in [*outputs, out / "manifest.json"])
    return RunResult(out, tuple(files), prep.analysis_set.height, ard.height, len(specs),
                     time.perf_counter() - t0)


def results_frame(out_dir: str | Path) -> pl.DataFrame:
    """Read back the ``results.csv`` of a finished run."""
    from cnsrwe.report import read_results_csv

    return read_results_csv(Path(out_dir) / "results.csv")
