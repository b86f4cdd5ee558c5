#!/usr/bin/env bash
# Install cnsrwe into the current Python environment, then run the main job on the bundled
# demo study: write the demo data, validate it, import it into a study file and print a
# summary. Idempotent: a second run re-uses the same files and reports "unchanged".
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" -m pip install --quiet --disable-pip-version-check -e .
OUT="${CNSRWE_DEMO_DIR:-demo-study}"
"$PY" -m cnsrwe demo "$OUT" --seed 2022 --overwrite
"$PY" -m cnsrwe validate "$OUT"
"$PY" -m cnsrwe import "$OUT" --study "$OUT.duckdb" --reason "quick start demo"
"$PY" -m cnsrwe summary --study "$OUT.duckdb"
