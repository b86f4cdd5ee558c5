"""Rows of a patient-sorted table found by (patient, day) ranges (private).

Lesion tables come sorted by patient (the derivation's windowed lesions are sorted by
patient, date and lesion). On such a table a patient's code is the run number of its id
(no string hashing or category cast), and one UInt64 per row, ``run << 32 | day - min``,
orders the rows by patient and date. The reads of a patient between two dates are then a
contiguous slice of that order, found by two binary searches, so "rows of this patient in
this date range" for thousands of events is a few numpy calls instead of a join.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

_SHIFT = np.uint64(32)
_DAY_MAX = (1 << 32) - 1


def expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``lo[i] .. hi[i] - 1`` of every range, and the range index of each.

    Empty ranges (``hi <= lo``) give nothing. Ranges in order, positions ascending inside.
    """
    lens = np.maximum(hi - lo, 0).astype(np.int64)
    which = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    pos = (
        np.arange(which.size, dtype=np.int64)
        - np.repeat(np.cumsum(lens) - lens, lens)
        + np.repeat(lo.astype(np.int64), lens)
    )  # fmt: skip
    return pos, which


@dataclass(frozen=True)
class SortedDays:
    """Row keys ``run << 32 | day - day_min`` in ascending order, and the row of each."""

    skey: np.ndarray
    order: np.ndarray | None  # row number of each sorted position; None: the identity
    day_min: int

    def ranges(
        self, code: np.ndarray, first_day: np.ndarray, last_day: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sorted positions ``[lo, hi)`` of the rows of patient ``code`` whose day is in
        ``[first_day, last_day]`` (day numbers; absent patients (code -1) and
        ``last < first`` give empty ranges)."""
        lo_off = first_day.astype(np.int64) - self.day_min
        hi_off = last_day.astype(np.int64) - self.day_min
        empty = (code < 0) | (hi_off < 0) | (hi_off < lo_off) | (lo_off > _DAY_MAX)
        base = np.maximum(code, 0).astype(np.uint64) << _SHIFT
        lo_key = base | np.clip(lo_off, 0, _DAY_MAX).astype(np.uint64)
        hi_key = base | np.clip(hi_off, 0, _DAY_MAX).astype(np.uint64)
        # binary searches in ascending query order touch the keys far more cache-friendly
        by = np.argsort(lo_key, kind="stable")
        lo, hi = np.empty(len(code), dtype=np.int64), np.empty(len(code), dtype=np.int64)
        lo[by] = np.searchsorted(self.skey, lo_key[by], side="left")
        hi[by] = np.searchsorted(self.skey, hi_key[by], side="right")
        return lo, np.where(empty, lo, np.maximum(hi, lo))

    def rows(self, pos: np.ndarray) -> np.ndarray:
        """Row numbers of sorted positions."""
        return pos if self.order is None else self.order[pos]

    def subset(self, keep: np.ndarray) -> SortedDays:
        """Only the rows where the boolean row mask ``keep`` is true (still sorted)."""
        at = keep if self.order is None else keep[self.order]
        order = np.flatnonzero(at) if self.order is None else self.order[at]
        return SortedDays(self.skey[at], order, self.day_min)


@dataclass(frozen=True)
class PatientDays:
    """A table's patient codes and (patient, day) keys; see the module docstring.

    Attributes
    ----------
    ids : the distinct patient ids, sorted (one per run).
    run : each row's patient code (position of its id in ``ids``).
    day : each row's day number (days since 1970-01-01).
    sorted : the rows in (patient, day) order (stable).
    """

    ids: pl.Series
    run: np.ndarray
    day: np.ndarray
    sorted: SortedDays

    @classmethod
    def build(cls, patient_id: pl.Series, date: pl.Series) -> PatientDays | None:
        """From a sorted, null-free ``patient_id`` and a null-free date column; None when
        the ids are not sorted or the table is empty."""
        n = patient_id.len()
        if n == 0 or not patient_id.is_sorted():
            return None
        run = patient_id.rle_id().to_numpy()
        starts = np.flatnonzero(np.concatenate(([True], run[1:] != run[:-1])))
        day = date.to_physical().to_numpy().astype(np.int64)
        day_min = int(day.min())
        key = (run.astype(np.uint64) << _SHIFT) | (day - day_min).astype(np.uint64)
        order = None
        if n > 1 and bool(np.any(key[1:] < key[:-1])):
            order = np.argsort(key, kind="stable")
            key = key[order]
        return cls(patient_id.gather(starts), run, day, SortedDays(key, order, day_min))

    def codes(self, patient_id: pl.Series) -> np.ndarray:
        """Code of each id (its run), -1 for ids absent from the table."""
        if patient_id.len() == 0:
            return np.zeros(0, dtype=np.int64)
        ids = patient_id.cast(pl.String)
        at = self.ids.search_sorted(ids).to_numpy().astype(np.int64)
        safe = pl.Series(np.minimum(at, self.ids.len() - 1), dtype=pl.UInt32)
        hit = (self.ids.gather(safe) == ids).fill_null(False).to_numpy()
        return np.where(hit & (at < self.ids.len()), at, -1)
