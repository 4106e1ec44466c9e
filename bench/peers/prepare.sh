#!/usr/bin/env bash
# bench/peers/prepare.sh NAME... -- make the peers NAME (axum, fastapi,
# fastapi-async) ready to run: the Debian packages they need, then
#   axum:                 cargo build --release --locked, the binary cached
#                         in $(axum_dir) (see lib.sh)
#   fastapi[-async]:      a virtual environment with python/requirements.txt
#                         (pinned with hashes), cached in $(venv_dir)
# Idempotent: quiet and fast when the caches are there.  A build runs once
# at a time (flock), into a temporary directory renamed when complete.
# On failure: one line "prepare.sh: error: ... (log: FILE); retry with: ..."
# and exit status 1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The oldest rustc that builds Cargo.lock: the highest rust-version of its
# crates (axum 0.7.4: 1.66; Cargo.lock v3 needs cargo >= 1.53).
RUST_MIN=1.66

# fail WHAT LOG NAME: the one error line, then exit 1.
fail() {
	log "error: $1 (log: $2); retry with: bench/peers/prepare.sh $3"
	exit 1
}

# lock NAME: hold $PEERS_CACHE/NAME.lock until this script exits.
lock() {
	local fd
	exec {fd}>"$PEERS_CACHE/$1.lock"
	flock "$fd"
}

# Temporary build directories, removed if we stop half way.
TMP_DIRS=()
cleanup() { [ "${#TMP_DIRS[@]}" -eq 0 ] || rm -rf "${TMP_DIRS[@]}"; }
trap cleanup EXIT

# new_tmp FINAL: a fresh temporary directory beside FINAL (printed); stale
# ones of earlier interrupted builds are removed (we hold the lock).
new_tmp() {
	rm -rf "$1".tmp.*
	mktemp -d "$1.tmp.XXXXXX"
}

# version_ge A B: is version A >= version B?
version_ge() {
	[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]
}

# need_rust LOG: cargo and a recent enough rustc, or fail.
need_rust() {
	local have
	if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
		echo "cargo/rustc not found on PATH ($PATH); install Rust >= $RUST_MIN, e.g. with rustup" >"$1"
		fail "cargo and rustc >= $RUST_MIN are needed for the axum peer" "$1" axum
	fi
	have=$(rustc --version | cut -d' ' -f2)
	if ! version_ge "$have" "$RUST_MIN"; then
		echo "rustc $have found ($(command -v rustc)); the axum peer needs >= $RUST_MIN (rustup update)" >"$1"
		fail "rustc $have is older than $RUST_MIN, needed for the axum peer" "$1" axum
	fi
}

# prepare_axum: the axum peer's binary.
prepare_axum() {
	local dir tmp log start
	dir=$(axum_dir)
	[ -x "$dir/users-axum" ] && return 0
	log=$dir.log
	need_rust "$log"
	lock axum
	[ -x "$dir/users-axum" ] && return 0	# built meanwhile by another run
	log "building the axum peer (about 4 minutes on 2 cores the first time; log: $log)"
	start=$SECONDS
	tmp=$(new_tmp "$dir")
	TMP_DIRS+=("$tmp")
	if ! (cd "$PEERS_DIR/axum" &&
	    CARGO_TARGET_DIR=$PEERS_CACHE/axum-target cargo build --release --locked) \
	    >"$log" 2>&1; then
		fail "building the axum peer failed" "$log" axum
	fi
	cp "$PEERS_CACHE/axum-target/release/users-axum" "$tmp/"
	rustc --version >"$tmp/rustc-version"
	mv -T "$tmp" "$dir"
	log "built the axum peer in $((SECONDS - start)) s: $dir/users-axum"
}

# prepare_venv NAME: the virtual environment for peer NAME.
prepare_venv() {
	local dir tmp log start
	dir=$(venv_dir)
	[ -x "$dir/bin/python" ] && return 0
	log=$dir.log
	lock venv
	[ -x "$dir/bin/python" ] && return 0
	log "creating the FastAPI peers' Python environment (about 2 minutes the first time; log: $log)"
	start=$SECONDS
	tmp=$(new_tmp "$dir")
	TMP_DIRS+=("$tmp")
	# Debian's python (python3-venv), whatever else is first on PATH.
	# psycopg2 is built from source: python3-dev, libpq-dev, gcc.
	if ! { "$PYTHON" -m venv "$tmp" &&
	    "$tmp/bin/python" -m pip install --no-input --disable-pip-version-check \
		--require-hashes --no-deps -r "$PEERS_DIR/python/requirements.txt" &&
	    "$tmp/bin/python" -m pip check --disable-pip-version-check; } \
	    >"$log" 2>&1; then
		fail "creating the FastAPI peers' Python environment failed" "$log" "$1"
	fi
	# A renamed venv works when run as DIR/bin/python -m ... (run.sh does).
	mv -T "$tmp" "$dir"
	log "created the Python environment in $((SECONDS - start)) s: $dir"
}

[ $# -gt 0 ] || die "usage: bench/peers/prepare.sh NAME... (axum fastapi fastapi-async)"
extra=()
for name; do
	case $name in
	axum) ;;
	fastapi | fastapi-async) extra+=(python3-venv python3-dev) ;;
	*) die "unknown peer '$name' (known: axum fastapi fastapi-async)" ;;
	esac
done

mkdir -p "$PEERS_CACHE"
deps_log=$PEERS_CACHE/deps.$$.log
if ! DEPS_EXTRA="${extra[*]}" "$ROOT/scripts/deps.sh" 2>&1 | tee "$deps_log" >&2; then
	fail "installing the Debian packages the peers need failed" "$deps_log" "$*"
fi
rm -f "$deps_log"

for name; do
	case $name in
	axum) prepare_axum ;;
	fastapi | fastapi-async) prepare_venv "$name" ;;
	esac
done
