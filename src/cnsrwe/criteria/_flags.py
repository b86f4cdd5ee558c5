"""Small integer codes for the lesion table's ``role`` and ``flag`` text (private).

The engine carries roles and flags as codes through every pass and turns them into text
once, after the lesion rows are put in their final order (string columns built by
when/then chains and then reordered cost several times more than integer ones).
``non_target_status`` values read from the data are coded with :func:`status_vocabulary`:
the fixed flags first, then any other value found in the data, so every value round-trips.
"""

from __future__ import annotations

import polars as pl

ROLES = ("target", "normal_node", "non_target", "new")

FLAGS = (
    # baseline target selection (target.select_targets)
    "given_target", "given_non_target", "auto_target", "organ_cap", "total_cap",
    "non_measurable",
    # value used for a target at follow-up (target.target_values)
    "merged_into_other", "sum_of_fragments", "measured", "too_small_imputed", "missing",
    # non-target status (nontarget.nontarget_status; data values of non_target_status too)
    "present", "absent", "not_assessed", "unequivocal_progression",
    # new lesions (nontarget.new_lesions)
    "definite", "equivocal_confirmed_later", "equivocal",
)  # fmt: skip

CODE = pl.UInt32


def role(name: str) -> int:
    """Code of a role name."""
    return ROLES.index(name)


def flag(name: str) -> int:
    """Code of a fixed flag name."""
    return FLAGS.index(name)


def status_vocabulary(statuses: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Return (flag vocabulary, codes of ``statuses`` in it; nulls stay null).

    The vocabulary is :data:`FLAGS` followed by the other distinct values of ``statuses``
    in sorted order.
    """
    values = statuses.cast(pl.String)
    try:  # the usual case: only the data format's values
        codes = values.cast(pl.Enum(FLAGS))
        return pl.Series("flag", FLAGS, dtype=pl.String), codes.to_physical().cast(CODE).rechunk()
    except pl.exceptions.InvalidOperationError:
        pass
    extra = sorted(set(values.drop_nulls().unique().to_list()) - set(FLAGS))
    vocab = pl.Series("flag", [*FLAGS, *extra], dtype=pl.String)
    codes = values.cast(pl.Enum(vocab.to_list())).to_physical().cast(CODE)
    return vocab, codes.rechunk()
