#!/usr/bin/env bash
# Installs Debian's Chromium for the console's browser test (tests/payments/
# test_console_browser.py). Playwright only drives it: it never downloads a browser.
set -euo pipefail
if command -v chromium >/dev/null; then
  exit 0
fi
command -v apt-get >/dev/null || { echo "install-browser: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
echo "installing chromium …" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
