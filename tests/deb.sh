#!/usr/bin/env bash
# tests/deb.sh -- the Debian package (make deb) on a clean, booted
# Debian 12: a root made by mmdebstrap (minbase, cached), booted with
# systemd as PID 1 by systemd-nspawn, commands run in it by nsenter.
# The steps are docs/DEPLOY.md's ("Installing the Debian package"):
#
#   build         make deb: the .deb, lintian without errors, hardening
#   install       apt-get install ./users-fcgi_*.deb postgresql-15 lighttpd
#   database      users-fcgi-setup-db
#   lighttpd      lighty-enable-mod users-fcgi: /users, exactly 5 workers
#                 (www-data); systemctl reload lighttpd under load
#   nginx         nginx-light with the snippet, systemctl enable --now
#                 users-fcgi: /users, 5 workers (users-fcgi); systemctl
#                 reload users-fcgi, and an upgrade, under load: nothing
#                 lost
#   unit          systemd-analyze verify clean, security <= 3.0
#   uninstall     users-fcgi-setup-db --remove, apt-get purge: no file left
#
# The container shares the host's network: its web servers listen on a
# free port of 127.0.0.1 (the load comes from the host), its PostgreSQL
# on its unix socket only.  Needs root, mmdebstrap, systemd-container,
# debhelper, lintian (installed by scripts/deps.sh when missing).  The container is stopped and its
# root removed at the end, even on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=reload.bash
. "$ROOT/tests/reload.bash"

if [ "$(id -u)" -ne 0 ]; then
	printf '        not root: the container needs root (skipped)\n'
	exit 0
fi
if env DEPS_EXTRA="mmdebstrap systemd-container dpkg-dev debhelper fakeroot lintian" \
    "$ROOT/scripts/deps.sh"; then
	pass "mmdebstrap, systemd-container, debhelper and lintian are installed"
else
	fail "mmdebstrap, systemd-container, debhelper and lintian are installed"
	exit 1
fi

D=$T_TMP/deb
mkdir -p "$D"
NAME=ufdeb-$$
WORKERS=5

# The root filesystem, cached outside the tree, keyed by what it holds:
# the base system to boot, and the packages the test installs, already
# downloaded (in /var/cache/apt/archives, with the package lists).
BASE=(systemd systemd-sysv dbus iproute2 curl ca-certificates procps)
FETCH=(postgresql-15 lighttpd nginx-light multiwatch libfcgi0ldbl libpq5 libcjson1)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/users-fcgi

# root_tarball: print the cached tarball's path, making it if need be.
root_tarball() {
	local key out inc
	key=$(printf '%s\n' bookworm "${BASE[@]}" -- "${FETCH[@]}" | sha1sum | cut -c1-12)
	out=$CACHE/debian12-$key.tar
	if [ ! -s "$out" ]; then
		mkdir -p "$CACHE"
		inc=$(IFS=,; echo "${BASE[*]}")
		mmdebstrap --quiet --variant=minbase --format=tar --include="$inc" \
		    --skip=cleanup/apt \
		    --customize-hook="chroot \"\$1\" apt-get -y -q --download-only install ${FETCH[*]}" \
		    bookworm "$out.tmp" /etc/apt/sources.list.d/debian.sources \
		    >"$D/mmdebstrap.log" 2>&1 || { cat "$D/mmdebstrap.log" >&2; return 1; }
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

NSPAWN_PID=
INIT_PID=

# ct CMD...: run CMD in the container.
ct() { nsenter -t "$INIT_PID" -a "$@"; }
# ct_sh SCRIPT: run the shell script text SCRIPT in the container.
ct_sh() { nsenter -t "$INIT_PID" -a /bin/sh -ec "$1"; }

# stop_container: power the container off (SIGKILL after 30 s), remove
# its root.
stop_container() {
	if [ -n "$NSPAWN_PID" ] && pid_alive "$NSPAWN_PID"; then
		[ -z "$INIT_PID" ] || ct systemctl poweroff >/dev/null 2>&1 || true
		gone_within "$NSPAWN_PID" 30 || kill -KILL "$NSPAWN_PID" 2>/dev/null || true
		wait "$NSPAWN_PID" 2>/dev/null || true
	fi
	rm -rf --one-file-system "$D/root"
}
trap stop_container EXIT

# boot: unpack the root and boot it; sets NSPAWN_PID and INIT_PID.
boot() {
	local tar deadline state=
	tar=$(root_tarball)
	mkdir "$D/root"
	tar -C "$D/root" -xf "$tar"
	systemd-nspawn --register=no --keep-unit -q -D "$D/root" -M "$NAME" -b \
	    </dev/null >"$D/console.log" 2>&1 &
	NSPAWN_PID=$!
	deadline=$((SECONDS + 60))
	while :; do
		INIT_PID=$(pgrep -P "$NSPAWN_PID" || true)
		if [ -n "$INIT_PID" ]; then
			state=$(ct systemctl is-system-running 2>/dev/null || true)
			case $state in running|degraded) return 0 ;; esac
		fi
		[ "$SECONDS" -lt "$deadline" ] && pid_alive "$NSPAWN_PID" || return 1
		sleep 0.5
	done
}

