#!/usr/bin/env bash
# scripts/db.sh -- the embedded PostgreSQL, private to this checkout.
#
#   db.sh start   create the cluster and the seeded database once; start it
#   db.sh stop    stop it
#   db.sh url [ROLE]  print its DATABASE_URL (a unix socket in the state
#                 dir), as the superuser or ROLE (users_fcgi_reader: the
#                 workers' read-only role, sql/03-reader.sql)
#   db.sh seed    load the schema and the rows (sql/01, sql/02) into
#                 $DATABASE_URL
#
# The cluster lives in $(state_dir)/pg, listens on no TCP port (its socket,
# mode 0700, in a directory of mode 0700), and runs as the unprivileged
# run user when we are root (postgres refuses root).  Its log goes
# through rotatelogs (run as the run user, in pg/log/, with
# pg/postgres.log a link to the current file): LOG_FILES files of
# LOG_SIZE at most, like the stack's error log.
set -euo pipefail
. "$(dirname "$0")/common.sh"
close_fds
log_cap_check

PG_DIR=$(state_dir)/pg
DATA=$PG_DIR/data
SOCK=$PG_DIR/run

# url [USER [DB]]: the URL of database DB (default users) as USER
# (default postgres), its socket directory percent-encoded (a path may
# hold a space or '&').
url() {
	echo "postgresql://${1:-postgres}@/${2:-users}?host=$("$PYTHON" -c \
	    'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/"))' "$SOCK")"
}

# Load the schema and the seed into the database at URL $1.
seed() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" \
	    -f "$ROOT/sql/01-schema.sql" -f "$ROOT/sql/02-seed.sql" >/dev/null
}

# local_psql PSQL-ARGS...: psql on the embedded cluster as the run user,
# which owns the socket directory: root connects to no path in it (a
# link there could lead root's psql elsewhere).  SQL files come on stdin,
# opened by us (the run user may not enter the checkout).
local_psql() { as_run_user psql -X -v ON_ERROR_STOP=1 "$@"; }

start() {
	local admin users u as=()
	u=$(run_user)
	[ -z "$u" ] || as=(setpriv --reuid="$u" --regid="$u" --init-groups --)
	state_dir_ready >/dev/null
	sock_path_ok "$SOCK/.s.PGSQL.5432"
	make_private_dir "$PG_DIR"
	make_own_dir "$SOCK"
	make_own_dir "$PG_DIR/log"
	if [ ! -s "$DATA/PG_VERSION" ]; then
		log "creating the embedded PostgreSQL cluster in $DATA"
		as_run_user "$PG_BIN/initdb" -D "$DATA" -U postgres \
		    --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
	fi
	raise_nofile
	if ! as_run_user "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
		# The server's stdout and stderr: the pipe to rotatelogs, which
		# lives as long as the server writes to it.  exec: no subshell
		# (as_run_user's) may stay behind holding our stdout.
		as_run_user "$PG_BIN/pg_ctl" -D "$DATA" \
		    -w -t 30 -s start -o "-c listen_addresses='' -k $(printf %q "$SOCK") \
		    -c unix_socket_permissions=0700" \
		    > >(cd / && exec setsid "${as[@]}" rotatelogs -f -n "$LOG_FILES" \
		    -L "$PG_DIR/postgres.log" "$PG_DIR/log/postgres" "$LOG_SIZE" \
		    >/dev/null 2>&1) 2>&1
	fi
	admin=$(url postgres postgres)
	users=$(url)
	if [ -z "$(local_psql -At -d "$admin" \
	    -c "SELECT 1 FROM pg_database WHERE datname = 'users'")" ]; then
		local_psql -q -d "$admin" -c 'CREATE DATABASE users'
		cat "$ROOT/sql/01-schema.sql" "$ROOT/sql/02-seed.sql" |
		    local_psql -q -d "$users" -f - >/dev/null
		log "database users created and seeded"
	fi
	local_psql -q -d "$users" -f - <"$ROOT/sql/03-reader.sql" >/dev/null
}

stop() {
	if [ -s "$DATA/PG_VERSION" ] &&
	    as_run_user "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
		as_run_user "$PG_BIN/pg_ctl" -D "$DATA" -w -t 30 -s -m fast stop
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url "${2:-}" ;;
seed)
	[ -n "${DATABASE_URL:-}" ] || die "set DATABASE_URL (the embedded" \
	    "database is seeded when make run, up or test create it)"
	seed "$DATABASE_URL" ;;
*) die "usage: db.sh start|stop|url|seed" ;;
esac
