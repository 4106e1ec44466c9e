#!/usr/bin/env bash
# tests/reliability/deploy.sh -- scripts/stack.sh as an attacker and an
# operator meet it:
#
#   state dir     as root, a state or run directory another user could
#                 have prepared (symlinks, wrong owner, writable by others)
#                 is refused, and nothing it points to is touched
#   pid files     `down` never signals a process `up` did not start, even
#                 when the pid files name another one
#   umask         the stack comes up under root's umask 077 and 027
#   SIGKILL       after any single process of the stack is SIGKILLed,
#                 `down` leaves nothing running and the port free
#   odd paths     a checkout and a state directory whose paths hold a space
#                 and '&' work; a socket path too long for a unix socket
#                 and a PORT that is not a port stop with a clear message,
#                 before anything is removed
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

chmod 0755 "$D"
u=$(run_user)
ATTACKER=nobody

# stack CHECKOUT VERB [VAR=VALUE...]: stack.sh of that checkout, on port
# $P, with the suite's database and no STATE_DIR unless given; its output
# in $D/out.
stack() {
	local co=$1 verb=$2
	shift 2
	env -u STATE_DIR PORT="$P" DATABASE_URL="$DATABASE_URL" "$@" "$co/scripts/stack.sh" "$verb" >"$D/out" 2>&1 || return $?
}

# The PIDs of process $1 and all its descendants.
tree() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1" || true); do tree "$c"; done
}

# Every process of the stack on port $P in run directory $1: the trees of
# the front and of the workers' supervisor, and the workers.
stack_procs() {
	local f
	for f in "$1/front.pid" "$1/workers.pid"; do
		[ ! -s "$f" ] || tree "$(cat "$f")"
	done
	worker_pids "$1"
}

# stat_of FILE: "owner mode" of FILE itself.
stat_of() { stat -c '%U %a' "$1"; }

if [ -z "$u" ]; then
	printf '        not started as root: the state directory checks need root\n'
fi

# --- a predictable state directory, prepared by another user ---------------
if [ -n "$u" ]; then
	L="[state dir]"
	P=$(free_port)
	# A checkout the run user cannot enter, and the predictable path
	# /var/tmp/users-fcgi-<sha1 of its path>, which anyone can create,
	# prepared by another user: it must not be used.
	priv=$(mktemp -d "$D/private.XXXXXX")
	co=$priv/checkout
	copy_checkout "$co"
	victim=$D/victim
	echo secret >"$victim"
	chmod 0600 "$victim"
	old=/var/tmp/users-fcgi-$(printf '%s' "$co" | sha1sum | cut -c1-12)
	rm -rf "$old"
	runuser -u "$ATTACKER" -- mkdir -p "$old/run-$P"
	runuser -u "$ATTACKER" -- chmod 0777 "$old" "$old/run-$P"
	runuser -u "$ATTACKER" -- ln -s "$victim" "$old/run-$P/error.log"
	runuser -u "$ATTACKER" -- ln -s "$victim" "$old/run-$P/front"
	stack "$co" up DATABASE_URL="$DATABASE_URL" || true
	stack "$co" down DATABASE_URL="$DATABASE_URL" || true
	check_eq "$L root, a checkout $u cannot enter, the predictable path prepared by $ATTACKER with symlinks: the file they point to is untouched" \
	    "root 600 secret" "$(stat_of "$victim") $(cat "$victim")"
	check_eq "$L ... and root created nothing in $ATTACKER's directory" \
	    "$ATTACKER" "$(find "$old" -mindepth 1 ! -type l -printf '%u\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"
	rm -rf "$old" "$(env -u STATE_DIR bash -c '. "$1/scripts/common.sh"; state_dir' _ "$co")"

	# An explicit STATE_DIR that is not root's, or open to others, or a
	# symlink; a run directory prepared by someone else.
	refused() {
		local what=$1 dir=$2
		if stack "$co" up STATE_DIR="$dir" DATABASE_URL="$DATABASE_URL"; then
			fail "$L $what: refused (it came up)"
			stack "$co" down STATE_DIR="$dir" || true
		else
			check "$L $what: refused with a clear message ($(tail -n 1 "$D/out" | cut -c1-90))" \
			    grep -qiE 'owned by|writable|symbolic link|another user' "$D/out"
		fi
		check_eq "$L $what: the file its symlinks point to is untouched" \
		    "root 600 secret" "$(stat_of "$victim") $(cat "$victim")"
	}
	mkdir -m 0777 "$D/attacker"
	runuser -u "$ATTACKER" -- mkdir -p "$D/attacker/theirs/run-$P"
	runuser -u "$ATTACKER" -- ln -s "$victim" "$D/attacker/theirs/run-$P/error.log"
	refused "STATE_DIR owned by $ATTACKER" "$D/attacker/theirs"
	mkdir -m 0777 "$D/open"
	refused "STATE_DIR writable by others" "$D/open"
	mkdir -m 0755 "$D/real" "$D/real/run-$P"
	ln -s "$D/real" "$D/link"
	refused "STATE_DIR is a symlink" "$D/link"
	mkdir -m 0755 "$D/mine"
	mkdir "$D/mine/run-$P"
	chown "$ATTACKER": "$D/mine/run-$P"
	refused "run-$P owned by $ATTACKER" "$D/mine"
	rm -rf "$D/attacker" "$D/open" "$D/real" "$D/link" "$D/mine"
