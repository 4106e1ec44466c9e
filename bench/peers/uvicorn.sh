#!/usr/bin/env bash
# uvicorn.sh DIR -- run DIR/app.py's FastAPI app in the foreground on
# 127.0.0.1:$PORT, as the seed ran it: uvicorn, one worker, --log-level
# critical, from the cached virtual environment (uvloop + httptools are
# installed, so uvicorn's "auto" loop and http choose them).  Builds
# nothing: without the environment it fails at once.
# Needs DATABASE_URL (postgresql://user@host/db or
# postgresql://user@/db?host=/socket/dir) and PORT.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql://postgres@/users?host=/run/postgresql}"
: "${PORT:?set PORT}"
venv=$(venv_dir)
[ -x "$venv/bin/python" ] ||
	die "the FastAPI peers' Python environment is not there ($venv); run: bench/peers/prepare.sh ${1##*/}"
cd "$1"
exec "$venv/bin/python" -m uvicorn app:app --host 127.0.0.1 --port "$PORT" \
    --log-level critical
