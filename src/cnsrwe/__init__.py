"""cnsrwe: real-world-evidence studies of brain and leptomeningeal metastases.

Data flows one way: ``io`` validates -> ``store`` holds -> ``response`` and ``endpoints``
derive analysis datasets -> ``stats`` computes results -> ``report`` renders them.
No layer imports a layer to its right.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cnsrwe")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
