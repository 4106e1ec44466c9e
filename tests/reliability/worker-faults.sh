#!/usr/bin/env bash
# tests/reliability/worker-faults.sh -- the worker's own guarantees, end
# to end, behind lighttpd, one section each:
#   pidns     lighttpd -D as PID 1 of a PID namespace: its workers serve
#             and are not respawned
#   bounds    DATABASE_URL with options=-c statement_timeout=0 and
#             connect_timeout=0: the worker's bounds still hold
#   plan      ALTER TABLE users ... TYPE (SQLSTATE 0A000): recovered
#             within the request, and after the type is restored
#   pooler    a pooler-like proxy moves the worker's session to a new
#             server session: "prepared statement does not exist"
#             (26000) recovered within the request
#   deadline  a query waiting on a lock loses its connection and the
#             reconnect hangs (postmaster stopped): 503 within
#             DB_STATEMENT_TIMEOUT + 1 s
#   cancel    the deadline passes while the server runs the query: it is
#             cancelled, not left running
#   secret    a malformed DATABASE_URL with a password: the password never
#             reaches the error log, a useful line does
#   latin1    a LATIN1 database: the body is valid UTF-8 and equals
#             PostgreSQL's own JSON of the rows
#   outage    PostgreSQL down for N requests: exactly one line says so,
#             exactly one says "connected again"
# Arguments, if any, name the sections to run (default: all).
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

export FRONT=lighttpd
NS_PID= POOL_PID= ALTERED= GET_PID= CODE= EL=
# The slack allowed past the worker's deadline for lighttpd, curl and the
# scheduler of a loaded 2-core machine: each is a few ms, 500 ms is 100x.
SLACK_MS=500

# The suite's DATABASE_URL for database $1.
db_url() { printf '%s\n' "${DATABASE_URL/\/users\?//$1?}"; }

# Undo everything this script did, then faults.bash's cleanup.
wf_cleanup() {
	[ -z "$NS_PID" ] || stop_pid "$NS_PID" TERM
	[ -z "$POOL_PID" ] || stop_pid "$POOL_PID"
	[ -z "$ALTERED" ] || sql 'ALTER TABLE users ALTER COLUMN email TYPE text' || true
	faults_cleanup
}
trap wf_cleanup EXIT

# get_start NAME: GET $T_URL/users in the background (curl gives up
# after 20 s); get_result NAME waits for it and sets CODE (its status)
# and EL (how long it took, in ms).
get_start() {
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 20 \
	    "$T_URL/users" >"$D/$1.out" &
	GET_PID=$!
}
get_result() {
	local secs
	wait "$GET_PID" || true
	read -r CODE secs <"$D/$1.out"
	EL=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
}

# end_session PID: end that PostgreSQL session, return once it is gone.
end_session() {
	kill -TERM "$1"
	while pid_alive "$1"; do sleep 0.02; done
}

# --- lighttpd as PID 1 of a PID namespace ----------------------------------
pidns() {
	local L="[pidns]" port dir front p1 p2
	port=$(free_port)
	dir=$STATE_DIR/pidns-$port
	mkdir -p "$dir/www" "$dir/bin"
	chmod 0755 "$dir"
	touch "$dir/error.log"
	[ -z "$(run_user)" ] || chown "$(run_user):" "$dir" "$dir/error.log"
	make_private_dir "$dir/sock"
	install -m 0755 "$ROOT/build/users-fcgi" "$dir/bin/users-fcgi"
	PORT=$port BIND=127.0.0.1 WORKERS=2 RUN_DIR=$dir CONNECTIONS=64 \
	    WORKER_BIN=$dir/bin/users-fcgi RUN_USER=$(run_user) \
	    unshare --pid --fork --mount-proc --kill-child=TERM \
	    lighttpd -D -f "$ROOT/lighttpd.conf" \
	    </dev/null >/dev/null 2>>"$dir/error.log" &
	NS_PID=$!
	check "$L /users answers 200 with lighttpd as PID 1" \
	    wait_http_200 "http://127.0.0.1:$port/users" 10 "$NS_PID"
	front=$(pgrep -P "$NS_PID" -x lighttpd || true)
	check_eq "$L lighttpd is PID 1 of its namespace" 1 \
	    "$(awk '/^NSpid:/ {print $NF}' "/proc/${front:-0}/status" 2>/dev/null)"
	p1=$(worker_pids "$dir")
	sleep 3
	p2=$(worker_pids "$dir")
	check_eq "$L 2 workers" 2 "$(grep -c . <<<"$p1" || true)"
	check "$L the same worker PIDs 3 s later (no respawn loop): $(echo $p1)" \
	    [ -n "$p1" -a "$p1" = "$p2" ]
	check_eq "$L /users is still 200" 200 "$(http_code "http://127.0.0.1:$port/users")"
	[ -z "$front" ] || stop_pid "$front" INT
	stop_pid "$NS_PID"
	NS_PID=
	grep 'users-fcgi\[' "$dir/error.log" | head -n 3 || true
}