# without_starts CMD...: run CMD in the container with Debian's service
# starts on install denied (policy-rc.d): the stock servers would listen
# on port 80 of the host.
without_starts() {
	ct_sh 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d'
	local rc=0
	ct env DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
	ct rm -f /usr/sbin/policy-rc.d
	return "$rc"
}

# files: every file and symlink of the container's filesystems (its
# /run included), but the kernel's, the logs, caches, /tmp and
# PostgreSQL's data (the database's removal is checked in SQL).
files() {
	ct find / /run -xdev \( -path /proc -o -path /sys -o -path /dev -o \
	    -path /tmp -o -path /var/tmp -o -path /var/log -o -path /var/cache -o \
	    -path /root -o -path /var/lib/postgresql \) -prune -o ! -type d -print | sort -u
}

# quiet CMD...: run CMD, its output shown only if it fails.
quiet() {
	local out
	out=$("$@" 2>&1) || { printf '%s\n' "$out" | sed 's/^/        /'; return 1; }
}

# fails CMD...: does CMD fail?
fails() { ! "$@"; }

# users_ok: /users on PORT answers 200 with 100 users.
users_ok() {
	local body
	body=$(curl -s --max-time 5 -w '\n%{http_code}' "http://127.0.0.1:$PORT/users") || return 1
	[ "${body##*$'\n'}" = 200 ] &&
	    [ "$("$PYTHON" -c 'import json,sys; print(len(json.loads(sys.stdin.read())))' <<<"${body%$'\n'*}")" = 100 ]
}

# wait_users: until users_ok, 20 s at most.
wait_users() {
	local deadline=$((SECONDS + 20))
	until users_ok; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# The workers' PIDs: lighttpd's children running users-fcgi; the unit's.
lighttpd_workers() { ct pgrep -x -u www-data users-fcgi || true; }
unit_workers() {
	local main
	main=$(ct systemctl show -p MainPID --value users-fcgi.service)
	ct cat "/proc/$main/task/$main/children" | tr ' ' '\n' | grep . || true
}

# --- build -----------------------------------------------------------------
t0=$SECONDS
DEB=$(make -s -C "$ROOT" deb | tail -n 1)
check "make deb prints the package's path ($DEB)" test -f "$DEB"
[ -f "$DEB" ] || exit 1
printf '        the package holds:\n'
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print "          " $6 }'
lint=$(lintian "$DEB" 2>&1 | grep -v 'running with root privileges' || true)
[ -z "$lint" ] || printf '%s\n' "$lint" | sed 's/^/        lintian: /'
check "lintian reports no error" fails grep -q '^E:' <<<"$lint"
dpkg-deb -x "$DEB" "$D/x"
elf=$(readelf -hld "$D/x/usr/sbin/users-fcgi")
check "hardening: PIE" grep -q 'Type:.*DYN' <<<"$elf"
check "hardening: RELRO" grep -q 'GNU_RELRO' <<<"$elf"
check "hardening: bind-now" grep -Eq 'BIND_NOW|FLAGS_1.*NOW' <<<"$elf"
check "hardening: FORTIFY" grep -q '__[a-z]*_chk' <(readelf --dyn-syms -W "$D/x/usr/sbin/users-fcgi")

