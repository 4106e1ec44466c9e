#!/usr/bin/env bash
# tests/reliability/pgenv.sh -- libpq's environment variables reach the
# workers behind both fronts: every one that
# docs/DEPLOY.md lists as passed, set in the environment of
# `stack.sh up`, is in each worker's environment; PGCLIENTENCODING, which
# would undo the worker's UTF-8, is not.  The workers run from a wrapper
# that records its environment and then starts the real worker without
# those variables (their test values would not connect).
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

PASSED="PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE
PGCHANNELBINDING PGSERVICE PGSERVICEFILE PGOPTIONS PGAPPNAME PGSSLMODE
PGREQUIRESSL PGSSLCOMPRESSION PGSSLCERT PGSSLKEY PGSSLROOTCERT PGSSLCRL
PGSSLCRLDIR PGSSLSNI PGREQUIREPEER PGSSLMINPROTOCOLVERSION
PGSSLMAXPROTOCOLVERSION PGGSSENCMODE PGKRBSRVNAME PGCONNECT_TIMEOUT
PGTARGETSESSIONATTRS PGSYSCONFDIR"
NOT_PASSED="PGCLIENTENCODING"

mkdir -p "$D/bin" "$D/env"
chmod 0755 "$D" "$D/bin"
chmod 0777 "$D/env"
unset_args=$(for v in $PASSED $NOT_PASSED; do printf ' -u %s' "$v"; done)
# A copy of the worker beside the wrapper: the run user may not be able
# to enter the checkout (a clone under a private directory).
install -m 0755 "$ROOT/build/users-fcgi" "$D/bin/users-fcgi.real"
cat >"$D/bin/users-fcgi" <<EOF
#!/bin/sh
env >"$D/env/\$\$"
exec env $unset_args "$D/bin/users-fcgi.real"
EOF
chmod 0755 "$D/bin/users-fcgi"

pgenv() {
	local L="[$FRONT] libpq variables" f missing
	f=$(ls "$D/env"/* | head -n 1)
	missing=$(for v in $PASSED; do grep -qx "$v=test-$v" "$f" || echo "$v"; done)
	check_eq "$L: all $(wc -w <<<"$PASSED") reach the worker" "" "$(echo $missing)"
	check "$L: PGCLIENTENCODING does not" bash -c '! grep -q "^PGCLIENTENCODING=" "$1"' _ "$f"
	rm -f "$D/env"/*
}
# shellcheck disable=SC2046 # one VAR=VALUE word each
for_each_front pgenv WORKERS=2 WORKER_BIN="$D/bin/users-fcgi" \
    $(for v in $PASSED $NOT_PASSED; do echo "$v=test-$v"; done)
