#!/usr/bin/env bash
# tests/reliability/links.sh -- root never creates, chowns, chmods or
# truncates by path inside a directory the run user can write: a process
# running as the run user (a worker, the front, PostgreSQL) cannot turn
# a symbolic link into a chown or a truncation by root.
#
#   race     while `scripts/db.sh start` runs as root, a process of the run
#            user swaps PostgreSQL's socket directory for a link to a
#            directory of root's, as fast as it can: the directory keeps
#            its owner and mode
#   audit    `strace -f` of `db.sh start` (its cluster running), of
#            `stack.sh up` (lighttpd; nginx; nginx on a port below 1024,
#            whose master stays root; ROLE=app) and of a reload of that
#            nginx: no process still
#            running as root made, chowned, chmodded, bound or opened
#            (O_CREAT or O_TRUNC without O_EXCL) or connected to a path
#            whose directory the run user can write
#   planted  with nginx's master root (port below 1024), the run user
#            cannot put a link where that master writes (its pid file,
#            its temporary directories)
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

u=$(run_user)
if [ -z "$u" ]; then
	printf '        not started as root: nothing runs as another user\n'
	exit 0
fi
chmod 0755 "$D"
uid=$(id -u "$u")

# --- race: the socket directory of the embedded database ------------------
L="[race]"
target=$D/target
mkdir -m 0755 "$target"
# initdb and pg_ctl that fail at once: db.sh start stops right after
# preparing its directories, so the race is tried many times a second.
mkdir -p "$D/fakebin"
printf '#!/bin/sh\nexit 1\n' >"$D/fakebin/initdb"
chmod 0755 "$D/fakebin/initdb"
cp "$D/fakebin/initdb" "$D/fakebin/pg_ctl"
st=$D/race-state
STATE_DIR=$st PG_BIN=$D/fakebin "$ROOT/scripts/db.sh" start >/dev/null 2>&1 || true
rm -f "$D/race.stop"
as_run_user "$PYTHON" "$R/rootops.py" race "$st/pg" "$target" "$D/race.stop" >"$D/race.out" &
racer=$!
for _ in $(seq 150); do
	rm -rf "$st/pg/run" "$st/pg/run".*
	STATE_DIR=$st PG_BIN=$D/fakebin "$ROOT/scripts/db.sh" start >/dev/null 2>&1 || true
	[ "$(stat -c '%U %a' "$target")" = "root 755" ] || break
done
touch "$D/race.stop"
wait "$racer" || true
check_eq "$L $u swapped pg/run for a link to a root directory $(cat "$D/race.out") times during 150 db.sh start: it keeps owner and mode" \
    "root 755" "$(stat -c '%U %a' "$target")"
rm -rf "$st"

# --- audit: every path root touches -----------------------------------------
L="[audit]"
# shellcheck disable=SC2054 # one strace option, commas and all
TRACE=(-f -qq -s 512 -e trace=%file,bind,connect,clone,clone3,fork,vfork,setuid,setresuid,setreuid)
# traced NAME SCRIPT VERB VAR=VALUE...: scripts/SCRIPT VERB with those
# settings under strace, its trace in $D/NAME.trace (strace lets the
# daemons go once it has returned); then the audit.
traced() {
	local name=$1 script=$2 verb=$3 found tracer
	shift 3
	rm -f "$D/rc"
	strace "${TRACE[@]}" -o "$D/$name.trace" bash -c \
	    's=$1 v=$2 rc=$3; shift 3; env "$@" "$s" "$v"; echo $? >"$rc"' _ \
	    "$ROOT/scripts/$script" "$verb" "$D/rc" "$@" >"$D/$name.out" 2>&1 &
	tracer=$!
	wait_lines "$D/rc" 1 90 || true
	# SIGKILL: strace's own detach can hang on a busy machine; the
	# kernel detaches the daemons and they run on.
	kill -KILL "$tracer" 2>/dev/null || true
	wait "$tracer" 2>/dev/null || true
	check_eq "$L $name: $script $verb succeeds under strace ($(tail -n 1 "$D/$name.out"))" 0 "$(cat "$D/rc" 2>/dev/null)"
	found=$("$PYTHON" "$R/rootops.py" audit "$D/$name.trace" "$uid" | sort -u -k2)
	check_eq "$L $name: root created, chowned, chmodded, truncated or connected to nothing by path in a directory $u can write" \
	    "" "$found"
}
# traced_up NAME VAR=VALUE...: traced stack.sh up, on port TRACE_PORT or
# a free one (T_PORT).
traced_up() {
	local name=$1
	shift
	T_PORT=${TRACE_PORT:-$(free_port)}
	traced "$name" stack.sh up PORT="$T_PORT" "$@"
}
# cannot_plant PATH: the run user can neither rename PATH away nor put a
# new name (a link) beside it.
cannot_plant() {
	! as_run_user mv -T -- "$1" "$1.moved" 2>/dev/null &&
	    ! as_run_user ln -s -- "$target" "$(dirname "$1")/planted" 2>/dev/null
}
# low_port: a port below 1024 that nothing listens on.
low_port() {
	local p
	for p in $(shuf -i 900-1023); do
		port_free "$p" && { echo "$p"; return; }
	done
	return 1
}

