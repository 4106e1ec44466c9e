#!/usr/bin/env bash
# tests/reliability/config.sh -- settings of a stack spread over hosts:
#
#   FRONT_ADDRS   addresses separated by spaces, tabs or newlines are all
#                 allowed (ROLE=app answers FastCGI from the last of them)
#   read timeout  the front's default wait for a worker's answer follows
#                 from the workers' own deadline, DB_STATEMENT_TIMEOUT +
#                 1 s, plus 1 s: 4 s by default, 7 s for 5000 ms; an
#                 explicit UPSTREAM_READ_TIMEOUT wins; both fronts
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"


# --- FRONT_ADDRS --------------------------------------------------------------
FCGI=127.0.0.1:$(free_port)
for sep in $'\n' $'\t' $' \n\t'; do
	name=$(printf '%q' "$sep")
	if ROLE=app FCGI_LISTEN=$FCGI FRONT_ADDRS="10.9.9.9${sep}127.0.0.1" WORKERS=1 \
	    "$ROOT/scripts/stack.sh" up >"$D/out" 2>&1; then
		check "[FRONT_ADDRS] \"10.9.9.9${name}127.0.0.1\": 127.0.0.1 is allowed" \
		    fcgi_users "$FCGI"
	else
		fail "[FRONT_ADDRS] \"10.9.9.9${name}127.0.0.1\": up refused it ($(tail -n 1 "$D/out"))"
	fi
	ROLE=app FCGI_LISTEN=$FCGI "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
done

# --- the front's read timeout ---------------------------------------------------
# An app host for the fronts to come up over.
if ! ROLE=app FCGI_LISTEN=$FCGI FRONT_ADDRS=127.0.0.1 WORKERS=1 "$ROOT/scripts/stack.sh" up >"$D/out" 2>&1; then
	fail "[read timeout] the app host comes up"
	exit 0
fi
# read_timeout FRONT VAR=VALUE...: the read timeout a ROLE=front stack
# with those settings wrote in its upstream.conf (seconds).
read_timeout() {
	local front=$1 p
	shift
	p=$(free_port)
	env "$@" ROLE=front FRONT="$front" UPSTREAMS="$FCGI" PORT="$p" \
	    "$ROOT/scripts/stack.sh" up >"$D/out" 2>&1 || true
	sed -n 's/^fastcgi_read_timeout \([0-9]*\)s;/\1/p; s/.*"read-timeout" => \([0-9]*\),.*/\1/p' \
	    "$STATE_DIR/run-$p/upstream.conf" 2>/dev/null | head -n 1
	env ROLE=front PORT="$p" "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
}
for front in nginx lighttpd; do
	L="[read timeout] [$front]"
	check_eq "$L the default: DB_STATEMENT_TIMEOUT's 2000 ms + 1 s + 1 s" 4 "$(read_timeout "$front")"
	check_eq "$L DB_STATEMENT_TIMEOUT=5000" 7 "$(read_timeout "$front" DB_STATEMENT_TIMEOUT=5000)"
	check_eq "$L UPSTREAM_READ_TIMEOUT=9 wins" 9 "$(read_timeout "$front" DB_STATEMENT_TIMEOUT=5000 UPSTREAM_READ_TIMEOUT=9)"
done
P=$(free_port)
check "[read timeout] DB_STATEMENT_TIMEOUT='1+1' is refused" \
    bash -c '! ROLE=front FRONT=nginx UPSTREAMS=$3 DB_STATEMENT_TIMEOUT="1+1" PORT=$1 "$2/scripts/stack.sh" up >/dev/null 2>&1' _ "$P" "$ROOT" "$FCGI"
ROLE=front PORT=$P "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
ROLE=app FCGI_LISTEN=$FCGI "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
