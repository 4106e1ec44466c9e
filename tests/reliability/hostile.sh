#!/usr/bin/env bash
# tests/reliability/hostile.sh -- malformed and abusive requests, raw over
# a socket to the front (the table is in hostile.py): each gets what its
# row allows (a 4xx or a closed connection for anything malformed; never
# a 5xx but RFC 9110's 501 and 505), no worker dies, and /users still
# answers 200 afterwards.  lighttpd and nginx.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"


hostile() {
	local L="[$FRONT] hostile" pids n=0 verdict name outs
	pids=$(worker_pids "$T_RUN_DIR")
	"$PYTHON" "$R/hostile.py" "$T_PORT" >"$D/$FRONT.tsv" || true
	while IFS=$'\t' read -r verdict name outs; do
		n=$((n + 1))
		[ "${#outs}" -le 60 ] || outs="${outs:0:60}..."
		if [ "$verdict" = PASS ]; then pass "$L: $name -> $outs"
		else fail "$L: $name -> $outs"; fi
	done <"$D/$FRONT.tsv"
	check "$L: $n cases were sent (at least 30)" [ "$n" -ge 30 ]
	check_eq "$L: no worker died (same PIDs)" "$pids" "$(worker_pids "$T_RUN_DIR")"
	check_eq "$L: /users still answers 200" 200 "$(http_code "$T_URL/users")"
}
for_each_front hostile WORKERS=5
