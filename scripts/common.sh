# scripts/common.sh -- sourced by every script: defaults, paths, helpers.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${PORT:-8080}
WORKERS=${WORKERS:-5}
FRONT=${FRONT:-lighttpd}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# Debian's interpreter, whatever else is first on PATH.
PYTHON=/usr/bin/python3
# Who runs PostgreSQL, the front server and the workers when we are root.
RUN_USER_DEFAULT=users-fcgi

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The unprivileged account everything runs as; empty when we are not root.
run_user() {
	if [ "$(id -u)" -eq 0 ]; then echo "${RUN_USER:-$RUN_USER_DEFAULT}"; fi
}

# Run a command as run_user (or as ourselves when not root).
as_run_user() {
	local u
	u=$(run_user)
	# From /: the current directory may be one the run user cannot enter.
	if [ -n "$u" ]; then (cd / && runuser -u "$u" -- "$@"); else "$@"; fi
}

# The state directory: .state in the checkout, unless run_user cannot
# reach it (a checkout under a private directory, as root): then a
# directory of its own under /var/tmp, named after the checkout.
state_dir() {
	local u
	if [ -n "${STATE_DIR:-}" ]; then echo "$STATE_DIR"; return; fi
	u=$(run_user)
	if [ -z "$u" ] || runuser -u "$u" -- test -x "$ROOT"; then
		echo "$ROOT/.state"
	else
		echo "/var/tmp/users-fcgi-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
	fi
}

# Create directory $1 (mode 0700) owned by run_user.
make_private_dir() {
	local u
	mkdir -p "$1"
	chmod 0700 "$1"
	u=$(run_user)
	if [ -n "$u" ]; then chown "$u": "$1"; fi
}

# wait_http_200 URL [SECONDS [PID]]: wait up to SECONDS (default 20)
# until URL answers 200.  With PID: fail at once if that process is gone.
wait_http_200() {
	local url=$1 deadline=$((SECONDS + ${2:-20})) pid=${3:-}
	until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" = 200 ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		[ -z "$pid" ] || pid_alive "$pid" || return 1
		sleep 0.1
	done
}

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Is TCP port $1 on address $2 (default 127.0.0.1) free?  (bash's
# /dev/tcp: refused = free)
port_free() {
	! (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# Does process $1 run?  A zombie does not (this machine's init may
# never reap a daemon's exited parent, and kill -0 succeeds on zombies).
pid_alive() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# stop_pid PID [SIG]: send SIG (default TERM) to PID and wait up to 20 s
# for it to exit, then SIGKILL it.  Reaps it when it is our child.  A
# dead PID is nothing to do.
stop_pid() {
	local pid=$1 sig=${2:-TERM} deadline=$((SECONDS + 20))
	if pid_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null || true
		while pid_alive "$pid"; do
			if [ "$SECONDS" -ge "$deadline" ]; then
				log "pid $pid ignores SIG$sig: SIGKILL"
				kill -KILL "$pid" 2>/dev/null || true
			fi
			sleep 0.1
		done
	fi
	wait "$pid" 2>/dev/null || true
}

# stop_pidfile FILE [SIG]: stop_pid the PID in FILE, remove FILE.
# Missing file: nothing to do.
stop_pidfile() {
	[ -s "$1" ] || return 0
	stop_pid "$(cat "$1")" "${2:-TERM}"
	rm -f "$1"
}

# The run directory's name (under state_dir) of what runs here: run-$PORT
# for a front server (ROLE unset: with its workers; ROLE=front: alone),
# app-ADDR-PORT for the workers of an app host (ROLE=app,
# FCGI_LISTEN=ADDR:PORT).  So `make down` with the same variables finds it.
run_dir_name() {
	case "${ROLE:-}" in
	""|front) echo "run-$PORT" ;;
	app)
		[ -n "${FCGI_LISTEN:-}" ] || die "ROLE=app needs FCGI_LISTEN=ADDR:PORT"
		echo "app-${FCGI_LISTEN/:/-}" ;;
	*) die "ROLE=$ROLE: app, front, or unset (everything on one host)" ;;
	esac
}

# prepare_run_dir DIR BIN: create the run directory DIR (reachable by
# run_user, with error.log, www/ and sock/), a copy of the worker binary
# BIN in DIR/bin unless BIN is empty.
prepare_run_dir() {
	mkdir -p "$1/www" "$1/bin"
	chmod 0755 "$(dirname "$1")" "$1"
	touch "$1/error.log"
	chmod 0640 "$1/error.log"
	[ -z "$(run_user)" ] || chown "$(run_user):" "$1" "$1/error.log"
	make_private_dir "$1/sock"
	[ -z "$2" ] || install -m 0755 "$2" "$1/bin/users-fcgi"
}

# nginx_up RUN_DIR: start nginx from the template nginx.conf, with the
# upstream block RUN_DIR/upstream.conf written by the caller.  Uses PORT
# and BIND.  All of nginx runs as run_user, unless a port below 1024
# needs a root master (its workers still switch to the user).
nginx_up() {
	local u user_line="" as=()
	u=$(run_user)
	mkdir -p "$1/nginx"
	touch "$1/error.log"
	if [ -n "$u" ]; then
		chown "$u": "$1/nginx" "$1/error.log"
		if [ "$PORT" -lt 1024 ]; then user_line="user $u;"
		else as=(runuser -u "$u" --); fi
	fi
	sed -e "s|@PORT@|$PORT|g" -e "s|@BIND@|$BIND|g" \
	    -e "s|@RUN_DIR@|$1|g" -e "s|@USER@|$user_line|g" \
	    "$ROOT/nginx.conf" >"$1/nginx.conf"
	"${as[@]}" nginx -p "$1/" -c "$1/nginx.conf" -e "$1/error.log"
}
