# bench/lib/db.sh -- a database for the measurement scripts
# (bench/callgrind.sh, bench/counters.sh).
# shellcheck shell=bash
#
# bench_db: export DATABASE_URL: the caller's, else the embedded
# database, started when it does not answer.  Sets BENCH_DB_STARTED to 1
# when it started it (the caller stops it again with bench_db_stop).

BENCH_DB_STARTED=""

bench_db() {
	if [ -z "${DATABASE_URL:-}" ]; then
		if ! PGCONNECT_TIMEOUT=2 psql -X -At -d "$("$ROOT/scripts/db.sh" url)" \
		    -c 'SELECT 1' >/dev/null 2>&1; then
			"$ROOT/scripts/db.sh" start
			BENCH_DB_STARTED=1
		fi
		DATABASE_URL=$("$ROOT/scripts/db.sh" url)
	fi
	export DATABASE_URL
}

# bench_db_stop: stop the embedded database if bench_db started it.
bench_db_stop() {
	[ -z "$BENCH_DB_STARTED" ] || "$ROOT/scripts/db.sh" stop
}
