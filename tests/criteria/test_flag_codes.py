"""Role and flag codes (criteria._flags) round-trip to their text."""

import polars as pl

from cnsrwe.criteria._flags import FLAGS, ROLES, flag, role, status_vocabulary


def test_fixed_names_have_distinct_codes() -> None:
    assert len(set(FLAGS)) == len(FLAGS)
    assert len(set(ROLES)) == len(ROLES)
    assert FLAGS[flag("not_assessed")] == "not_assessed"
    assert ROLES[role("new")] == "new"


def test_status_vocabulary_keeps_values_outside_the_format() -> None:
    statuses = pl.Series(["present", None, "zz_other", "absent", "aa_other"])
    vocab, codes = status_vocabulary(statuses)
    assert vocab.gather(codes).to_list() == statuses.to_list()
    assert vocab.to_list()[: len(FLAGS)] == list(FLAGS)
    assert vocab.to_list()[len(FLAGS):] == ["aa_other", "zz_other"]


def test_status_vocabulary_usual_values() -> None:
    statuses = pl.Series(["unequivocal_progression", "present", None])
    vocab, codes = status_vocabulary(statuses)
    assert vocab.to_list() == list(FLAGS)
    assert codes.to_list() == [flag("unequivocal_progression"), flag("present"), None]