# --- DATABASE_URL cannot switch off the bounds -------------------------------
bounds() {
	local L="[bounds]" b1 b2
	if ! DATABASE_URL="$DATABASE_URL&options=-c%20statement_timeout%3D0&connect_timeout=0" \
	    WORKERS=1 t_up; then
		fail "$L the stack comes up"
		return
	fi
	b1=$(worker_backends)
	hold_lock 4
	get_start bounds-lock
	get_result bounds-lock
	wait "$LOCK_PID" || true
	LOCK_PID=
	b2=$(worker_backends)
	check_eq "$L statement_timeout=0 in the URL, a lock held 4 s: 503" 503 "$CODE"
	# statement_timeout (2 s) ended the query on the server, which
	# answered: the session survived.  The worker's own deadline (3 s)
	# would have dropped it.
	check "$L the server's statement_timeout (2000 ms) ended it: ${EL} ms, same session ($b1 = $b2)" \
	    [ "$EL" -lt 2900 -a -n "$b1" -a "$b1" = "$b2" ]
	# connect_timeout=0 would wait for ever for a stopped postmaster: end
	# the worker's session (if it has one), so that it must connect.
	pause "$(pg_postmaster)"
	[ -z "$b2" ] || end_session "$b2"
	get_start bounds-connect
	get_result bounds-connect
	resume
	check_eq "$L connect_timeout=0 in the URL, postmaster stopped: 503" 503 "$CODE"
	check "$L ... within DB_STATEMENT_TIMEOUT + 1 s + ${SLACK_MS} ms: ${EL} ms" \
	    [ "$EL" -lt $((3000 + SLACK_MS)) ]
	t_down
}

# --- a changed result type: cached plan must not change (0A000) ---------------
plan() {
	local L="[plan]" pids
	if ! WORKERS=2 t_up; then fail "$L the stack comes up"; return; fi
	pids=$(worker_pids "$T_RUN_DIR")
	check_eq "$L before: 200" "200 6" "$(load "$T_URL/users" 6 2)"
	ALTERED=1
	sql 'ALTER TABLE users ALTER COLUMN email TYPE varchar(200)'
	check_eq "$L after ALTER COLUMN email TYPE varchar(200): every request 200" \
	    "200 6" "$(load "$T_URL/users" 6 2)"
	sql 'ALTER TABLE users ALTER COLUMN email TYPE text'
	ALTERED=
	check_eq "$L after the type is restored: every request 200" \
	    "200 6" "$(load "$T_URL/users" 6 2)"
	check_eq "$L no worker was restarted" "$pids" "$(worker_pids "$T_RUN_DIR")"
	check "$L the error log names SQLSTATE 0A000" \
	    grep -q 'users-fcgi\[.*SQLSTATE 0A000' "$T_RUN_DIR/error.log"
	t_down
}

