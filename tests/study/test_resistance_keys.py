"""The ``[resistance]`` table of a study file: default off, every key validated with its line."""

from __future__ import annotations

import datetime as dt

import pytest

from cnsrwe.study import StudyFileError, load_study_text, starter_text

BASE = starter_text(data_cutoff=dt.date(2021, 6, 1))
GOOD = """
[resistance]
enabled = true
symptom_window_days = 7
sankey_max_steps = 2

[[resistance.comparisons]]
name = "p2"
label = "ceritinib vs other 2G"
stages = ["post_crizotinib"]
generations = ["2G"]
groups = { ceritinib = ["Zykadia"] }
others = "other 2G ALK-TKI"
"""


def _line(text: str, snippet: str) -> int:
    return text.count("\n", 0, text.index(snippet)) + 1


def _issues(extra: str) -> tuple[str, list]:
    text = BASE + extra
    with pytest.raises(StudyFileError) as err:
        load_study_text(text)
    return text, err.value.issues


def test_default_is_off_and_the_starter_loads() -> None:
    spec = load_study_text(BASE).spec
    assert spec.resistance.enabled is False
    assert spec.resistance.comparisons == ()


def test_valid_table_loads() -> None:
    rs = load_study_text(BASE + GOOD).spec.resistance
    assert rs.enabled is True
    assert rs.symptom_window_days == 7
    (c,) = rs.comparisons
    assert c.groups == {"ceritinib": ("Zykadia",)}
    assert c.events == ("cns", "symptomatic", "symptomatic_cns")


@pytest.mark.parametrize(("old", "new", "snippet", "words"), [
    ("symptom_window_days = 7", "symptom_window_days = -1", "symptom_window_days = -1",
     "`symptom_window_days` must be >= 0, got -1"),
    ("sankey_max_steps = 2", "sankey_max_steps = 0", "sankey_max_steps = 0",
     "`sankey_max_steps` must be >= 1, got 0"),
    ('["Zykadia"]', '["aspirin"]', '["aspirin"]',
     "`groups.ceritinib` entries must be ALK-TKIs of the drug vocabulary, got 'aspirin'"),
    ('stages = ["post_crizotinib"]', 'stages = ["second_line"]', '"second_line"',
     "second_line"),
    ("sankey_max_steps = 2", "sankey_max_step = 2", "sankey_max_step = 2", "sankey_max_steps"),
    ('others = "other 2G ALK-TKI"', 'others = "ceritinib"', 'others = "ceritinib"',
     "`others` must differ from the group labels"),
])
def test_bad_values_are_reported_with_their_line(old: str, new: str, snippet: str,
                                                 words: str) -> None:
    extra = GOOD.replace(old, new)
    text, issues = _issues(extra)
    hits = [i for i in issues if words in i.message]
    assert hits, [str(i) for i in issues]
    assert hits[0].line == _line(text, snippet), [str(i) for i in issues]


def test_progression_profile_must_be_a_response_profile() -> None:
    extra = GOOD.replace("enabled = true", 'enabled = true\nprogression_profile = "rano_bm"')
    text, issues = _issues(extra)
    (hit,) = [i for i in issues if "progression_profile" in i.message]
    assert hit.line == _line(text, 'progression_profile = "rano_bm"')
    assert "must name a profile of [response]" in hit.message


def test_comparison_names_must_be_unique() -> None:
    second = GOOD[GOOD.index("[[resistance.comparisons]]"):]
    _text, issues = _issues(GOOD + "\n" + second)
    assert any("`comparisons` names must be unique, got 'p2' twice" in i.message
               for i in issues), [str(i) for i in issues]
    assert all(i.line > 0 for i in issues)
