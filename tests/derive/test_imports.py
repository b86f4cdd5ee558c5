"""The derivation does not load the statistics layer (structural check, not timed).

``derive_study`` uses the time-to-event rules of ``cnsrwe.endpoints.tte``, which import
nothing to the right of ``derive``. Every worker process of the scale engines imports the
derivation, so loading ``cnsrwe.stats`` and scipy there cost about 0.6 s per process.
"""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_derivation_loads_neither_stats_nor_scipy() -> None:
    probe = (
        "import json, sys\nimport cnsrwe.derive.pipeline\nimport cnsrwe.scale.embedded\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'"
        " or m.startswith('cnsrwe.stats') or m.startswith('cnsrwe.report'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
