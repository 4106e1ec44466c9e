#!/bin/bash
# docker/db-entrypoint.sh -- the db container's process (docker/db.Dockerfile),
# run as postgres.  On the first start (no cluster in $PGDATA) it creates
# the cluster and the database users, runs /docker-entrypoint-initdb.d/*.sql
# in order (sql/: the schema, the rows, the read-only role
# users_fcgi_reader) and gives that role READER_PASSWORD; then, every
# time, PostgreSQL in the foreground, listening on every interface of the
# container.
#
# Environment (read on the first start only):
#   POSTGRES_PASSWORD  the superuser postgres's password; unset: postgres
#                      cannot log in over TCP at all
#   READER_PASSWORD    users_fcgi_reader's password (required)
# Connections over TCP need a password (scram-sha-256); inside the
# container, postgres logs in over the socket (peer).
set -euo pipefail

log() { printf 'db-entrypoint: %s\n' "$*" >&2; }

# initdb_in DIR [OPTION...]: a new cluster in DIR.
initdb_in() {
	initdb -D "$1" -U postgres -E UTF8 --locale=C.UTF-8 \
	    --auth-local=peer --auth-host=scram-sha-256 "${@:2}" >/dev/null
}

# init: a seeded cluster in $PGDATA.  It is built in $PGDATA.new and
# renamed once complete, so that a failed first start is redone.
init() {
	local tmp=$PGDATA.new f
	rm -rf -- "$tmp"
	log "creating the cluster"
	# The password through a pipe, never in a file or on a command line.
	if [ -n "${POSTGRES_PASSWORD:-}" ]; then
		initdb_in "$tmp" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD")
	else
		initdb_in "$tmp"
	fi
	echo 'host all all all scram-sha-256' >>"$tmp/pg_hba.conf"
	# Not reachable from outside while it is seeded.
	pg_ctl -D "$tmp" -w -s -o "-c listen_addresses=''" start
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE users'
	for f in /docker-entrypoint-initdb.d/*.sql; do
		log "running ${f##*/}"
		psql -X -q -v ON_ERROR_STOP=1 -d users -f "$f" >/dev/null
	done
	psql -X -q -v ON_ERROR_STOP=1 -d users -v pw="$READER_PASSWORD" \
	    <<<"ALTER ROLE users_fcgi_reader PASSWORD :'pw';"
	pg_ctl -D "$tmp" -w -s -m fast stop
	mv -- "$tmp" "$PGDATA"
	log "database users created and seeded"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	: "${READER_PASSWORD:?set READER_PASSWORD: the workers log in with it}"
	init
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