# --- install -----------------------------------------------------------------
check "Debian 12 boots in the container" boot || exit 1
printf '        booted %s (%d s with the build)\n' "$NAME" "$((SECONDS - t0))"
cp "$DEB" "$D/root/root/"
check "apt-get install ./${DEB##*/} postgresql-15 lighttpd" quiet without_starts \
    sh -c "cd /root && apt-get install -y -q --no-install-recommends ./${DEB##*/} postgresql-15 lighttpd"
# PostgreSQL on its unix socket only: the host may listen on 5432.
ct_sh "echo \"listen_addresses = ''\" >/etc/postgresql/15/main/conf.d/listen.conf
	systemctl start postgresql@15-main"
check "the system user users-fcgi exists" quiet ct getent passwd users-fcgi
check "users-fcgi-setup-db" quiet ct users-fcgi-setup-db
check "users-fcgi-setup-db again (safe to run again)" quiet ct users-fcgi-setup-db
check "DATABASE_URL set in /etc/default/users-fcgi" \
    ct grep -q '^DATABASE_URL="postgresql:///users?host=' /etc/default/users-fcgi

# --- lighttpd ------------------------------------------------------------------
LIGHTTPD_PORT=$(free_port)
PORT=$LIGHTTPD_PORT
# The stock site's port 80 would be the host's: a free one instead.
ct_sh "echo 'server.port := $PORT' >/etc/lighttpd/conf-enabled/99-port.conf"
check "lighty-enable-mod users-fcgi" quiet ct lighty-enable-mod users-fcgi
ct systemctl restart lighttpd
check "[lighttpd] /users: 200, 100 users" wait_users
check_eq "[lighttpd] exactly $WORKERS workers, as www-data" "$WORKERS" "$(lighttpd_workers | grep -c .)"
check "[lighttpd] its error log: /var/log/lighttpd/error.log" \
    ct grep -q 'server started' /var/log/lighttpd/error.log
under_load "systemctl reload lighttpd" "http://127.0.0.1:$PORT/users" lighttpd_workers \
    ct systemctl reload lighttpd
ct systemctl stop lighttpd

# --- nginx ---------------------------------------------------------------------
check "apt-get install nginx-light" quiet without_starts \
    apt-get install -y -q --no-install-recommends nginx-light
# A port of its own, not the one lighttpd has just served thousands of
# connections on: there, a few of nginx's first requests have gone
# unanswered (no HTTP status), before any reload.
NGINX_PORT=$(free_port)
PORT=$NGINX_PORT
ct_sh "sed -i -e 's/^\\tlisten 80 default_server;/\\tlisten 127.0.0.1:$PORT default_server;/' \
	-e '/^\\tlisten \\[::\\]:80 default_server;/d' \
	-e 's|^\\tlocation / {|\\tinclude snippets/users-fcgi.conf;\\n\\n&|' \
	/etc/nginx/sites-available/default"
check "nginx -t with the snippet" ct nginx -q -t
ct systemctl start nginx
check "systemctl enable --now users-fcgi" quiet ct systemctl enable --now users-fcgi
old_nginx=$(ct pgrep -f '[n]ginx: worker process' | tr '\n' ' ')
check "systemctl reload nginx" ct systemctl reload nginx
# The measures below are the pool's: nginx's old workers gone first (a
# worker told to quit closes the connections it accepted but has not
# read yet, which a client sees as an answer without a byte).  Waited
# for by their PIDs: right after the reload returns, the master may not
# have told them yet.
# shellcheck disable=SC2016 # run by the container's shell
check "nginx's old workers have exited" ct sh -c 'for i in $(seq 300); do
	alive=; for p in $0; do [ ! -d /proc/$p ] || alive=1; done
	[ -n "$alive" ] || exit 0
	sleep 0.1; done; exit 1' "$old_nginx"
check "[nginx] /users: 200, 100 users" wait_users
check_eq "[nginx] $WORKERS workers, as users-fcgi" "$WORKERS" \
    "$(ct pgrep -x -u users-fcgi users-fcgi | grep -c .)"
under_load "systemctl reload users-fcgi" "http://127.0.0.1:$PORT/users" unit_workers \
    ct systemctl reload users-fcgi