fi

# --- pid files name an innocent process ----------------------------------
L="[pid files]"
# An innocent process: not the stack's, started afresh for each case.
innocent_start() { stop_pid "${innocent:-0}" KILL; sleep 300 & innocent=$!; }
innocent_start
P=$(free_port)
# A run directory left from before a reboot: its pid files now name
# another process.
mkdir -p "$STATE_DIR/run-$P"
echo "$innocent" >"$STATE_DIR/run-$P/front.pid"
echo "$innocent" >"$STATE_DIR/run-$P/workers.pid"
echo nginx >"$STATE_DIR/run-$P/front"
stack "$ROOT" down STATE_DIR="$STATE_DIR" || true
check "$L stale pid files after a reboot: down does not signal the process now at that PID" \
    pid_alive "$innocent"
rm -rf "${STATE_DIR:?}/run-$P"

# A running stack whose run user rewrites every pid file it can.
rewritten_pids() {
	local procs
	innocent_start
	procs=$(stack_procs "$T_RUN_DIR")
	runuser -u "$u" -- bash -c 'for f in $(find "$1" -name "*.pid"); do
	    rm -f "$f" 2>/dev/null; echo "$2" >"$f" 2>/dev/null; done; true' _ \
	    "$T_RUN_DIR" "$innocent" 2>/dev/null
	t_down || true
	check "$L [$FRONT] $u rewrote the pid files it could: down does not signal the PID they name" \
	    pid_alive "$innocent"
	# shellcheck disable=SC2086 # a list of PIDs
	check_eq "$L [$FRONT] ... and still stops the whole stack" "" "$(alive $procs)"
	check "$L [$FRONT] ... and frees the port" port_free "$T_PORT"
}
[ -z "$u" ] || for_each_front rewritten_pids WORKERS=2
stop_pid "$innocent" KILL

# --- root's umask --------------------------------------------------------
for mask in "077 lighttpd" "027 nginx"; do
	read -r mask FRONT <<<"$mask"
	export FRONT
	{
		T_PORT=$(free_port)
		T_RUN_DIR=$STATE_DIR/run-$T_PORT
		if (umask "$mask" && PORT=$T_PORT WORKERS=2 "$ROOT/scripts/stack.sh" up) >"$D/out" 2>&1; then
			check_eq "[umask $mask] [$FRONT] the stack comes up and answers 200" \
			    200 "$(http_code "http://127.0.0.1:$T_PORT/users")"
			t_down || true
		else
			fail "[umask $mask] [$FRONT] the stack comes up: $(tail -n 1 "$D/out")"
		fi
	}
done

# --- any single process SIGKILLed, then down ----------------------------
# kill_one FRONT WHAT: start a stack, SIGKILL its WHAT, run down.
kill_one() {
	local L="[SIGKILL] [$1] $2" victim procs
	export FRONT=$1
	if ! WORKERS=2 t_up; then fail "$L: the stack comes up"; return; fi
	procs=$(stack_procs "$T_RUN_DIR")
	case $2 in
	front) victim=$(cat "$T_RUN_DIR/front.pid") ;;
	"nginx worker") victim=$(pgrep -P "$(cat "$T_RUN_DIR/front.pid")" | head -n 1) ;;
	multiwatch) victim=$(cat "$T_RUN_DIR/workers.pid") ;;
	worker) victim=$(worker_pids "$T_RUN_DIR" | head -n 1) ;;
	esac
	kill -KILL "$victim"
	sleep 0.5
	t_down >"$D/out" 2>&1 || true
	# shellcheck disable=SC2086 # a list of PIDs
	check_eq "$L: down leaves none of the stack's processes running" "" \
	    "$(alive $procs $(worker_pids "$T_RUN_DIR"))"
	check "$L: down frees the port" port_free "$T_PORT"
}
kill_one lighttpd front
kill_one lighttpd worker
kill_one nginx front
kill_one nginx "nginx worker"
kill_one nginx multiwatch
kill_one nginx worker

# --- nginx's master and the workers' pool SIGKILLed, then up again ----------
# up must not drop the record of the nginx workers left running (they
# hold the port): it refuses, and down then stops them.
L="[SIGKILL, then up]"
export FRONT=nginx
if WORKERS=2 t_up; then
	procs=$(stack_procs "$T_RUN_DIR")
	pool=$(cat "$T_RUN_DIR/workers.pid")
	kill -KILL "$(cat "$T_RUN_DIR/front.pid")" "$pool" $(pgrep -P "$pool") 2>/dev/null || true
	sleep 0.5
	check "$L nginx's master and the pool SIGKILLed: a second up fails" \
	    bash -c '! PORT=$1 WORKERS=2 "$2/scripts/stack.sh" up >"$3" 2>&1' _ "$T_PORT" "$ROOT" "$D/out"
	printf '        %s up said: %s\n' "$L" "$(tail -n 1 "$D/out")"
	t_down >"$D/out" 2>&1 || true
	# shellcheck disable=SC2086 # a list of PIDs
	check_eq "$L ... and down then stops what the first up started (the orphaned nginx workers)" \
	    "" "$(alive $procs)"
	check "$L ... and frees the port" port_free "$T_PORT"
