#!/usr/bin/env bash
# tests/peers.sh -- the benchmark's peers (bench/peers/): the seed's Axum +
# SQLx server and its two FastAPI servers, really built (cached after the
# first run), really started against the suite's PostgreSQL (DATABASE_URL,
# holding tests/fixtures/hostile.sql), real HTTP.  Also: prepare.sh's
# failures (a compile error, no network) give one clear line and leave no
# cache entry behind; run.sh never builds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

P=$ROOT/bench/peers
D=$T_TMP/peers
mkdir -p "$D"
QUERY="SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100"
sql "SELECT coalesce(json_agg(t), '[]') FROM ($QUERY) AS t" >"$D/expected.json"

# backends APP: how many sessions PostgreSQL has with application_name APP.
backends() {
	sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'"
}

# --- prepare.sh: builds (or finds) all three, then is quiet ---------------
if "$P/prepare.sh" axum fastapi fastapi-async; then
	pass "prepare.sh axum fastapi fastapi-async"
else
	fail "prepare.sh axum fastapi fastapi-async"
	exit 0
fi
"$P/prepare.sh" axum fastapi fastapi-async 2>"$D/prepare.err"
check_eq "a second prepare.sh prints nothing (all cached)" "" "$(cat "$D/prepare.err")"

# --- versions.sh ----------------------------------------------------------
"$P/versions.sh" >"$D/versions.json"
check "versions.sh: every component with a version" "$PYTHON" -c 'import json, sys
v = json.load(open(sys.argv[1]))
keys = "axum sqlx tokio hyper serde serde_json rustc fastapi starlette uvicorn uvloop httptools pydantic sqlalchemy psycopg2 asyncpg python".split()
sys.exit(not all(isinstance(v.get(k), str) and v[k][0].isdigit() for k in keys))' "$D/versions.json"
check "versions.sh: the seed's axum 0.7.4, sqlx 0.7.3, fastapi 0.103.2" grep -q \
    '"axum": "0.7.4", "sqlx": "0.7.3".*"fastapi": "0.103.2"' "$D/versions.json"

# --- uvicorn runs as the seed's did: uvloop and httptools -----------------
venv=$(. "$P/lib.sh" && venv_dir)
check_eq "uvicorn's defaults pick uvloop and httptools in the venv" \
    "loop=uvloop http=httptools" \
    "$("$venv/bin/python" "$P/python/uvicorn_choice.py" 2>&1)"

# --- each peer ------------------------------------------------------------
# peer NAME MAX_CONNECTIONS
peer() {
	local name=$1 max=$2 L="[$1]" app=t-peer-$1 sep='?' port pid url n most=0
	case $DATABASE_URL in *\?*) sep=\& ;; esac
	port=$(free_port)
	url=http://127.0.0.1:$port/users
	DATABASE_URL="$DATABASE_URL$sep""application_name=$app" PORT=$port \
	    "$P/$name/run.sh" >"$D/$name.log" 2>&1 &
	pid=$!
	if ! wait_http_200 "$url" 60 "$pid"; then
		fail "$L run.sh serves GET /users (log: $(tail -n 3 "$D/$name.log"))"
		stop_pid "$pid"
		return 0
	fi
	check "$L run.sh's PID is the server listening on 127.0.0.1:$port" \
	    grep -q "pid=$pid," <<<"$(ss -Hltnp "sport = :$port")"

	get "$name" "$url"
	check_eq "$L GET /users is 200" 200 "$(status "$name")"
	check_eq "$L GET /users is application/json" application/json \
	    "$(header "$name" Content-Type)"
	check "$L body equals PostgreSQL's json_agg (hostile rows included)" \
	    "$PYTHON" "$ROOT/tests/json_same.py" --any-key-order \
	    "$D/$name.body" "$D/expected.json"
	check "$L the hostile rows are in the body" grep -q 'alert(1)' "$D/$name.body"

	# 50 requests at once; meanwhile, the most sessions it holds.
	(while :; do backends "$app"; sleep 0.05; done) >"$D/$name.sessions" 2>/dev/null &
	local sampler=$!
	check_eq "$L 50 concurrent GET /users: all 200" "200 50" "$(load "$url" 50 50)"
	stop_pid "$sampler"
	n=$(backends "$app")
	for n in $n $(cat "$D/$name.sessions"); do [ "$n" -le "$most" ] || most=$n; done
	check "$L holds between 1 and $max PostgreSQL sessions (at most $most seen)" \
	    test "$most" -ge 1 -a "$most" -le "$max"
	echo "$most" >"$D/$name.most"

	kill -TERM "$pid"
	check "$L stops on SIGTERM (within 10 s)" gone_within "$pid" 10
	stop_pid "$pid"		# reaps it; KILL if SIGTERM did not stop it
	check "$L nothing listens on its port any more" port_free "$port"
	n=0
	while [ "$(backends "$app")" != 0 ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	check_eq "$L no PostgreSQL session left" 0 "$(backends "$app")"
}

