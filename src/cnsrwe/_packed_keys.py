"""Packed, order-preserving UInt64 keys over patient, line, date and lesion (private).

Joins, group-bys and sorts on several key columns (``patient_id``, ``line``,
``assessment_date``, ``lesion_id``) make polars row-encode the keys of every row; on one
UInt64 column they are several times cheaper, and on a column flagged as sorted a join or
group-by becomes a merge. A :class:`KeyPacker` is built once from the rows of one
derivation call and packs any prefix-ordered subset of the four fields into one UInt64:

* patient: position of ``patient_id`` among the sorted distinct ids (an ``Enum`` cast);
* line: ``line - min(line)``;
* date: days since the earliest date;
* lesion: position of ``lesion_id`` among the sorted distinct lesion ids.

Every key uses the same bit positions for the same field (absent fields are zero), the
patient in the highest bits, then line, date and lesion. So keys compare exactly like the
rows sorted by those columns (strings in byte order, as ``DataFrame.sort``), equal keys
mean equal fields, and a coarser key is a floor division of a finer one
(:meth:`KeyPacker.coarsen`). Key columns must not be null.

:meth:`KeyPacker.build` returns None when the four widths need more than 64 bits (e.g.
millions of patients with distinct lesion ids in one call); callers then split their
patients into smaller batches (:func:`patient_batches`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

#: The packed fields, most significant first.
FIELDS = ("patient", "line", "date", "lesion")
_MAX_BITS = 64


def u64(value: int) -> pl.Expr:
    """A UInt64 literal (a plain int literal could change the dtype of the arithmetic)."""
    return pl.lit(value, dtype=pl.UInt64)


def _concat(series: list[pl.Series], dtype: pl.DataType) -> pl.Series:
    """The non-null values of ``series`` in one Series (empty when there are none)."""
    if not series:
        return pl.Series(values=[], dtype=dtype)
    return pl.concat(series).drop_nulls()


def _runs(values: pl.Series) -> pl.Series:
    """``values`` without the repeats of a run of equal values (nulls dropped too): the
    distinct values stay the same, and ids come in long runs (rows grouped by patient)."""
    return values.filter(values.ne_missing(values.shift(1)) & values.is_not_null())


def _span(series: list[pl.Series]) -> tuple[int, int]:
    """Smallest and largest non-null value over integer ``series`` ((0, 0) when none): the
    line and date fields are offsets from the minimum, so only the two extremes matter."""
    lows = [s.min() for s in series if s.len() > s.null_count()]
    highs = [s.max() for s in series if s.len() > s.null_count()]
    if not lows:
        return 0, 0
    return int(min(lows)), int(max(highs))  # type: ignore[call-overload]


def bits(n_values: int) -> int:
    """Bits needed for codes 0..n_values-1."""
    return max(0, n_values - 1).bit_length()


@dataclass(frozen=True)
class KeyPacker:
    """Field codes and bit widths for one derivation call (see the module docstring).

    Attributes
    ----------
    patients : sorted distinct patient ids (the patient codes index into it).
    lesions : sorted distinct lesion ids.
    line_min, date_min : offsets subtracted before packing (``date_min`` in days).
    widths : bits per field, in :data:`FIELDS` order.
    """

    patients: pl.Series
    lesions: pl.Series
    line_min: int
    date_min: int
    widths: tuple[int, int, int, int]

    @classmethod
    def build(
        cls, *, patients: Iterable[pl.Series], lines: Iterable[pl.Series],
        dates: Iterable[pl.Series], lesions: Iterable[pl.Series],
    ) -> KeyPacker | None:
        """A packer covering every non-null value of the given series, or None (> 64 bits).

        Callers pass whole columns: repeated ids in runs (rows grouped by patient) are
        dropped before the distinct values are found, and lines and dates only count by
        their extremes.
        """
        pid = _concat([_runs(s.cast(pl.String)) for s in patients], pl.String).unique().sort()
        les = _concat([s.cast(pl.String) for s in lesions], pl.String).unique().sort()
        line_min, line_max = _span([s.cast(pl.Int64) for s in lines])
        date_min, date_max = _span([s.cast(pl.Date).cast(pl.Int32).cast(pl.Int64) for s in dates])
        widths = (bits(pid.len()), bits(line_max - line_min + 1),
                  bits(date_max - date_min + 1), bits(les.len()))  # fmt: skip
        if sum(widths) > _MAX_BITS:
            return None
        return cls(pid, les, line_min, date_min, widths)

    def _shift(self, field: str) -> int:
        i = FIELDS.index(field)
        return sum(self.widths[i + 1:])

    def key(
        self, *, patient: str | None = "patient_id", line: str | None = None,
        date: str | None = None, lesion: str | None = None,
    ) -> pl.Expr:
        """UInt64 expression packing the named columns (None = field absent, zero bits)."""
        parts = {
            "patient": None if patient is None else pl.col(patient).cast(pl.String).cast(
                pl.Enum(self.patients)).to_physical().cast(pl.UInt64),
            "line": None if line is None else (pl.col(line).cast(pl.Int64) - self.line_min)
            .cast(pl.UInt64),
            "date": None if date is None else (
                pl.col(date).cast(pl.Int32).cast(pl.Int64) - self.date_min).cast(pl.UInt64),
            "lesion": None if lesion is None else pl.col(lesion).cast(pl.String).cast(
                pl.Enum(self.lesions)).to_physical().cast(pl.UInt64),
        }  # fmt: skip
        out: pl.Expr | None = None
        for field, expr in parts.items():
            if expr is None:
                continue
            term = expr * u64(1 << self._shift(field)) if self._shift(field) else expr
            out = term if out is None else out + term
        return u64(0) if out is None else out

    def coarsen(self, expr: pl.Expr, drop: Sequence[str]) -> pl.Expr:
        """Zero the ``drop`` fields of a packed key (e.g. ``["date", "lesion"]``)."""
        for field in drop:
            shift, width = self._shift(field), self.widths[FIELDS.index(field)]
            if width == 0:
                continue
            low = expr % u64(1 << shift) if shift else u64(0)
            high = expr // u64(1 << (shift + width)) * u64(1 << (shift + width))
            expr = high + low
        return expr

    def field(self, expr: pl.Expr, field: str) -> pl.Expr:
        """The code of one field of a packed key (UInt64)."""
        shift, width = self._shift(field), self.widths[FIELDS.index(field)]
        return expr // u64(1 << shift) % u64(1 << width) if width else u64(0)


def patient_batches(patient_ids: pl.Series, n_batches: int) -> list[pl.Series]:
    """Split the sorted distinct ``patient_ids`` into ``n_batches`` contiguous batches."""
    ids = patient_ids.cast(pl.String).drop_nulls().unique().sort()
    size = -(-ids.len() // max(1, n_batches))
    return [ids.slice(i, size) for i in range(0, ids.len(), max(1, size))]
