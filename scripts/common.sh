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
	# setpriv, not runuser: PAM's limits would undo raise_nofile.
	if [ -n "$u" ]; then
		(cd / && setpriv --reuid="$u" --regid="$u" --init-groups -- "$@")
	else "$@"; fi
}

# close_fds: close every file descriptor but 0 to 2 (and 255, bash's
# own copy of the script it reads): the daemons started after this keep
# none of the caller's (a lock it holds, a pipe it waits on).
close_fds() {
	local f
	for f in /proc/$$/fd/*; do
		f=${f##*/}
		[ "$f" -gt 2 ] && [ "$f" -ne 255 ] || continue
		eval "exec $f>&-"
	done
}

# Every log (the stack's error log, PostgreSQL's) is at most LOG_FILES
# files of LOG_SIZE: rotatelogs writes them, the oldest overwritten.
LOG_SIZE=${LOG_SIZE:-10M}
LOG_FILES=${LOG_FILES:-2}
# log_cap_check: die unless LOG_SIZE and LOG_FILES are well-formed.
log_cap_check() {
	[[ $LOG_SIZE =~ ^[1-9][0-9]*[KMG]$ ]] || die "LOG_SIZE=$LOG_SIZE: a size such as 10M"
	[[ $LOG_FILES =~ ^[1-9][0-9]?$ ]] || die "LOG_FILES=$LOG_FILES: 1 to 99"
}

# Every file and directory we create gets the mode we give it, whatever
# the caller's umask (077 would hide the worker binary and nginx.conf
# from the run user).
umask 022

# The state directory: STATE_DIR if set; else, as root, a directory of
# its own under /var/lib/users-fcgi (root's, so that no other user can
# prepare it), named after the checkout; else .state in the checkout.
state_dir() {
	if [ -n "${STATE_DIR:-}" ]; then echo "$STATE_DIR"; return; fi
	if [ "$(id -u)" -eq 0 ]; then
		printf '/var/lib/users-fcgi/%s-%s\n' \
		    "$(basename "$ROOT" | tr -c 'A-Za-z0-9._\n-' _)" \
		    "$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
	else
		echo "$ROOT/.state"
	fi
}