peer axum 5
peer fastapi-async 5
peer fastapi 15
check_eq "[fastapi-async] holds exactly its pool of 5 sessions" 5 \
    "$(cat "$D/fastapi-async.most" 2>/dev/null)"

# --- run.sh never builds: without the cache it fails at once ---------------
for name in axum fastapi fastapi-async; do
	rc=0
	USERS_FCGI_CACHE=$D/empty-cache DATABASE_URL=$DATABASE_URL PORT=1 \
	    timeout 10 "$P/$name/run.sh" >/dev/null 2>"$D/run.err" || rc=$?
	check "[$name] run.sh without a cache fails at once, saying to run prepare.sh" \
	    test "$rc" = 1 -a ! -e "$D/empty-cache" -a "$(grep -c 'prepare.sh' "$D/run.err")" = 1
done

# --- prepare.sh's failures: one line, no cache entry left -----------------
# one_error NAME STDERR: STDERR ends with the one error line, naming a log
# that exists and how to retry NAME (progress lines may come before it).
one_error() {
	local line log
	[ "$(grep -c 'error' "$2")" = 1 ] || return 1
	line=$(tail -n 1 "$2")
	log=$(sed -n '$s/.*(log: \(.*\)); retry with: .*/\1/p' "$2")
	[[ $line == "prepare.sh: error: "*"; retry with: bench/peers/prepare.sh $1" ]] &&
	    [ -s "$log" ]
}
# fails NAME LABEL ENV...: prepare.sh NAME in a fresh cache fails cleanly.
fails() {
	local name=$1 label=$2 cache=$D/cache-$1-$RANDOM rc=0
	shift 2
	env USERS_FCGI_CACHE="$cache" HOME="$D/home" "$@" \
	    "$P/prepare.sh" "$name" >/dev/null 2>"$D/fail.err" || rc=$?
	check_eq "prepare.sh $name, $label: exit status 1" 1 "$rc"
	check "prepare.sh $name, $label: one error line, with its log and the retry" \
	    one_error "$name" "$D/fail.err"
	check "prepare.sh $name, $label: no cache entry left" \
	    test -z "$(find "$cache" -mindepth 1 -maxdepth 1 -type d)"
}
mkdir -p "$D/home" "$D/fakebin"
printf '#!/bin/sh\necho "rustc 1.95.0 (fake)"\n' >"$D/fakebin/rustc"
printf '#!/bin/sh\necho "error: a simulated compile error" >&2\nexit 101\n' \
    >"$D/fakebin/cargo"
chmod +x "$D/fakebin/rustc" "$D/fakebin/cargo"
fails axum "a compile error" PATH="$D/fakebin:$PATH"
printf '#!/bin/sh\necho "rustc 1.69.0 (fake)"\n' >"$D/fakebin/rustc"
fails axum "rustc too old" PATH="$D/fakebin:$PATH"
fails fastapi-async "PyPI unreachable" PIP_INDEX_URL=http://127.0.0.1:9/simple \
    PIP_RETRIES=0 PIP_TIMEOUT=2
