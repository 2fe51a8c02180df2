#!/usr/bin/env bash
# Installs Debian's Chromium for the web console's end-to-end tests (test/e2e/console.e2e.test.ts drives it with
# playwright-core at /usr/bin/chromium; playwright-core never downloads a browser of its own), and a CJK font:
# the console is Chinese first, and without one the screenshots show empty boxes.
set -euo pipefail
have_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; }
if command -v chromium >/dev/null 2>&1 && have_font; then
  echo "$(chromium --version 2>/dev/null || echo chromium) and a CJK font already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
echo "$(chromium --version) installed"
