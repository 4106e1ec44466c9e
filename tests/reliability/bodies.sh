#!/usr/bin/env bash
# tests/reliability/bodies.sh -- the service takes no request body, and
# both fronts refuse a large one early: a 100 MB POST, with its length
# (no 100-continue: the body follows the headers at once) and chunked,
# gets 413 after only a small part of it was sent, so nothing big is
# read, let alone spooled to disk.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

MB=100

# post HOW: POST MB megabytes to /users, HOW = length or chunked; prints
# "STATUS BYTES-SENT SECONDS".
post() {
	local hdr=(-H 'Expect:')
	[ "$1" = length ] || hdr+=(-H 'Transfer-Encoding: chunked')
	head -c "${MB}M" /dev/zero | curl -s -o /dev/null --max-time 30 \
	    "${hdr[@]}" -X POST --data-binary @- \
	    -w '%{http_code} %{size_upload} %{time_total}\n' "$T_URL/users" || true
}

bodies() {
	local L="[$FRONT]" how code sent secs
	for how in length chunked; do
		read -r code sent secs < <(post "$how")
		check_eq "$L a $MB MB body ($how): 413" 413 "$code"
		check "$L ... refused after $sent bytes sent, in $secs s (under 16 MB)" \
		    [ "${sent%.*}" -lt $((16 << 20)) ]
	done
	check_eq "$L a GET still answers 200" 200 "$(http_code "$T_URL/users")"
}
for_each_front bodies WORKERS=2
