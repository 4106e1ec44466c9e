#!/usr/bin/env bash
# scripts/stack.sh -- start and stop the whole service.
#
#   stack.sh up     PostgreSQL (embedded unless DATABASE_URL is set), the
#                   front server and WORKERS workers, in the background;
#                   returns once /users answers 200
#   stack.sh down   stop what `up` started on PORT
#   stack.sh run    `up`, follow the error log, `down` on Ctrl-C
#   stack.sh reload replace every worker by the current build, losing
#                   no request (scripts/reload.sh)
#
# Environment: PORT (8080), BIND (127.0.0.1), WORKERS (5), FRONT
# (lighttpd | nginx), DATABASE_URL, STATE_DIR, WORKER_BIN
# (build/users-fcgi), WORKER_ENV (VAR=VALUE words, without spaces, added
# to the workers' environment: the sanitized test run's ASAN_OPTIONS),
# CONNECTIONS (8192: client connections lighttpd holds; nginx:
# connection slots in all, two per request in progress), LOG_SIZE (10M)
# and LOG_FILES (2): every log's cap, FRONT_NICE and FRONT_CPUS
# (front_sched).  Everything for one PORT lives in $(state_dir)/run-$PORT.
# ROLE=app or ROLE=front runs one part of a stack spread over several
# hosts (scripts/app.sh, scripts/front.sh, sourced here): the same run
# directory, log and recorded processes, app-ADDR-PORT for ROLE=app.
set -euo pipefail
. "$(dirname "$0")/common.sh"
close_fds

BIND=${BIND:-127.0.0.1}
# Checked before any path is built from them.
is_port "$PORT" || die "PORT=$PORT: a TCP port, 1 to 65535"
is_count "$WORKERS" 1000 || die "WORKERS=$WORKERS: a number of processes, 1 to 1000"
CONNECTIONS=${CONNECTIONS:-8192}
is_count "$CONNECTIONS" 8192 || die "CONNECTIONS=$CONNECTIONS: 1 to 8192"
log_cap_check
STATE=$(state_dir)
RUN_DIR=$STATE/$(run_dir_name)
# shellcheck source=app.sh
. "$ROOT/scripts/app.sh"
# shellcheck source=front.sh
. "$ROOT/scripts/front.sh"

# worker_argv: set WORKER_ARGV to the workers' command: the binary,
# after `env $WORKER_ENV` if that is set.
worker_argv() {
	WORKER_ARGV=("$RUN_DIR/bin/users-fcgi")
	# shellcheck disable=SC2206 # VAR=VALUE words
	[ -z "${WORKER_ENV:-}" ] || WORKER_ARGV=(/usr/bin/env $WORKER_ENV "${WORKER_ARGV[@]}")
}

# sed_escape TEXT: TEXT as the replacement of an s|...|...| command.
sed_escape() { printf '%s' "$1" | sed 's/[|&\\]/\\&/g'; }

# spawn_workers SPAWN-FCGI-OPTIONS...: spawn-fcgi binds the socket the
# options name and, not forking (-n), becomes scripts/pool.sh, which
# keeps WORKERS workers accepting on it (multiwatch, started again with
# a back-off whenever it gives up); they inherit the error log (fd 3)
# as stderr, and the environment, PGCLIENTENCODING excepted (the JSON is
# UTF-8), as behind lighttpd (bin-copy-environment).  A unix socket (-s)
# lies in the run user's directory: spawn-fcgi runs as the run user and
# makes it there itself.  A TCP port: spawn-fcgi binds it as root (a
# port below 1024) and switches to the run user (-u) before the pool.
spawn_workers() {
	local u as=() drop=()
	u=$(run_user)
	if [ -n "$u" ]; then
		if [ "$1" = -s ]; then as=(setpriv --reuid="$u" --regid="$u" --init-groups --)
		else drop=(-u "$u"); fi
	fi
	setsid "${as[@]}" env -u PGCLIENTENCODING spawn-fcgi -n -b 4096 "$@" \
	    "${drop[@]}" -- \
	    /usr/bin/bash "$RUN_DIR/bin/pool.sh" "$WORKERS" "${WORKER_ARGV[@]}" \
	    </dev/null >/dev/null 2>&3 &
	record_proc workers $! /usr/bin/bash
}