# dir_trusted DIR OWNER: die unless DIR is a directory, not a symlink,
# owned by OWNER and writable by nobody else.
dir_trusted() {
	local owner mode
	[ ! -L "$1" ] || die "$1 is a symbolic link: refusing it"
	[ -d "$1" ] || die "$1 is not a directory"
	read -r owner mode < <(stat -c '%U %a' "$1")
	[ "$owner" = "$2" ] || die "$1 is owned by $owner, not $2: refusing it" \
	    "(remove it, or choose another STATE_DIR)"
	[ $((8#$mode & 8#022)) -eq 0 ] || die "$1 is writable by group or" \
	    "others (mode $mode): refusing it"
}

# ancestors_trusted DIR: die unless every directory above DIR is owned by
# root or by us and writable by no one else, or sticky like /tmp: then no
# other user can move DIR away or put another in its place.
ancestors_trusted() {
	local d owner mode
	d=$(dirname "$(realpath -m -- "$1")")
	while :; do
		read -r owner mode < <(stat -L -c '%u %a' "$d")
		{ [ "$owner" = 0 ] || [ "$owner" = "$(id -u)" ]; } &&
		{ [ $((8#$mode & 8#022)) -eq 0 ] || [ $((8#$mode & 8#1000)) -ne 0 ]; } ||
		    die "$d, above $1, can be changed by another user: refusing it"
		[ "$d" != / ] || break
		d=$(dirname "$d")
	done
}

# secure_dir DIR OWNER MODE: DIR exists, created with MODE and OWNER if
# it did not, and passes dir_trusted; its parent must exist and be ours.
secure_dir() {
	if [ ! -e "$1" ] && [ ! -L "$1" ]; then
		mkdir -m "$3" -- "$1"
		chown "$2": -- "$1"
	fi
	dir_trusted "$1" "$2"
	chmod "$3" -- "$1"
}

# state_dir_ready: create or check the state directory (and, as root,
# /var/lib/users-fcgi above the default one); print its path.
state_dir_ready() {
	local s me
	s=$(state_dir)
	me=$(id -un)
	if [ -z "${STATE_DIR:-}" ] && [ "$(id -u)" -eq 0 ]; then
		secure_dir /var/lib/users-fcgi root 0755
	fi
	mkdir -p -- "$(dirname "$s")"
	ancestors_trusted "$s"
	secure_dir "$s" "$me" 0755
	echo "$s"
}

# Root and the run user's directories.  Everything the stack runs as
# the run user (PostgreSQL, the front, the workers) can write the
# directories the run user owns, and so can put a symbolic link or
# another directory in place of any name in them at any moment.  The
# rule: root never creates, chowns, chmods, binds, truncates or writes
# by path inside a directory the run user can write.  Root makes only
# the run user's top directories, in directories of root's
# (make_private_dir); what the run user needs inside them it creates
# itself (make_own_dir, spawn-fcgi and nginx running as the run user);
# a process that stays root (nginx's master on a port below 1024) keeps
# its files in a directory of root's.  tests/reliability/links.sh
# checks it with strace.

# make_private_dir DIR: create DIR (mode 0700) owned by run_user, or
# check it.  Its parent must be root's (or ours, not root): see above.
make_private_dir() {
	secure_dir "$1" "$(run_user_or_me)" 0700
}

# make_own_dir DIR: DIR, inside a directory of the run user's, created
# (mode 0700) or chmodded by the run user itself, then checked.
make_own_dir() {
	as_run_user mkdir -p -m 0700 -- "$1"
	as_run_user chmod 0700 -- "$1"
	dir_trusted "$1" "$(run_user_or_me)"
}

# run_user, or the user we are.
run_user_or_me() {
	local u
	u=$(run_user)
	echo "${u:-$(id -un)}"
}

# sock_path_ok PATH: die unless PATH fits in a unix socket address.
sock_path_ok() {
	[ "${#1}" -le 107 ] || die "the unix socket path $1 is ${#1} bytes;" \
	    "a socket path holds at most 107: choose a shorter STATE_DIR"
}

# raise_nofile: the file limit (ulimit -n) of this shell, and so of
# everything it starts, to NOFILE (16384), the most lighttpd.conf and
# nginx.conf use; as root the hard limit is raised too if need be.
NOFILE=16384
raise_nofile() {
	local hard
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$NOFILE" ]; then
		if [ "$(id -u)" -eq 0 ]; then ulimit -Hn "$NOFILE"
		else log "the file limit is $hard, under $NOFILE: fewer connections"; fi
	fi
	ulimit -Sn "$(ulimit -Hn | sed "s/unlimited/$NOFILE/")" 2>/dev/null || true
	[ "$(ulimit -Sn)" -le "$NOFILE" ] || ulimit -Sn "$NOFILE"
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

# is_ipv4 A: is A a dotted-quad IPv4 address (parts 0 to 255, no
# leading zero)?
is_ipv4() {
	local part='(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])'
	[[ $1 =~ ^$part(\.$part){3}$ ]]
}

# is_count N [MAX]: is N a positive integer (digits, no leading zero),
# and at most MAX if given?
is_count() {
	[[ $1 =~ ^[1-9][0-9]{0,17}$ ]] && [ "$1" -le "${2:-$1}" ]
}

# is_port P: is P a TCP port, 1 to 65535?
is_port() { is_count "$1" 65535; }

# is_endpoint ADDR:PORT: an IPv4 address and a TCP port?
is_endpoint() { [[ $1 == *:* ]] && is_ipv4 "${1%:*}" && is_port "${1##*:}"; }

# The run directory's name (under state_dir) of what runs here: run-$PORT
# for a front server (ROLE unset: with its workers; ROLE=front: alone),
# app-ADDR-PORT for the workers of an app host (ROLE=app,
# FCGI_LISTEN=ADDR:PORT, checked here, before any path is built from it).
# So `make down` with the same variables finds it.
run_dir_name() {
	case "${ROLE:-}" in
	""|front) echo "run-$PORT" ;;
	app)
		is_endpoint "${FCGI_LISTEN:-}" ||
		    die "ROLE=app needs FCGI_LISTEN=ADDR:PORT (IPv4), not '${FCGI_LISTEN:-}'"
		echo "app-${FCGI_LISTEN/:/-}" ;;
	*) die "ROLE=$ROLE: app, front, or unset (everything on one host)" ;;
	esac
}
