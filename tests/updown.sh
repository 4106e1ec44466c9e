#!/usr/bin/env bash
# tests/updown.sh -- what a new user does: make up / make down and
# make run / Ctrl-C, with the embedded PostgreSQL created from nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export STATE_DIR=$T_TMP/updown
mkdir -p "$STATE_DIR"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT/users
pg_pid() { head -n 1 "$STATE_DIR/pg/data/postmaster.pid" 2>/dev/null || true; }

# Everything `up` started on PORT: front, workers, PostgreSQL.
started_pids() {
	cat "$STATE_DIR/run-$PORT/front.pid" 2>/dev/null || true
	worker_pids "$STATE_DIR/run-$PORT"
	pg_pid
}

check "make up (WORKERS=3) creates, seeds and serves the database" \
    make -s -C "$ROOT" up PORT="$PORT" WORKERS=3
check_eq "make up: exactly 3 workers" 3 \
    "$(worker_pids "$STATE_DIR/run-$PORT" | wc -l)"
check_eq "make up: 100 users, the seed's first one first" \
    "100 $(psql -X -At -d "$("$ROOT/scripts/db.sh" url)" \
    -c 'SELECT username FROM users ORDER BY user_id LIMIT 1')" \
    "$(curl -s "$URL" | "$PYTHON" -c 'import json,sys; u=json.load(sys.stdin); print(len(u), u[0]["username"])')"
check_eq "make up: the seed holds 2000 users" 2000 \
    "$(psql -X -At -d "$("$ROOT/scripts/db.sh" url)" -c 'SELECT count(*) FROM users')"
# The workers' sessions, as PostgreSQL sees them.
check_eq "make up: the workers connect as a role that is no superuser and may only read users (super, select, insert, create)" \
    "f|t|f|f" "$(psql -X -At -d "$("$ROOT/scripts/db.sh" url)" -c "SELECT DISTINCT
    r.rolsuper, has_table_privilege(r.oid, 'users', 'SELECT'),
    has_table_privilege(r.oid, 'users', 'INSERT, UPDATE, DELETE, TRUNCATE'),
    has_database_privilege(r.oid, 'users', 'CREATE')
    FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
    WHERE a.application_name = 'users-fcgi'")"
check "make up refuses a port in use" \
    bash -c "! make -s -C '$ROOT' up PORT=$PORT 2>/dev/null"
pids=$(started_pids)
check "make down" make -s -C "$ROOT" down PORT="$PORT"
check_eq "make down: nothing left running (front, workers, PostgreSQL)" "" \
    "$(alive $pids)"
check "make down: the port is closed" port_free "$PORT"

# make run in its own session; Ctrl-C is SIGINT to its process group.
# (A background job starts with SIGINT ignored: restore it, as a
# terminal's foreground job has it.)
setsid "$PYTHON" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' make -s -C "$ROOT" run PORT="$PORT" \
    >"$T_TMP/run.log" 2>&1 &
run_pid=$!
check "make run serves /users" wait_http_200 "$URL" 60
pids=$(started_pids)
check_eq "make run: 5 workers by default" 5 \
    "$(worker_pids "$STATE_DIR/run-$PORT" | wc -l)"
kill -INT -- "-$run_pid"
gone_within "$run_pid" 30 || true
check_eq "make run: Ctrl-C stops everything it started" "" \
    "$(alive "$run_pid" $pids $(pgrep -s "$run_pid"))"
check "make run: the port is closed after Ctrl-C" port_free "$PORT"
