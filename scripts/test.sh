#!/usr/bin/env bash
# Install cnsrwe with its test extras and the Spark extra (the embedded-vs-Spark parity suite;
# Java 17 must be on the machine), and, where possible, Chromium for the headless-browser check
# of the HTML report, into the current Python environment, then run the linter and the
# whole test suite. Idempotent: run it as often as you like.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! bash scripts/install-system-deps.sh; then
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "test.sh: Chromium could not be installed; the browser test of report.html is skipped." >&2
fi
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test,spark]"
"$PY" -m ruff check src tests benchmarks examples
"$PY" -m pytest -q "$@"
