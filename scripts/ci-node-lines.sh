#!/usr/bin/env bash
# The suite on the Node.js LTS lines besides the machine's own (see "Supported Node.js versions" in the README):
# Node.js 24 (active LTS) runs the whole suite, Node.js 22 (maintenance LTS) the files whose behaviour depends on
# the runtime (`npm run test:runtime`: start-up and signals, the embedded database, the SDKs' HTTP and WebSocket
# clients, the Workers runtime). The versions are pinned here; a new release is a one-line change.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_24=24.22.3
NODE_22=22.23.5
bash scripts/with-node.sh "$NODE_24" npm test
bash scripts/with-node.sh "$NODE_22" npm run test:runtime
