#!/usr/bin/env bash
# tests/multihost.sh -- the service spread over several hosts: a front host
# (nginx and lighttpd, ROLE=front), two app hosts (ROLE=app, workers on
# TCP), a database host (PostgreSQL over TCP) and an outsider, each a
# network namespace on one bridge (tests/multihost/net.bash).  Load comes
# from the front host; every request is logged and every 200's body is
# compared with a reference (tests/reliability/loadgen.py --expect).
#
#   balance     2,000 requests, 20 at a time, per front: all 200 with the
#               exact body, both app hosts accepted some
#   outsider    a FastCGI request from a host not in FRONT_ADDRS: no byte
#               back, the workers untouched
#   host dies   every process of an app host SIGKILLed under load: nginx
#               fails no request; lighttpd's failures are counted
#   host cut    an app host's link down (no reset): nginx fails no request,
#               none waits longer than the timeouts allow, the host gets
#               traffic again within fail_timeout; lighttpd measured
#   db cut      the database host's link down 3 s: JSON 503s within the
#               workers' bound, then 200s, no worker restarted
#   make down   on every host: no process left, no port open, even
#               after nginx's master and an app host's pool were
#               SIGKILLed (they are recorded: their children are found)
# Needs root (network namespaces).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/multihost/net.bash"

L="[multihost]"
D=$T_TMP/multihost
mkdir -p "$D"
chmod 0755 "$D"
if [ "$(id -u)" -ne 0 ]; then
	fail "$L network namespaces need root"
	exit 0
fi

P=$NET_PREFIX
FRONT_IP=$P.2 APP1_IP=$P.11 APP2_IP=$P.12 DB_IP=$P.20 CLI_IP=$P.30
FCGI_PORT=9000 NGINX_PORT=8080 LIGHTTPD_PORT=8081
APP_WORKERS=4
# The workers' database bound: a request waits at most DB_CONNECT_TIMEOUT
# to connect, or DB_STATEMENT_TIMEOUT + 1 s for an answer.
export DB_CONNECT_TIMEOUT=2 DB_STATEMENT_TIMEOUT=500
DB_BOUND_MS=2000
# The fronts' timeouts (s).  The read timeout is the fronts' default,
# which follows from the workers' bound (scripts/front.sh):
# DB_STATEMENT_TIMEOUT rounded up to 1 s, + 1 s, + 1 s.
CONNECT=1 READ=3 FAIL=5
SLACK_MS=1000	# a loaded 2-core machine's answer time on top of a bound
PGD=$D/db/pg
DB_URL=postgresql://postgres@$DB_IP:5432/users
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%d\n", (b - a) * 1000 }'; }

cleanup() {
	[ -z "$LOAD_PID" ] || kill "$LOAD_PID" 2>/dev/null || true
	if [ -s "$PGD/data/postmaster.pid" ]; then
		(cd / && on db runuser -u "$(run_user)" -- "$PG_BIN/pg_ctl" \
		    -D "$PGD/data" -s -m immediate stop) 2>/dev/null || true
	fi
	net_down
}
trap cleanup EXIT

# --- the hosts -----------------------------------------------------------
net_up
host_add front 2
host_add app1 11
host_add app2 12
host_add db 20
host_add cli 30

# The database host: a cluster seeded by scripts/db.sh, then listening on
# its address, trusting the test's /24.
db_up() {
	(cd / && on db runuser -u "$(run_user)" -- "$PG_BIN/pg_ctl" \
	    -D "$PGD/data" -l "$PGD/postgres.log" -w -t 30 -s start \
	    -o "-c listen_addresses=$DB_IP -k $PGD/run -c unix_socket_permissions=0700")
}
on db env STATE_DIR="$D/db" "$ROOT/scripts/db.sh" start
on db env STATE_DIR="$D/db" "$ROOT/scripts/db.sh" stop
echo "host users postgres $P.0/24 trust" >>"$PGD/data/pg_hba.conf"
db_up

