#!/usr/bin/env bash
# tests/integration.sh -- the service end to end: a real front server
# (FRONT), real workers (WORKER_BIN), the suite's real PostgreSQL
# (DATABASE_URL, holding tests/fixtures/hostile.sql), real HTTP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

L="[$FRONT${T_LABEL:+ $T_LABEL}]"
D=$T_TMP/integration-$FRONT${T_LABEL:+-$T_LABEL}
mkdir -p "$D"
QUERY="SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100"

# What PostgreSQL itself makes of the query, as JSON.
expected_json() {
	sql "SELECT coalesce(json_agg(t), '[]') FROM ($QUERY) AS t" >"$1"
}

# --- exactly WORKERS processes, for 5 and for another count -------------
for n in 2 5; do
	if WORKERS=$n t_up; then
		check_eq "$L WORKERS=$n starts exactly $n workers" "$n" \
		    "$(worker_pids "$T_RUN_DIR" | wc -l)"
		[ "$n" = 5 ] || t_down
	else
		fail "$L the stack comes up with WORKERS=$n"
		exit 0
	fi
done
pids=$(worker_pids "$T_RUN_DIR")

# --- GET /users --------------------------------------------------------
get r "$T_URL/users"
expected_json "$D/expected.json"
check_eq "$L GET /users is 200" 200 "$(status r)"
check_eq "$L GET /users is application/json" application/json \
    "$(header r Content-Type)"
check_eq "$L Content-Length is the body's length" "$(stat -c %s "$D/r.body")" \
    "$(header r Content-Length)"
check "$L body equals PostgreSQL's json_agg (hostile strings included)" \
    "$PYTHON" "$ROOT/tests/json_same.py" "$D/r.body" "$D/expected.json"
check "$L the hostile rows are in the response" \
    grep -q 'alert(1)' "$D/r.body"
check_eq "$L Cache-Control: no-store" no-store "$(header r Cache-Control)"
check_eq "$L X-Content-Type-Options: nosniff" nosniff \
    "$(header r X-Content-Type-Options)"
cp "$D/r.body" "$D/users.json"

get r "$T_URL/users?limit=1&offset=5&x=%41"
check "$L a query string is ignored" cmp -s "$D/r.body" "$D/users.json"

get r "$T_URL/users" -I
check_eq "$L HEAD /users is 200" 200 "$(status r)"
check_eq "$L HEAD has the GET's Content-Length" \
    "$(stat -c %s "$D/users.json")" "$(header r Content-Length)"
raw_request "$T_PORT" 'HEAD /users HTTP/1.0\r\nHost: x\r\n\r\n' >"$D/raw"
check_eq "$L HEAD sends no body (bytes after the head)" 0 \
    "$("$PYTHON" -c 'import sys; print(len(open(sys.argv[1], "rb").read().split(b"\r\n\r\n", 1)[1]))' "$D/raw")"

# --- 404 and 405 -------------------------------------------------------
for path in / /nope /users/ /users/5 /users.json /usersx; do
	get r "$T_URL$path"
	check_eq "$L GET $path is 404" 404 "$(status r)"
	check_eq "$L GET $path has a JSON error body" '{"error":"not found"}' \
	    "$(cat "$D/r.body")"
done
for method in POST PUT DELETE PATCH OPTIONS; do
	get r "$T_URL/users" -X "$method" -d x
	check_eq "$L $method /users is 405" 405 "$(status r)"
	check_eq "$L $method /users has Allow: GET, HEAD" "GET, HEAD" \
	    "$(header r Allow)"
	check_eq "$L $method /users has a JSON error body" \
	    '{"error":"method not allowed"}' "$(cat "$D/r.body")"
done

# --- an empty table ----------------------------------------------------
sql "CREATE TABLE users_saved AS SELECT * FROM users; DELETE FROM users"
get r "$T_URL/users"
check_eq "$L an empty table gives []" "200 []" "$(status r) $(cat "$D/r.body")"
sql "INSERT INTO users SELECT * FROM users_saved; DROP TABLE users_saved"

# --- PostgreSQL restarted: the stale connections are replaced ----------
"$ROOT/scripts/db.sh" stop
"$ROOT/scripts/db.sh" start
check_eq "$L after a PostgreSQL restart, 300 requests (10 at a time) all succeed" \
    "200 300" "$(load "$T_URL/users" 300 10)"

# --- PostgreSQL down: 503 in bounded time, workers survive --------------
log_lines=$(wc -l <"$T_RUN_DIR/error.log")
"$ROOT/scripts/db.sh" stop
get r "$T_URL/users" -w '%{time_total}' --max-time 3 >"$D/time"
check_eq "$L database down: 503 within 3 s" 503 "$(status r)"
check_eq "$L database down: a JSON error body without database text" \
    '{"error":"database unavailable"}' "$(cat "$D/r.body")"
check_eq "$L database down: 20 more requests all 503" "503 20" \
    "$(load "$T_URL/users" 20 5)"
check "$L database down: libpq's reason is in the error log" \
    grep -q 'users-fcgi\[[0-9]*\]: app/db.c:[0-9]*: connect' "$T_RUN_DIR/error.log"
# Logged per worker, not per request: each worker notes the lost
# connection and its failed reconnect, then nothing more while it lasts
# (21 requests, 5 workers: one line per request would be 21 or more).
n=$(tail -n +"$((log_lines + 1))" "$T_RUN_DIR/error.log" | grep -c 'users-fcgi\[[0-9]*\]: ' || true)
check "$L database down: 21 requests, $n lines in the error log (1 to 10, two per worker at most)" \
    [ "$n" -ge 1 -a "$n" -le 10 ]
[ "$n" -le 10 ] || tail -n +"$((log_lines + 1))" "$T_RUN_DIR/error.log" | grep 'users-fcgi\[' | cut -c1-160
check_eq "$L database down: every worker still runs (same PIDs)" "$pids" \
    "$(worker_pids "$T_RUN_DIR")"

"$ROOT/scripts/db.sh" start
check_eq "$L database back: 300 requests (10 at a time) all succeed" \
    "200 300" "$(load "$T_URL/users" 300 10)"
check_eq "$L no worker was restarted" "$pids" "$(worker_pids "$T_RUN_DIR")"

t_down
check_eq "$L down: no worker left" "" "$(worker_pids "$T_RUN_DIR")"
check "$L down: the port is closed" port_free "$T_PORT"
