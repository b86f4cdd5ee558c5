"""Reading SDTM domain files (``dm.xpt``, ``tu.csv``, ``tr.parquet``, ...) as text tables,
and the problem log of the SDTM import.

Every cell becomes text (as ``cnsrwe.io`` reads every input): character variables as given,
numeric variables of XPT/Parquet files in their shortest form (``3.0`` -> ``"3"``). Variable
names are upper-cased. Each frame gets ``__rec`` (the 1-based record number in its file).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cnsrwe.io.problems import Problem

REC = "__rec"
_CAP = 50
#: Domains the import reads (lower-case file stems).
DOMAINS = ("dm", "suppdm", "mh", "ex", "cm", "pr", "tu", "tr", "rs", "ds", "dd")
_SUFFIXES = (".xpt", ".csv", ".parquet")

#: Problem codes of the SDTM import (all errors: nothing is imported).
SDTM_PROBLEMS: dict[str, str] = {
    "sdtm_unreadable": "A domain file cannot be read.",
    "sdtm_duplicate_domain": "A domain is given by two files (e.g. dm.xpt and dm.csv).",
    "sdtm_missing_domain": "A domain the import needs (DM, and EX or CM) is not given.",
    "sdtm_missing_variable": "A variable the mapping needs is absent from a domain.",
    "sdtm_unknown_code": "A coded value has no mapping to the data format.",
    "sdtm_partial_date": "A date is partial or not ISO 8601 (dates are never imputed).",
    "sdtm_conflict": "Two domains give different values for one fact (e.g. the death date).",
}


@dataclass
class SdtmLog:
    """Problems of one SDTM import; each names domain, USUBJID, --SEQ and variable."""

    problems: list[Problem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # domain -> file name

    def add(self, code: str, domain: str, message: str, fix: str, *, row: int | None = None,
            variable: str | None = None, value: str | None = None) -> None:  # fmt: skip
        source = self.files.get(domain.lower(), domain.lower())
        self.problems.append(
            Problem("error", code, "-", source, row, variable, value, message, fix)
        )

    def add_records(self, code: str, domain: str, bad: pl.DataFrame, variable: str, what: str,
                    fix: str) -> None:  # fmt: skip
        """One problem per offending record (first 50, then a count)."""
        dom = domain.upper()
        seq = f"{dom}SEQ"
        for rec in bad.head(_CAP).iter_rows(named=True):
            value = rec.get(variable)
            where = f"{dom} USUBJID {rec.get('USUBJID')!s}, {seq} {rec.get(seq) or '-'}"
            self.add(code, domain, f"{where}: `{variable}` {what}, got {value!r}.", fix,
                     row=rec[REC], variable=variable, value=value)  # fmt: skip
        if bad.height > _CAP:
            self.add(code, domain, f"{dom}: {bad.height - _CAP} more records like these.", fix,
                     variable=variable)  # fmt: skip


def as_text(frame: pl.DataFrame, *, upper: bool = True) -> pl.DataFrame:
    """Every column as trimmed text (empty -> null), plus ``__rec``."""
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype.is_float():
            as_int = col.cast(pl.Int64, strict=False)
            text = (pl.when(col == col.floor()).then(as_int.cast(pl.String))
                    .otherwise(col.cast(pl.String)))  # fmt: skip
        elif dtype in (pl.Date, pl.Datetime):
            text = col.dt.strftime("%Y-%m-%d")
        else:
            text = col.cast(pl.String)
        text = pl.when(text.str.strip_chars() == "").then(None).otherwise(text.str.strip_chars())
        exprs.append(text.alias(name.upper() if upper else name))
    out = frame.select(exprs) if exprs else frame
    return out.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(REC))


def _read_file(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pl.read_csv(path, infer_schema=False, encoding="utf8")
    if suffix == ".parquet":
        return pl.read_parquet(path)
    from cnsrwe.exchange.xpt import pyreadstat_module

    prs = pyreadstat_module("read_sdtm")
    df, _ = prs.read_xport(str(path), output_format="polars")
    return df  # type: ignore[no-any-return]


def read_domains(root: Path, log: SdtmLog) -> tuple[dict[str, pl.DataFrame], str]:
    """Read every known domain file of ``root``; returns the frames and a digest of the files."""
    found: dict[str, list[Path]] = {}
    for path in sorted(p for p in root.iterdir() if p.is_file()):
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if stem in DOMAINS and suffix in _SUFFIXES:
            found.setdefault(stem, []).append(path)
    digest = hashlib.sha256()
    frames: dict[str, pl.DataFrame] = {}
    for dom, paths in found.items():
        log.files[dom] = paths[0].name
        if len(paths) > 1:
            log.add("sdtm_duplicate_domain", dom,
                    f"Domain {dom.upper()} is given by {', '.join(p.name for p in paths)}.",
                    "Keep one file per domain.")  # fmt: skip
            continue
        try:
            frames[dom] = as_text(_read_file(paths[0]))
        except Exception as exc:  # any reader failure (ReadStat, polars, OS) is reported
            log.add("sdtm_unreadable", dom,
                    f"`{paths[0].name}` cannot be read as a {paths[0].suffix} file: {exc}",
                    "Export the domain again as SAS transport (XPT), CSV or Parquet.")
            continue
        digest.update(paths[0].name.encode() + b"\0" + paths[0].read_bytes())
    return frames, digest.hexdigest()