# app_env N: the environment of app host N's role.
app_env() {
	local ip=$P.$((10 + $1))
	echo ROLE=app FCGI_LISTEN="$ip:$FCGI_PORT" STATE_DIR="$D/app$1"
}
app_up() {
	# shellcheck disable=SC2046 # app_env's words
	on "app$1" env $(app_env "$1") FRONT_ADDRS="$FRONT_IP" \
	    DATABASE_URL="$DB_URL" WORKERS=$APP_WORKERS make -s -C "$ROOT" up
}
# shellcheck disable=SC2046
app_make_down() { on "app$1" env $(app_env "$1") make -s -C "$ROOT" down; }
# The PIDs of app host N's workers (the children of its pool's
# multiwatch), sorted.
app_workers() {
	local f mw
	f=$D/app$1/app-$P.$((10 + $1))-$FCGI_PORT/workers.pid
	[ -s "$f" ] && mw=$(pgrep -P "$(cat "$f")" -x multiwatch) &&
	    pgrep -P "$mw" | sort -n || true
}
front_up() {
	on front env ROLE=front FRONT="$1" PORT="$2" BIND="$FRONT_IP" \
	    UPSTREAMS="$APP1_IP:$FCGI_PORT $APP2_IP:$FCGI_PORT" \
	    UPSTREAM_CONNECT_TIMEOUT=$CONNECT \
	    UPSTREAM_FAIL_TIMEOUT=$FAIL STATE_DIR="$D/front" \
	    make -s -C "$ROOT" up
}

ok=1
app_up 1 && app_up 2 || ok=0
[ "$ok" = 0 ] || front_up nginx "$NGINX_PORT" || ok=0
[ "$ok" = 0 ] || front_up lighttpd "$LIGHTTPD_PORT" || ok=0
check "$L database, 2 app hosts, nginx and lighttpd fronts come up" [ "$ok" = 1 ]
[ "$ok" = 1 ] || exit 0
check_eq "$L app host 1 runs $APP_WORKERS workers" $APP_WORKERS "$(app_workers 1 | wc -l)"
check_eq "$L app host 2 runs $APP_WORKERS workers" $APP_WORKERS "$(app_workers 2 | wc -l)"

# The reference body: one answer, which must equal PostgreSQL's json_agg.
on db psql -X -At -d "postgresql://postgres@/users?host=$PGD/run" -c \
    "SELECT coalesce(json_agg(t), '[]') FROM (SELECT user_id, username, email
     FROM users ORDER BY user_id LIMIT 100) AS t" >"$D/expected.json"
on front curl -s --max-time 10 -o "$D/ref.json" "http://$FRONT_IP:$NGINX_PORT/users"
check "$L a body through the front equals PostgreSQL's json_agg" \
    "$PYTHON" "$ROOT/tests/json_same.py" "$D/ref.json" "$D/expected.json"

# front_load FRONT_PORT NAME CLIENTS: lib.sh's load_start on the front
# host, CLIENTS clients for at most 40 s, each 200 compared byte for byte
# with ref.json; every request logged to $D/NAME.log.
LOAD_ON="on front"
front_load() {
	load_start "$2" "http://$FRONT_IP:$1/users" --clients "$3" --seconds 40 \
	    --timeout 20 --expect "$D/ref.json"
}
# wrong_200: how many 200s of the last load had another body than ref.json.
wrong_200() { awk '$3 == 200 && $4 != "json"' "$LOAD_LOG" | wc -l; }
# failures: the statuses of the failed requests of the last load, counted
# ("0 x2, 503 x3"; 0 = no answer), or "none".
failures() {
	awk '$3 != 200 { n[$3]++ } END { for (s in n) printf "%s%s x%d", (k++ ? ", " : ""), s, n[s]; if (!k) printf "none" }' "$LOAD_LOG"
}

# --- balance: 2,000 requests, 20 at a time -----------------------------
balance() {
	local name=$1 port=$2 a1 a2 total good bad
	a1=$(passive_opens app1)
	a2=$(passive_opens app2)
	LOAD_LOG=$D/balance-$name.log
	on front "$PYTHON" "$LOADGEN" run "http://$FRONT_IP:$port/users" \
	    "$LOAD_LOG" --clients 20 --requests 2000 --seconds 60 \
	    --expect "$D/ref.json"
	read -r total good _ _ bad _ < <(counts)
	a1=$(($(passive_opens app1) - a1))
	a2=$(($(passive_opens app2) - a2))
	check_eq "[$name] 2,000 requests, 20 at a time: all 200" "2000 2000" "$total $good"
	check_eq "[$name] every body is exactly the reference" 0 "$bad"
	check "[$name] both app hosts served some (app1 $a1, app2 $a2 connections)" \
	    [ "$a1" -gt 0 -a "$a2" -gt 0 -a $((a1 + a2)) -ge 2000 ]
}
balance nginx "$NGINX_PORT"
balance lighttpd "$LIGHTTPD_PORT"

