# scripts/reload.sh -- `stack.sh reload` (make reload): every worker of
# the stack `up` started on PORT replaced by one running the current
# build (WORKER_BIN, build/users-fcgi), without losing a request.
# Sourced by scripts/stack.sh, whose functions and RUN_DIR it uses.
#
#   lighttpd  The binary in the run directory is replaced (a rename: the
#             running workers keep the old file), then lighttpd gets
#             SIGUSR1: a graceful restart in the same process.  It keeps
#             its listening socket (connections wait in its backlog),
#             answers the requests in progress, sends its workers
#             SIGTERM (each exits once its request is answered), reads
#             its configuration again and spawns WORKERS new ones.
#   nginx     A new pool beside the old one: spawn-fcgi and pool.sh
#             on a socket of their own, with the old pool's environment;
#             the upstream pointed at it and nginx reloaded (SIGHUP: new
#             nginx workers, the old ones finish their requests and
#             exit, closing their kept FastCGI connections); then the old
#             pool gets SIGTERM, which pool.sh and multiwatch pass on: each worker
#             exits once its request is answered.
# shellcheck shell=bash

# install_worker: the run directory's binary replaced by WORKER_BIN, by
# a rename.
install_worker() {
	install -m 0755 "$WORKER_BIN" "$RUN_DIR/bin/.users-fcgi.new"
	mv -f "$RUN_DIR/bin/.users-fcgi.new" "$RUN_DIR/bin/users-fcgi"
}

# children PID: the PIDs of PID's children.
children() { pgrep -P "$1" || true; }

# wait_until SECONDS COMMAND...: until COMMAND succeeds, SECONDS at most.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# pool_full PID: does the pool PID run WORKERS workers?
pool_full() { [ "$(pool_workers "$1")" -eq "$WORKERS" ]; }

# all_gone PID...: has every PID exited?
all_gone() {
	local p
	for p; do ! pid_alive "$p" || return 1; done
}

# workers_new N OLD...: does the front run N workers, none of them OLD?
workers_new() {
	local n=$1 p
	shift
	local now
	now=$(pgrep -x users-fcgi | while read -r p; do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$RUN_DIR/bin/users-fcgi" ] && echo "$p"
	done || true)
	[ "$(grep -c . <<<"$now")" -eq "$n" ] || return 1
	for p; do ! grep -qx "$p" <<<"$now" || return 1; done
}

reload_lighttpd() {
	local front old
	read -r front _ < <(recorded front) || die "lighttpd on port $PORT is not running (make up)"
	old=$(children "$front")
	# WORKERS as up gave it to lighttpd.
	WORKERS=$(tr '\0' '\n' <"/proc/$front/environ" | sed -n 's/^WORKERS=//p')
	install_worker
	kill -USR1 "$front"
	# Its answer: WORKERS new workers of the new binary.
	# shellcheck disable=SC2086 # PIDs
	wait_until 30 workers_new "$WORKERS" $old || {
		tail -n 20 "$RUN_DIR/error.log" >&2 || true
		die "lighttpd did not start $WORKERS new workers within 30 s (its log above)"
	}
	log "lighttpd on port $PORT: $WORKERS new workers ($WORKER_BIN)"
}

reload_nginx() {
	local front pool sock gen kv old_nginx old_workers
	read -r front _ < <(recorded front) || die "nginx on port $PORT is not running (make up)"
	read -r pool _ < <(recorded workers) || die "the workers on port $PORT are not running (make up)"
	old_nginx=$(children "$front")
	old_workers=$(pool_pids "$pool")
	# The old pool's environment (DATABASE_URL, WORKERS...: what up
	# gave it), and its error log (the rotatelogs pipe, fd 2).
	while IFS= read -r -d '' kv; do export "${kv?}"; done <"/proc/$pool/environ"
	exec 3>"/proc/$pool/fd/2"
	install_worker
	worker_argv
	gen=$(date +%s%N)
	sock=$RUN_DIR/sock/users-$gen.sock
	sock_path_ok "$sock"
	write_upstream "$sock" >"$RUN_DIR/upstream.conf.new"
	spawn_workers -s "$sock" -M 0600
	exec 3>&-
	wait_until 15 test -S "$sock" || die "the new workers' socket $sock did not appear"
	wait_until 15 pool_full "$(cat "$RUN_DIR/workers.pid")" ||
	    die "the new pool did not start $WORKERS workers"
	mv -f "$RUN_DIR/upstream.conf.new" "$RUN_DIR/upstream.conf"
	kill -HUP "$front"
	# The old nginx workers finish their requests and exit (at most
	# worker_shutdown_timeout, 10 s); only then is the old pool unused.
	# shellcheck disable=SC2086 # PIDs
	wait_until 30 all_gone $old_nginx || die "the old nginx workers did not exit within 30 s"
	kill -TERM "$pool"
	# shellcheck disable=SC2086 # PIDs
	wait_until 30 all_gone "$pool" $old_workers || die "the old pool did not stop within 30 s"
	# up's record of the workers: the new pool only; the old socket goes.
	sed -i "/^workers $pool /d" "$RUN_DIR/procs"
	find "$RUN_DIR/sock" -maxdepth 1 -type s ! -path "$sock" -delete
	log "nginx on port $PORT: $WORKERS new workers ($WORKER_BIN) on $sock"
}

reload() {
	WORKER_BIN=${WORKER_BIN:-$ROOT/build/users-fcgi}
	[ -z "${ROLE:-}" ] || die "reload replaces the workers of a whole stack (ROLE unset)"
	[ -x "$WORKER_BIN" ] || die "$WORKER_BIN is not built: run make"
	[ -d "$RUN_DIR" ] || die "nothing runs on port $PORT (make up)"
	dir_trusted "$RUN_DIR" "$(id -un)"
	FRONT=$(cat "$RUN_DIR/front")
	case "$FRONT" in
	lighttpd|nginx) "reload_$FRONT" ;;
	*) die "the stack on port $PORT runs $FRONT: reload knows lighttpd and nginx" ;;
	esac
}
