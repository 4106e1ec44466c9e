#!/usr/bin/env bash
# bench/lib/oha.sh -- make sure oha $OHA_VERSION (the seed's load tool) is
# installed, and print the path of its binary.
#
# It lives in the cache shared by every checkout:
#   ${USERS_FCGI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/users-fcgi}/oha-VERSION/bin/oha
# The first time, `cargo install --locked` builds it from crates.io (about
# 4 minutes on 2 cores; needs cargo, i.e. Rust >= 1.88, a C compiler and
# cmake) into a scratch directory that replaces the cache entry only once
# the binary runs: an interrupted build leaves nothing half-installed.
# Progress goes to stderr, cargo's whole output to oha-VERSION.log beside
# it.  Exits non-zero after one line naming what failed and how to retry.
set -euo pipefail
# shellcheck source=../peers/lib.sh
. "$(dirname "$0")/../peers/lib.sh"	# the cache, cargo on PATH

OHA_VERSION=${OHA_VERSION:-1.15.0}
CACHE=$PEERS_CACHE
DEST=$CACHE/oha-$OHA_VERSION
LOG=$CACHE/oha-$OHA_VERSION.log

# Is DIR/bin/oha the version we want?
works() { [ "$("$1/bin/oha" --version 2>/dev/null)" = "oha $OHA_VERSION" ]; }

# cargo from PATH (lib.sh adds rustup's default place).
find_cargo() {
	command -v cargo ||
	    die "oha $OHA_VERSION is not installed and cargo is not found (PATH, ~/.cargo/bin): install Rust >= 1.88 (rustup) and retry"
}

# build: cargo install into a scratch directory, then move it in place.
build() {
	local cargo tmp rc=0
	cargo=$(find_cargo)
	tmp=$(mktemp -d "$CACHE/.oha-$OHA_VERSION.XXXXXX")
	log "building oha $OHA_VERSION with cargo install --locked (about 4 minutes" \
	    "on 2 cores, once; log: $LOG)"
	# cargo says "Compiling NAME" for each of its ~320 crates: a line every 40.
	"$cargo" install --locked "oha@$OHA_VERSION" --root "$tmp" 2>&1 | tee "$LOG" |
	    awk -v v="$OHA_VERSION" '/^ *Compiling / && ++n % 40 == 0 {
		printf "oha.sh: oha %s: %d crates compiled\n", v, n > "/dev/stderr" }' ||
	    rc=$?
	if [ "$rc" -ne 0 ] || ! works "$tmp"; then
		rm -rf "$tmp"
		die "cargo install --locked oha@$OHA_VERSION failed (needs crates.io, a C compiler and cmake; see $LOG): retry the same command"
	fi
	rm -rf "$DEST"
	mv "$tmp" "$DEST"
	log "oha $OHA_VERSION installed in $DEST"
}

main() {
	if ! works "$DEST"; then
		mkdir -p "$CACHE"
		# One build at a time (other checkouts share the cache); whoever
		# waited finds the binary there.
		exec 9>"$CACHE/oha-$OHA_VERSION.lock"
		flock 9
		works "$DEST" || build
	fi
	echo "$DEST/bin/oha"
}

main "$@"
