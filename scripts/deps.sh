#!/usr/bin/env bash
# scripts/deps.sh [bench] -- install the Debian 12 packages this project
# needs; with "bench", also the benchmark's peers (FastAPI, Rust) that
# make test and make bench run.  As root: apt-get installs what is
# missing (and the service account is created).  Otherwise: print the
# apt-get line to run.  Quiet when all is there.  DEPS_EXTRA adds more.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PACKAGES=(build-essential clang pkg-config curl jq python3 python3-yaml
	libfcgi-dev libfcgi-bin libpq-dev libcjson-dev
	postgresql-15 postgresql-client-15
	lighttpd nginx-light spawn-fcgi multiwatch wrk gnuplot-nox
	libclang-rt-14-dev valgrind ${DEPS_EXTRA:-})
if [ "${1:-}" = bench ]; then
	PACKAGES+=(python3-fastapi python3-uvicorn python3-sqlalchemy
		python3-asyncpg python3-psycopg2 python3-pydantic cargo
		librust-hyper-dev librust-tokio-dev librust-tokio-postgres-dev
		librust-serde-dev librust-serde-derive-dev librust-serde-json-dev)
fi

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