# --- a host not in FRONT_ADDRS -----------------------------------------
pids1=$(app_workers 1)
check_eq "$L the front host's FastCGI request to app host 1 is answered" yes \
    "$(on front "$PYTHON" "$ROOT/tests/multihost/fcgi_probe.py" "$APP1_IP" "$FCGI_PORT" |
    awk '{ print ($1 > 10000) ? "yes" : $1 }')"
for i in 1 2 3 4 5; do
	on cli "$PYTHON" "$ROOT/tests/multihost/fcgi_probe.py" "$APP1_IP" "$FCGI_PORT"
done >"$D/outsider"
check_eq "$L 5 FastCGI requests from $CLI_IP (not in FRONT_ADDRS): no byte back" \
    "0 0 0 0 0" "$(tr '\n' ' ' <"$D/outsider" | sed 's/ $//')"
check_eq "$L ... and app host 1's workers are the same processes" "$pids1" "$(app_workers 1)"
check_eq "$L ... and the front still gets 200" 200 \
    "$(on front curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$FRONT_IP:$NGINX_PORT/users")"

# --- an app host dies: all its processes SIGKILLed under load ----------
host_dies() {
	local name=$1 port=$2 t1 total good late lgood
	front_load "$port" "dies-$name" 10
	host_kill app2
	t1=$(now)
	sleep 2
	load_stop
	read -r total good _ _ _ _ < <(counts)
	read -r late lgood _ _ _ _ < <(counts --after "$t1")
	printf '        [%s] app host 2 SIGKILLed: %d of %d requests failed (%s), %d of %d started after the kill\n' \
	    "$name" "$((total - good))" "$total" "$(failures)" "$((late - lgood))" "$late"
	check "[$name] app host dies: requests started after the kill all 200 ($lgood of $late)" \
	    [ "$late" -gt 0 -a "$late" = "$lgood" ]
	if [ "$name" = nginx ]; then
		check_eq "[$name] app host dies: no request failed" "$total" "$good"
	else
		# Each client can lose the request in flight at the kill, and
		# one more sent before the last process holding the socket died.
		check "[$name] app host dies: at most 2 failures per client ($((total - good)) of $total)" \
		    le "$((total - good))" 20
		check "[$name] app host dies: every failure an answer of lighttpd (5xx), none a hang ($(failures))" \
		    [ -z "$(awk '$3 != 200 && ($3 < 500 || $2 - $1 > 5)' "$LOAD_LOG")" ]
	fi
	check_eq "[$name] app host dies: no 200 with a wrong body" 0 "$(wrong_200)"
	# Back up, for what follows.
	app_make_down 2 >/dev/null 2>&1 || true
	app_up 2
}
host_dies nginx "$NGINX_PORT"
host_dies lighttpd "$LIGHTTPD_PORT"

