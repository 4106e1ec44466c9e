#!/usr/bin/env bash
# packaging/build-deb.sh -- build the Debian package (make deb) from this
# checkout as it is, with debian/ and debhelper, into
# build/users-fcgi_VERSION_ARCH.deb; prints that path last.
#
# VERSION comes from git describe: a tag vX.Y gives X.Y, commits after it
# X.Y+N.gHASH; with no tag, 0~N.gHASH (N commits in all); uncommitted
# changes add +dirty.  The sources are copied to build/deb/ and debian/
# gets its changelog there: the checkout is not touched.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

# deb_version: the package version, from git (or 0~unknown outside git).
deb_version() {
	local d v
	if ! d=$(git -C "$ROOT" describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
		d=$(git -C "$ROOT" describe --always --dirty 2>/dev/null) || { echo 0~unknown; return; }
		d=0~$(git -C "$ROOT" rev-list --count HEAD).g$d
	fi
	v=${d#v}
	v=${v/-dirty/+dirty}
	# X.Y-N-gHASH -> X.Y+N.gHASH
	[[ $v =~ ^(.*)-([0-9]+)-(g[0-9a-f]+)(.*)$ ]] &&
	    v=${BASH_REMATCH[1]}+${BASH_REMATCH[2]}.${BASH_REMATCH[3]}${BASH_REMATCH[4]}
	echo "$v"
}

command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
    die "missing dpkg-dev or debhelper: apt-get install dpkg-dev debhelper fakeroot"
VERSION=$(deb_version)
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "not a Debian version: $VERSION"
ARCH=$(dpkg --print-architecture)
SRC=$ROOT/build/deb/users-fcgi-$VERSION
rm -rf "$ROOT/build/deb" "$ROOT"/build/users-fcgi_*.deb
mkdir -p "$SRC"
cp -r "$ROOT/app" "$ROOT/sql" "$ROOT/debian" "$ROOT/Makefile" "$SRC/"
cat >"$SRC/debian/changelog" <<CHANGELOG
users-fcgi ($VERSION) unstable; urgency=medium

  * Built from the repository at $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "an unknown commit").

 -- $(sed -n 's/^Maintainer: //p' "$ROOT/debian/control")  $(date -R -d "@$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)")
CHANGELOG
(cd "$SRC" && dpkg-buildpackage -b -us -uc -rfakeroot >"$ROOT/build/deb/build.log" 2>&1) || {
	tail -n 30 "$ROOT/build/deb/build.log" >&2
	die "dpkg-buildpackage failed (build/deb/build.log)"
}
DEB=users-fcgi_${VERSION}_$ARCH.deb
mv "$ROOT/build/deb/$DEB" "$ROOT/build/$DEB"
echo "$ROOT/build/$DEB"
