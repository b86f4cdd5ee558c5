#!/usr/bin/env bash
# Install cnsrwe into the current Python environment, then run the main job on the worked
# example (the 2022 six-hospital alectinib study, examples/alectinib-2022): check the study
# file, validate its data and write the full report (HTML, Word, Excel, figures, results.csv,
# manifest.json). Idempotent: a rerun overwrites the report with byte-identical files, which
# `cnsrwe verify` then confirms.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" -m pip install --quiet --disable-pip-version-check -e .
STUDY=examples/alectinib-2022/study.toml
OUT="${CNSRWE_REPORT_DIR:-out/alectinib-2022}"
"$PY" -m cnsrwe check-study "$STUDY"
"$PY" -m cnsrwe validate examples/alectinib-2022/data
"$PY" -m cnsrwe report "$STUDY" --out "$OUT"
"$PY" -m cnsrwe verify "$OUT"
echo "Open the report: $OUT/report.html (also report.docx, report.xlsx, results.csv)"
