#!/usr/bin/env bash
# scripts/docker-base.sh -- make the base image debian:bookworm-slim here,
# for a Docker engine that reaches no image registry (docker-compose.yml
# builds every image FROM it).  With a registry, `docker compose build`
# pulls it instead and this script is not needed.
#
#   scripts/docker-base.sh      as root (mmdebstrap, docker import)
#
# mmdebstrap (--variant=minbase, its output shown only if it fails) installs bookworm from Debian's package
# mirror, with the official slim image's dpkg filters (no manuals, no
# documentation but the copyrights, no locales); `docker import` makes the
# image of it.  /usr is merged by mmdebstrap's own hook, not by the
# usrmerge package, which would leave Perl in every image built FROM
# this one.  Nothing is done when the image exists already.
#
# Environment: BASE_IMAGE (debian:bookworm-slim), DEBIAN_MIRROR
# (http://deb.debian.org), DOCKER (docker: the client to use).
set -euo pipefail
. "$(dirname "$0")/common.sh"

BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org}
DOCKER=${DOCKER:-docker}

"$DOCKER" info >/dev/null 2>&1 ||
    die "no Docker engine answers (is dockerd running? are we root?)"
if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
	log "$BASE_IMAGE exists: nothing to do"
	exit 0
fi
command -v mmdebstrap >/dev/null ||
    die "mmdebstrap is missing: apt-get install mmdebstrap"

tmp=$(mktemp -d /tmp/docker-base.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT

log "building $BASE_IMAGE with mmdebstrap from $DEBIAN_MIRROR"
# The filters stay in the image (/etc/dpkg/dpkg.cfg.d/99mmdebstrap): what
# the Dockerfiles install later is filtered the same way.
mmdebstrap --quiet --variant=minbase --format=tar \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --aptopt='Acquire::Languages "none"' \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$tmp/rootfs.tar" \
    "deb $DEBIAN_MIRROR/debian bookworm main" \
    "deb $DEBIAN_MIRROR/debian bookworm-updates main" \
    "deb $DEBIAN_MIRROR/debian-security bookworm-security main" \
    </dev/null >"$tmp/mmdebstrap.log" 2>&1 ||
    { tail -n 30 "$tmp/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
"$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$tmp/rootfs.tar" "$BASE_IMAGE" >/dev/null
log "$BASE_IMAGE: $("$DOCKER" image inspect -f '{{.Size}}' "$BASE_IMAGE" |
    awk '{printf "%.0f MB", $1 / 1e6}')"
