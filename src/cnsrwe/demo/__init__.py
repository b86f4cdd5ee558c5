"""Synthetic study data in the cnsrwe data format (``cnsrwe demo`` / ``cnsrwe simulate``).

Everything here is simulated: no row describes a real patient. See ``docs/demo-data.md``.
"""

from __future__ import annotations

from cnsrwe.demo.generator import BLOCK_PATIENTS, generate_block, iter_blocks
from cnsrwe.demo.parameters import SimulationParameters
from cnsrwe.demo.writer import DEMO_PATIENTS, DEMO_SEED, StudyFiles, simulate, write_demo

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
