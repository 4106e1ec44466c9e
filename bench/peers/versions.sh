#!/usr/bin/env bash
# bench/peers/versions.sh -- print one JSON object with the versions of the
# peers' components, for the report's machine line:
#   axum sqlx tokio hyper serde serde_json (axum/Cargo.lock), rustc (the one
#   that built the cached binary, else the one on PATH, else null),
#   fastapi starlette uvicorn uvloop httptools pydantic sqlalchemy psycopg2
#   asyncpg (python/requirements.txt, installed exactly so), python (the
#   interpreter the virtual environment is made from).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rustc=$(cat "$(axum_dir)/rustc-version" 2>/dev/null ||
	rustc --version 2>/dev/null || true)
"$PYTHON" - "$PEERS_DIR" "$rustc" <<'PY'
import json, platform, re, sys, tomllib

peers, rustc = sys.argv[1], sys.argv[2]
with open(f"{peers}/axum/Cargo.lock", "rb") as f:
    crates = {p["name"]: p["version"] for p in tomllib.load(f)["package"]}
with open(f"{peers}/python/requirements.txt") as f:
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", f.read(), re.M))
versions = {name: crates[name] for name in
            ("axum", "sqlx", "tokio", "hyper", "serde", "serde_json")}
versions["rustc"] = rustc.split()[1] if rustc else None
versions.update({name: pins[name] for name in
                 ("fastapi", "starlette", "uvicorn", "uvloop", "httptools",
                  "pydantic", "sqlalchemy", "psycopg2", "asyncpg")})
versions["python"] = platform.python_version()
print(json.dumps(versions))
PY