# start_nginx: nginx from the template nginx.conf, with the upstream
# block $RUN_DIR/upstream.conf written by the caller, in the foreground
# of a session of its own, like lighttpd: its PID is ours to record, not
# read from a file it can write; its log is fd 3.  All of nginx runs as
# run_user, in $RUN_DIR/nginx, the run user's.  A port below 1024 needs
# a root master (its workers still switch to the user): then nginx/ is
# root's (common.sh: root writes in no directory of the run user's);
# the master writes its pid file there and creates its temporary
# directories there for the workers.
start_nginx() {
	local u user_line="" as=() procs
	u=$(run_user)
	case "$RUN_DIR" in
	*[\"\\]*) die "nginx cannot use the path $RUN_DIR (a quote or a backslash)" ;;
	esac
	if [ -n "$u" ] && [ "$PORT" -lt 1024 ]; then
		user_line="user $u;"
		mkdir -m 0755 "$RUN_DIR/nginx"
	else
		make_private_dir "$RUN_DIR/nginx"
		[ -z "$u" ] || as=(setpriv --reuid="$u" --regid="$u" --init-groups --)
	fi
	# CONNECTIONS slots in all, over one worker process per CPU.
	procs=$(nproc)
	sed -e "s|@PORT@|$PORT|g" -e "s|@BIND@|$BIND|g" -e "s|@PROCS@|$procs|g" \
	    -e "s|@CONNECTIONS@|$(((CONNECTIONS + procs - 1) / procs))|g" \
	    -e "s|@RUN_DIR@|$(sed_escape "$RUN_DIR")|g" -e "s|@USER@|$user_line|g" \
	    "$ROOT/nginx.conf" >"$RUN_DIR/nginx.conf"
	setsid "${as[@]}" nginx -p "$RUN_DIR/" -c "$RUN_DIR/nginx.conf" \
	    -e stderr -g 'daemon off;' </dev/null >/dev/null 2>&3 &
	record_proc front $! /usr/sbin/nginx
}

# write_upstream SOCK: print nginx's upstream block for the workers on
# the unix socket SOCK (up, and reload's new pool).
write_upstream() {
	# keepalive: at most this many idle kept connections per nginx
	# worker (nginx.conf keeps them: fastcgi_keep_conn).
	printf 'upstream users_fcgi {\n    server "unix:%s";\n    keepalive 32;\n}\n' "$1"
}

# Start the workers on a unix socket and nginx in front of them.
up_nginx() {
	write_upstream "$RUN_DIR/sock/users.sock" >"$RUN_DIR/upstream.conf"
	spawn_workers -s "$RUN_DIR/sock/users.sock" -M 0600
	start_nginx
}

# Start lighttpd, which spawns the workers.  It stays in the foreground
# of a session of its own, so that its stderr -- which the workers
# inherit -- is the error log (fd 3).
up_lighttpd() {
	case "$RUN_DIR" in
	*[[:space:]]*) die "lighttpd splits its bin-path at spaces, and the run" \
	    "directory $RUN_DIR holds one: choose a STATE_DIR without" ;;
	esac
	WORKERS=$WORKERS WORKER_BIN="${WORKER_ARGV[*]}" start_lighttpd "$ROOT/lighttpd.conf"
}

# start_lighttpd CONF: lighttpd with CONF, in the foreground of a
# session of its own, its stderr the error log (fd 3).  CONF reads
# WORKERS and WORKER_BIN from the environment, given by the caller.
start_lighttpd() {
	# From the run directory: a graceful restart (make reload) reads
	# the configuration again as the run user, who may not be able to
	# enter the checkout.  Both files: lighttpd-front.conf includes
	# lighttpd.conf beside it.
	install -m 0644 "$ROOT/lighttpd.conf" "$ROOT/lighttpd-front.conf" "$RUN_DIR/"
	PORT=$PORT BIND=$BIND RUN_DIR=$RUN_DIR CONNECTIONS=$CONNECTIONS \
	    RUN_USER=$(run_user) setsid lighttpd -D -f "$RUN_DIR/${1##*/}" \
	    </dev/null >/dev/null 2>&3 &
	record_proc front $! /usr/sbin/lighttpd
}

