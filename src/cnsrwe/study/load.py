"""Read a study file (TOML), validate it completely, and report every problem with its line.

Validation has three layers, all run before anything is reported so a user sees every
problem at once: TOML syntax (``tomllib``), the typed model (unknown keys with a
did-you-mean hint, types, vocabularies, rules involving several fields), and cross
references (analyses naming endpoints, subgroups and cohorts that exist; facts that exist;
criteria profiles, BOR fields and statistical methods known to the installed
``cnsrwe.criteria`` / ``cnsrwe.response`` / ``cnsrwe.stats``). Lines come from
:mod:`cnsrwe.study._locate`, because ``tomllib`` keeps no positions.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnsrwe.errors import SchemaError
from cnsrwe.study._decode import DecodeFailed, Decoder, Issue, closest_hint, dotted
from cnsrwe.study._locate import PathKey, Position, locate_keys, nearest_position
from cnsrwe.study.specs import StudyFile
from cnsrwe.study.vocabulary import FACTS, METHODS


@dataclass(frozen=True)
class StudyIssue:
    """One located problem: ``line``/``column`` are 1-based (0 when unknown)."""

    line: int
    column: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class StudyFileError(SchemaError):
    """A study file is not valid; ``issues`` lists every problem with its line.

    Examples
    --------
    >>> try:
    ...     load_study_text('[study]\\ntitel = "x"\\n')
    ... except StudyFileError as err:
    ...     err.issues[0].line
    2
    """

    def __init__(self, source: str, issues: list[StudyIssue]) -> None:
        self.source = source
        self.issues = issues
        lines = [f"{source}:{i.line}:{i.column}: {i.message}" for i in issues]
        super().__init__(f"study file {source} has {len(issues)} problem(s):\n" + "\n".join(lines))


@dataclass(frozen=True)
class LoadedStudyFile:
    """A validated study file: the model, where it came from, and resolved objects."""

    spec: StudyFile
    path: Path | None
    profiles: tuple[Any, ...]
    bor_rule: Any
    notes: tuple[str, ...]

    @property
    def data_path(self) -> Path:
        """The data folder or store, resolved against the study file's folder."""
        rel = self.spec.data.folder or self.spec.data.store or "."
        base = self.path.parent if self.path is not None else Path.cwd()
        return (base / rel).resolve()


def load_study(path: str | Path) -> LoadedStudyFile:
    """Read and validate the study file at ``path`` (StudyFileError lists every problem)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as err:
        msg = f"`path` must be a readable study file, got {str(p)!r} ({err.strerror})"
        raise SchemaError(msg) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise StudyFileError(str(p), [StudyIssue(line, 0, "", "the file must be UTF-8 text,"
                                                 f" got byte {raw[err.start]:#04x}")]) from None
    return load_study_text(text, source=str(p), path=p)


def load_study_text(text: str, *, source: str = "<text>", path: Path | None = None
                    ) -> LoadedStudyFile:
    """Validate study-file ``text`` (as :func:`load_study`, without reading a file)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        line, col = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        raise StudyFileError(source, [StudyIssue(line, col, "", f"TOML syntax: {message}")]
                             ) from None
    positions = locate_keys(text)
    decoder = Decoder()
    spec: StudyFile | None = None
    with contextlib.suppress(DecodeFailed):
        spec = decoder.decode_dataclass(StudyFile, data, ())
    issues = list(decoder.issues)
    profiles: tuple[Any, ...] = ()
    bor_rule: Any = None
    notes: list[str] = []
    if spec is not None:
        issues += cross_reference_issues(spec)
        profiles, bor_rule, more, notes = _registry_checks(spec)
        issues += more
    if issues:
        located = sorted((_locate(positions, i) for i in issues),
                         key=lambda i: (i.line, i.column))
        raise StudyFileError(source, located)
    assert spec is not None
    return LoadedStudyFile(spec, path, profiles, bor_rule, tuple(notes))


def _locate(positions: dict[PathKey, Position], issue: Issue) -> StudyIssue:
    pos = nearest_position(positions, issue.path) or Position(0, 0)
    return StudyIssue(pos.line, pos.column, dotted(issue.path), issue.message)


