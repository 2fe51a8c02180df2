#!/usr/bin/env bash
# Installs Debian's dovecot IMAP server for the e-mail channel's tests (test/fakes/email/dovecot.ts starts a
# private instance per test file on a free port with a temp mail dir; the system service is not used).
set -euo pipefail
if command -v dovecot >/dev/null 2>&1; then
  echo "dovecot $(dovecot --version) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
# The package starts a system instance where an init system runs; ours does not need it.
(service dovecot stop || systemctl stop dovecot || true) >/dev/null 2>&1
echo "dovecot $(dovecot --version) installed"