# start_log: open fd 3 on the error log: rotatelogs, in a session of
# its own, writes what comes to $RUN_DIR/log/error, then error.1, ...
# (LOG_FILES files of LOG_SIZE, the oldest overwritten), and keeps
# $RUN_DIR/error.log a link to the current one: an overload cannot fill
# the disk.  It exits when the last process writing to it has.
start_log() {
	mkdir -m 0755 "$RUN_DIR/log"
	exec 3> >(exec setsid rotatelogs -f -n "$LOG_FILES" -L "$RUN_DIR/error.log" \
	    "$RUN_DIR/log/error" "$LOG_SIZE" >/dev/null 2>&1)
	record_proc log $! /usr/bin/rotatelogs
}

# --- what `up` started, recorded where only root can write ---------------
# $RUN_DIR/procs: "boot TIME", then "ROLE PID START SID EXE" per process
# up started (START: clock ticks after boot, /proc/PID/stat field 22;
# SID: its session).  `down` signals a PID only if that process still
# has that start time and executable, in the same boot.

boot_time() { sed -n 's/^btime //p' /proc/stat; }

# proc_stat PID: "SID START" of process PID (fields 6 and 22 of its stat).
proc_stat() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f4,20
}

# record_proc ROLE PID EXE: once PID runs EXE (it may still be exec'ing
# its way there), record it, and write its PID to $RUN_DIR/ROLE.pid.
record_proc() {
	local deadline=$((SECONDS + 5)) sid start
	until [ "$(readlink "/proc/$2/exe" 2>/dev/null)" = "$3" ]; do
		pid_alive "$2" && [ "$SECONDS" -lt "$deadline" ] ||
		    { log "$1 (pid $2) did not start $3"; return 1; }
		sleep 0.02
	done
	read -r sid start < <(proc_stat "$2")
	[ -s "$RUN_DIR/procs" ] || echo "boot $(boot_time)" >"$RUN_DIR/procs"
	echo "$1 $2 $start $sid $3" >>"$RUN_DIR/procs"
	echo "$2" >"$RUN_DIR/$1.pid"
}

# procs_current: has up recorded processes, in this boot?
procs_current() {
	[ -s "$RUN_DIR/procs" ] &&
	    [ "$(sed -n 's/^boot //p' "$RUN_DIR/procs")" = "$(boot_time)" ]
}

# recorded ROLE: "PID START SID EXE" of the process up started as ROLE, if
# it still runs; fails (and says why) otherwise.
recorded() {
	local role pid start sid exe
	procs_current || return 1
	while read -r role pid start sid exe; do
		[ "$role" = "$1" ] || continue
		if [ "$(proc_stat "$pid" | cut -d' ' -f2)" = "$start" ] &&
		    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] &&
		    pid_alive "$pid"; then
			echo "$pid $start $sid $exe"
			return 0
		fi
		log "the $1 up started (pid $pid) is gone: pid $pid not signalled"
	done <"$RUN_DIR/procs"
	return 1
}

# stop_recorded ROLE SIG: stop_pid the process up started as ROLE.
stop_recorded() {
	local pid
	read -r pid _ < <(recorded "$1") || return 0
	stop_pid "$pid" "$2"
}

# wait_gone ROLE SECONDS: wait until the process up started as ROLE has
# exited, SECONDS at most.
wait_gone() {
	local pid deadline=$((SECONDS + $2))
	read -r pid _ < <(recorded "$1" 2>/dev/null) || return 0
	while pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
}

