"""Every error path of the study-file loader, with the reported line (and column) asserted.

Each case edits the valid starter file; the expected line is found by locating the edited
text in the result, so the test checks that the loader points at the offending line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cnsrwe.errors import SchemaError
from cnsrwe.study import StudyFileError, load_study, load_study_text, starter_text

BASE = starter_text(data_cutoff=dt.date(2021, 6, 1))


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    start = -1
    for _ in range(occurrence):
        start = text.index(snippet, start + 1)
    return text.count("\n", 0, start) + 1


def edit(old: str, new: str, occurrence: int = 1) -> str:
    assert BASE.count(old) >= occurrence, old
    head, sep, tail = "", "", BASE
    for _ in range(occurrence - 1):
        h, s, tail = tail.partition(old)
        head, sep = head + h + s, ""
    h, s, t = tail.partition(old)
    return head + sep + h + new + t


def problems(text: str) -> list:
    with pytest.raises(StudyFileError) as info:
        load_study_text(text, source="study.toml")
    return info.value.issues


# (id, old, new, occurrence, snippet marking the expected line, its occurrence, fragment)
CASES = [
    ("unknown top-level key", "format_version = 1", "format_version = 1\ntitle = 'x'", 1,
     "title = 'x'", 1, "`title` is not a valid key"),
    ("typo in [study] with hint", "data_cutoff = 2021", "data_cutof = 2021", 1,
     "data_cutof =", 1, "did you mean `data_cutoff`?"),
    ("typo in array of tables", 'quantifier = "any"', 'quantifer = "any"', 1,
     "quantifer", 1, "`cohorts[1].prior_lines[0].quantifer` is not a valid key"),
    ("typo inside inline table", 'match = { agent_class_in = ["alk_tki"] }',
     'match = { agent_clas_in = ["alk_tki"] }', 1, "agent_clas_in", 1,
     "did you mean `agent_class_in`?"),
    ("wrong type", "imaging_window_days = 28", 'imaging_window_days = "28"', 1,
     "imaging_window_days", 1, "must be a whole number, got a string"),
    ("date as string", "data_cutoff = 2021-06-01", 'data_cutoff = "2021-06-01"', 1,
     "data_cutoff", 1, "must be a date (YYYY-MM-DD, unquoted)"),
    ("bad literal with hint", 'quantifier = "none"', 'quantifier = "nome"', 1,
     "quantifier", 1, "did you mean `none`?"),
    ("vocabulary of agent classes", 'match = { agent_class_in = ["alk_tki"] }',
     'match = { agent_class_in = ["alk-tki"] }', 1, '"alk-tki"', 1,
     "entries must be one of"),
    ("missing required key reported at its table", 'label = "ALK-TKI-naive"\n', "", 1,
     "[[cohorts]]", 1, "`cohorts[0].label` is required but missing"),
    ("unknown fact with hint", 'fact = "cns_symptoms", equals = true',
     'fact = "cns_symptom", equals = true', 1, 'fact = "cns_symptom"', 1,
     "did you mean `cns_symptoms`?"),
    ("two tests in one condition", 'when = { fact = "n_brain_mets", min = 4 }',
     'when = { fact = "n_brain_mets", min = 4, equals = 2 }', 1, "when = { fact = \"n_brain", 1,
     "needs exactly one test"),
    ("equals of the wrong type", 'when = { fact = "cns_symptoms", equals = true }',
     'when = { fact = "cns_symptoms", equals = "yes" }', 1, '"yes"', 1,
     "`equals` must be a bool value"),
    ("min/max on a boolean fact", 'when = { fact = "cns_symptoms", equals = true }',
     'when = { fact = "cns_symptoms", min = 1 }', 1, 'min = 1 }', 1, "need a numeric fact"),
    ("duplicate cohort name", 'name = "tki_pretreated"', 'name = "tki_naive"', 1,
     'name = "tki_naive"', 2, "names must be unique"),
    ("rule name not snake case", 'name = "tki_naive"', 'name = "TKI naive"', 1,
     'name = "TKI naive"', 1, "lower snake case"),
    ("analysis names a missing endpoint", 'endpoint = "pfs"', 'endpoint = "pfss"', 1,
     'endpoint = "pfss"', 1, "(did you mean `pfs`?)"),
    ("analysis names a missing subgroup", 'groups = ["symptomatic", "asymptomatic"]',
     'groups = ["symptomatic", "asymptomatc"]', 1, '"asymptomatc"', 1,
     "`analyses[2].groups[1]` must name a subgroup"),
    ("population must be a boolean fact", 'population = "measurable_cns"',
     'population = "n_brain_mets"', 1, 'population = "n_brain', 1,
     "must name 'all' or a true/false baseline fact"),
    ("unknown criteria profile", '"recist11"]', '"recist12"]', 1, '"recist12"', 1,
     "did you mean `recist11`?"),
    ("BOR field typo", "sd_min_days = 42", "sd_min_day = 42", 1, "sd_min_day", 1,
     "not a BorRule field (did you mean `sd_min_days`?)"),
    ("BOR value rejected by BorRule", "sd_min_days = 42", "sd_min_days = -1", 1,
     "[response.bor]", 1, "`sd_min_days` must be a whole number"),
    ("unknown statistical method", 'tests = ["gray"]', 'tests = ["grey"]', 1, '"grey"', 1,
     "(did you mean `gray`?)"),
    ("method not suited to the analysis kind", 'tests = ["mcnemar"]', 'tests = ["logrank"]', 1,
     'tests = ["logrank"]', 1, "`tests` for kind 'paired_before_after' must be among"),
    ("competing-risks analysis without competing events", 'competing = ["death"]', "", 1,
     'endpoint = "cns_ttp"', 1, "must list `competing` events"),
    ("folder and store both given", '# store = "study.cnsrwe"', 'store = "study.cnsrwe"', 1,
     "[data]", 1, "give exactly one of `data.folder` or `data.store`"),
    ("nth occurrence without n", 'occurrence = "first"', 'occurrence = "nth"', 1,
     "[index]", 1, "`index.n` must be a whole number >= 1"),
    ("conf_level outside (0, 1)", 'population = "any_cns"',
     'population = "any_cns"\nconf_level = 1.5', 1, "conf_level", 1,
     "`conf_level` must be in (0, 1), got 1.5"),
    ("compartment without a profile", '["recist11_intracranial", "recist11_extracranial", '
     '"recist11"]', '["recist11_intracranial", "recist11"]', 1, 'compartment = "extracranial"',
     1, "is assessed by none of the profiles"),
    ("OS censoring only for death", 'events = ["progression", "death"]',
     'events = ["progression", "death"]\ncensor_at = "last_known_alive"', 1,
     'censor_at = "last_known_alive"', 1, "is for overall survival"),
    ("array where a table is needed", 'match = { agents_any = ["alectinib"] }',
     'match = ["alectinib"]', 1, 'match = ["alectinib"]', 1, "must be a table, got an array"),
]


@pytest.mark.parametrize(("old", "new", "occ", "marker", "marker_occ", "fragment"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_names_the_line(old: str, new: str, occ: int, marker: str, marker_occ: int,
                              fragment: str) -> None:
    text = edit(old, new, occ)
    issues = problems(text)
    expected_line = line_of(text, marker, marker_occ)
    hits = [i for i in issues if fragment in i.message]
    assert hits, [i.message for i in issues]
    assert hits[0].line == expected_line, (hits[0], expected_line)


def test_column_points_at_key_inside_inline_table() -> None:
    text = edit('match = { agent_class_in = ["alk_tki"] }',
                'match = { agent_clas_in = ["alk_tki"] }')
    (issue,) = problems(text)
    line = text.splitlines()[issue.line - 1]
    assert issue.column == line.index("agent_clas_in") + 1
    assert issue.key == "cohorts[0].prior_lines[0].match.agent_clas_in"


def test_all_problems_reported_at_once_in_line_order() -> None:
    text = edit("imaging_window_days = 28", 'imaging_window_days = "28"')
    text = text.replace('quantifier = "any"', 'quantifer = "any"')
    text = text.replace("format_version = 1", "format_version = 2")
    issues = problems(text)
    lines = [i.line for i in issues]
    assert lines == sorted(lines)
    assert len(issues) == 4
    assert issues[0].message == "`format_version` must be one of [1], got 2"
    assert "imaging_window_days" in issues[-1].message


def test_syntax_error_line_from_tomllib() -> None:
    text = BASE.replace('title = "My CNS', 'title = My CNS')
    (issue,) = problems(text)
    assert issue.line == line_of(text, "title = My CNS")
    assert issue.message.startswith("TOML syntax:")


def test_error_message_lists_file_line_and_column() -> None:
    text = edit("data_cutoff = 2021", "data_cutof = 2021")
    with pytest.raises(StudyFileError, match=r"study\.toml:\d+:1: `study\.data_cutof`"):
        load_study_text(text, source="study.toml")


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="`path` must be a readable study file"):
        load_study(tmp_path / "absent.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'format_version = 1\n[study]\ntitle = "Caf\xe9"\n')
    with pytest.raises(StudyFileError) as info:
        load_study(bad)
    assert info.value.issues[0].line == 3
    assert "UTF-8" in info.value.issues[0].message


def test_valid_file_raises_nothing_and_is_frozen() -> None:
    loaded = load_study_text(BASE)
    with pytest.raises(AttributeError):
        loaded.spec.study.title = "x"  # type: ignore[misc]


# (id, old, new, snippet marking the expected line, fragment); first occurrences only
MORE = [
    ("index site rule", 'match = { agents_any = ["alectinib"] }',
     'match = { agents_any = ["alectinib"], progression_site_in = ["BOTH"] }',
     'progression_site_in = ["BOTH"]', "is not allowed: the index"),
    ("index dates reversed", "# start_to = 2020-12-31",
     "start_from = 2020-01-01\nstart_to = 2019-12-31", "start_to = 2019", "on or after"),
    ("n without nth", 'occurrence = "first"', 'occurrence = "first"\nn = 2', "n = 2",
     "only used with occurrence = 'nth'"),
    ("min_count without any", 'quantifier = "none"', 'quantifier = "none"\nmin_count = 2',
     "min_count = 2", "only used with quantifier 'any'"),
    ("site rule in among", 'quantifier = "any"\nmatch',
     'quantifier = "any"\namong = { progression_site_in = ["BOTH"] }\nmatch',
     "among = {", "put progression sites under `match`"),
    ("empty any_of", 'when = { fact = "cns_symptoms", equals = true }',
     "when = { any_of = [] }", "any_of = []", "must list at least one condition"),
    ("test without fact", 'when = { fact = "cns_symptoms", equals = true }',
     "when = { equals = true }", "when = { equals", "exactly one of `fact`"),
    ("endpoint name not snake case", "[endpoints.pfs]", "[endpoints.PFS]", "[endpoints.PFS]",
     "lower snake case"),
    ("events on a response rate", 'population = "measurable_cns"',
     'population = "measurable_cns"\nevents = ["death"]', 'events = ["death"]',
     "only used by time-to-event"),
    ("responses on a time-to-event endpoint", 'competing = ["death"]',
     'competing = ["death"]\nresponses = ["CR"]', 'responses = ["CR"]',
     "only used by response_rate"),
    ("event both counted and competing", 'competing = ["death"]',
     'competing = ["death", "cns_progression"]', 'competing = ["death", "cns',
     "must not repeat an event"),
    ("DOR from day 0", 'origin = "first_response"', 'origin = "index_start"',
     'origin = "index_start"', "must be 'first_response'"),
    ("negative death window", "death_window_days = 112", "death_window_days = -1",
     "death_window_days = -1", "`death_window_days` must be >= 0"),
    ("unknown event", 'events = ["cns_progression"]', 'events = ["cns_progresion"]',
     '"cns_progresion"', "did you mean `cns_progression`?"),
    ("survival analysis on a rate endpoint", 'endpoint = "pfs"', 'endpoint = "ic_orr"',
     'endpoint = "ic_orr"\ngroups', "must be of kind time_to_event or duration_of_response"),
    ("a single group", 'groups = ["symptomatic", "asymptomatic"]', 'groups = ["symptomatic"]',
     'groups = ["symptomatic"]', "at least two subgroups"),
    ("by and groups", 'groups = ["symptomatic", "asymptomatic"]',
     'groups = ["symptomatic", "asymptomatic"]\nby = "cohort"', "groups = [\"symptomatic\", \"a",
     "give `by` or `groups`, not both"),
    ("paired without after_days", "after_days = [14, 28]\n", "", "[[analyses]]\nname = \"ster",
     "`after_days` = [from, to]"),
    ("after_days of three values", "after_days = [14, 28]", "after_days = [14, 28, 42]",
     "after_days = [14, 28, 42]", "must be an array of 2 values, got 3"),
    ("after_days reversed", "after_days = [14, 28]", "after_days = [28, 14]",
     "after_days = [28, 14]", "0 <= from <= to"),
    ("times on a rate analysis", 'tests = ["binomial_ci"]',
     'tests = ["binomial_ci"]\ntimes_months = [12]', "times_months = [12]",
     "only used by survival"),
    ("variable that is not a fact", 'variables = ["steroids_or_mannitol"]',
     'variables = ["steroid_or_mannitol"]', '"steroid_or_mannitol"',
     "did you mean `steroids_or_mannitol`?"),
    ("endpoint on a paired analysis", 'within = ["symptomatic"]',
     'within = ["symptomatic"]\nendpoint = "os"', 'endpoint = "os"', "is not used by kind"),
    ("unknown cohort in an analysis", 'by = "cohort"\ntests = ["binomial_ci"]',
     'by = "cohort"\ncohorts = ["tki_naif"]\ntests = ["binomial_ci"]', '"tki_naif"',
     "did you mean `tki_naive`?"),
    ("unknown output format", 'formats = ["html", "xlsx"]', 'formats = ["html", "pdf"]',
     '"pdf"]', "must be one of ['html', 'docx', 'xlsx']"),
    ("percent decimals out of range", 'time_unit = "months"',
     'time_unit = "months"\npercent_decimals = 9', "percent_decimals", "must be in 0..4"),
    ("negative baseline window", "clinical_window_days = 14", "clinical_window_days = -3",
     "clinical_window_days", "`clinical_window_days` must be >= 0"),
    ("empty profile list", '["recist11_intracranial", "recist11_extracranial", "recist11"]',
     "[]", "profiles = []", "must name at least one criteria profile"),
    ("profile given as a number", '"recist11"]', "11]", "11]", "a profile name or an inline"),
    ("inline profile with a bad field", '"recist11"]', '{ base = "recist11", max_target = 3 }]',
     "{ base", "`max_target` is not a CriteriaProfile field"),
    ("policy typo", 'on_multiple = "unassigned"', 'on_multiple = "first_listd"', "on_multiple",
     "(did you mean `first_listed`?)"),
]


@pytest.mark.parametrize(("old", "new", "marker", "fragment"), [c[1:] for c in MORE],
                         ids=[c[0] for c in MORE])
def test_more_error_paths(old: str, new: str, marker: str, fragment: str) -> None:
    text = edit(old, new)
    issues = problems(text)
    hits = [i for i in issues if fragment in i.message]
    assert hits, [i.message for i in issues]
    assert hits[0].line == line_of(text, marker), (hits[0], line_of(text, marker))