else
	fail "$L the stack comes up"
fi

# --- a recorded session id that now belongs to another session --------------
# Our session died out; another session leader took its id: down must
# not signal that session's processes, though they run a program up
# recorded and started after the process up recorded.
L="[session id reused]"
P=$(free_port)
setsid sleep 300 &
foreign=$!
sleep 0.2
mkdir -p "$STATE_DIR/run-$P"
printf 'boot %s\nfront %s 1 %s /usr/bin/sleep\n' \
    "$(sed -n 's/^btime //p' /proc/stat)" "$foreign" "$foreign" >"$STATE_DIR/run-$P/procs"
echo lighttpd >"$STATE_DIR/run-$P/front"
stack "$ROOT" down STATE_DIR="$STATE_DIR" || true
check "$L down does not signal the session that took the id" pid_alive "$foreign"
stop_pid "$foreign" KILL
rm -rf "${STATE_DIR:?}/run-$P"

# --- odd paths, long paths, a PORT that is not one -----------------------
L="[paths]"
odd=$D/"co py&x"
copy_checkout "$odd"
for FRONT in lighttpd nginx; do
	# '&' and a space in the checkout's path, '&' in the state's: works.
	P=$(free_port)
	if stack "$odd" up FRONT=$FRONT STATE_DIR="$D/st&x" WORKERS=2; then
		check_eq "$L [$FRONT] a checkout path with a space and '&', STATE_DIR with '&', embedded database: 200" \
		    200 "$(http_code "http://127.0.0.1:$P/users")"
	else
		fail "$L [$FRONT] a checkout path with a space and '&', STATE_DIR with '&': it comes up ($(tail -n 1 "$D/out"))"
	fi
	stack "$odd" down FRONT=$FRONT STATE_DIR="$D/st&x" || true
	check "$L [$FRONT] ... down frees the port" port_free "$P"
	# A space in the state's path: works, or a clear message at once.
	P=$(free_port)
	t0=$SECONDS
	if stack "$odd" up FRONT=$FRONT STATE_DIR="$D/st ate" WORKERS=2; then
		check_eq "$L [$FRONT] STATE_DIR with a space: 200" \
		    200 "$(http_code "http://127.0.0.1:$P/users")"
	else
		check "$L [$FRONT] STATE_DIR with a space: a clear message within 10 s ($(tail -n 1 "$D/out" | cut -c1-100))" \
		    [ "$((SECONDS - t0))" -le 10 -a -n "$(grep 'space' "$D/out")" ]
	fi
	stack "$odd" down FRONT=$FRONT STATE_DIR="$D/st ate" || true
	check "$L [$FRONT] ... down frees the port" port_free "$P"
done
for s in "st&x" "st ate"; do
	STATE_DIR="$D/$s" "$odd/scripts/db.sh" stop >/dev/null 2>&1 || true
done

long=$D/$(printf 'l%.0s' $(seq 110))
P=$(free_port)
t0=$SECONDS
if stack "$ROOT" up STATE_DIR="$long" WORKERS=2; then
	check_eq "$L a socket path over 107 bytes: works" 200 "$(http_code "http://127.0.0.1:$P/users")"
	stack "$ROOT" down STATE_DIR="$long" || true
else
	check "$L a socket path over 107 bytes: a clear message within 10 s ($(grep -m1 -i 'long' "$D/out" | cut -c1-80))" \
	    [ "$((SECONDS - t0))" -le 10 -a -n "$(grep -i '107' "$D/out")" ]
	stack "$ROOT" down STATE_DIR="$long" || true
fi
STATE_DIR=$long "$ROOT/scripts/db.sh" stop >/dev/null 2>&1 || true
rm -rf "$long"

mkdir -p "$D/ports/state/run-1" "$D/ports/keep"
echo precious >"$D/ports/keep/file"
for port in "1/../../keep" "abc" "70000" "0"; do
	P=$port
	if stack "$ROOT" down STATE_DIR="$D/ports/state"; then
		fail "$L PORT='$port': down refuses it"
	else
		check "$L PORT='$port': down refuses it with a message naming PORT" \
		    grep -q 'PORT' "$D/out"
	fi
done
check_eq "$L nothing outside the state directory was removed" precious \
    "$(cat "$D/ports/keep/file" 2>/dev/null)"
check "$L PORT=abc: up refuses it" bash -c '! PORT=abc "$1/scripts/stack.sh" up >/dev/null 2>&1' _ "$ROOT"
