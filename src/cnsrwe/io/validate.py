"""Validating a study input and loading it: the single entry gate of ``cnsrwe.io``.

``validate_study`` reads the input (:mod:`cnsrwe.io.readers`), parses every cell
(:mod:`cnsrwe.io.parse`), runs the cross-table rules (:mod:`cnsrwe.io.rules_patients`,
:mod:`cnsrwe.io.rules_lesions`) and returns every problem at once. ``load_study`` returns the
typed tables, or raises :class:`~cnsrwe.errors.ValidationFailed` when there is any error.
The rule catalogue is :data:`cnsrwe.io.rules.RULES`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cnsrwe.errors import ValidationFailed
from cnsrwe.io.loaded import LoadedStudy, SourceFile
from cnsrwe.io.parse import INTERNAL_PREFIX, parse_table
from cnsrwe.io.problem_log import ProblemLog
from cnsrwe.io.problems import Problem
from cnsrwe.io.raw import RawStudy, RawTable
from cnsrwe.io.readers import read_study
from cnsrwe.io.rules_lesions import check_lesions
from cnsrwe.io.rules_patients import Study, check_patients
from cnsrwe.io.schema import TABLES

__all__ = ["ValidationReport", "load_study", "validate_raw_study", "validate_study"]


@dataclass(frozen=True)
class ValidationReport:
    """Everything validation found, and the loaded study when nothing blocks it.

    Attributes
    ----------
    problems : every problem, errors and warnings, in the order found (per file, per rule).
        Each rule shows at most 50 rows per column; ``totals`` has the exact counts.
    study : the typed tables when there is no error, else ``None``.
    totals : exact number of findings per ``"code|table|column"``.
    sources : where each table came from (also when validation failed).
    """

    problems: tuple[Problem, ...]
    study: LoadedStudy | None
    totals: dict[str, int] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that block the import."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems reported but not blocking."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """Whether the study has no error (warnings allowed)."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary: summary counts, exact totals per rule and the problems shown."""
        return {
            "ok": self.ok,
            "n_errors": sum(v for k, v in self.totals.items() if _is_error(k)),
            "n_warnings": sum(v for k, v in self.totals.items() if not _is_error(k)),
            "totals": dict(sorted(self.totals.items())),
            "sources": {
                name: {"path": s.path, "sheet": s.sheet, "sha256": s.sha256, "n_rows": s.n_rows}
                for name, s in self.sources.items()
            },
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON text (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _is_error(total_key: str) -> bool:
    from cnsrwe.io.rules import RULES

    return RULES[total_key.split("|", 1)[0]].severity == "error"


def validate_study(path: str | Path) -> ValidationReport:
    """Read and check a study folder or workbook, reporting every problem at once.

    Parameters
    ----------
    path
        A folder of ``<table>.csv`` / ``<table>.parquet`` files, or one ``.xlsx`` workbook
        with one sheet per table.

    Returns
    -------
    ValidationReport
        ``problems`` (errors then warnings in each file's order), and ``study`` (the typed
        tables) when there is no error.

    Examples
    --------
    >>> report = validate_study("my_study/")  # doctest: +SKIP
    >>> [p.code for p in report.errors]  # doctest: +SKIP
    ['end_before_start']
    """
    return _validate_parts(*_unpack(read_study(path)))


def validate_raw_study(raw: RawStudy) -> ValidationReport:
    """Run the checks of :func:`validate_study` on text tables that were already read.

    For readers of other sources (e.g. :mod:`cnsrwe.redcap`) that build a :class:`RawStudy`
    themselves: the tables go through exactly the same parsing and rules, and ``raw.problems``
    (errors met while reading) are reported first.
    """
    return _validate_parts(*_unpack(raw))


def _unpack(raw: RawStudy) -> tuple[
    Path, frozenset[str], dict[str, SourceFile], dict[str, RawTable], tuple[Problem, ...],
    dict[str, int],
]:  # fmt: skip
    """The parts of ``raw``, with a dict of tables of its own so each can be let go once typed."""
    return raw.path, raw.unreadable, raw.sources, dict(raw.tables), raw.problems, raw.totals


def _validate_parts(
    root: Path,
    unreadable: frozenset[str],
    sources: dict[str, SourceFile],
    pending: dict[str, RawTable],
    read_problems: tuple[Problem, ...],
    read_totals: dict[str, int],
) -> ValidationReport:
    log = ProblemLog()
    log.problems.extend(read_problems)
    log.totals.update(read_totals)
    # parse table by table, letting each text table go once typed
    typed: dict[str, pl.DataFrame] = {}
    labels: dict[str, str] = {}
    for name in TABLES:
        text_table = pending.pop(name, None)
        if text_table is not None:
            typed[name] = parse_table(text_table, log)
            labels[name] = text_table.label
        del text_table
    if typed or unreadable:
        for name, spec in TABLES.items():
            if spec.required_table and name not in typed and name not in unreadable:
                log.add(
                    "missing_table", name, str(root),
                    message=f"Required table {name} is missing.",
                    fix=f"Add {name}.csv (or a sheet named {name}) with {spec.row_is} per row.",
                )  # fmt: skip
        patients = typed.get("patients")
        if patients is not None and patients.height == 0:
            log.add(
                "no_patients", "patients", labels.get("patients", "patients"),
                message="The patients table has a header but no rows: there is nothing to import.",
                fix="Enter one row per patient (a template from `cnsrwe template` shows how).",
            )  # fmt: skip
    study = Study(typed, labels, unreadable)
    check_patients(study, log)
    check_lesions(study, log)
    problems = tuple(log.problems)
    loaded = None
    if not any(p.severity == "error" for p in problems):
        warnings = tuple(p for p in problems if p.severity == "warning")
        public = {
            name: frame.select(pl.exclude(f"^{INTERNAL_PREFIX}.*$"))
            for name, frame in typed.items()
        }
        loaded = LoadedStudy(public, sources, warnings)
    return ValidationReport(problems, loaded, dict(log.totals), sources)


def load_study(path: str | Path) -> LoadedStudy:
    """Validate a study input and return its typed tables.

    Raises
    ------
    cnsrwe.errors.ValidationFailed
        When validation finds any error; ``.problems`` holds every problem found.
    """
    report = validate_study(path)
    if report.study is None:
        n = len(report.errors)
        first = report.errors[0]
        msg = (
            f"The study at `{path}` has {n} error(s) (shown per rule, capped); first:"
            f" {first.location()}: {first.message} Run `cnsrwe validate` to see them all."
        )
        raise ValidationFailed(msg, report.problems)
    return report.study
