"""Synthetic study data in the cnsrwe data format (``cnsrwe demo`` / ``cnsrwe simulate``).

Everything here is simulated: no row describes a real patient. See ``docs/demo-data.md``.

The generator and writer (numpy, pyarrow, polars) load on first use of one of their names, so
importing :mod:`cnsrwe.demo.parameters` (as the command line does for its defaults) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cnsrwe.demo.parameters import DEMO_PATIENTS, DEMO_SEED, SimulationParameters

if TYPE_CHECKING:
    from cnsrwe.demo.generator import BLOCK_PATIENTS, generate_block, iter_blocks
    from cnsrwe.demo.writer import StudyFiles, simulate, write_demo

#: Names loaded on first access, and the module that defines each.
_LAZY = {
    "BLOCK_PATIENTS": "cnsrwe.demo.generator",
    "generate_block": "cnsrwe.demo.generator",
    "iter_blocks": "cnsrwe.demo.generator",
    "StudyFiles": "cnsrwe.demo.writer",
    "simulate": "cnsrwe.demo.writer",
    "write_demo": "cnsrwe.demo.writer",
}

__all__ = [
    "BLOCK_PATIENTS",
    "DEMO_PATIENTS",
    "DEMO_SEED",
    "SimulationParameters",
    "StudyFiles",
    "generate_block",
    "iter_blocks",
    "simulate",
    "write_demo",
]


def __getattr__(name: str) -> Any:
    """Import the generator or writer when one of their names is first used (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'cnsrwe.demo' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
