"""manifest.json: what went into a report and what came out, so a run can be audited.

The manifest records the SHA-256 of every input file and of the study file, the cnsrwe
version, the Python version and the versions of the packages that shape the numbers and
the files (numpy, scipy, polars, pyarrow, duckdb, matplotlib, python-docx, openpyxl,
jinja2), the random seeds, the command line, and the SHA-256 of every output file.

It holds no time stamp and no host name: the same inputs and software give a
byte-identical manifest (keys sorted, two-space indent, ``\\n`` newlines). Wall time belongs
in the console output. File paths are stored relative to the manifest's folder when they
lie inside it, else as given (absolute); never print patient data into the command line.

:func:`verify_manifest` recomputes every hash and reports each file that is missing or
changed (and, optionally, software versions that differ).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
PACKAGES = ("cnsrwe", "numpy", "scipy", "polars", "pyarrow", "duckdb", "matplotlib",
            "python-docx", "openpyxl", "jinja2")


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions(packages: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (``None`` when not installed)."""
    out: dict[str, str | None] = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _entries(paths: Sequence[str | Path], root: Path, what: str) -> list[dict[str, str]]:
    out = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            msg = f"`{what}` must list existing files, got {str(p)!r}"
            raise FileNotFoundError(msg)
        out.append({"path": _rel(path, root), "sha256": sha256_file(path)})
    return sorted(out, key=lambda e: e["path"])


def build_manifest(
    out_dir: str | Path,
    *,
    study_file: str | Path | None,
    inputs: Sequence[str | Path],
    outputs: Sequence[str | Path],
    seeds: Mapping[str, int] | None = None,
    command: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The manifest as a dict (module notes). Files must exist; paths are made relative
    to ``out_dir`` when inside it."""
    root = Path(out_dir)
    seeds = dict(seeds or {})
    for k, v in seeds.items():
        if not isinstance(v, int) or isinstance(v, bool):
            msg = f"`seeds` values must be integers, got {k!r}: {v!r}"
            raise TypeError(msg)
    return {
        "manifest_version": MANIFEST_VERSION,
        "study_file": (None if study_file is None
                       else _entries([study_file], root, "study_file")[0]),
        "inputs": _entries(inputs, root, "inputs"),
        "outputs": _entries(outputs, root, "outputs"),
        "software": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "packages": package_versions(),
        },
        "seeds": dict(sorted(seeds.items())),
        "command": list(command or []),
    }


def render_manifest(manifest: Mapping[str, Any]) -> str:
    """Canonical JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_manifest(out_dir: str | Path, **kwargs: Any) -> Path:
    """Build the manifest (see :func:`build_manifest`) and write ``out_dir/manifest.json``."""
    p = Path(out_dir) / MANIFEST_NAME
    p.write_bytes(render_manifest(build_manifest(out_dir, **kwargs)).encode("utf-8"))
    return p


@dataclass(frozen=True)
class ManifestCheck:
    """Result of :func:`verify_manifest`: ``ok`` and one line per problem."""

    ok: bool
    problems: tuple[str, ...]


def verify_manifest(out_dir: str | Path, *, check_software: bool = False) -> ManifestCheck:
    """Recompute every recorded hash under ``out_dir`` and compare with manifest.json.

    Problems are "changed: <path>", "missing: <path>" and, with ``check_software``,
    "version: <package> recorded X, installed Y".
    """
    root = Path(out_dir)
    mpath = root / MANIFEST_NAME
    if not mpath.is_file():
        msg = f"`out_dir` must contain {MANIFEST_NAME}, got {str(root)!r}"
        raise FileNotFoundError(msg)
    man = json.loads(mpath.read_text(encoding="utf-8"))
    if man.get("manifest_version") != MANIFEST_VERSION:
        msg = (f"`manifest_version` must be {MANIFEST_VERSION}, "
               f"got {man.get('manifest_version')!r}")
        raise ValueError(msg)
    entries = list(man["inputs"]) + list(man["outputs"])
    if man.get("study_file"):
        entries.append(man["study_file"])
    problems = []
    for e in sorted(entries, key=lambda e: e["path"]):
        path = Path(e["path"])
        full = path if path.is_absolute() else root / path
        if not full.is_file():
            problems.append(f"missing: {e['path']}")
        elif sha256_file(full) != e["sha256"]:
            problems.append(f"changed: {e['path']}")
    if check_software:
        now = package_versions(tuple(man["software"]["packages"]))
        for name, ver in sorted(man["software"]["packages"].items()):
            if now.get(name) != ver:
                problems.append(f"version: {name} recorded {ver}, installed {now.get(name)}")
    return ManifestCheck(ok=not problems, problems=tuple(problems))


__all__ = ["MANIFEST_NAME", "ManifestCheck", "build_manifest", "package_versions",
           "render_manifest", "sha256_file", "verify_manifest", "write_manifest"]