# db.sh start on a cluster of its own that runs: the checks and psql.
if STATE_DIR=$D/db "$ROOT/scripts/db.sh" start >"$D/db.out" 2>&1; then
	traced "db.sh start, the cluster running" db.sh start STATE_DIR="$D/db"
else
	fail "$L a cluster of its own starts ($(tail -n 1 "$D/db.out"))"
fi
STATE_DIR=$D/db "$ROOT/scripts/db.sh" stop >/dev/null 2>&1 || true
traced_up lighttpd FRONT=lighttpd WORKERS=2
env PORT="$T_PORT" "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
traced_up nginx FRONT=nginx WORKERS=2
env PORT="$T_PORT" "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
FCGI=127.0.0.1:$(free_port)
traced_up "ROLE=app" ROLE=app FCGI_LISTEN="$FCGI" FRONT_ADDRS=127.0.0.1 WORKERS=2
env ROLE=app FCGI_LISTEN="$FCGI" "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true

# nginx on a port below 1024: its master stays root.
L="[nginx, port below 1024]"
if P=$(low_port); then
	T_PORT=$P
	T_RUN_DIR=$STATE_DIR/run-$P
	if env PORT="$P" FRONT=nginx WORKERS=2 "$ROOT/scripts/stack.sh" up >"$D/low.out" 2>&1; then
		master=$(cat "$T_RUN_DIR/front.pid")
		check_eq "$L the master runs as root" 0 "$(awk '/^Uid:/ {print $3}' "/proc/$master/status")"
		# What the master writes, and the directories it creates them in.
		for f in $(sed -n 's/^pid *\([^;]*\);/\1/p; s/^ *[a-z_]*_temp_path *\([^;]*\);/\1/p' "$T_RUN_DIR/nginx.conf"); do
			case $f in /*) ;; *) f=$T_RUN_DIR/$f ;; esac
			check "$L $u can neither move ${f#"$T_RUN_DIR"/} nor put a link beside it" \
			    cannot_plant "$f"
		done
		# A reload: the master creates its paths and pid file again.
		strace "${TRACE[@]}" -o "$D/reload.trace" -p "$master" &
		tracer=$!
		sleep 1
		kill -HUP "$master"
		sleep 2
		kill -KILL "$tracer" 2>/dev/null || true
		wait "$tracer" 2>/dev/null || true
		check_eq "$L reload: root created, chowned, chmodded or truncated nothing by path in a directory $u can write" \
		    "" "$("$PYTHON" "$R/rootops.py" audit "$D/reload.trace" "$uid" | sort -u -k2)"
		check_eq "$L answers 200 after the reload" 200 "$(http_code "http://127.0.0.1:$P/users")"
	else
		fail "$L the stack comes up ($(tail -n 1 "$D/low.out"))"
	fi
	env PORT="$P" "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
	TRACE_PORT=$P traced_up "nginx, port below 1024" FRONT=nginx WORKERS=2
	env PORT="$T_PORT" "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
else
	printf '        %s no free port below 1024\n' "$L"
fi
check_eq "[race, audit] the root directory the links pointed to keeps owner and mode" \
    "root 755" "$(stat -c '%U %a' "$target")"
