#!/usr/bin/env bash
# tests/compose.sh -- docker-compose.yml has the structure Docker users
# rely on (no Docker engine runs here, so its structure is what we test).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# compose_has NAME PYTHON-EXPRESSION: true if the expression, evaluated
# with `db` bound to services.db, is truthy.
compose_has() {
	check "docker-compose.yml: $1" "$PYTHON" -c '
import sys, yaml
db = yaml.safe_load(open(sys.argv[1]))["services"]["db"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$ROOT/docker-compose.yml" "$2"
}

compose_has "db is PostgreSQL 15" 'db["image"].split(":")[0] == "postgres" and db["image"].split(":")[1].startswith("15")'
compose_has "sql/ is mounted as the init scripts" \
    'any(v.split(":")[0] in ("./sql", "sql") and v.split(":")[1] == "/docker-entrypoint-initdb.d" for v in db["volumes"])'
compose_has "the database is users" 'db["environment"]["POSTGRES_DB"] == "users"'
compose_has "port 5432 is published on 127.0.0.1 only" '[str(p) for p in db["ports"]] == ["127.0.0.1:5432:5432"]'
compose_has "the superuser's password comes from the environment (POSTGRES_PASSWORD)" \
    'str(db["environment"]["POSTGRES_PASSWORD"]).startswith("${POSTGRES_PASSWORD")'
compose_has "a pg_isready healthcheck" '"pg_isready" in " ".join(db["healthcheck"]["test"])'
check "docker-compose.yml: every mounted script exists" \
    test -s "$ROOT/sql/01-schema.sql" -a -s "$ROOT/sql/02-seed.sql"
