# scripts/app.sh -- ROLE=app: only the workers, on a TCP socket, for a
# front server on another host (docs/DEPLOY.md: several hosts).
#
#   ROLE=app FCGI_LISTEN=ADDR:PORT FRONT_ADDRS="A B" DATABASE_URL=... \
#       WORKERS=N make up
#
# Sourced by scripts/stack.sh, whose `up` prepares the run directory
# (root's, as for a whole stack), the error log (fd 3) and the worker
# binary, calls app_check before and app_up after that, and whose `down`
# stops what app_up recorded.  spawn-fcgi binds ADDR:PORT and, not
# forking, becomes scripts/pool.sh, which keeps WORKERS workers
# accepting on it (multiwatch) and restarts any that die, whatever the
# rate.  FastCGI has no authentication: libfcgi
# closes every connection whose peer address is not in FRONT_ADDRS (its
# FCGI_WEB_SERVER_ADDRS) before reading a byte of it.
# shellcheck shell=bash

# app_check: die unless FRONT_ADDRS and the database are given
# (FCGI_LISTEN was checked by run_dir_name).
app_check() {
	local a
	[ -n "${FRONT_ADDRS:-}" ] || die "set FRONT_ADDRS to the front" \
	    "servers' IPv4 addresses: FastCGI has no authentication"
	for a in $FRONT_ADDRS; do
		is_ipv4 "$a" || die "FRONT_ADDRS: $a is not an IPv4 address"
	done
	[ -n "${DATABASE_URL:-}${PGHOST:-}" ] ||
	    die "ROLE=app needs DATABASE_URL (the database runs on its own host)"
}

# app_up: start the workers on FCGI_LISTEN, for FRONT_ADDRS only.
app_up() {
	local a list=
	# libfcgi reads FCGI_WEB_SERVER_ADDRS as a comma-separated list;
	# FRONT_ADDRS may separate them by spaces, tabs or newlines (IFS),
	# as app_check read them.
	for a in $FRONT_ADDRS; do list=${list:+$list,}$a; done
	FCGI_WEB_SERVER_ADDRS=$list \
	    spawn_workers -a "${FCGI_LISTEN%:*}" -p "${FCGI_LISTEN##*:}"
}

# pool_pids PID: the workers of the pool (scripts/pool.sh) PID, one per
# line: the children of its multiwatch; nothing while it has none.
pool_pids() {
	local mw
	mw=$(pgrep -P "$1" -x multiwatch) || return 0
	pgrep -P "$mw" || true
}

# pool_workers PID: how many workers the pool PID has.
pool_workers() { pool_pids "$1" | grep -c . || true; }

# app_ready: until WORKERS workers run in the pool and FCGI_LISTEN
# listens (at most 15 s).  Returns non-zero otherwise.
app_ready() {
	local pid deadline=$((SECONDS + 15))
	read -r pid _ < <(recorded workers) || return 1
	until [ "$(pool_workers "$pid")" -eq "$WORKERS" ] &&
	    [ -n "$(ss -Htln "src ${FCGI_LISTEN%:*} and sport = :${FCGI_LISTEN##*:}")" ]; do
		[ "$SECONDS" -lt "$deadline" ] && pid_alive "$pid" || return 1
		sleep 0.1
	done
	log "$WORKERS workers on $FCGI_LISTEN, FastCGI from $FRONT_ADDRS only"
}
