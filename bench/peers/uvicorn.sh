#!/usr/bin/env bash
# uvicorn.sh DIR -- run DIR/app.py's FastAPI app in the foreground on
# 127.0.0.1:$PORT with one uvicorn worker, as the seed ran it.
# Needs DATABASE_URL (postgresql://user@host/db or
# postgresql://user@/db?host=/socket/dir) and PORT.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql://postgres@/users?host=/run/postgresql}"
: "${PORT:?set PORT}"
cd "$1"
# Debian's python3-fastapi/-uvicorn/-sqlalchemy/-asyncpg/-psycopg2 live in
# /usr/bin/python3's path, not in a pyenv/venv python first on PATH.
exec /usr/bin/python3 -m uvicorn app:app --host 127.0.0.1 --port "$PORT" \
    --workers 1 --log-level warning --no-access-log
