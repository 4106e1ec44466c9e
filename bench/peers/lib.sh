# bench/peers/lib.sh -- sourced by prepare.sh, the peers' run.sh and
# bench/lib/oha.sh: where the built peers (and oha) live.  Builds are cached outside the work tree, shared by
# every checkout, one directory per content key:
#   $PEERS_CACHE/axum-KEY/users-axum   KEY = sha256 of Cargo.toml Cargo.lock src/*
#   $PEERS_CACHE/venv-KEY/             KEY = sha256 of python/requirements.txt
# (KEY: the first 16 hex digits of the files' concatenation's sha256).
# A directory under its final name is complete: it is built under a
# temporary name and renamed when done.
# shellcheck shell=bash

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
# A failure inside $(...) (a missing source file) stops the script too.
shopt -s inherit_errexit

PEERS_DIR=$ROOT/bench/peers
PEERS_CACHE=${USERS_FCGI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/users-fcgi}
# rustup's toolchain, when it is there and not on PATH.
if [ -d "$HOME/.cargo/bin" ]; then PATH=$PATH:$HOME/.cargo/bin; fi

# content_key FILE...: a short sha256 of the files' contents, concatenated.
content_key() {
	cat -- "$@" | sha256sum | cut -c1-16
}

# The directory holding the axum peer's binary (users-axum) for these sources.
axum_dir() {
	local key
	key=$(cd "$PEERS_DIR" && content_key axum/Cargo.toml axum/Cargo.lock axum/src/*)
	echo "$PEERS_CACHE/axum-$key"
}

# The virtual environment of the FastAPI peers for this requirements file.
venv_dir() {
	local key
	key=$(cd "$PEERS_DIR" && content_key python/requirements.txt)
	echo "$PEERS_CACHE/venv-$key"
}
