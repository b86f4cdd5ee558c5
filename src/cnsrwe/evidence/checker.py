"""Consistency checker: recompute the percentages, CIs and p-values printed in a paper's tables.

Input is one row per printed number set (format in ``docs/evidence.md`` and the ``--template``
workbook). Every printed value is read as text so that its printed precision is known: a value
printed with ``d`` decimals matches a recomputed value ``x`` when ``|x - printed| <= 0.5 * 10^-d``
(correct rounding). Nothing else is accepted as a match for the named method.

Checks and the alternatives tried when the named method does not reproduce the printed value:

* percent ``100 k / n``: correct rounding; otherwise truncation (``floor``) and rounding up
  (``ceil``) to the printed decimals; otherwise "typo: no common method gives this".
* confidence limits of ``k / n`` (each limit on its own): Clopper-Pearson exact, Wilson score,
  Wilson with continuity correction, Jeffreys, and Wald (``p +/- z sqrt(p (1 - p) / n)`` clipped
  to [0, 1]); Newcombe (1998, Stat Med 17:857) and Brown, Cai & DasGupta (2001, Stat Sci 16:101)
  describe these as the intervals papers use.
* p-value of a 2x2 or r x c table: Fisher's exact test, Pearson's chi-square without correction
  and, for 2x2, with Yates' correction (as SPSS "Pearson Chi-Square", "Continuity Correction" and
  "Fisher's Exact Test" print them). A printed ``<0.001`` matches when ``p < 0.001``.

A table-level summary states, per table, how many printed p-values each test reproduces, so a
paper that names Pearson's chi-square but printed Fisher's p-values is recognised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from cnsrwe.stats.contingency import chi_square, fisher_exact
from cnsrwe.stats.proportions import binomial_ci

INPUT_COLUMNS: dict[str, str] = {
    "table": "table or section of the paper (free text, e.g. 'Table 2' or 'abstract')",
    "row": "row label as printed",
    "group": "column or group the numbers belong to",
    "k": "count of events (whole number)",
    "n": "denominator (whole number)",
    "reported_percent": "the percentage as printed, without % (e.g. 42.8)",
    "reported_ci_lower": "lower confidence limit as printed, in percent (e.g. 34.7)",
    "reported_ci_upper": "upper confidence limit as printed, in percent",
    "conf_level": "confidence level in percent; empty means 95",
    "ci_method_named": "CI method the paper names: clopper-pearson, wilson, wilson-cc, "
    "jeffreys, wald; empty if not named",
    "counts": "table for the p-value: rows separated by ';', cells by ',' (e.g. '3,17;30,23')",
    "reported_p": "p-value as printed (e.g. 0.05, <0.001, 1)",
    "test_named": "test the paper names: fisher, pearson (no correction), yates; "
    "empty if not named",
}
"""Columns of the checker input, with their meaning (also written to the template)."""

CI_METHODS: tuple[str, ...] = ("clopper-pearson", "wilson", "wilson-cc", "jeffreys", "wald")
P_TESTS: tuple[str, ...] = ("fisher", "pearson", "yates")
_CI_ALIASES = {
    "exact": "clopper-pearson",
    "clopper pearson": "clopper-pearson",
    "cp": "clopper-pearson",
    "wilson score": "wilson",
    "score": "wilson",
    "wilson-continuity": "wilson-cc",
}
_P_ALIASES = {
    "fisher exact": "fisher",
    "fisher's exact": "fisher",
    "chi-square": "pearson",
    "chi2": "pearson",
    "pearson chi-square": "pearson",
    "continuity correction": "yates",
}
_LABELS = {
    "clopper-pearson": "Clopper-Pearson exact",
    "wilson": "Wilson score",
    "wilson-cc": "Wilson score with continuity correction",
    "jeffreys": "Jeffreys",
    "wald": "Wald",
    "fisher": "Fisher's exact test",
    "pearson": "Pearson's chi-square",
    "yates": "Pearson's chi-square with Yates' correction",
    "rounding": "correct rounding",
    "truncation": "truncation",
    "rounding up": "rounding up",
}


@dataclass(frozen=True)
class Printed:
    """A number as printed: its value, decimals and whether it was printed as ``< value``."""

    text: str
    value: float
    decimals: int
    less_than: bool = False

    def matches(self, x: float) -> bool:
        """Whether ``x`` prints as this value (correct rounding, or ``x < value`` for '<')."""
        if self.less_than:
            return x < self.value
        return abs(x - self.value) <= 0.5 * 10.0**-self.decimals + 1e-12

    def fmt(self, x: float) -> str:
        """``x`` with the printed number of decimals."""
        return f"{x:.{self.decimals}f}"


def parse_printed(text: object, *, column: str = "value") -> Printed | None:
    """Parse a printed number such as ``'42.8'``, ``'42.8%'``, ``'<0.001'``, ``'p = 0.05'``."""
    if text is None:
        return None
    raw = str(text).strip()
    s = raw.lower().replace("%", "").replace(" ", "").removeprefix("p")
    s = s.removeprefix("=")
    if s in ("", "na", "ne", "nan", "none", "-"):
        return None
    less = s.startswith("<")
    s = s.lstrip("<")
    try:
        dec = Decimal(s)
    except InvalidOperation:
        msg = f"`{column}` must be a printed number such as 42.8 or <0.001, got {raw!r}"
        raise ValueError(msg) from None
    exponent = dec.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return Printed(raw, float(dec), decimals, less)


def parse_counts(text: object) -> np.ndarray | None:
    """Parse a compact contingency table ``'3,17;30,23'`` (rows ';', cells ',')."""
    if text is None or str(text).strip() == "":
        return None
    raw = str(text).strip()
    try:
        rows = [[int(c) for c in r.split(",")] for r in raw.split(";")]
    except ValueError:
        msg = f"`counts` must be whole numbers like '3,17;30,23', got {raw!r}"
        raise ValueError(msg) from None
    if len(rows) < 2 or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
        msg = f"`counts` must have >= 2 rows of equal length >= 2, got {raw!r}"
        raise ValueError(msg)
    return np.asarray(rows, dtype=int)


def _norm(name: object, aliases: dict[str, str], allowed: tuple[str, ...], column: str) -> str:
    if name is None:
        return ""
    s = str(name).strip().lower()
    s = aliases.get(s, s)
    if s and s not in allowed:
        msg = f"`{column}` must be one of {', '.join(allowed)} or empty, got {name!r}"
        raise ValueError(msg)
    return s


def ci_limits(k: int, n: int, method: str, conf_level: float) -> tuple[float, float]:
    """Confidence limits of ``k/n`` (fractions) by one of :data:`CI_METHODS`."""
    if method == "wald":
        p = k / n
        half = float(stats.norm.ppf(0.5 + conf_level / 2)) * math.sqrt(p * (1 - p) / n)
        return max(0.0, p - half), min(1.0, p + half)
    name = {"wilson-cc": "wilson"}.get(method, method)
    ci = binomial_ci(k, n, conf_level=conf_level, method=name, correct=method == "wilson-cc")  # type: ignore[arg-type]
    return ci.lower, ci.upper


def p_values(table: np.ndarray) -> dict[str, float]:
    """Two-sided p-values of a contingency table by each test in :data:`P_TESTS` that applies."""
    out = {"fisher": fisher_exact(table).p_value}
    out["pearson"] = chi_square(table, correction=False).p_value
    if table.shape == (2, 2):
        out["yates"] = chi_square(table, correction=True).p_value
    return out


@dataclass(frozen=True)
class CheckResult:
    """Findings (one row per checked number) and a per-table summary of the p-value tests."""

    findings: pl.DataFrame
    summary: pl.DataFrame

    @property
    def problems(self) -> pl.DataFrame:
        """Findings whose printed value the named (or any common) method does not reproduce."""
        return self.findings.filter(pl.col("status") != "ok")


_FINDING_SCHEMA = {
    "table": pl.String,
    "row": pl.String,
    "group": pl.String,
    "check": pl.String,
    "reported": pl.String,
    "recomputed": pl.String,
    "status": pl.String,
    "explained_by": pl.String,
    "message": pl.String,
}


def _finding(rec: dict[str, Any], check: str, **kw: str) -> dict[str, str]:
    return {"table": rec["table"], "row": rec["row"], "group": rec["group"], "check": check, **kw}


def _check_percent(rec: dict[str, Any], k: int, n: int, pr: Printed) -> dict[str, str]:
    exact = Decimal(100 * k) / Decimal(n)
    value = float(exact)
    scale = Decimal(10) ** pr.decimals
    candidates = {
        "rounding": value,
        "truncation": float(math.floor(exact * scale) / scale),
        "rounding up": float(math.ceil(exact * scale) / scale),
    }
    shown = pr.fmt(value)
    if pr.matches(value):
        return _finding(
            rec,
            "percent",
            reported=pr.text,
            recomputed=shown,
            status="ok",
            explained_by="rounding",
            message=f"{k}/{n} = {value:.4f}%",
        )
    other = [m for m in ("truncation", "rounding up") if abs(candidates[m] - pr.value) < 1e-9]
    if other:
        return _finding(
            rec,
            "percent",
            reported=pr.text,
            recomputed=shown,
            status="mismatch",
            explained_by=",".join(other),
            message=f"{k}/{n} = {value:.4f}% prints as {shown} when rounded; the printed "
            f"{pr.text} is the value after {_LABELS[other[0]]}",
        )
    return _finding(
        rec,
        "percent",
        reported=pr.text,
        recomputed=shown,
        status="typo",
        explained_by="",
        message=f"typo: no common method gives this; {k}/{n} = {value:.4f}%",
    )


def _check_ci(
    rec: dict[str, Any],
    k: int,
    n: int,
    limits: tuple[Printed | None, Printed | None],
    named: str,
    conf: float,
) -> list[dict[str, str]]:
    table = {m: ci_limits(k, n, m, conf) for m in CI_METHODS}
    reference = named or "clopper-pearson"
    out = []
    for side, pr in zip(("ci_lower", "ci_upper"), limits, strict=True):
        if pr is None:
            continue
        idx = 0 if side == "ci_lower" else 1
        matching = [m for m in CI_METHODS if pr.matches(100 * table[m][idx])]
        shown = pr.fmt(100 * table[reference][idx])
        ref_label = _LABELS[reference] + (" (named)" if named else "")
        if named and named in matching:
            status, msg = "ok", f"{ref_label} gives {shown}"
        elif not named and matching:
            status = "ok"
            msg = f"reproduced by {', '.join(_LABELS[m] for m in matching)}"
        elif matching:
            status = "mismatch"
            msg = (
                f"{ref_label} gives {shown}; the printed {pr.text} is reproduced by "
                f"{', '.join(_LABELS[m] for m in matching)}"
            )
        else:
            status = "typo"
            alts = ", ".join(f"{_LABELS[m]} {pr.fmt(100 * table[m][idx])}" for m in CI_METHODS)
            msg = (
                f"typo: no common method gives this; {ref_label} gives {shown} for {k}/{n} ({alts})"
            )
        out.append(
            _finding(
                rec,
                side,
                reported=pr.text,
                recomputed=shown,
                status=status,
                explained_by=",".join(matching),
                message=msg,
            )
        )
    return out


def _check_p(rec: dict[str, Any], counts: np.ndarray, pr: Printed, named: str) -> dict[str, str]:
    ps = p_values(counts)
    matching = [t for t in P_TESTS if t in ps and pr.matches(ps[t])]
    reference = named or "fisher"
    decimals = max(pr.decimals, 3)
    shown = f"{ps[reference]:.{decimals}f}" if reference in ps else ""
    listing = ", ".join(f"{_LABELS[t]} {ps[t]:.4g}" for t in P_TESTS if t in ps)
    if named and named not in ps:
        status, msg = "typo", f"{_LABELS[named]} does not apply to a {counts.shape} table"
    elif (named and named in matching) or (not named and matching):
        status, msg = "ok", listing
    elif matching:
        status = "mismatch"
        msg = (
            f"{_LABELS[named]} (named) gives {shown}; the printed {pr.text} is reproduced by "
            f"{', '.join(_LABELS[t] for t in matching)} ({listing})"
        )
    else:
        status, msg = "typo", f"typo: no common method gives this ({listing})"
    return _finding(
        rec,
        "p_value",
        reported=pr.text,
        recomputed=shown,
        status=status,
        explained_by=",".join(matching),
        message=msg,
    )


def _int_or_none(value: object, column: str) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        f = float(str(value).strip())
    except ValueError:
        f = float("nan")
    if not f.is_integer() or f < 0:
        msg = f"`{column}` must be a whole number >= 0, got {value!r}"
        raise ValueError(msg)
    return int(f)


def _check_record(rec: dict[str, Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    k, n = _int_or_none(rec.get("k"), "k"), _int_or_none(rec.get("n"), "n")
    if (k is None) != (n is None) or (n is not None and (n < 1 or k > n)):  # type: ignore[operator]
        msg = f"`k` and `n` must both be given with 0 <= k <= n and n >= 1, got {k!r} and {n!r}"
        raise ValueError(msg)
    pct = parse_printed(rec.get("reported_percent"), column="reported_percent")
    lower = parse_printed(rec.get("reported_ci_lower"), column="reported_ci_lower")
    upper = parse_printed(rec.get("reported_ci_upper"), column="reported_ci_upper")
    conf_raw = parse_printed(rec.get("conf_level"), column="conf_level")
    conf = 0.95 if conf_raw is None else conf_raw.value / 100
    if not 0 < conf < 1:
        msg = f"`conf_level` must be in (0, 100) percent, got {rec.get('conf_level')!r}"
        raise ValueError(msg)
    named_ci = _norm(rec.get("ci_method_named"), _CI_ALIASES, CI_METHODS, "ci_method_named")
    named_p = _norm(rec.get("test_named"), _P_ALIASES, P_TESTS, "test_named")
    if k is not None and n is not None:
        if pct is not None:
            out.append(_check_percent(rec, k, n, pct))
        if lower is not None or upper is not None:
            out.extend(_check_ci(rec, k, n, (lower, upper), named_ci, conf))
    counts = parse_counts(rec.get("counts"))
    p = parse_printed(rec.get("reported_p"), column="reported_p")
    if counts is not None and p is not None:
        out.append(_check_p(rec, counts, p, named_p))
    return out


def _summarise(frame: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """Per table: how many printed p-values each test reproduces, and the test named."""
    rows = []
    p_rows = findings.filter(pl.col("check") == "p_value")
    named = (
        frame.select(pl.col("table"), pl.col("test_named").fill_null(""))
        .filter(pl.col("test_named") != "")
        .unique()
    )
    for table in p_rows["table"].unique(maintain_order=True).to_list():
        sub = p_rows.filter(pl.col("table") == table)
        names = sorted(
            {
                _norm(t, _P_ALIASES, P_TESTS, "test_named")
                for t in named.filter(pl.col("table") == table)["test_named"].to_list()
            }
        )
        total = sub.height
        counts = {t: sum(t in e.split(",") for e in sub["explained_by"].to_list()) for t in P_TESTS}
        best = max(P_TESTS, key=lambda t: counts[t])
        named_text = " and ".join(_LABELS[t] for t in names) if names else "no test"
        text = f"{table}: {named_text} named; " + "; ".join(
            f"{_LABELS[t]} reproduces {counts[t]}/{total}" for t in P_TESTS
        )
        if names and counts[best] == total and all(counts[t] < total for t in names):
            text += f". The printed p-values follow {_LABELS[best]}, not the test named."
        rows.append(
            {
                "table": table,
                "p_values": total,
                "test_named": ",".join(names),
                "best_test": best,
                "fisher": counts["fisher"],
                "pearson": counts["pearson"],
                "yates": counts["yates"],
                "message": text,
            }
        )
    schema = {
        "table": pl.String,
        "p_values": pl.Int64,
        "test_named": pl.String,
        "best_test": pl.String,
        "fisher": pl.Int64,
        "pearson": pl.Int64,
        "yates": pl.Int64,
        "message": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def check_frame(frame: pl.DataFrame) -> CheckResult:
    """Check a table of printed numbers (columns of :data:`INPUT_COLUMNS`; extra ones ignored)."""
    missing = [c for c in ("table", "row") if c not in frame.columns]
    if missing:
        msg = f"checker input must have columns `table` and `row`, got {frame.columns!r}"
        raise ValueError(msg)
    frame = frame.with_columns(
        [pl.col(c).cast(pl.String) for c in frame.columns]
        + [pl.lit(None, pl.String).alias(c) for c in INPUT_COLUMNS if c not in frame.columns]
    )
    findings: list[dict[str, str]] = []
    for i, rec in enumerate(frame.iter_rows(named=True)):
        rec = {**rec, "group": rec.get("group") or ""}
        try:
            findings.extend(_check_record(rec))
        except ValueError as err:
            msg = f"input row {i + 2} ({rec['table']}, {rec['row']}): {err}"
            raise ValueError(msg) from None
    result = pl.DataFrame(findings, schema=_FINDING_SCHEMA)
    return CheckResult(result, _summarise(frame, result))


def read_check_input(path: str | Path) -> pl.DataFrame:
    """Read a checker input file (CSV, or the first sheet of an XLSX) with every cell as text."""
    p = Path(path)
    if not p.is_file():
        msg = f"`path` must be an existing CSV or XLSX file, got {str(p)!r}"
        raise FileNotFoundError(msg)
    if p.suffix.lower() == ".csv":
        return pl.read_csv(p, infer_schema=False)
    if p.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(p, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            rows = [
                ["" if c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)
            ]
        finally:
            wb.close()
        header, body = rows[0], [r for r in rows[1:] if any(c != "" for c in r)]
        return pl.DataFrame(body, schema=[str(h) for h in header], orient="row")
    msg = f"`path` must end in .csv or .xlsx, got {p.suffix!r}"
    raise ValueError(msg)


def check_table(path: str | Path) -> CheckResult:
    """Recompute every printed percentage, CI and p-value in a CSV/XLSX file of reported counts."""
    return check_frame(read_check_input(path))
