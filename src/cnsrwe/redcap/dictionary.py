"""The REDCap data dictionary of the cnsrwe project: write it, and read a project's dictionary.

The file is REDCap's "Data Dictionary" CSV (Project Setup > Data Dictionary > Upload): 18
columns with the exact header text and order below, one row per field, the record ID field
first. Choices are written ``code, label | code, label``; checkbox exports then carry one
column per option, ``<field>___<code>``. See ``docs/redcap.md`` for the project setup
(repeating instruments must be enabled by hand: the dictionary cannot carry them).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from cnsrwe.errors import SchemaError
from cnsrwe.redcap.design import FIELDS

#: The header of a REDCap data dictionary CSV, in REDCap's order.
DICTIONARY_HEADER: tuple[str, ...] = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

#: REDCap's field-name rule: lower case letter first, then lower case letters, digits and ``_``;
#: REDCap advises at most 26 characters.
FIELD_NAME_RULE = re.compile(r"^[a-z][a-z0-9_]{0,25}$")

_CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_YESNO = (("1", "Yes"), ("0", "No"))


def format_choices(choices: tuple[tuple[str, str], ...]) -> str:
    """``"1, female | 2, male"`` from ``(("1", "female"), ("2", "male"))``."""
    return " | ".join(f"{code}, {label}" for code, label in choices)


def parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    """``(code, label)`` pairs of a REDCap choices cell (``"1, female | 2, male"``).

    The code is the text before the first comma of each ``|``-separated item; both parts are
    stripped of surrounding spaces.
    """
    pairs: list[tuple[str, str]] = []
    for item in text.split("|"):
        if not item.strip():
            continue
        code, sep, label = item.partition(",")
        if not sep:
            msg = f"a choice must be written 'code, label', got {item.strip()!r}"
            raise SchemaError(msg)
        pairs.append((code.strip(), label.strip()))
    return tuple(pairs)


def dictionary_rows() -> list[dict[str, str]]:
    """The cnsrwe REDCap data dictionary as rows keyed by :data:`DICTIONARY_HEADER`."""
    rows: list[dict[str, str]] = []
    for f in FIELDS:
        row = dict.fromkeys(DICTIONARY_HEADER, "")
        row.update({
            "Variable / Field Name": f.name,
            "Form Name": f.form,
            "Field Type": f.kind,
            "Field Label": f.label,
            "Choices, Calculations, OR Slider Labels": format_choices(f.choices),
            "Field Note": f.note,
            "Text Validation Type OR Show Slider Number": f.validation,
            "Text Validation Min": f.minimum,
            "Text Validation Max": f.maximum,
            "Identifier?": "y" if f.identifier else "",
            "Branching Logic (Show field only if...)": f.branching,
            "Required Field?": "y" if f.required else "",
            "Field Annotation": f"cnsrwe column: {f.column}" if f.column else "",
        })  # fmt: skip
        rows.append(row)
    return rows


def dictionary_csv() -> str:
    """The data dictionary as CSV text (every cell quoted, as REDCap writes it)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(DICTIONARY_HEADER), quoting=csv.QUOTE_ALL, lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(dictionary_rows())
    return out.getvalue()


def write_dictionary(path: str | Path) -> Path:
    """Write the cnsrwe REDCap data dictionary to ``path`` (UTF-8 CSV) and return the path."""
    target = Path(path)
    if target.suffix.lower() != ".csv":
        msg = f"`path` must end in .csv, got {str(target)!r}"
        raise ValueError(msg)
    target.write_text(dictionary_csv(), encoding="utf-8")
    return target


@dataclass(frozen=True)
class DictionaryField:
    """One field of a project's data dictionary, as read.

    ``choices`` maps code to label (for ``yesno`` fields: ``1``/``0`` to ``Yes``/``No``).
    """

    name: str
    form: str
    kind: str
    label: str
    choices: dict[str, str]
    validation: str


@dataclass(frozen=True)
class ProjectDictionary:
    """A project's data dictionary: its fields in order (the first is the record ID field)."""

    fields: tuple[DictionaryField, ...]

    @property
    def record_id(self) -> str:
        """Name of the record ID field."""
        return self.fields[0].name

    def by_name(self) -> dict[str, DictionaryField]:
        """Fields keyed by name."""
        return {f.name: f for f in self.fields}

    @property
    def forms(self) -> tuple[str, ...]:
        """Form names in dictionary order."""
        return tuple(dict.fromkeys(f.form for f in self.fields))


def read_dictionary(path: str | Path) -> ProjectDictionary:
    """Read a REDCap data dictionary CSV (as downloaded from a project, or written by
    :func:`write_dictionary`).

    Raises
    ------
    cnsrwe.errors.SchemaError
        When the file is not a REDCap data dictionary: a missing header column, an empty
        field name, a repeated field name, or a choices cell that cannot be parsed.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read the REDCap data dictionary `{source}` ({exc})"
        raise SchemaError(msg) from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    needed = ("Variable / Field Name", "Form Name", "Field Type", "Field Label",
              "Choices, Calculations, OR Slider Labels")  # fmt: skip
    missing = [h for h in needed if h not in header]
    if missing:
        msg = (f"`{source.name}` is not a REDCap data dictionary: the header lacks "
               + ", ".join(repr(m) for m in missing) + f"; got {header[:4]!r}")  # fmt: skip
        raise SchemaError(msg)
    fields: list[DictionaryField] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        name = (row.get("Variable / Field Name") or "").strip()
        if not name:
            msg = f"`{source.name}` row {line}: the field name is empty"
            raise SchemaError(msg)
        if name in seen:
            msg = f"`{source.name}` row {line}: field `{name}` appears twice"
            raise SchemaError(msg)
        seen.add(name)
        kind = (row.get("Field Type") or "").strip()
        choices_text = row.get("Choices, Calculations, OR Slider Labels") or ""
        try:
            pairs = _YESNO if kind == "yesno" else (
                parse_choices(choices_text) if kind in _CHOICE_TYPES else ())
        except SchemaError as exc:
            msg = f"`{source.name}` row {line}, field `{name}`: {exc}"
            raise SchemaError(msg) from None
        fields.append(DictionaryField(
            name=name, form=(row.get("Form Name") or "").strip(), kind=kind,
            label=(row.get("Field Label") or "").strip(), choices=dict(pairs),
            validation=(row.get("Text Validation Type OR Show Slider Number") or "").strip(),
        ))  # fmt: skip
    if not fields:
        msg = f"`{source.name}` has no field"
        raise SchemaError(msg)
    return ProjectDictionary(tuple(fields))
