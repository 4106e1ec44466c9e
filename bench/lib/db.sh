# bench/lib/db.sh -- the database of the measurement scripts (bench/run.sh,
# bench/live.sh, bench/profile/callgrind.sh, bench/profile/counters.sh).
# shellcheck shell=bash
#
# It brings scripts/common.sh (ROOT, state_dir, log) with it.
#
# bench_db [STATE_DIR]: set DB_URL, and export it as DATABASE_URL: the
# caller's DATABASE_URL, else the embedded database of STATE_DIR (default:
# the state directory), started when it does not answer.  What it started
# bench_db_stop stops again.

# shellcheck source=../../scripts/common.sh
declare -F state_dir >/dev/null ||
    . "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

BENCH_DB_STARTED=""	# the state directory of a database bench_db started

bench_db() {
	local state=${1:-$(state_dir)}
	if [ -n "${DATABASE_URL:-}" ]; then
		DB_URL=$DATABASE_URL
		return
	fi
	DB_URL=$(STATE_DIR=$state "$ROOT/scripts/db.sh" url)
	if ! PGCONNECT_TIMEOUT=2 psql -X -At -d "$DB_URL" -c 'SELECT 1' \
	    >/dev/null 2>&1; then
		log "starting PostgreSQL in $state"
		BENCH_DB_STARTED=$state
		STATE_DIR=$state "$ROOT/scripts/db.sh" start
	fi
	export DATABASE_URL=$DB_URL
}

# bench_db_stop: stop the embedded database if bench_db started it.
bench_db_stop() {
	[ -z "$BENCH_DB_STARTED" ] ||
	    STATE_DIR=$BENCH_DB_STARTED "$ROOT/scripts/db.sh" stop || true
}
