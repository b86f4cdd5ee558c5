"""Pulling a project's records export and data dictionary through the REDCap API (optional).

Uses PyCap (``pip install 'cnsrwe[redcap]'``, import name ``redcap``), a maintained REDCap
API client. The URL and the API token are read ONLY from the environment variables
``CNSRWE_REDCAP_URL`` and ``CNSRWE_REDCAP_TOKEN``: never from arguments, the command line or
files, and never written to logs, messages or the output files. The two files written are the
ones :func:`cnsrwe.redcap.read_redcap_export` reads: the records as a flat CSV with raw codes
and raw variable names, and the data dictionary with REDCap's dictionary header (the API
returns the same columns under its own names, e.g. ``field_name``; they are renamed).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnsrwe._checks import import_optional
from cnsrwe.errors import CnsrweError
from cnsrwe.redcap.dictionary import DICTIONARY_HEADER

URL_VARIABLE = "CNSRWE_REDCAP_URL"
TOKEN_VARIABLE = "CNSRWE_REDCAP_TOKEN"

#: Column names of the API's metadata export, in the order of :data:`DICTIONARY_HEADER`.
API_METADATA_COLUMNS = (
    "field_name", "form_name", "section_header", "field_type", "field_label",
    "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
    "text_validation_min", "text_validation_max", "identifier", "branching_logic",
    "required_field", "custom_alignment", "question_number", "matrix_group_name",
    "matrix_ranking", "field_annotation",
)  # fmt: skip


class RedcapApiError(CnsrweError, RuntimeError):
    """The REDCap API could not be used (missing credentials, or the server refused).

    >>> export_project("out/")  # doctest: +SKIP  (CNSRWE_REDCAP_URL not set)
    RedcapApiError: environment variable CNSRWE_REDCAP_URL is not set ...
    """


@dataclass(frozen=True)
class PulledFiles:
    """Where :func:`export_project` wrote the records export and the data dictionary."""

    records: Path
    dictionary: Path


def _credential(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        msg = (f"environment variable {name} is not set; set {URL_VARIABLE} and"
               f" {TOKEN_VARIABLE} (never pass the token on the command line)")  # fmt: skip
        raise RedcapApiError(msg)
    return value


def metadata_as_dictionary(api_csv: str) -> str:
    """The API metadata CSV rewritten with REDCap's data dictionary header."""
    rows = list(csv.DictReader(io.StringIO(api_csv)))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(DICTIONARY_HEADER)
    for row in rows:
        writer.writerow([row.get(name, "") or "" for name in API_METADATA_COLUMNS])
    return out.getvalue()


def export_project(out_dir: str | Path, *, project: Any = None) -> PulledFiles:
    """Export the records (flat CSV, raw codes) and the data dictionary of a REDCap project.

    Parameters
    ----------
    out_dir
        Folder to write ``redcap_records.csv`` and ``redcap_dictionary.csv`` into (created).
    project
        A PyCap ``Project``-like object (for tests); by default one is made from the
        environment variables ``CNSRWE_REDCAP_URL`` and ``CNSRWE_REDCAP_TOKEN``.

    Raises
    ------
    cnsrwe.errors.BackendNotAvailableError
        When PyCap is not installed (``pip install 'cnsrwe[redcap]'``).
    RedcapApiError
        When a credential is missing or the server refuses the request (the message never
        contains the token).
    """
    if project is None:
        redcap = import_optional("redcap", extra="redcap", needed_by="export_project")
        url, token = _credential(URL_VARIABLE), _credential(TOKEN_VARIABLE)
        try:
            project = redcap.Project(url, token)
        except Exception as exc:  # PyCap raises its own error types; never echo the token
            msg = f"the REDCap API refused the connection ({type(exc).__name__})"
            raise RedcapApiError(msg) from None
    try:
        records = project.export_records(format_type="csv", raw_or_label="raw")
        metadata = project.export_metadata(format_type="csv")
    except Exception as exc:
        msg = f"the REDCap API request failed ({type(exc).__name__})"
        raise RedcapApiError(msg) from None
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    files = PulledFiles(folder / "redcap_records.csv", folder / "redcap_dictionary.csv")
    files.records.write_text(str(records), encoding="utf-8")
    files.dictionary.write_text(metadata_as_dictionary(str(metadata)), encoding="utf-8")
    return files
