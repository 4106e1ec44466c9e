#!/usr/bin/env bash
# tests/reliability/fcgi-peers.sh -- misbehaving FastCGI peers, straight
# to one worker (spawn-fcgi, no front; fcgi_peer.py speaks FastCGI):
#   hostile    PARAMS records that lie about their lengths (a 4-byte
#              name length of 0x7ffffffe...): the connection is closed,
#              the worker lives on and answers the next request
#   stalls     one byte of a header on a new or a kept connection, a lone
#              FCGI_GET_VALUES: another connection is answered at once,
#              and the stalled one is closed within about a second
#   tcp        the same on TCP (ROLE=app), and an idle TCP connection
#   hangup     one byte of a header, then the peer closes: the worker does
#              not spin (CPU time) while that head would be due
#   stop       SIGTERM, and the death of the worker's parent, while a
#              peer stalls: the worker exits within about a second
#   pipelined  two requests in one write on a kept connection: the first
#              is answered, then the connection is closed
#   resolve    the database's host name is resolved outside the request's
#              deadline (docs/RELIABILITY.md): with the resolver black-holed
#              (a private network and mount namespace), a request waits for
#              the resolver's own timeout; with hostaddr= it is not asked
#   copyout    a database server that answers the query with COPY
#              (pgpeer.py copy): 503 within DB_STATEMENT_TIMEOUT + 1 s, and
#              the worker still stops at SIGTERM
# Arguments, if any, name the sections to run (default: all); WORKER_BIN
# names the worker (default: build/users-fcgi).
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

BIN=$(readlink -f "${WORKER_BIN:-$ROOT/build/users-fcgi}")
W_PARENT= W_PID= W_ADDR= FAKE_PID=
# A stalled peer may cost a worker 1 s; the slack is for a loaded 2-core
# machine's scheduler.
BOUND_MS=1600

