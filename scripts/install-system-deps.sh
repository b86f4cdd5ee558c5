#!/usr/bin/env bash
# Install the system packages the test suite needs, only when they are missing (idempotent).
#   chromium: the headless browser that opens the generated report.html
#             (tests/report/test_report_browser.py; skipped locally when absent).
# Usage: scripts/install-system-deps.sh     (as root, or with sudo available)
set -euo pipefail

have_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

if have_chromium; then
  echo "install-system-deps: chromium already installed ($(command -v chromium || command -v chromium-browser))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: apt-get not found; install Chromium yourself or set CNSRWE_CHROMIUM" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-system-deps: need root or sudo to install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Debian names the package "chromium"; Ubuntu's "chromium-browser" is a snap shim.
if apt-cache show chromium >/dev/null 2>&1; then
  $SUDO apt-get install -y -q chromium
else
  $SUDO apt-get install -y -q chromium-browser
fi
have_chromium
echo "install-system-deps: chromium installed"