# leftovers: the PIDs of the processes still running in the sessions up
# started (the workers of an nginx master or a lighttpd that was
# SIGKILLed...): same session (pgrep -s), started after the process up
# recorded in it, running one of our programs.  A session id names our
# session only while some process of it runs; once all are gone another
# session may take the id: its leader (the process whose PID is the id)
# then started after ours, and nothing in that session is ours.
leftovers() {
	local role pid start sid exe p pstart pexe lstart exes=()
	procs_current || return 0
	exes=("$RUN_DIR/bin/users-fcgi" /usr/bin/multiwatch)
	while read -r role pid start sid exe; do
		[ "$role" = boot ] || exes+=("$exe")
	done <"$RUN_DIR/procs"
	while read -r role pid start sid exe; do
		[ "$role" != boot ] || continue
		if read -r _ lstart < <(proc_stat "$sid") && [ "$lstart" -gt "$start" ]; then
			log "session $sid is no longer the one up started: not signalled"
			continue
		fi
		for p in $(pgrep -s "$sid"); do
			read -r _ pstart < <(proc_stat "$p") || continue
			[ "$pstart" -ge "$start" ] || continue
			pexe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
			for exe in "${exes[@]}"; do
				[ "$pexe" != "$exe" ] || { echo "$p"; break; }
			done
		done
	done <"$RUN_DIR/procs"
}

# sweep: stop every process leftovers names.
sweep() {
	local p pids
	pids=$(leftovers | sort -nu)
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do stop_pid "$p"; done
}

# up_check: die unless what this role needs is given and well-formed.
up_check() {
	case "${ROLE:-}" in
	app) app_check ;;
	front) front_check ;;
	esac
	case "${ROLE:-}:$FRONT" in
	app:*|*:lighttpd|*:nginx) ;;
	*) die "FRONT=$FRONT: lighttpd or nginx" ;;
	esac
	[ "${ROLE:-}" = front ] || [ -x "$WORKER_BIN" ] ||
	    die "$WORKER_BIN is not built: run make"
}

# listen_free: die if where this role listens is taken.
listen_free() {
	if [ "${ROLE:-}" = app ]; then
		port_free "${FCGI_LISTEN##*:}" "${FCGI_LISTEN%:*}" ||
		    die "$FCGI_LISTEN is in use"
	else
		port_free "$PORT" "$BIND" || die "port $PORT is in use"
	fi
}

# ready: has what up started come up?  (With a front: /users answers
# 200 within 30 s.)  Says so.
ready() {
	local pid
	if [ "${ROLE:-}" = app ]; then app_ready; return; fi
	read -r pid _ < <(recorded front) &&
	    wait_http_200 "http://$BIND:$PORT/users" 30 "$pid" || return 1
	if [ "${ROLE:-}" = front ]; then
		log "$FRONT on http://$BIND:$PORT/users over $UPSTREAMS"
	else
		log "$FRONT on http://$BIND:$PORT/users with $WORKERS workers"
	fi
}

up() {
	WORKER_BIN=${WORKER_BIN:-$ROOT/build/users-fcgi}
	up_check
	state_dir_ready >/dev/null
	if [ -e "$RUN_DIR" ] || [ -L "$RUN_DIR" ]; then
		dir_trusted "$RUN_DIR" "$(id -un)"
		! recorded front >/dev/null 2>&1 && ! recorded workers >/dev/null 2>&1 ||
		    die "already up in $RUN_DIR (make down first)"
		# The record of what an earlier up started is dropped only once
		# none of it runs: down must still find it.
		[ -z "$(leftovers 2>/dev/null)" ] || die "processes an earlier up" \
		    "started still run ($(leftovers 2>/dev/null | paste -sd ' ')): make down first"
	fi
	listen_free
	rm -rf -- "$RUN_DIR"
	raise_nofile
	[ -n "${ROLE:-}" ] || sock_path_ok "$RUN_DIR/sock/users.sock-$((WORKERS - 1))"

	# The run directory is root's: the run user writes only its
	# sockets and nginx's temporary files (the logs go through fd 3).
	mkdir -m 0755 "$RUN_DIR" "$RUN_DIR/www" "$RUN_DIR/bin"
	start_log
	make_private_dir "$RUN_DIR/sock"
	# Copies the run user can read, whoever may enter the checkout.
	if [ "${ROLE:-}" != front ]; then
		install -m 0755 "$WORKER_BIN" "$RUN_DIR/bin/users-fcgi"
		install -m 0755 "$ROOT/scripts/pool.sh" "$RUN_DIR/bin/pool.sh"
	fi
	if [ "${ROLE:-}" = app ]; then echo app; else echo "$FRONT"; fi >"$RUN_DIR/front"
	worker_argv
	if [ -z "${ROLE:-}" ] && [ -z "${DATABASE_URL:-}" ]; then
		touch "$RUN_DIR/embedded-db"
		"$ROOT/scripts/db.sh" start
		DATABASE_URL=$("$ROOT/scripts/db.sh" url users_fcgi_reader)
	fi
	export DATABASE_URL

	case "${ROLE:-}" in
	app) app_up ;;
	front) front_up ;;
	*) "up_$FRONT" ;;
	esac || true
	exec 3>&-
	if ! ready; then
		tail -n 20 "$RUN_DIR/error.log" >&2 || true
		down
		case "${ROLE:-}" in
		app) die "the workers did not start on $FCGI_LISTEN" ;;
		front) die "/users did not answer 200 on port $PORT (are the app hosts up?)" ;;
		*) die "/users did not answer 200 on port $PORT" ;;
		esac
	fi
	front_sched
}

