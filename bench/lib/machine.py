#!/usr/bin/python3
"""The machine and the version of every component and tool, as JSON.

    machine.py LOAD_TOOL LOAD_BIN PG_BIN VERSIONS_SH > machine.json

VERSIONS_SH (bench/peers/versions.sh) prints the peers' versions as one
JSON object (axum, sqlx, tokio, rustc from the Cargo.lock and toolchain;
fastapi, uvicorn, uvloop, ... from the virtual environment); all of them
go into "versions".  If it is missing or fails, "peers" says so.
Anything else missing is reported as "not found".
"""
import json
import os
import platform
import re
import subprocess
import sys


def run(*cmd):
    """stdout + stderr of cmd, or "" if it cannot run."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return p.stdout + p.stderr


def first(pattern, text):
    m = re.search(pattern, text)
    return m.group(1) if m else "not found"


def dpkg(package):
    return run("dpkg-query", "-W", "-f=${Version}", package).strip() or "not found"


def peer_versions(script):
    """(versions, note): the JSON object VERSIONS_SH prints, or ({}, why not)."""
    if not os.path.exists(script):
        return {}, f"{os.path.relpath(script)} not found: the peers' versions are unknown"
    try:
        p = subprocess.run([script], capture_output=True, text=True, timeout=120)
        data = json.loads(p.stdout) if p.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        data = None
    if not isinstance(data, dict):
        return {}, f"{os.path.relpath(script)} failed: the peers' versions are unknown"
    return {str(k): "not found" if v is None else str(v) for k, v in data.items()}, None


def cpu_model():
    with open("/proc/cpuinfo") as f:
        return first(r"model name\s*:\s*(.+)", f.read())


def memory_gib():
    with open("/proc/meminfo") as f:
        kib = int(first(r"MemTotal:\s*(\d+)", f.read()))
    return round(kib / 2**20, 1)


def os_name():
    try:
        with open("/etc/os-release") as f:
            return first(r'PRETTY_NAME="([^"]+)"', f.read())
    except OSError:
        return platform.system()


def main():
    load_tool, load_bin, pg_bin, versions_sh = sys.argv[1:5]
    load = first(r"oha (\S+)", run(load_bin, "--version"))
    peers, note = peer_versions(versions_sh)
    versions = dict([
        ("lighttpd", first(r"lighttpd/(\S+)", run("lighttpd", "-v"))),
        ("nginx", first(r"nginx/(\S+)", run("nginx", "-v"))),
        ("spawn-fcgi", first(r"spawn-fcgi v(\S+)", run("spawn-fcgi", "-v"))),
        ("multiwatch", dpkg("multiwatch")),
        ("PostgreSQL", first(r"PostgreSQL\) (\S+)", run(f"{pg_bin}/postgres", "-V"))),
        ("libfcgi", dpkg("libfcgi0ldbl")),
        ("libpq", dpkg("libpq5")),
        ("cJSON", dpkg("libcjson1")),
    ])
    versions.update(peers)
    versions.update([
        (load_tool, load),
        ("pgbench", first(r"pgbench \(PostgreSQL\) (\S+)", run(f"{pg_bin}/pgbench", "-V"))),
        ("gnuplot", first(r"gnuplot (\S+ patchlevel \S+)", run("gnuplot", "--version"))),
    ])
    json.dump({"cpu": cpu_model(), "cores": os.cpu_count(),
               "kernel": platform.release(), "os": os_name(),
               "memory_gib": memory_gib(), "load_tool": load_tool,
               "load_tool_version": load, "versions": versions,
               "peers_note": note}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
