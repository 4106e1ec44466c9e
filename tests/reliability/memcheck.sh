#!/usr/bin/env bash
# tests/reliability/memcheck.sh -- one worker under valgrind memcheck,
# spawned by lighttpd as usual (bin-path is a wrapper that execs valgrind),
# serves MEMCHECK_REQUESTS (default 1000) requests of every kind: GET and
# HEAD /users (the hostile rows included), 404, 405, and 503 while
# PostgreSQL is down, then 200 again after it is back (the reconnect
# path).  Then SIGTERM ends it through its normal exit: valgrind must
# report no error and no leak (definitely, indirectly or possibly lost).
# `make valgrind` runs it with 10 000 requests.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

N=${MEMCHECK_REQUESTS:-1000}
L="[valgrind]"
mkdir -p "$D/bin" "$D/log"
chmod 0755 "$D" "$D/bin"
[ -z "$(run_user)" ] || chown "$(run_user):" "$D/log"
install -m 0755 "$ROOT/build/users-fcgi" "$D/bin/users-fcgi.real"
cat >"$D/bin/users-fcgi" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full \\
    --show-leak-kinds=definite,indirect,possible \\
    --errors-for-leak-kinds=definite,indirect,possible \\
    --num-callers=30 \\
    --log-file=$D/log/memcheck.%p.log $D/bin/users-fcgi.real
EOF
chmod 0755 "$D/bin/users-fcgi"

if ! FRONT=lighttpd WORKERS=1 WORKER_BIN=$D/bin/users-fcgi t_up; then
	fail "$L the stack comes up with a worker under valgrind"
	exit 0
fi
vg=$(pgrep -f "^valgrind.* $D/bin/users-fcgi.real" | head -n 1 || true)
[ -n "$vg" ] || vg=$(pgrep -f "memcheck.* $D/bin/users-fcgi.real" | head -n 1 || true)
check "$L the worker runs under valgrind (pid ${vg:-none})" [ -n "$vg" ]

# The share of each kind in N requests.
n_get=$((N * 50 / 100)) n_head=$((N * 10 / 100)) n_404=$((N * 15 / 100))
n_405=$((N * 15 / 100)) n_503=$((N * 5 / 100))
n_back=$((N - n_get - n_head - n_404 - n_405 - n_503))
t0=$SECONDS
check_eq "$L $n_get GET /users" "200 json $n_get" "$(requests "$n_get" GET /users)"
check_eq "$L $n_head HEAD /users" "200 json $n_head" \
    "$(requests "$n_head" HEAD /users)"
check_eq "$L $n_404 GET /nope" "404 json $n_404" "$(requests "$n_404" GET /nope)"
check_eq "$L $n_405 DELETE /users" "405 json $n_405" \
    "$(requests "$n_405" DELETE /users)"
"$ROOT/scripts/db.sh" stop
check_eq "$L $n_503 GET /users, PostgreSQL down" "503 json $n_503" \
    "$(requests "$n_503" GET /users)"
"$ROOT/scripts/db.sh" start
check_eq "$L $n_back GET /users, PostgreSQL back" "200 json $n_back" \
    "$(requests "$n_back" GET /users)"
printf '        %s %d requests in %d s\n' "$L" "$N" "$((SECONDS - t0))"

# Stop: lighttpd sends SIGTERM, the worker leaves its loop and frees all.
t_down
deadline=$((SECONDS + 60))
while [ -n "$vg" ] && pid_alive "$vg" && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.2
done
log=$D/log/memcheck.$vg.log
check "$L valgrind wrote its report" grep -q 'ERROR SUMMARY' "$log"
check "$L no memory error" grep -q 'ERROR SUMMARY: 0 errors' "$log"
for kind in 'definitely lost' 'indirectly lost' 'possibly lost'; do
	check "$L $kind: 0 bytes" \
	    grep -Eq "($kind: 0 bytes|All heap blocks were freed)" "$log"
done
grep -Eq 'ERROR SUMMARY: 0 errors' "$log" || sed -n '1,80p' "$log"
sed -n 's/^==[0-9]*== *\(in use at exit\|total heap usage\|still reachable\)/        \1/p' \
    "$log"
