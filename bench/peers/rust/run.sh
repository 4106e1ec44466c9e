#!/usr/bin/env bash
# Runs the Rust peer in the foreground on 127.0.0.1:$PORT, building it first if needed.
# Needs DATABASE_URL (postgresql://user@host/db or postgresql://user@/db?host=/socket/dir) and PORT.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql://postgres@/users?host=/run/postgresql}"
: "${PORT:?set PORT}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/target/release/users-peer-rust"
if [[ ! -x "$bin" ]]; then
    "$here/build.sh" >&2
fi
exec "$bin"
