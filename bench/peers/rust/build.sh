#!/usr/bin/env bash
# Builds the Rust peer (release) offline against Debian's packaged crates.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:$HOME/.cargo/bin:/root/.cargo/bin"
if ! command -v cargo >/dev/null; then
    echo "error: cargo not found; install rustup's toolchain or: apt-get install cargo rustc" >&2
    exit 1
fi
missing=()
for crate in hyper-0.14 tokio-1 tokio-postgres-0.7 serde-1 serde_derive-1 serde_json-1; do
    compgen -G "/usr/share/cargo/registry/${crate}.*" >/dev/null || missing+=("$crate")
done
if ((${#missing[@]})); then
    echo "error: crates missing from /usr/share/cargo/registry: ${missing[*]}" >&2
    echo "install them with: apt-get install librust-hyper-dev librust-tokio-dev" \
         "librust-tokio-postgres-dev librust-serde-dev librust-serde-derive-dev librust-serde-json-dev" >&2
    exit 1
fi
exec cargo build --release --offline