# --- a pooler moves the session: prepared statement does not exist (26000) ----
# pgpeer.py pooler: a proxy that moves each client to a new server
# session after SIGUSR1, as a transaction pooler does.
pooler() {
	local L="[pooler]" i
	mkdir -p "$D/pool"
	chmod 0755 "$D/pool"
	"$PYTHON" "$R/pgpeer.py" pooler "$D/pool/.s.PGSQL.5432" \
	    "$STATE_DIR/pg/run/.s.PGSQL.5432" &
	POOL_PID=$!
	for i in $(seq 100); do [ -S "$D/pool/.s.PGSQL.5432" ] && break; sleep 0.05; done
	if ! DATABASE_URL="postgresql://postgres@/users?host=$D/pool" WORKERS=1 t_up; then
		fail "$L the stack comes up through the pooler"
	else
		check_eq "$L before the move: 200" "200 3" "$(load "$T_URL/users" 3 1)"
		kill -USR1 "$POOL_PID"
		check_eq "$L after the session moved: every request 200" \
		    "200 3" "$(load "$T_URL/users" 3 1)"
		check "$L the error log names SQLSTATE 26000" \
		    grep -q 'users-fcgi\[.*SQLSTATE 26000' "$T_RUN_DIR/error.log"
		grep 'users-fcgi\[' "$T_RUN_DIR/error.log" | sed 's/^/        /'
		t_down
	fi
	stop_pid "$POOL_PID"
	POOL_PID=
}

# --- one deadline per request ---------------------------------------------------
deadline() {
	local L="[deadline]" b
	# connect_timeout 10 s: only the request's deadline can end the
	# reconnect in time.
	if ! DB_CONNECT_TIMEOUT=10 WORKERS=1 t_up; then
		fail "$L the stack comes up"
		return
	fi
	b=$(worker_backends)
	hold_lock 4
	get_start deadline
	wait_blocked 1 || true
	sleep 1
	# The query has waited ~1 s; its connection is lost, and the
	# postmaster that would accept the reconnect is stopped.
	pause "$(pg_postmaster)"
	end_session "$b"
	get_result deadline
	resume
	wait "$LOCK_PID" || true
	LOCK_PID=
	check_eq "$L lost query, reconnect hangs: 503" 503 "$CODE"
	check "$L ... within DB_STATEMENT_TIMEOUT + 1 s + ${SLACK_MS} ms: ${EL} ms" \
	    [ "$EL" -lt $((3000 + SLACK_MS)) ]
	check_eq "$L 200 once PostgreSQL is back" 200 "$(http_code "$T_URL/users")"
	t_down
}

# --- a query still running at the deadline is cancelled --------------------------
# The reconnect waits for a stopped postmaster (4.5 s), then the prepare
# waits on a lock: the request's deadline (DB_STATEMENT_TIMEOUT 5 s + 1 s)
# passes while the server, which answers, still runs it.  Dropping the
# connection alone would leave that backend waiting until its own
# statement_timeout (4.5 + 5 s); the cancel ends it at once.
cancel() {
	local L="[cancel]" b n
	if ! DB_CONNECT_TIMEOUT=10 DB_STATEMENT_TIMEOUT=5000 WORKERS=1 t_up; then
		fail "$L the stack comes up"
		return
	fi
	b=$(worker_backends)
	hold_lock 8
	pause "$(pg_postmaster)"
	end_session "$b"
	get_start cancel
	sleep 4.5
	resume
	get_result cancel
	sleep 0.5
	n=$(sql "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'users-fcgi' AND wait_event_type = 'Lock'")
	wait "$LOCK_PID" || true
	LOCK_PID=
	check_eq "$L deadline passed while the server ran the query: 503" 503 "$CODE"
	check "$L ... within DB_STATEMENT_TIMEOUT + 1 s + ${SLACK_MS} ms: ${EL} ms" \
	    [ "$EL" -lt $((6000 + SLACK_MS)) ]
	check_eq "$L 0.5 s later, no query of the worker waits on the lock" 0 "$n"
	t_down
}

# --- no password in the error log ---------------------------------------------
# worker_alone NAME URL: one worker (spawn-fcgi) with DATABASE_URL=URL
# answers one GET /users (cgi-fcgi) and stops; prints the answer's first
# line, its error log is $D/NAME.log.
worker_alone() {
	local pid bin
	bin=$(readlink -f "$ROOT/build/users-fcgi")
	DATABASE_URL=$2 spawn-fcgi -n -s "$D/$1.sock" -- "$bin" \
	    </dev/null >/dev/null 2>"$D/$1.log" &
	pid=$!
	# spawn-fcgi binds, listens, then execs the worker: the socket file
	# exists before it accepts, the exec'd image is what says it does.
	for _ in $(seq 200); do
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$bin" ] && break
		sleep 0.05
	done
	REQUEST_METHOD=GET SCRIPT_NAME=/users REQUEST_URI=/users \
	    cgi-fcgi -bind -connect "$D/$1.sock" 2>&1 | head -n 1 | cut -c1-11 || true
	stop_pid "$pid"
	sed 's/^/        /' "$D/$1.log" >&2
}

