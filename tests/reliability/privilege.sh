#!/usr/bin/env bash
# tests/reliability/privilege.sh -- least privilege and hygiene.
#
#   * Started as root, every process of the stack (lighttpd; nginx's
#     master and workers; spawn-fcgi's multiwatch; the workers) runs as
#     the run user, real, effective, saved and filesystem IDs alike.
#   * Nothing under the state directory is writable by others: no file,
#     directory or socket (PostgreSQL's included).
#   * As root without STATE_DIR (the default, which the rest of the suite
#     never uses): the state lives under /var/lib/users-fcgi, root's; in
#     the run directory, root's too, the run user owns only its sockets
#     directory and nginx's temporary files (the logs are root's).
#   * A password in DATABASE_URL shows in no log, no response, no process
#     title, even when that role is refused and when its query fails.
#   * Every answer of the worker (200, HEAD, 404, 405, 503) carries
#     X-Content-Type-Options: nosniff and Cache-Control: no-store, and its
#     error bodies carry no libpq or SQL text.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

SECRET=S3cr3t-pa55word-$$
ROLE=users_fcgi_secretive
restore_role() {
	sql "DROP OWNED BY $ROLE; DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1 || true
}

# A role of our own, so that it can be refused: the URL carries a
# password (the suite's cluster trusts local connections, so it is not
# checked: what matters is where the URL goes).
restore_role
sql "CREATE ROLE $ROLE LOGIN PASSWORD '$SECRET'; GRANT SELECT ON users TO $ROLE"
URL="postgresql://$ROLE:$SECRET@/users?host=$(sed -n 's/.*host=//p' <<<"$DATABASE_URL")"

# The IDs of process $1: "uid uid uid uid gid gid gid gid" (real,
# effective, saved, filesystem).
ids() { awk '/^Uid:|^Gid:/ { printf "%s %s %s %s ", $2, $3, $4, $5 }' "/proc/$1/status"; }

# Every process of the stack in $T_RUN_DIR: the front (and its children),
# the workers' supervisor, the workers.
stack_pids() {
	local front
	front=$(cat "$T_RUN_DIR/front.pid")
	{
		echo "$front"
		pgrep -P "$front" || true
		[ ! -s "$T_RUN_DIR/workers.pid" ] || cat "$T_RUN_DIR/workers.pid"
		worker_pids "$T_RUN_DIR"
	} | sort -nu
}

declare -A WHAT=([ok]="GET /users" [head]="HEAD /users" [notfound]="GET /nope"
    [notallowed]="DELETE /users" [denied]="GET /users, SELECT revoked"
    [refused]="GET /users, the role refused")

# check_hygiene NAME STATUS [BODY]: the answer NAME has that status, both
# headers, and (for errors) exactly BODY.
check_hygiene() {
	local w="$L ${WHAT[$1]}"
	check_eq "$w: status" "$2" "$(status "$1")"
	check_eq "$w: X-Content-Type-Options" nosniff "$(header "$1" X-Content-Type-Options)"
	check_eq "$w: Cache-Control" no-store "$(header "$1" Cache-Control)"
	[ -z "${3:-}" ] || check_eq "$w: body, no database text" "$3" "$(cat "$D/$1.body")"
}

