#!/usr/bin/env bash
# scripts/deps.sh -- install the Debian 12 packages this project needs.
# As root: apt-get installs what is missing (and the service account is
# created).  Otherwise: print the apt-get line to run.  Quiet when all
# is there.  DEPS_EXTRA adds more: bench/run.sh adds its peers' packages.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PACKAGES=(build-essential clang pkg-config curl jq python3 python3-yaml
	libfcgi-dev libfcgi-bin libpq-dev libcjson-dev
	postgresql-15 postgresql-client-15
	lighttpd nginx-light spawn-fcgi multiwatch apache2-utils gnuplot-nox
	libclang-rt-14-dev valgrind iproute2 procps ${DEPS_EXTRA:-})

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; run: sudo apt-get install -y ${missing[*]}"
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Debian starts the servers it installs: we run our own instances.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(id -u)" -eq 0 ] && ! id -u "$(run_user)" >/dev/null 2>&1; then
	log "creating the system user $(run_user)"
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$(run_user)"
fi
