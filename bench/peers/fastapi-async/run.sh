#!/usr/bin/env bash
# Runs this peer in the foreground on 127.0.0.1:$PORT (see ../uvicorn.sh).
set -euo pipefail
exec "$(dirname "$0")/../uvicorn.sh" "$(cd "$(dirname "$0")" && pwd)"
