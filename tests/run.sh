#!/usr/bin/env bash
# tests/run.sh [full | check | only SCRIPT...] -- the test suite.  Ends
# with "N passed, N failed" and exits non-zero if anything failed, a
# suite missing included.
#
#   full   (make test) every suite below
#   check  (make check) the fast tier: the unit tests, integration behind
#          lighttpd and behind nginx, make up / make down.  Needs only the
#          Debian packages (no cargo, no PyPI, no network).
#   only   those test scripts, with the suite's database (DATABASE_URL,
#          holding the hostile rows): tests/reliability/alone, make soak,
#          make valgrind
#
# Everything runs in a private directory (T_TMP): its own PostgreSQL
# cluster, its own ports, stopped and removed at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

TIER=${1:-full}
[ $# -eq 0 ] || shift
case $TIER in
full | check) [ $# -eq 0 ] || die "usage: tests/run.sh [full | check | only SCRIPT...]" ;;
only) [ $# -gt 0 ] || die "usage: tests/run.sh only SCRIPT..." ;;
*) die "usage: tests/run.sh [full | check | only SCRIPT...]" ;;
esac
# full: is this the full suite?
full() { [ "$TIER" = full ]; }

T_TMP=$(mktemp -d /tmp/users-fcgi-test.XXXXXX)
chmod 0755 "$T_TMP"	# the run user must reach the state directory
export T_TMP T_RESULTS=$T_TMP/results STATE_DIR=$T_TMP/state
: >"$T_RESULTS"

cleanup() {
	local d
	for d in "$STATE_DIR"/run-*; do
		[ -d "$d" ] && PORT=${d##*-} scripts/stack.sh down
	done
	scripts/db.sh stop || true
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# suite NAME COMMAND...: run one test script; its crash is a failure,
# and so is a script that is not there (status 127).
suite() {
	local name=$1 rc=0 t0=$SECONDS
	shift
	printf '\n== %s\n' "$name"
	"$@" || rc=$?
	printf '   (%s: %d s)\n' "$name" "$((SECONDS - t0))"
	if [ "$rc" -ne 0 ]; then
		printf 'FAILED  %s exited with status %d%s\n' "$name" "$rc" \
		    "$([ "$rc" -ne 127 ] || echo ': the suite is missing')"
		echo fail >>"$T_RESULTS"
	fi
}

# unit BINARY: a C unit test prints "ok ..." / "FAILED ..." per case.
unit() {
	local out rc=0
	out=$("$1" 2>&1) || rc=$?
	printf '%s\n' "$out"
	grep '^ok ' <<<"$out" | sed 's/.*/pass/' >>"$T_RESULTS" || true
	grep '^FAILED ' <<<"$out" | sed 's/.*/fail/' >>"$T_RESULTS" || true
	[ "$rc" -eq 0 ] || grep -q '^FAILED ' <<<"$out"
}

# One PostgreSQL for the integration suites, with the hostile rows.
db_start() {
	scripts/db.sh start
	export DATABASE_URL
	DATABASE_URL=$(scripts/db.sh url)
	psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f tests/fixtures/hostile.sql
}

# totals: print the counts; succeed if something passed and nothing failed.
totals() {
	local passed failed
	passed=$(grep -c '^pass$' "$T_RESULTS" || true)
	failed=$(grep -c '^fail$' "$T_RESULTS" || true)
	printf '\n%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

if [ "$TIER" = only ]; then
	db_start
	for t; do suite "$t" "$t"; done
	totals
	exit
fi

for b in build/unit/*; do
	suite "unit: ${b##*/}" unit "$b"
done
! full || suite "docker-compose.yml" tests/compose.sh
db_start

suite "integration: lighttpd" env FRONT=lighttpd tests/integration.sh
suite "integration: nginx" env FRONT=nginx tests/integration.sh
if full; then
	suite "nginx with kept FastCGI connections" tests/keepconn.sh
	suite "make reload under load, both fronts" tests/reload.sh
	suite "integration: lighttpd, ASan+UBSan workers" env FRONT=lighttpd \
	    T_LABEL=asan WORKER_BIN=build/asan/users-fcgi tests/sanitized.sh
	suite "benchmark peers: axum, fastapi, fastapi-async" tests/peers.sh
	# Faults, hostile input, fuzzing, leaks, privileges (tests/reliability/).
	for t in tests/reliability/*.sh; do
		suite "reliability: ${t##*/}" "$t"
	done
fi
unset DATABASE_URL
suite "make up / make down with the embedded database" tests/updown.sh
if full; then
	suite "several hosts: front, app hosts, database (network namespaces)" \
	    tests/multihost.sh
	# The benchmark harness at a tiny size: it works, nothing is timed.
	suite "bench harness" tests/bench.sh
	suite "Debian package on a booted Debian 12 (nspawn)" tests/deb.sh
fi

totals