under_load "systemctl reload users-fcgi, 3 in a row" "http://127.0.0.1:$PORT/users" unit_workers \
    ct sh -c 'systemctl reload users-fcgi && systemctl reload users-fcgi && systemctl reload users-fcgi'
# An upgrade (here: the same package again) reloads the running pool.
under_load "upgrade: apt-get install --reinstall" "http://127.0.0.1:$PORT/users" unit_workers \
    quiet ct env DEBIAN_FRONTEND=noninteractive \
    sh -c "cd /root && apt-get install -y -q --reinstall ./${DEB##*/}"
check "journalctl -u users-fcgi shows the reload" \
    ct sh -c 'journalctl -u users-fcgi --no-pager | grep -q "replaced 5 workers"'

# --- the unit --------------------------------------------------------------------
verify=$(ct systemd-analyze verify users-fcgi.service users-fcgi.socket 2>&1) || true
check_eq "systemd-analyze verify: nothing to say" "" "$verify"
score=$(ct systemd-analyze security users-fcgi.service --no-pager |
    sed -n 's/.*Overall exposure level for users-fcgi.service: \([0-9.]*\).*/\1/p')
printf '        exposure of users-fcgi.service: %s\n' "$score"
check "systemd-analyze security: exposure $score <= 3.0" \
    awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.0) }'

# --- uninstall -------------------------------------------------------------------
owned=$(ct dpkg -L users-fcgi)
ct sed -i '/include snippets\/users-fcgi.conf;/d' /etc/nginx/sites-available/default
ct systemctl reload nginx
check "users-fcgi-setup-db --remove" quiet ct users-fcgi-setup-db --remove
check "apt-get purge users-fcgi" quiet ct env DEBIAN_FRONTEND=noninteractive \
    apt-get purge -y -q users-fcgi
check_eq "the database users and its roles are gone" "" \
    "$(ct runuser -u postgres -- psql -X -At -c "SELECT datname FROM pg_database WHERE datname = 'users'
	UNION ALL SELECT rolname FROM pg_roles WHERE rolname IN ('users_fcgi_reader', 'users-fcgi', 'www-data')")"
check "the system user is gone" fails ct getent passwd users-fcgi
left=$(for f in $owned; do ct test ! -e "$f" -o -d "$f" || echo "$f"; done)
check_eq "no file the package installed is left" "" "$left"
check_eq "no file named after users-fcgi is left" "" \
    "$(ct find / /run -xdev \( -path /proc -o -path /root \) -prune -o \( -name '*users-fcgi*' -o -name '*users_fcgi*' \) -print | tr '\n' ' ')"

# --- the whole cycle again, from the system as purge left it: the same
# files before and after (its servers' own files are there by now) -------
files >"$D/files.before"
check "again: apt-get install ./${DEB##*/}" quiet ct env DEBIAN_FRONTEND=noninteractive \
    sh -c "cd /root && apt-get install -y -q ./${DEB##*/}"
check "again: users-fcgi-setup-db" quiet ct users-fcgi-setup-db
quiet ct lighty-enable-mod users-fcgi
ct systemctl stop nginx
ct systemctl start lighttpd
PORT=$LIGHTTPD_PORT
check "again: [lighttpd] /users: 200, 100 users" wait_users
ct systemctl stop lighttpd
ct sed -i 's|^\tlocation / {|\tinclude snippets/users-fcgi.conf;\n\n&|' /etc/nginx/sites-available/default
quiet ct systemctl enable --now users-fcgi
ct systemctl start nginx
PORT=$NGINX_PORT
check "again: [nginx] /users: 200, 100 users" wait_users
ct sed -i '/include snippets\/users-fcgi.conf;/d' /etc/nginx/sites-available/default
ct systemctl reload nginx
quiet ct users-fcgi-setup-db --remove
quiet ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q users-fcgi
files >"$D/files.after"
diff "$D/files.before" "$D/files.after" | sed 's/^/        /' || true
check "the same files before the install and after the purge" \
    cmp -s "$D/files.before" "$D/files.after"
printf '        (the package test: %d s)\n' "$((SECONDS - t0))"
