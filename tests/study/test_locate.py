"""The TOML key locator: every key, header and array element gets its own line/column."""

from __future__ import annotations

import tomllib

from cnsrwe.study._locate import Position, locate_keys, nearest_position

DOC = '''# comment with [brackets] and key = "value"
top = 1
[study]
title = "a # not a comment"   # a comment
"quoted key" = 'literal [x]'
a.b.c = 2
notes = """first line
[not_a_table]
x = 3"""

[[cohorts]]
name = "one"
[[cohorts.prior_lines]]
quantifier = "none"
match = { agents_any = ["x", "y"], inner = { deep = true } }

[[cohorts]]
name = "two"
[[cohorts.prior_lines]]
quantifier = "any"
[[cohorts.prior_lines]]
quantifier = "last"
values = [
  1,   # one
  [2, 3],
  { k = "v" },
]
[cohorts.extra]
z = 2021-06-01
'''


def test_document_is_valid_toml() -> None:
    tomllib.loads(DOC)


def test_positions_of_plain_dotted_and_quoted_keys() -> None:
    pos = locate_keys(DOC)
    assert pos[("top",)] == Position(2, 1)
    assert pos[("study",)] == Position(3, 1)
    assert pos[("study", "title")] == Position(4, 1)
    assert pos[("study", "quoted key")] == Position(5, 1)
    assert pos[("study", "a", "b", "c")] == Position(6, 5)
    assert pos[("study", "notes")] == Position(7, 1)
    # lines inside a multi-line string are not keys or tables
    assert ("not_a_table",) not in pos
    assert ("study", "x") not in pos


def test_positions_inside_arrays_of_tables_and_inline_tables() -> None:
    pos = locate_keys(DOC)
    assert pos[("cohorts", 0)] == Position(11, 1)
    assert pos[("cohorts", 0, "name")] == Position(12, 1)
    assert pos[("cohorts", 0, "prior_lines", 0, "quantifier")] == Position(14, 1)
    line = DOC.splitlines()[14]
    assert pos[("cohorts", 0, "prior_lines", 0, "match", "agents_any")] == Position(
        15, line.index("agents_any") + 1
    )
    assert pos[("cohorts", 0, "prior_lines", 0, "match", "agents_any", 1)] == Position(
        15, line.index('"y"') + 1
    )
    assert pos[("cohorts", 0, "prior_lines", 0, "match", "inner", "deep")] == Position(
        15, line.index("deep") + 1
    )
    assert pos[("cohorts", 1, "name")] == Position(18, 1)
    assert pos[("cohorts", 1, "prior_lines", 0, "quantifier")] == Position(20, 1)
    assert pos[("cohorts", 1, "prior_lines", 1, "quantifier")] == Position(22, 1)
    assert pos[("cohorts", 1, "prior_lines", 1, "values", 1)] == Position(25, 3)
    assert pos[("cohorts", 1, "prior_lines", 1, "values", 1, 1)] == Position(25, 7)
    assert pos[("cohorts", 1, "prior_lines", 1, "values", 2, "k")] == Position(26, 5)
    assert pos[("cohorts", 1, "extra", "z")] == Position(29, 1)


def test_nearest_position_falls_back_to_enclosing_table() -> None:
    pos = locate_keys(DOC)
    assert nearest_position(pos, ("cohorts", 1, "prior_lines", 0, "missing")) == Position(19, 1)
    assert nearest_position(pos, ("nowhere",)) is None
