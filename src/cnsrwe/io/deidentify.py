"""Opt-in keyed pseudonymisation and date shifting of a loaded study.

Rules
-----
* **Key.** 32 random bytes from the operating system's CSPRNG, written as 64 hex characters to
  a file of mode 0600 by :func:`generate_key` (``cnsrwe keygen``). The key never enters the
  study file; the store keeps only :func:`key_fingerprint` (a SHA-256 of the key under a domain
  label), so a later import can check that the same key is used.
* **Pseudonym.** ``d = HMAC-SHA256(key, "patient_id:" + patient_id)`` (the id exactly as given,
  UTF-8); the pseudonym is ``"P"`` followed by the first 12 characters of the RFC 4648 base32
  encoding of ``d`` (60 bits). It is stable for one key and unrelated between keys; without the
  key it cannot be reversed or recomputed from a guessed id (a plain hash could). Two ids that
  map to one pseudonym stop the run (probability about ``n^2 / 2^61``).
* **Date shift.** Every ``date`` column of every table is moved by one offset per patient,
  ``s = u mod 360`` with ``u`` the big-endian integer of bytes 16-19 of ``d``, mapped to
  ``-180..-1`` (``s < 180``: ``s - 180``) or ``1..180`` (otherwise ``s - 179``), never 0. All
  intervals within a patient (time to progression, overall survival, lines of therapy) are
  therefore exactly preserved; intervals between patients and calendar effects are not.
* **Year of birth** is kept: it is needed for age and is coarse already. Ages computed from the
  shifted dates and the kept birth year differ from the true ones by at most 180 days on top of
  the year-of-birth uncertainty of ±1 year; ``age_at_index`` is kept as recorded.
* **Not identifiers:** lesion ids, ``split_from`` / ``merged_into`` (lesion ids), sites and
  clinical values are kept. **Extra columns** (free columns a site added) may hold anything,
  so :func:`deidentify` refuses them unless ``drop_extra_columns=True`` is passed.
* Source file paths are reduced to file names; sha256 digests are of the original files.

This is pseudonymisation, not anonymisation: with the key, ids and dates can be linked back,
and rare combinations (site, sex, birth year) may still single a person out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from cnsrwe.io.loaded import LoadedStudy, SourceFile
from cnsrwe.io.schema import TABLES

KEY_BYTES = 32
MAX_SHIFT_DAYS = 180
_PSEUDONYM_CHARS = 12
_RESERVED = "_source_row"


@dataclass(frozen=True)
class DeidentifiedStudy(LoadedStudy):
    """A :class:`LoadedStudy` whose ids are pseudonyms and dates shifted under one key."""

    key_fingerprint: str = ""


def generate_key(path: str | os.PathLike[str]) -> Path:
    """Write a new random key (64 hex characters) to ``path`` with mode 0600.

    Refuses to overwrite an existing file: losing a key makes later imports impossible to link.
    """
    target = Path(path)
    key = os.urandom(KEY_BYTES).hex()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        msg = f"`path` already exists, refusing to overwrite a key file, got {str(target)!r}"
        raise FileExistsError(msg) from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    os.chmod(target, 0o600)
    return target


def read_key(path: str | os.PathLike[str]) -> bytes:
    """Read a key written by :func:`generate_key`."""
    text = Path(path).read_text(encoding="ascii", errors="replace").strip()
    if len(text) != 2 * KEY_BYTES or any(c not in "0123456789abcdefABCDEF" for c in text):
        msg = f"key file must hold {2 * KEY_BYTES} hex characters, got {len(text)} characters"
        raise ValueError(msg)
    return bytes.fromhex(text)


def key_fingerprint(key: bytes) -> str:
    """A public fingerprint of ``key`` (SHA-256 under a domain label, 16 hex characters)."""
    return hashlib.sha256(b"cnsrwe-key-fingerprint:" + key).hexdigest()[:16]


def _digest(key: bytes, patient_id: str) -> bytes:
    return hmac.new(key, b"patient_id:" + patient_id.encode("utf-8"), hashlib.sha256).digest()


def pseudonym_and_shift(key: bytes, patient_id: str) -> tuple[str, int]:
    """The pseudonym and date offset (days) of one patient id under ``key``."""
    d = _digest(key, patient_id)
    name = "P" + base64.b32encode(d).decode("ascii")[:_PSEUDONYM_CHARS]
    s = int.from_bytes(d[16:20], "big") % (2 * MAX_SHIFT_DAYS)
    shift = s - MAX_SHIFT_DAYS if s < MAX_SHIFT_DAYS else s - MAX_SHIFT_DAYS + 1
    return name, shift


def _mapping(key: bytes, ids: list[str]) -> pl.DataFrame:
    """Id → pseudonym and shift for the distinct ids (one HMAC per patient, not per row)."""
    pairs = [pseudonym_and_shift(key, pid) for pid in ids]
    frame = pl.DataFrame(
        {
            "patient_id": ids,
            "_pseudo": [p for p, _ in pairs],
            "_shift": np.array([s for _, s in pairs], dtype=np.int64),
        },
        schema={"patient_id": pl.String, "_pseudo": pl.String, "_shift": pl.Int64},
    )
    if frame["_pseudo"].n_unique() != frame.height:
        msg = "two patient ids map to the same pseudonym under this key; generate a new key"
        raise ValueError(msg)
    return frame


def deidentify(
    loaded: LoadedStudy, key: bytes, *, drop_extra_columns: bool = False
) -> DeidentifiedStudy:
    """Replace patient ids by keyed pseudonyms and shift each patient's dates (rules above).

    The input is not modified. Raises ``ValueError`` if a table has extra (non-format) columns
    and ``drop_extra_columns`` is false, or if the key is not 32 bytes.
    """
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        n = len(key) if isinstance(key, bytes) else type(key).__name__
        msg = f"`key` must be {KEY_BYTES} bytes, got {n!r}"
        raise ValueError(msg)
    extras = {
        name: [c for c in df.columns if c not in TABLES[name].column_names and c != _RESERVED]
        for name, df in loaded.tables.items()
        if name in TABLES
    }
    extras = {k: v for k, v in extras.items() if v}
    if extras and not drop_extra_columns:
        listing = "; ".join(f"{t}: {', '.join(cols)}" for t, cols in extras.items())
        msg = (
            f"extra columns may hold identifiers and cannot be de-identified, got {listing}\n"
            "  hint: remove them from the files, or pass drop_extra_columns=True"
            " (--drop-extra-columns)"
        )
        raise ValueError(msg)
    ids = sorted(
        set().union(
            *(set(df["patient_id"].drop_nulls().to_list()) for df in loaded.tables.values())
        )
    )
    mapping = _mapping(key, ids)
    tables: dict[str, pl.DataFrame] = {}
    for name, df in loaded.tables.items():
        spec = TABLES[name]
        keep = [c for c in df.columns if c not in extras.get(name, [])]
        dates = [c.name for c in spec.columns if c.type == "date" and c.name in df.columns]
        joined = df.select(keep).join(mapping, on="patient_id", how="left", maintain_order="left")
        shifted = joined.with_columns(
            [pl.col(c) + pl.duration(days=pl.col("_shift")) for c in dates]
            + [pl.col("_pseudo").alias("patient_id")]
        )
        tables[name] = shifted.select(keep)
    sources = {
        name: SourceFile(
            table=src.table,
            path=Path(src.path).name,
            sheet=src.sheet,
            sha256=src.sha256,
            n_rows=src.n_rows,
        )
        for name, src in loaded.sources.items()
    }
    return DeidentifiedStudy(
        tables=tables,
        sources=sources,
        warnings=(),
        key_fingerprint=key_fingerprint(key),
    )