u=$(run_user)
privilege() {
	local L="[$FRONT]" uid gid want n p

	# --- the run user -------------------------------------------------
	if [ -n "$u" ]; then
		uid=$(id -u "$u") gid=$(id -g "$u")
		want="$uid $uid $uid $uid $gid $gid $gid $gid "
		n=0
		for p in $(stack_pids); do
			n=$((n + 1))
			check_eq "$L pid $p ($(tr '\0' ' ' </proc/"$p"/cmdline | cut -c1-40)) runs as $u only" \
			    "$want" "$(ids "$p")"
		done
		check "$L all $n processes were checked (front, workers)" [ "$n" -ge 4 ]
	else
		printf '        %s not started as root: no user to switch to\n' "$L"
	fi

	# --- nothing writable by others ---------------------------------------
	check_eq "$L nothing under the state directory is writable by others" "" \
	    "$(find "$STATE_DIR" -perm -o+w ! -type l 2>/dev/null)"
	check_eq "$L the workers' socket directory is closed to others" 700 \
	    "$(stat -c %a "$T_RUN_DIR/sock")"
	check_eq "$L PostgreSQL's socket directory is closed to others" 700 \
	    "$(stat -c %a "$STATE_DIR/pg/run")"

	# --- headers and bodies of every kind of answer -------------------------
	get ok "$T_URL/users"
	check_hygiene ok 200
	get head "$T_URL/users" -I
	check_hygiene head 200
	get notfound "$T_URL/nope"
	check_hygiene notfound 404 '{"error":"not found"}'
	get notallowed "$T_URL/users" -X DELETE
	check_hygiene notallowed 405 '{"error":"method not allowed"}'

	# --- the role's query fails: SQL error text stays in the log ------------
	sql "REVOKE SELECT ON users FROM $ROLE"
	get denied "$T_URL/users"
	check_hygiene denied 503 '{"error":"database unavailable"}'
	check "$L the reason (permission denied) is in the error log" \
	    grep -q 'permission denied' "$T_RUN_DIR/error.log"
	sql "GRANT SELECT ON users TO $ROLE"

	# --- the role is refused: the reconnect fails ------------------------
	sql "ALTER ROLE $ROLE NOLOGIN"
	sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	    WHERE usename = '$ROLE'" >/dev/null
	sleep 0.2
	get refused "$T_URL/users"
	check_hygiene refused 503 '{"error":"database unavailable"}'
	check "$L the reason (not permitted to log in) is in the error log" \
	    grep -q 'not permitted to log in' "$T_RUN_DIR/error.log"
	ps -eo pid,args >"$D/ps-$FRONT"
	sql "ALTER ROLE $ROLE LOGIN"
	check_eq "$L the role allowed again: 200" 200 "$(http_code "$T_URL/users")"

	# --- the password, nowhere ------------------------------------------------
	ps -eo pid,args >>"$D/ps-$FRONT"
	check "$L the password is in no process title" \
	    bash -c '! grep -qF -- "$1" "$2"' _ "$SECRET" "$D/ps-$FRONT"
	check "$L the password is in no log (run directory, PostgreSQL's log)" \
	    bash -c '! grep -rqF -- "$1" "$2" "$3"' _ "$SECRET" "$T_RUN_DIR" \
	    "$STATE_DIR/pg/postgres.log"
	check "$L the password is in no response" \
	    bash -c '! cat "$2"/*.head "$2"/*.body | grep -qF -- "$1"' _ "$SECRET" "$D"
	check "$L no response carries libpq or SQL text" \
	    bash -c '! cat "$1"/*.body | grep -qiE "permission|denied|fatal|select|postgres|libpq|socket|role"' _ "$D"
}
for_each_front privilege DATABASE_URL="$URL" WORKERS=3

# --- as root, no STATE_DIR: the default state directory -----------------
if [ -n "$u" ]; then
	L="[default state]"
	co=$T_TMP/privilege-checkout
	copy_checkout "$co"
	P=$(free_port)
	st=$(env -u STATE_DIR bash -c '. "$1/scripts/common.sh"; state_dir' _ "$co")
	if env -u STATE_DIR PORT="$P" FRONT=nginx WORKERS=2 DATABASE_URL="$URL" \
	    "$co/scripts/stack.sh" up; then
		check "$L $st is under /var/lib/users-fcgi" \
		    [ "${st#/var/lib/users-fcgi/}" != "$st" ]
		check_eq "$L it and its parent are root's, mode 755" \
		    "root 755 root 755 root 755" \
		    "$(stat -c '%U %a' "$(dirname "$st")" "$st" "$st/run-$P" | tr '\n' ' ' | sed 's/ $//')"
		check_eq "$L in run-$P, $u owns only nginx/ and sock/ (the logs are root's)" \
		    "nginx sock" \
		    "$(find "$st/run-$P" -mindepth 1 -maxdepth 1 -user "$u" -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//')"
		check_eq "$L nothing in it is writable by group or others" "" \
		    "$(find "$st" -perm /022 ! -type l)"
	else
		fail "$L the stack comes up without STATE_DIR"
	fi
	env -u STATE_DIR PORT="$P" "$co/scripts/stack.sh" down || true
	rm -rf "$st"
fi
restore_role