# FRONT_NICE, FRONT_CPUS (optional, for measuring scheduling: see
# bench/PERFORMANCE.md): give the front server's processes -- not the
# workers -- this nice value (negative needs root), or pin them to these
# CPUs (taskset list).  Applied once the stack answers.
front_sched() {
	local p front
	[ -n "${FRONT_NICE:-}${FRONT_CPUS:-}" ] || return 0
	read -r front _ < <(recorded front) || return 0
	for p in "$front" $(pgrep -P "$front"); do
		[ "$(readlink "/proc/$p/exe")" != "$RUN_DIR/bin/users-fcgi" ] || continue
		[ -z "${FRONT_NICE:-}" ] || renice -n "$FRONT_NICE" -p "$p" >/dev/null
		[ -z "${FRONT_CPUS:-}" ] || taskset -pc "$FRONT_CPUS" "$p" >/dev/null
	done
	log "front (pid $front and its non-worker children): nice ${FRONT_NICE:-unchanged}, CPUs ${FRONT_CPUS:-all}"
}

# The signal that stops the front server gracefully: no new connections,
# the requests in progress answered first.  SIGTERM would cut them: it is
# the immediate stop of both lighttpd and nginx.
graceful_signal() {
	case "$(cat "$RUN_DIR/front" 2>/dev/null)" in
	nginx) echo QUIT ;;
	*) echo INT ;;
	esac
}

down() {
	[ -e "$RUN_DIR" ] || [ -L "$RUN_DIR" ] || return 0
	dir_trusted "$RUN_DIR" "$(id -un)"
	# nginx (or lighttpd, which stops the workers it spawned), then the
	# nginx workers' supervisor, which stops its children; then whatever
	# is left of them.
	stop_recorded front "$(graceful_signal)"
	stop_recorded workers TERM
	# rotatelogs ends once it has written what they wrote last.
	wait_gone log 3
	sweep
	if [ -e "$RUN_DIR/embedded-db" ] && ! other_runs; then
		"$ROOT/scripts/db.sh" stop
	fi
	rm -rf -- "$RUN_DIR"
}

# Is a stack on another port still up?  (It shares the embedded database.)
other_runs() {
	local d
	for d in "$STATE"/run-*; do
		[ "$d" != "$RUN_DIR" ] && [ -d "$d" ] || continue
		(RUN_DIR=$d; recorded front >/dev/null 2>&1) && return 0
	done
	return 1
}

run() {
	local tail_pid
	up
	log "Ctrl-C stops everything"
	tail -n 0 -F "$RUN_DIR/error.log" 2>/dev/null &
	tail_pid=$!
	trap 'kill "$tail_pid" 2>/dev/null; down' EXIT
	trap 'exit 0' INT TERM
	wait "$tail_pid" || true
}

case "${1:-}" in
up) up ;;
down) down ;;
run) run ;;
reload)
	# shellcheck source=reload.sh
	. "$ROOT/scripts/reload.sh"
	reload ;;
*) die "usage: stack.sh up|down|run|reload" ;;
esac
