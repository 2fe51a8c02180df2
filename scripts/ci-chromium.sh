#!/usr/bin/env bash
# Installs Debian's Chromium for the web console's end-to-end tests (test/e2e/console.e2e.test.ts drives it with
# playwright-core at /usr/bin/chromium). playwright-core never downloads a browser build of its own.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "$(chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fonts-noto-cjk: the console is Chinese first; without a CJK font the screenshots show boxes.
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
echo "$(chromium --version) installed"