# --- an app host cut off: its link down, no reset ------------------------
# The cut lasts longer than the read timeout, so that every request stuck
# on the host has timed out before it comes back.
host_cut() {
	local name=$1 port=$2 t_cut t_cut1 t_mend total good n max before back_ms
	front_load "$port" "cut-$name" 10
	t_cut=$(now)
	cut app2
	t_cut1=$(now)
	sleep $((READ + 1))
	before=$(passive_opens app2)
	t_mend=$(now)
	mend app2
	back_ms=never
	until [ "$(ms_since "$t_mend")" -gt $(((FAIL + 2) * 1000)) ]; do
		if [ "$(passive_opens app2)" -gt "$before" ]; then
			back_ms=$(ms_since "$t_mend")
			break
		fi
		sleep 0.05
	done
	sleep 0.5
	load_stop
	read -r total good _ _ _ max < <(counts)
	read -r n _ _ _ _ stuck < <(counts --before "$t_cut1" --ended-after "$t_cut")
	read -r _ _ _ _ _ after < <(counts --after "$t_cut1")
	printf '        [%s] app host 2 cut off %d s: %d of %d requests failed (%s); slowest %d ms; %d in flight at the cut, slowest %d ms; started later, slowest %d ms; traffic again %s ms after the link came back\n' \
	    "$name" $((READ + 1)) "$((total - good))" "$total" "$(failures)" "$max" "$n" "$stuck" "$after" "$back_ms"
	check_eq "[$name] host cut: no 200 with a wrong body" 0 "$(wrong_200)"
	if [ "$name" = nginx ]; then
		check_eq "[$name] host cut: no request failed" "$total" "$good"
		check "[$name] host cut: in flight at the cut, none waited longer than the read timeout ${READ} s + ${SLACK_MS} ms ($stuck ms)" \
		    le "$stuck" $((READ * 1000 + SLACK_MS))
		check "[$name] host cut: started later, none waited longer than the connect timeout ${CONNECT} s + ${SLACK_MS} ms ($after ms)" \
		    le "$after" $((CONNECT * 1000 + SLACK_MS))
		check "[$name] host cut: traffic again within fail_timeout ${FAIL} s + ${SLACK_MS} ms of the link's return ($back_ms ms)" \
		    le "$back_ms" $((FAIL * 1000 + SLACK_MS))
	else
		check "[$name] host cut: traffic again after the link's return ($back_ms ms)" \
		    [ "$back_ms" != never ]
	fi
}
host_cut nginx "$NGINX_PORT"
host_cut lighttpd "$LIGHTTPD_PORT"

# --- the database host cut off for 3 s -----------------------------------
pids1=$(app_workers 1)
pids2=$(app_workers 2)
front_load "$NGINX_PORT" db-cut 6	# fewer clients than workers: no queue
cut db
sleep 3
t_mend=$(now)
mend db
sleep $((DB_CONNECT_TIMEOUT + 2))
load_stop
read -r total good s503 other bad max < <(counts)
t_late=$(awk -v a="$t_mend" -v b="$DB_CONNECT_TIMEOUT" 'BEGIN { printf "%.6f\n", a + b + 1 }')
read -r late lgood _ _ _ _ < <(counts --after "$t_late")
printf '        [nginx] database cut off 3 s: %d requests, %d 200, %d 503, %d other; slowest %d ms\n' \
    "$total" "$good" "$s503" "$other" "$max"
check "$L db cut: the outage was seen ($s503 JSON 503s)" [ "$s503" -gt 0 ]
check_eq "$L db cut: every answer a 200 or a JSON 503" "0 0" "$other $bad"
check "$L db cut: none waited longer than ${DB_BOUND_MS} ms + ${SLACK_MS} ms ($max ms)" \
    le "$max" $((DB_BOUND_MS + SLACK_MS))
check "$L db cut: from $((DB_CONNECT_TIMEOUT + 1)) s after the link's return, all 200 ($lgood of $late)" \
    [ "$late" -gt 0 -a "$late" = "$lgood" ]
printf '        [nginx] database sessions of the workers afterwards: %s (2 hosts x %d workers)\n' \
    "$(on db psql -X -At -d "postgresql://postgres@/users?host=$PGD/run" -c \
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'users-fcgi'")" \
    "$APP_WORKERS"
check_eq "$L db cut: no worker restarted on app host 1" "$pids1" "$(app_workers 1)"
check_eq "$L db cut: no worker restarted on app host 2" "$pids2" "$(app_workers 2)"

# --- make down on every host -------------------------------------------
# ... even after a SIGKILL: nginx's master on the front host (its workers
# left behind) and app host 1's pool (its multiwatch and workers left
# behind).
kill -KILL "$(cat "$D/front/run-$NGINX_PORT/front.pid")" \
    "$(cat "$D/app1/app-$APP1_IP-$FCGI_PORT/workers.pid")"
on front env PORT=$NGINX_PORT STATE_DIR="$D/front" make -s -C "$ROOT" down
on front env PORT=$LIGHTTPD_PORT STATE_DIR="$D/front" make -s -C "$ROOT" down
app_make_down 1
app_make_down 2
on db env STATE_DIR="$D/db" "$ROOT/scripts/db.sh" stop
for h in front app1 app2 db; do
	check_eq "$L make down on $h: no process left" "" "$(host_pids $h)"
	check_eq "$L make down on $h: no port open" "" "$(host_listening $h)"
done
