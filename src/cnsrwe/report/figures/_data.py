"""FigureData: exactly what a figure draws, as plain values, for tests and audits.

Every ``*_figure_data`` function returns one of these; the matching ``plot_*`` function
draws nothing else. Numbers keep full precision; :meth:`FigureData.to_json` rounds to 10
significant digits only so snapshot files stay readable and platform-independent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A JSON list holding no list or object: written on one line in snapshots.
_FLAT_LIST = re.compile(r"\[[^\[\]{}]*\]")
_WS = re.compile(r"\s*\n\s*")


def _plain(value: Any) -> Any:
    """Convert to JSON-able Python values (tuples to lists, numpy scalars to float/int)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, Sequence):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return float(f"{value:.10g}")
    msg = f"figure data must hold plain values, got {type(value).__name__!r}"
    raise TypeError(msg)


def freeze(value: Any) -> Any:
    """Lists to tuples, recursively (so FigureData content cannot be changed in place)."""
    if isinstance(value, Mapping):
        return {k: freeze(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class FigureData:
    """What one figure draws.

    ``kind`` names the figure (``"kaplan_meier"``, ``"waterfall"``, ...); ``content`` holds
    its drawn elements (step coordinates, bar heights and colours, risk-table counts,
    annotation text, ...), documented by each ``*_figure_data`` function.
    """

    kind: str
    content: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (floats to 10 significant digits, NaN/inf to ``None``)."""
        return {"kind": self.kind, "content": _plain(self.content)}

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys, 1-space indent, trailing newline)."""
        text = json.dumps(self.to_dict(), indent=1, sort_keys=True, ensure_ascii=False)
        return _FLAT_LIST.sub(lambda m: _WS.sub(" ", m.group(0)), text) + "\n"
