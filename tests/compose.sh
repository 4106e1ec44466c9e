#!/usr/bin/env bash
# tests/compose.sh -- docker-compose.yml on a real Docker engine: the
# stack comes up, serves, rides out a database restart and goes away
# without a trace (docs/DOCKER.md).
#
# Needs root: installs docker.io, docker-compose and mmdebstrap if they
# are missing (scripts/deps.sh), starts dockerd if none runs (and stops
# it at the end: only the one it started), and makes the base image with
# scripts/docker-base.sh if it is missing.  Everything it creates belongs
# to a compose project of its own (users-fcgi-test-PID), on free ports;
# the images are tagged users-fcgi-test:app, :db and :nginx and stay,
# with the build cache, so that the next run rebuilds nothing that did not
# change.
#
# COMPOSE (docker-compose: Debian's 1.29) is the compose command, e.g.
# COMPOSE="docker compose" for v2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	fail "docker-compose.yml: the Docker test needs root (dockerd, apt-get)"
	exit 0
fi

# Debian's client, the engine's version (a newer docker on PATH
# negotiates down, but Debian's is what its engine was tested with).
DOCKER=/usr/bin/docker
read -r -a COMPOSE_CMD <<<"${COMPOSE:-docker-compose}"
P=users-fcgi-test-$$
D=$T_TMP/compose
mkdir -p "$D"
: >"$D/empty.env"
DOCKERD_PID=
# The images it builds (app, db, app-nginx): tags of their own.
IMAGES=(users-fcgi-test:app users-fcgi-test:db users-fcgi-test:nginx)

# The stack's settings, all given: nothing from the caller's environment
# or a .env file changes what is tested.
T_PORT=$(free_port)
NGINX_PORT=$(free_port)
DB_PORT=$(free_port)
URL=http://127.0.0.1:$T_PORT/users
WORKERS=5
compose() {
	env PORT="$T_PORT" NGINX_PORT="$NGINX_PORT" DB_PORT="$DB_PORT" WORKERS="$WORKERS" \
	    READER_PASSWORD="reader-$$" POSTGRES_PASSWORD= \
	    DB_CONNECT_TIMEOUT=2 DB_STATEMENT_TIMEOUT=2000 \
	    APP_IMAGE="${IMAGES[0]}" DB_IMAGE="${IMAGES[1]}" APP_NGINX_IMAGE="${IMAGES[2]}" \
	    BASE_IMAGE="${BASE_IMAGE:-debian:bookworm-slim}" \
	    "${COMPOSE_CMD[@]}" --project-directory "$ROOT" \
	    -f "$ROOT/docker-compose.yml" --env-file "$D/empty.env" -p "$P" \
	    --profile nginx "$@"
}

# The project's containers, networks and volumes (by compose's label).
project_objects() {
	local label=com.docker.compose.project=$P
	"$DOCKER" ps -aq --filter "label=$label"
	"$DOCKER" network ls -q --filter "label=$label"
	"$DOCKER" volume ls -q --filter "label=$label"
}

