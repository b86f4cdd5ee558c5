#!/usr/bin/env bash
# Install cnsrwe with its test extras into the current Python environment, then run the whole
# test suite and the linter. Idempotent: run it as often as you like.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test]"
"$PY" -m ruff check src tests benchmarks
"$PY" -m pytest -q "$@"