secret() {
	local L="[secret]"
	check_eq "$L a malformed DATABASE_URL: 503" "Status: 503" \
	    "$(worker_alone secret 'postgresql://app:S3cret@[::1/users')"
	check_eq "$L the password is not in the error log" 0 \
	    "$(grep -c S3cret "$D/secret.log" || true)"
	check "$L the error log says DATABASE_URL is malformed" \
	    grep -q 'users-fcgi\[.*DATABASE_URL' "$D/secret.log"
	# A valid URL whose connection error quotes the password (here, as
	# part of the socket directory).
	check_eq "$L a connection error that would quote the password: 503" \
	    "Status: 503" \
	    "$(worker_alone secret2 "postgresql://app:S3cret@/users?host=$D/S3cret")"
	check_eq "$L the password is not in the error log" 0 \
	    "$(grep -c S3cret "$D/secret2.log" || true)"
	check "$L the error log says why, password masked" \
	    grep -q 'users-fcgi\[.*connect.*/\*\*\*\*\*/\.s\.PGSQL' "$D/secret2.log"
}

# --- a LATIN1 database --------------------------------------------------------
latin1() {
	local L="[latin1]" url
	url=$(db_url users_latin1)
	DATABASE_URL=$(db_url postgres) sql 'SET client_min_messages = warning' \
	    'DROP DATABASE IF EXISTS users_latin1' \
	    "CREATE DATABASE users_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
	PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -d "$url" \
	    -c 'CREATE TABLE users (user_id text PRIMARY KEY, username text, email text)' \
	    -c "INSERT INTO users VALUES ('1', 'José Müller', 'ñandú@café.example'),
	        ('2', 'Ærøskøbing ÿ ½ §', 'x@y')"
	if ! DATABASE_URL=$url WORKERS=1 t_up; then
		fail "$L the stack comes up"
	else
		curl -s --max-time 10 -o "$D/latin1.json" "$T_URL/users" || true
		PGCLIENTENCODING=UTF8 psql -X -q -At -d "$url" -c "SELECT json_agg(t)
		    FROM (SELECT user_id, username, email FROM users ORDER BY user_id) AS t" \
		    >"$D/latin1.expected"
		check "$L the body is valid UTF-8" "$PYTHON" -c \
		    'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$D/latin1.json"
		check "$L the body equals PostgreSQL's json_agg of the rows" \
		    "$PYTHON" "$ROOT/tests/json_same.py" "$D/latin1.json" "$D/latin1.expected"
		check "$L é is there as UTF-8" grep -q 'José Müller' "$D/latin1.json"
		t_down
	fi
	DATABASE_URL=$(db_url postgres) sql 'DROP DATABASE users_latin1'
}

# --- an outage is logged once ----------------------------------------------------
outage() {
	local L="[outage]" n0 lines
	if ! WORKERS=1 t_up; then fail "$L the stack comes up"; return; fi
	n0=$(wc -l <"$T_RUN_DIR/error.log")
	"$ROOT/scripts/db.sh" stop
	check_eq "$L PostgreSQL stopped: 5 requests, 5 503s" "503 5" \
	    "$(load "$T_URL/users" 5 1)"
	"$ROOT/scripts/db.sh" start
	check_eq "$L PostgreSQL started: 200" 200 "$(http_code "$T_URL/users")"
	check_eq "$L and the next 4 requests: 200" "200 4" "$(load "$T_URL/users" 4 1)"
	lines=$(tail -n +"$((n0 + 1))" "$T_RUN_DIR/error.log" | grep 'users-fcgi\[' || true)
	sed 's/^/        /' <<<"$lines"
	check_eq "$L one line says connected again" 1 \
	    "$(grep -c 'connected again' <<<"$lines" || true)"
	check_eq "$L one line says it is down" 1 \
	    "$(grep -v 'connected again' <<<"$lines" | grep -c . || true)"
	t_down
}

# worker-faults.sh [SECTION...]: those sections only (default: all).
for section in ${*:-pidns bounds plan pooler deadline cancel secret latin1 outage}; do
	"$section"
done
