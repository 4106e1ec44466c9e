#!/usr/bin/env bash
# Runs the axum peer in the foreground on 127.0.0.1:$PORT (its PID is the
# server's).  Builds nothing: without the cached binary it fails at once.
# Needs DATABASE_URL (postgresql://user@host/db or
# postgresql://user@/db?host=/socket/dir) and PORT.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql://postgres@/users?host=/run/postgresql}"
: "${PORT:?set PORT}"
bin=$(axum_dir)/users-axum
[ -x "$bin" ] || die "the axum peer is not built ($bin); run: bench/peers/prepare.sh axum"
exec "$bin"