# worker_start ADDR [COMMAND...]: one worker on ADDR (a unix socket's
# path, or 127.0.0.1:PORT) through spawn-fcgi, under a parent of its own
# (W_PARENT, a bash that waits for it, run by COMMAND if given: unshare
# ...); W_PID is the worker.  Returns non-zero (a failed check) when
# none starts.  W_PRELUDE, if set, is bash commands (each
# ended) that parent runs first.
worker_start() {
	local addr=$1 where=(-s "$1") n=0
	shift
	[[ $addr == /* ]] || where=(-a "${addr%:*}" -p "${addr##*:}")
	W_ADDR=$addr
	rm -f "$addr" "$D/parent.pid"
	# setsid forks when it leads a process group: the parent says who it is.
	setsid "$@" bash -c 'echo $$ >"$0"; '"${W_PRELUDE:-}"' spawn-fcgi -n "$@" & wait' \
	    "$D/parent.pid" "${where[@]}" -- "$BIN" </dev/null >/dev/null 2>>"$D/worker.log" &
	W_PARENT= W_PID=
	until [ -n "$W_PID" ] || [ "$n" -ge 200 ]; do
		sleep 0.05
		n=$((n + 1))
		[ -n "$W_PARENT" ] || W_PARENT=$(cat "$D/parent.pid" 2>/dev/null) || continue
		W_PID=$(pgrep -P "$W_PARENT" | while read -r p; do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" != "$BIN" ] || echo "$p"
		done)
	done
	# No worker: fail here, or a signal meant for it would go to PID 0
	# (our own process group) and pid_alive 0 would pass as "exited".
	[ -n "$W_PID" ] || { fail "a worker on $addr starts"; return 1; }
}

# worker_stop: stop the worker and its parent.
worker_stop() {
	[ -z "$W_PID" ] || stop_pid "$W_PID"
	[ -z "$W_PARENT" ] || stop_pid "$W_PARENT"
	W_PID= W_PARENT=
}
trap 'worker_stop; [ -z "$FAKE_PID" ] || stop_pid "$FAKE_PID"; faults_cleanup' EXIT

peer() { "$PYTHON" "$R/fcgi_peer.py" "$W_ADDR" "$@"; }

# closed_within OUTCOME: is OUTCOME "close MS" with MS <= BOUND_MS?
closed_within() { [ "${1%% *}" = close ] && le "${1#* }" "$BOUND_MS"; }

# status_within STATUS MAX_MS OUT: is OUT (fcgi_peer.py get's "STATUS MS
# ...") that status, within MAX_MS?
status_within() {
	local got ms
	read -r got ms _ <<<"$3"
	[ "$got" = "$1" ] && le "$ms" "$2"
}

# exited_within MS: did the worker exit (signal_ms printed MS > 0) within
# BOUND_MS?
exited_within() { [ "$1" -gt 0 ] && le "$1" "$BOUND_MS"; }

hostile() {
	local L="[hostile]" c out
	for c in hostile-name hostile-value hostile-long hostile-short; do
		worker_start "$D/w.sock"
		out=$(peer "$c" --hold 3)
		check "$L $c: the worker closes the connection within $BOUND_MS ms ($out)" \
		    closed_within "$out"
		check "$L ... and lives on" pid_alive "$W_PID"
		out=$(peer get)
		check "$L ... and answers the next request: 200 ($out)" [ "${out%% *}" = 200 ]
		worker_stop
	done
}

# stalled L CASE: while a peer does CASE on one connection, GET /users
# on another is answered within BOUND_MS, and the worker closes the
# stalled one within BOUND_MS.
stalled() {
	local L=$1 peer_pid out
	peer "$2" --hold 5 >"$D/$2.out" &
	peer_pid=$!
	sleep 0.3
	out=$(peer get)
	check "$L $2 on one connection: GET on another answered 200 within $BOUND_MS ms ($out)" \
	    status_within 200 "$BOUND_MS" "$out"
	wait "$peer_pid" || true
	out=$(cat "$D/$2.out")
	check "$L ... and the worker closed the $2 connection within $BOUND_MS ms ($out)" \
	    closed_within "$out"
}

stalls() {
	local c
	worker_start "$D/w.sock"
	for c in stall-new stall-kept get-values; do stalled "[stalls, unix]" "$c"; done
	check "[stalls, unix] the worker lives on" pid_alive "$W_PID"
	worker_stop
}

tcp() {
	local c
	worker_start "127.0.0.1:$(free_port)"
	for c in idle stall-new stall-kept get-values; do stalled "[stalls, tcp]" "$c"; done
	check "[stalls, tcp] the worker lives on" pid_alive "$W_PID"
	worker_stop
}

# cpu_ticks PID: the CPU time PID has used, in clock ticks.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

hangup() {
	local t0 used
	worker_start "$D/w.sock"
	t0=$(cpu_ticks "$W_PID")
	peer hangup >/dev/null
	sleep 1.2
	used=$(($(cpu_ticks "$W_PID") - t0))
	check "[hangup] half a header, then the peer closes: the worker used $used ticks of CPU in 1.2 s (at most 20)" \
	    le "$used" 20
	worker_stop
}

# signal_ms SIGNAL TARGET PID: send SIGNAL to TARGET; print how long PID
# took to exit, in ms (0: it still runs 5 s later).
signal_ms() {
	local t0
	t0=$(date +%s%3N)
	kill "-$1" "$2" 2>/dev/null || true
	while pid_alive "$3" && [ $(($(date +%s%3N) - t0)) -lt 5000 ]; do sleep 0.02; done
	if pid_alive "$3"; then echo 0; else echo $(($(date +%s%3N) - t0)); fi
}

# stop_while_stalled L SIGNAL TARGET: a peer stalls on a new connection;
# SIGNAL to TARGET (the worker, or its parent); the worker is gone within
# BOUND_MS.
stop_while_stalled() {
	local L="[stop]" peer_pid gone
	peer stall-new --hold 8 >/dev/null &
	peer_pid=$!
	sleep 0.3
	gone=$(signal_ms "$2" "$3" "$W_PID")
	check "$L $1 while a peer stalls: the worker exits within $BOUND_MS ms (${gone} ms; 0: still runs)" \
	    exited_within "$gone"
	kill "$peer_pid" 2>/dev/null || true
	wait "$peer_pid" || true
	worker_stop
}

stop() {
	worker_start "$D/w.sock"
	stop_while_stalled SIGTERM TERM "$W_PID"
	worker_start "$D/w.sock"
	stop_while_stalled "its parent's death (SIGKILL)" KILL "$W_PARENT"
}

pipelined() {
	local out
	worker_start "$D/w.sock"
	out=$(peer pipelined --hold 3)
	check "[pipelined] two requests in one write: the first answered, then the connection closed ($out)" \
	    [ "$(cut -d' ' -f1-3 <<<"$out")" = "answers 1 close" ]
	check "[pipelined] the worker lives on" pid_alive "$W_PID"
	worker_stop
}

# A name server that never answers, counting the queries in $D/dns.count.
BLACKHOLE='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
n = 0
while True:
    s.recvfrom(512)
    n += 1
    open(sys.argv[1], "w").write("%d\n" % n)
'

# resolve_case URL: a worker with DATABASE_URL=URL in a network and mount
# namespace of its own whose resolver is BLACKHOLE (2 s, 1 attempt); once
# its start is over, GET /users.  Prints "STATUS MS QUERIES".
resolve_case() {
	local out
	printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' >"$D/resolv.conf"
	echo 0 >"$D/dns.count"
	W_PRELUDE="ip link set lo up || exit; mount --bind $D/resolv.conf /etc/resolv.conf || exit
	    $PYTHON -c '$BLACKHOLE' $D/dns.count & echo \$! >$D/dns.pid; sleep 0.3;" \
	    DATABASE_URL=$1 DB_STATEMENT_TIMEOUT=500 DB_CONNECT_TIMEOUT=2 \
	    worker_start "$D/w.sock" unshare --mount --net
	sleep 3		# the worker's first connect, at its start
	echo 0 >"$D/dns.count"
	out=$(peer get)
	echo "$out $(cat "$D/dns.count")"
	worker_stop
	stop_pid "$(cat "$D/dns.pid")" KILL
}

# slow_and_asked OUT: is resolve_case's OUT a 503 after at least 1.9 s,
# the resolver asked?  fast_not_asked OUT: a 503 within the deadline
# (1.5 s) and the slack, the resolver not asked?
slow_and_asked() {
	local status ms queries
	read -r status ms queries <<<"$1"
	[ "$status" = 503 ] && [ "$ms" -ge 1900 ] && [ "$queries" -ge 1 ]
}
fast_not_asked() {
	local queries
	read -r _ _ queries <<<"$1"
	status_within 503 $((1500 + BOUND_MS - 1000)) "$1" && [ "$queries" = 0 ]
}

resolve() {
	local L="[resolve]" out
	out=$(resolve_case "postgresql://postgres@db.example.invalid/users")
	check "$L a host name, the resolver silent for 2 s: 503 after >= 1.9 s, past the request's 1.5 s deadline, as documented ($out: status, ms, queries)" \
	    slow_and_asked "$out"
	out=$(resolve_case "postgresql://postgres@db.example.invalid/users?hostaddr=127.0.0.1")
	check "$L the same name with hostaddr=: 503 within the deadline, the resolver not asked ($out)" \
	    fast_not_asked "$out"
}

copyout() {
	local L="[copyout]" out n=0 gone
	mkdir -p "$D/fake"
	"$PYTHON" "$R/pgpeer.py" copy "$D/fake" &
	FAKE_PID=$!
	until [ -S "$D/fake/.s.PGSQL.5432" ] || [ "$n" -ge 100 ]; do sleep 0.05; n=$((n + 1)); done
	DATABASE_URL="postgresql://x@/users?host=$D/fake" DB_STATEMENT_TIMEOUT=1000 \
	    worker_start "$D/w.sock"
	out=$(peer get)
	check "$L the query answered with CopyOutResponse: 503 within DB_STATEMENT_TIMEOUT + 1 s + 600 ms ($out)" \
	    status_within 503 2600 "$out"
	gone=$(signal_ms TERM "$W_PID" "$W_PID")
	check "$L ... and the worker exits at SIGTERM within $BOUND_MS ms (${gone} ms; 0: still runs)" \
	    exited_within "$gone"
	worker_stop
	stop_pid "$FAKE_PID"
	FAKE_PID=
}

for section in ${*:-hostile stalls tcp hangup stop pipelined resolve copyout}; do
	"$section"
done