cleanup() {
	[ -z "${poll_pid:-}" ] || kill "$poll_pid" 2>/dev/null || true
	if [ -n "$(project_objects 2>/dev/null)" ]; then
		compose down -v --remove-orphans -t 5 >>"$D/compose.log" 2>&1 || true
	fi
	if [ -n "$DOCKERD_PID" ]; then
		stop_pid "$DOCKERD_PID"
		log "stopped the dockerd it started (pid $DOCKERD_PID)"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# say_log FILE: the end of FILE, after a failure.
say_log() { tail -n 30 "$1" | sed 's/^/    /'; }

engine_answers() { "$DOCKER" info >/dev/null 2>&1; }

# dockerd_ready: an engine answers: one that runs already (given up to
# 60 s if it is starting), or one started here (its PID kept to stop it).
dockerd_ready() {
	local deadline=$((SECONDS + 60))
	if ! engine_answers && ! pgrep -x dockerd >/dev/null; then
		setsid dockerd </dev/null >"$D/dockerd.log" 2>&1 &
		DOCKERD_PID=$!
	fi
	until engine_answers; do
		if [ "$SECONDS" -ge "$deadline" ] ||
		    { [ -n "$DOCKERD_PID" ] && ! pid_alive "$DOCKERD_PID"; }; then
			[ -z "$DOCKERD_PID" ] || say_log "$D/dockerd.log"
			return 1
		fi
		sleep 0.2
	done
}

# Run a step; on failure, say so, show its log, and end the test (the
# later checks need it).
step() {
	local name=$1
	shift
	if "$@" >"$D/step.log" 2>&1; then pass "$name"
	else fail "$name"; say_log "$D/step.log"; exit 0; fi
}

step "Docker, docker-compose and mmdebstrap are installed" \
    env DEPS_EXTRA="docker.io docker-compose mmdebstrap" "$ROOT/scripts/deps.sh"
step "a Docker engine answers" dockerd_ready
[ -z "$DOCKERD_PID" ] || log "started dockerd (pid $DOCKERD_PID); it is stopped at the end"
step "the base image exists (scripts/docker-base.sh when it does not)" \
    env DOCKER="$DOCKER" "$ROOT/scripts/docker-base.sh"
step "docker-compose.yml is valid for ${COMPOSE_CMD[*]}" compose config -q

# --- up --------------------------------------------------------------------
# The images the tags named before this build: removed at the end if the
# build replaced them (not if they are still in use).
old_images=$("$DOCKER" image inspect -f '{{.Id}}' "${IMAGES[@]}" 2>/dev/null || true)
t0=$SECONDS
if compose up -d --build >"$D/compose.log" 2>&1; then
	pass "up -d --build ($((SECONDS - t0)) s)"
else
	fail "up -d --build"
	say_log "$D/compose.log"
	compose logs --no-color --tail 20 2>&1 | say_log /dev/stdin
	exit 0
fi
APP=$(compose ps -q app)
NGINX=$(compose ps -q app-nginx)
DB=$(compose ps -q db)

# published CONTAINER PORT: where the container's PORT is published, one
# line (space-separated).
published() { "$DOCKER" port "$1" "$2/tcp" | sort -u | paste -sd ' '; }
# healthy_within CONTAINER SECS: until its healthcheck says healthy.
healthy_within() {
	local deadline=$((SECONDS + $2))
	until [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.5
	done
}
# top_of CONTAINER: "UID COMMAND" of every process in it (docker top
# needs the PID column).
top_of() { "$DOCKER" top "$1" -eo uid,pid,comm | awk 'NR > 1 { print $1, $3 }'; }
# none_root FILE: does FILE list processes, and none of root's?
none_root() { awk 'NF < 2 || $1 == 0 { bad = 1 } END { exit bad || NR == 0 }' "$1"; }
# unprivileged CONTAINER: has its first process no capability left to
# gain (an empty bounding set) and no-new-privileges?
unprivileged() {
	local pid
	pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$1")
	grep -q '^CapBnd:[[:space:]]*0*$' "/proc/$pid/status" &&
	    grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status"
}
# count_of COMMAND FILE: how many processes of FILE run COMMAND.
count_of() { awk -v c="$1" '$2 == c' "$2" | wc -l; }

# front_checks LABEL CONTAINER PORT FRONT IMAGE: the container of one
# front (FRONT: its server's command name), published on PORT, built as
# IMAGE, serves /users and runs what it should, as nobody's root.
front_checks() {
	local l="[$1]" c=$2 port=$3 front=$4 url=http://127.0.0.1:$3/users t0=$SECONDS
	if wait_http_200 "$url" 30; then
		pass "$l /users answers 200 within 30 s of up ($((SECONDS - t0)) s)"
	else
		fail "$l /users answers 200 within 30 s of up"
		"$DOCKER" logs --tail 20 "$c" 2>&1 | say_log /dev/stdin
	fi
	curl -s --max-time 10 "$url" >"$D/users.json" || true
	check "$l /users is 100 users (user_id, username, email)" "$PYTHON" -c '
import json, sys
rows = json.load(open(sys.argv[1]))
sys.exit(0 if len(rows) == 100 and all(
    sorted(r) == ["email", "user_id", "username"] for r in rows) else 1)' "$D/users.json"
	check "$l its healthcheck says healthy within 30 s" healthy_within "$c" 30
	check_eq "$l published on 127.0.0.1:$port only" "127.0.0.1:$port" "$(published "$c" 8080)"
	top_of "$c" >"$D/$1.top"
	check_eq "$l $WORKERS workers (users-fcgi) run" "$WORKERS" "$(count_of users-fcgi "$D/$1.top")"
	check "$l $front runs" [ "$(count_of "$front" "$D/$1.top")" -ge 1 ]
	check "$l no process is root ($(wc -l <"$D/$1.top") checked)" none_root "$D/$1.top"
	check "$l no capabilities, no new privileges" unprivileged "$c"
	check "$l the image has no compiler" \
	    "$DOCKER" run --rm --entrypoint /bin/sh "$5" -c \
	    '! command -v cc && ! command -v gcc && ! command -v make'
}
front_checks app "$APP" "$T_PORT" lighttpd "${IMAGES[0]}"
front_checks app-nginx "$NGINX" "$NGINX_PORT" nginx "${IMAGES[2]}"
check_eq "[app] lighttpd is a single process (it spawns the workers)" \
    1 "$(count_of lighttpd "$D/app.top")"
check_eq "[db] PostgreSQL is published on 127.0.0.1:$DB_PORT only" \
    "127.0.0.1:$DB_PORT" "$(published "$DB" 5432)"
top_of "$DB" >"$D/db.top"
check "[db] no process is root ($(wc -l <"$D/db.top") checked)" none_root "$D/db.top"
check "[db] no capabilities, no new privileges" unprivileged "$DB"

# --- a database restart ------------------------------------------------------
# poll: request /users back to back until $D/stop exists, one line per
# answer ("CODE CONTENT-TYPE"); the first 503's body in $D/503.json.
poll() {
	local out
	while [ ! -e "$D/stop" ]; do
		out=$(curl -s -o "$D/body" -w '%{http_code} %{content_type}' \
		    --max-time 5 "$URL" || true)
		echo "$out"
		case "$out" in
		503*) [ -e "$D/503.json" ] || cp "$D/body" "$D/503.json" ;;
		esac
	done >"$D/poll"
}
# app_state: each front's container, start time and restart count.
app_state() { "$DOCKER" inspect -f '{{.Id}} {{.State.StartedAt}} {{.RestartCount}}' "$APP" "$NGINX"; }
before=$(app_state)
rm -f "$D/stop" "$D/503.json"
poll &
poll_pid=$!
sleep 0.5
compose restart db >>"$D/compose.log" 2>&1 || fail "restart db"
t0=$SECONDS
back=0
wait_http_200 "$URL" 20 && back=1
touch "$D/stop"
wait "$poll_pid" || true
poll_pid=
check "a request while the database restarts gets 503 (of $(wc -l <"$D/poll"))" \
    grep -q '^503 ' "$D/poll"
check "that 503 is JSON (application/json, a JSON body)" \
    "$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$D/503.json"
check "and says application/json" grep -q '^503 application/json' "$D/poll"
if [ "$back" = 1 ]; then pass "/users answers 200 again $((SECONDS - t0)) s after the restart (20 s at most)"
else fail "/users answers 200 again within 20 s of the restart"; fi
check "[app-nginx] /users answers 200 again within 20 s of the restart too" \
    wait_http_200 "http://127.0.0.1:$NGINX_PORT/users" $((t0 + 20 - SECONDS))
check "only 200 and 503 answers during the restart" \
    awk '$1 != 200 && $1 != 503 { bad = 1 } END { exit bad }' "$D/poll"
check_eq "neither app container was restarted (same container, start time, restart count)" \
    "$before" "$(app_state)"

# --- measurements ------------------------------------------------------------
echo "measured: image sizes (app, db, app-nginx): $("$DOCKER" image inspect \
    -f '{{.Size}}' "${IMAGES[@]}" | awk '{ printf "%.0f MB\n", $1 / 1e6 }' | paste -sd ' ')"
echo "measured: memory after the restart test (docker stats --no-stream):"
"$DOCKER" stats --no-stream --format '{{.Name}}: {{.MemUsage}}' "$APP" "$DB" "$NGINX" |
    sed 's/^/  /'


# --- down -v -----------------------------------------------------------------
if compose down -v >>"$D/compose.log" 2>&1; then pass "down -v"
else fail "down -v"; say_log "$D/compose.log"; fi
check_eq "nothing of the project is left (containers, networks, volumes)" \
    "" "$(project_objects)"
new_images=$("$DOCKER" image inspect -f '{{.Id}}' "${IMAGES[@]}" 2>/dev/null || true)
for id in $old_images; do
	grep -qx "$id" <<<"$new_images" || "$DOCKER" rmi "$id" >/dev/null 2>&1 || true
done
