"""REDCap: the project's data dictionary, reading records exports, and an optional API pull.

Public API:

* :func:`write_dictionary` - the REDCap data dictionary CSV of the cnsrwe data format.
* :func:`read_dictionary` - a project's data dictionary, for decoding an export.
* :func:`read_redcap_export` / :func:`validate_redcap_export` / :func:`load_redcap_export` -
  a records CSV export as the data format's tables, through the standard validation.
* :func:`cnsrwe.redcap.api.export_project` - pull the export and dictionary through the API
  (needs the ``redcap`` extra: ``pip install 'cnsrwe[redcap]'``).
"""

from __future__ import annotations

from cnsrwe.redcap.design import FIELDS, INSTRUMENTS, RECORD_ID, FieldSpec, Instrument
from cnsrwe.redcap.dictionary import (
    DICTIONARY_HEADER,
    ProjectDictionary,
    dictionary_csv,
    read_dictionary,
    write_dictionary,
)
from cnsrwe.redcap.export_reader import (
    REDCAP_PROBLEMS,
    load_redcap_export,
    read_redcap_export,
    validate_redcap_export,
)

__all__ = [
    "DICTIONARY_HEADER",
    "FIELDS",
    "INSTRUMENTS",
    "RECORD_ID",
    "REDCAP_PROBLEMS",
    "FieldSpec",
    "Instrument",
    "ProjectDictionary",
    "dictionary_csv",
    "load_redcap_export",
    "read_dictionary",
    "read_redcap_export",
    "validate_redcap_export",
    "write_dictionary",
]
