"""Reading, validating and loading study data (data format v1, see ``docs/data-format.md``).

Public API:

* :func:`read_study` - read a folder of CSV/Parquet files or an XLSX workbook as text tables.
* :func:`validate_study` - check everything and report every problem at once.
* :func:`load_study` - the typed tables, or :class:`~cnsrwe.errors.ValidationFailed`.
"""

from __future__ import annotations

from cnsrwe.io.loaded import LoadedStudy, SourceFile
from cnsrwe.io.problems import Problem
from cnsrwe.io.raw import RawStudy, RawTable
from cnsrwe.io.readers import read_study
from cnsrwe.io.rules import RULES, Rule
from cnsrwe.io.validate import ValidationReport, load_study, validate_study

__all__ = [
    "RULES",
    "LoadedStudy",
    "Problem",
    "RawStudy",
    "RawTable",
    "Rule",
    "SourceFile",
    "ValidationReport",
    "load_study",
    "read_study",
    "validate_study",
]
