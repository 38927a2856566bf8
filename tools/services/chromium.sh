#!/usr/bin/env bash
# Headless Chromium for the report's browser test (tests/report/test_report_browser.py).
# CI machines are fresh: install Debian's chromium package when it is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing: install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
