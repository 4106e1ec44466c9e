#!/usr/bin/python3
"""The machine and the version of every component and tool, as JSON.

    machine.py LOAD_TOOL PG_BIN CARGO_LOCK > machine.json

Run it with Debian's python3: it imports the FastAPI peers' packages to
read their versions.  Anything missing is reported as "not found".
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


def python_module(name, attr="__version__"):
    try:
        module = __import__(name)
    except ImportError:
        return "not found"
    return str(getattr(module, attr, "?")).split()[0]


def crate(lock, name):
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(name), lock)
    return m.group(1) if m else "not found"


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
    load_tool, pg_bin, cargo_lock = sys.argv[1:4]
    try:
        with open(cargo_lock) as f:
            lock = f.read()
    except OSError:
        lock = ""
    cargo_path = os.environ.get("PATH", "") + ":" + os.path.expanduser("~/.cargo/bin")
    rustc = subprocess.run(["sh", "-c", "rustc --version"], capture_output=True, text=True,
                           env=dict(os.environ, PATH=cargo_path)).stdout
    load = {"wrk": lambda: first(r"wrk (?:debian/)?(\d[\w.]*)", run("wrk", "-v")),
            "oha": lambda: first(r"oha (\S+)", run("oha", "--version"))}[load_tool]()
    versions = dict([
        ("lighttpd", first(r"lighttpd/(\S+)", run("lighttpd", "-v"))),
        ("nginx", first(r"nginx/(\S+)", run("nginx", "-v"))),
        ("spawn-fcgi", first(r"spawn-fcgi v(\S+)", run("spawn-fcgi", "-v"))),
        ("multiwatch", dpkg("multiwatch")),
        ("PostgreSQL", first(r"PostgreSQL\) (\S+)", run(f"{pg_bin}/postgres", "-V"))),
        ("libfcgi", dpkg("libfcgi0ldbl")),
        ("libpq", dpkg("libpq5")),
        ("cJSON", dpkg("libcjson1")),
        ("Python", platform.python_version()),
        ("FastAPI", python_module("fastapi")),
        ("uvicorn", python_module("uvicorn")),
        ("SQLAlchemy", python_module("sqlalchemy")),
        ("psycopg2", python_module("psycopg2")),
        ("asyncpg", python_module("asyncpg")),
        ("pydantic", python_module("pydantic", "VERSION")),
        ("rustc", first(r"rustc (\S+)", rustc)),
        ("hyper", crate(lock, "hyper")),
        ("tokio", crate(lock, "tokio")),
        ("tokio-postgres", crate(lock, "tokio-postgres")),
        ("serde_json", crate(lock, "serde_json")),
        (load_tool, load),
        ("pgbench", first(r"pgbench \(PostgreSQL\) (\S+)", run(f"{pg_bin}/pgbench", "-V"))),
        ("gnuplot", first(r"gnuplot (\S+ patchlevel \S+)", run("gnuplot", "--version"))),
    ])
    json.dump({"cpu": cpu_model(), "cores": os.cpu_count(),
               "kernel": platform.release(), "os": os_name(),
               "memory_gib": memory_gib(), "load_tool": load_tool,
               "load_tool_version": load, "versions": versions}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
