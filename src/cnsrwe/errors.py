"""The cnsrwe exception and warning tree.

Every leaf also subclasses the matching built-in, so ``except ValueError`` keeps working
for callers that do not know cnsrwe's classes.
"""

from __future__ import annotations

from typing import Any


class CnsrweError(Exception):
    """Base class of every error cnsrwe raises on purpose."""


class SchemaError(CnsrweError, ValueError):
    """An input table does not match the study data format.

    Examples
    --------
    A ``patients`` table without a ``patient_id`` column raises this error.
    """


class ValidationFailed(CnsrweError, ValueError):
    """Validation found one or more errors; ``.problems`` lists every one of them.

    Examples
    --------
    Importing a folder whose ``treatments.csv`` has ``end_date`` before ``start_date`` raises
    this error and leaves the study store unchanged.
    """

    def __init__(self, message: str, problems: Any) -> None:
        super().__init__(message)
        self.problems = problems


class StoreError(CnsrweError, RuntimeError):
    """The study store cannot be opened, written or read as asked.

    Examples
    --------
    Opening a file that is not a cnsrwe study (no metadata table) raises this error.
    """


class CriteriaError(CnsrweError, ValueError):
    """A response-criteria profile or rule is inconsistent, or a response code is unknown.

    Examples
    --------
    ``BorRule(confirm_min_days=-1)`` raises this error.
    """


class DataQualityError(CnsrweError, ValueError):
    """Data that are valid in form but clinically inconsistent; ``.rows`` holds the offending keys.

    Examples
    --------
    A CR followed by a PR in one patient, with ``check_type="error"``.
    """

    def __init__(self, message: str, rows: Any = None) -> None:
        super().__init__(message)
        self.rows = rows


class ConvergenceError(CnsrweError, RuntimeError):
    """An iterative fit (Cox, Firth, logistic propensity) did not converge.

    Examples
    --------
    A Newton-Raphson Cox fit that exceeds ``max_iter`` without meeting its tolerance.
    """


class BackendNotAvailableError(CnsrweError, ImportError):
    """An optional extra (pyspark, a REDCap client) is needed but not installed.

    Examples
    --------
    ``cnsrwe derive --engine spark`` without ``pip install 'cnsrwe[spark]'``.
    """


class CnsrweWarning(UserWarning):
    """Base class of every warning cnsrwe emits."""


class DataQualityWarning(CnsrweWarning):
    """Data that are valid in form but worth a look; ``.rows`` holds the offending keys."""

    def __init__(self, message: str, rows: Any = None) -> None:
        super().__init__(message)
        self.rows = rows


class StatisticalWarning(CnsrweWarning):
    """A fit or test result that needs care (monotone likelihood, sparse cells, ...)."""