def cross_reference_issues(spec: StudyFile) -> list[Issue]:
    """Names that must refer to something defined elsewhere in the file, or to a fact."""
    issues: list[Issue] = []
    subgroups = [s.name for s in spec.subgroups]
    cohorts = [c.name for c in spec.cohorts]
    endpoints = list(spec.endpoints)

    def ref(path: PathKey, value: str, choices: list[str], what: str) -> None:
        if value not in choices:
            issues.append(Issue(path, f"`{dotted(path)}` must name {what}"
                                f"{closest_hint(value, choices)}, got {value!r}"))

    for name, ep in spec.endpoints.items():
        if ep.kind == "response_rate" and ep.population != "all":
            bool_facts = [f for f, v in FACTS.items() if v.type == "bool"]
            ref(("endpoints", name, "population"), ep.population, ["all", *bool_facts],
                "'all' or a true/false baseline fact")
    for k, a in enumerate(spec.analyses):
        base: PathKey = ("analyses", k)
        if a.endpoint is not None:
            ref((*base, "endpoint"), a.endpoint, endpoints, "an endpoint defined in [endpoints]")
            ep = spec.endpoints.get(a.endpoint)
            if ep is not None:
                issues += _endpoint_fits(base, a.kind, ep.kind, bool(ep.competing))
        if a.by is not None and a.by != "cohort":
            ref((*base, "by"), a.by, ["cohort", *subgroups], "'cohort' or a subgroup")
        if a.by == "cohort" and not cohorts:
            issues.append(Issue((*base, "by"), "`by` = 'cohort' needs [[cohorts]], got none"))
        for key, choices, what in (("groups", subgroups, "a subgroup"),
                                   ("within", subgroups, "a subgroup"),
                                   ("cohorts", cohorts, "a cohort"),
                                   ("covariates", list(FACTS), "a baseline fact"),
                                   ("variables", list(FACTS), "a baseline fact")):
            for j, value in enumerate(getattr(a, key)):
                ref((*base, key, j), value, choices, what)
    prof = spec.resistance.progression_profile
    if prof:
        names = [p for p in spec.response.profiles if isinstance(p, str)]
        from cnsrwe.derive.pipeline import SPLIT_PAIR

        pairs = ["+".join(SPLIT_PAIR)] if set(SPLIT_PAIR) <= set(names) else []
        ref(("resistance", "progression_profile"), prof, names + pairs,
            "a profile of [response] (or the intracranial+extracranial RECIST pair)")
    return issues


def _endpoint_fits(base: PathKey, kind: str, ep_kind: str, competing: bool) -> list[Issue]:
    wanted = {"response_rate": ("response_rate",),
              "survival": ("time_to_event", "duration_of_response"),
              "cox": ("time_to_event", "duration_of_response"),
              "competing_risks": ("time_to_event",)}[kind]
    if ep_kind not in wanted:
        return [Issue((*base, "endpoint"), f"`endpoint` of a {kind} analysis must be of kind"
                      f" {' or '.join(wanted)}, got {ep_kind!r}")]
    if kind == "competing_risks" and not competing:
        return [Issue((*base, "endpoint"), "`endpoint` of a competing_risks analysis must list"
                      " `competing` events, got none")]
    return []


def _registry_checks(spec: StudyFile) -> tuple[tuple[Any, ...], Any, list[Issue], list[str]]:
    """Check names against the installed registries; a registry that cannot be imported is
    skipped with a note (never a silent pass)."""
    issues: list[Issue] = []
    notes: list[str] = []
    profiles: list[Any] = []
    try:
        from cnsrwe.criteria import CriteriaProfile, get_profile, list_profiles
    except ImportError as err:
        notes.append(f"criteria profiles not checked: cnsrwe.criteria is unavailable ({err})")
        profiles = list(spec.response.profiles)
    else:
        for k, p in enumerate(spec.response.profiles):
            path: PathKey = ("response", "profiles", k)
            try:
                profiles.append(get_profile(p) if isinstance(p, str)
                                else CriteriaProfile.from_dict(p))
            except (ValueError, TypeError) as err:
                hint = closest_hint(p, list(list_profiles())) if isinstance(p, str) else ""
                issues.append(Issue(path, f"`{dotted(path)}`: {err}{hint}"))
        covered = {c for prof in profiles for c in getattr(prof, "scope", ())}
        for name, ep in spec.endpoints.items():
            if len(profiles) == len(spec.response.profiles) and ep.compartment not in covered:
                issues.append(Issue(("endpoints", name, "compartment"), "`compartment`"
                                    f" {ep.compartment!r} is assessed by none of the profiles"
                                    f" in [response] (they cover {sorted(covered)!r})"))
    bor_rule: Any = dict(spec.response.bor)
    try:
        from cnsrwe.response import BorRule
    except ImportError as err:
        notes.append(f"BOR rule not checked: cnsrwe.response is unavailable ({err})")
    else:
        known = list(BorRule.__dataclass_fields__)
        bad = [key for key in spec.response.bor if key not in known]
        for key in bad:
            issues.append(Issue(("response", "bor", key), f"`response.bor.{key}` is not a"
                                f" BorRule field{closest_hint(key, known)}; valid keys here:"
                                f" {', '.join(known)}"))
        if not bad:
            try:
                bor_rule = BorRule(**spec.response.bor)
            except (ValueError, TypeError) as err:
                issues.append(Issue(("response", "bor"), str(err)))
    used = sorted({t for a in spec.analyses for t in a.tests})
    for method in used:
        module, attr = METHODS[method]
        try:
            mod = importlib.import_module(module)
        except ImportError:
            notes.append(f"method {method!r} not checked: {module} is not importable")
            continue
        if not hasattr(mod, attr):
            for k, a in enumerate(spec.analyses):
                if method in a.tests:
                    issues.append(Issue(("analyses", k, "tests", a.tests.index(method)),
                                        f"`tests` names {method!r}, but {module} has no"
                                        f" {attr} in this installation"))
    return tuple(profiles), bor_rule, issues, notes
