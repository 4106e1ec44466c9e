#!/usr/bin/python3
"""bench/report.py OUT -- turn the runs of bench/run.sh into the report.

Reads OUT/meta.json, OUT/machine.json, OUT/runs/*.json (one per measured
run, see lib/normalize.py) and OUT/errors.txt; writes
  OUT/results.json  one object per stack and mode (and per worker count
                    for the scaling runs, per offered rate for the open
                    loop): medians over the rounds, min and max, the rounds
  OUT/results.md    our figures beside the seed's published ones, the
                    seed's table for every stack and mode, the ratios,
                    open-loop latency, scaling, the machine
  OUT/*.png         charts, made by gnuplot from bench/charts/*.gp
"""
import glob
import json
import os
import statistics
import subprocess
import sys

CHARTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "charts")
STACKS = ["c-lighttpd", "c-nginx", "fastapi", "fastapi-async", "axum", "pgbench"]
LABELS = {"pgbench": "pgbench (ceiling)"}
UVICORN = ("`fastapi[all]` from PyPI, so uvicorn runs with uvloop and httptools; one "
           "uvicorn worker, `--log-level critical`, as the seed ran it")
DESCRIPTIONS = {
    "c-lighttpd": "this project: 5 libfcgi + libpq + cJSON worker processes spawned by lighttpd",
    "c-nginx": "the same 5 workers (spawn-fcgi + multiwatch) behind nginx",
    "fastapi": "the seed's FastAPI (sync), FastAPI's SQL tutorial: a SQLAlchemy session per "
               "request (psycopg2), `create_engine`'s default pool of **5 + overflow 10** "
               "connections (up to 15, as in the seed), a Pydantic 2 response model; " + UVICORN,
    "fastapi-async": "the seed's FastAPI (async): an asyncpg pool min = max = 5, the raw "
                     "query, rows returned as dicts; " + UVICORN,
    "axum": "the seed's Axum + SQLx rebuilt (bench/peers/axum): axum 0.7, sqlx 0.7 with "
            "rustls, tokio's multi-thread runtime, `PgPoolOptions::new().max_connections(5)"
            ".acquire_timeout(3 s)` and sqlx's other defaults (a ping on every acquire), "
            "release build",
    "pgbench": "PostgreSQL's own client running the same query with 5 clients, "
               "`-M prepared`, as long as c-lighttpd's run: what the database alone can do",
}
MODES = {"close": "Connection per request (the seed's method)",
         "keepalive": "Keep-alive",
         "open": "Open loop",
         "ceiling": "pgbench"}
# The seed's published figures (its repository's README, the rerun at
# cdd4c16): oha -n 50000 -c 10 --disable-keepalive; memory and CPU from
# btm, CPU as a share of the whole machine.
SEED_MACHINE = "Ryzen 7 7800X3D, 8 cores"
SEED = {"fastapi": {"name": "FastAPI", "rps": 612, "p50_ms": 15.4, "p99_ms": 29.1,
                    "p999_ms": 33.4, "mem": 78, "cpu": 7.0},
        "fastapi-async": {"name": "FastAPI (async)", "rps": 2267, "p50_ms": 2.2,
                          "p99_ms": 2.5, "p999_ms": 3.1, "mem": 69, "cpu": 5.9},
        "axum": {"name": "Axum", "rps": 15363, "p50_ms": 0.6, "p99_ms": 0.9,
                 "p999_ms": 1.0, "mem": 11, "cpu": 15.9}}
SEED_RATIOS = {"axum": 25.1, "fastapi-async": 3.7}
# Medians (with min and max) over the rounds; the rest is summed or peaked.
MEDIAN = ["rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "mean_ms", "requests", "duration_s",
          "mean_cpu_pct", "cpu_us_per_req", "pg_mean_cpu_pct", "pg_cpu_us_per_req",
          "load_mean_cpu_pct", "load_cpu_us_per_req"]
PEAK = ["peak_pss_mib", "peak_rss_mib", "peak_cpu_pct", "load_peak_cpu_pct", "max_ms"]
SUM = ["non_2xx", "socket_errors"]
COPY = ["rate", "offer", "closed_max_rps", "connections"]
P99_GOAL_MS = 10


def label(stack):
    return LABELS.get(stack, stack)


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        if default is None:
            raise
        return default


# --- aggregation -------------------------------------------------------------

def aggregate(runs):
    """One object from the rounds of one stack, mode (and worker count)."""
    first = runs[0]
    out = {"stack": first["stack"], "label": label(first["stack"]), "mode": first["mode"],
           "kind": first.get("kind", "main"), "tool": first["tool"],
           "workers": first.get("workers"), "rounds_measured": len(runs)}
    out.update((k, first[k]) for k in COPY if k in first)
    for key in MEDIAN:
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
        if key not in ("requests", "duration_s"):
            out[key + "_min"] = min(values) if values else None
            out[key + "_max"] = max(values) if values else None
    out["requests_total"] = sum(r["requests"] for r in runs)
    for key in PEAK:
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = max(values) if values else None
    for key in SUM:
        out[key] = sum(r.get(key) or 0 for r in runs)
    detail = {}
    for r in runs:
        for kind, n in (r.get("socket_error_detail") or {}).items():
            detail[kind] = detail.get(kind, 0) + n
    out["socket_error_detail"] = {k: n for k, n in detail.items() if n}
    out["rounds"] = sorted(runs, key=lambda r: r["round"])
    return out


def group(runs):
    groups = {}
    for run in runs:
        key = (run.get("kind", "main"), run["stack"], run["mode"], run.get("workers"),
               run.get("rate"), run.get("offer"))
        groups.setdefault(key, []).append(run)
    kinds = {k: i for i, k in enumerate(("main", "scaling", "open"))}
    order = {s: i for i, s in enumerate(STACKS)}
    mode_order = {m: i for i, m in enumerate(MODES)}
    return [aggregate(g) for _, g in sorted(
        groups.items(), key=lambda kv: (kinds.get(kv[0][0], 9), order.get(kv[0][1], 99),
                                        mode_order.get(kv[0][2], 99), kv[0][3] or 0,
                                        kv[0][4] or 0))]


# --- formatting --------------------------------------------------------------

def num(v, digits=None):
    if v is None:
        return "–"
    if digits is None:  # latencies: two decimals below 10, one above
        digits = 2 if v < 10 else 1
    return f"{v:,.{digits}f}"


def rps_cell(r):
    if r["rps_min"] == r["rps_max"]:
        return num(r["rps"], 0)
    return f"{num(r['rps'], 0)} ({num(r['rps_min'], 0)}–{num(r['rps_max'], 0)})"


def lat_cell(r):
    return " / ".join(num(r.get(k)) for k in ("p50_ms", "p90_ms", "p99_ms", "p999_ms"))


def errors_cell(r):
    """non-2xx / socket errors, with the kinds of socket error."""
    kinds = ", ".join(f"{n:,} {k}" for k, n in r["socket_error_detail"].items())
    return f"{r['non_2xx']:,} / {r['socket_errors']:,}" + (f" ({kinds})" if kinds else "")


def times(x):
    if x is None:
        return "–"
    return f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def quotient(a, b, key):
    return a[key] / b[key] if a and b and a.get(key) and b.get(key) else None


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "| :-- | " + " | ".join("--:" for _ in header[1:]) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def find(results, stack, mode):
    return next((r for r in results if r["stack"] == stack and r["mode"] == mode), None)


def main_table(results, ceiling):
    """The seed's table: metrics as rows, stacks as columns."""
    cols = results + ([ceiling] if ceiling else [])
    c_rps = ceiling["rps"] if ceiling else None

    def cell(r, fn, servers_only=True):
        return "–" if servers_only and r["stack"] == "pgbench" else fn(r)

    rows = [
        ["Throughput (rps), median (min–max)"] + [rps_cell(r) for r in cols],
        ["Latency p50 / p90 / p99 / p99.9 (ms)"] + [cell(r, lat_cell) for r in cols],
        ["Peak memory, PSS of the whole stack (MiB)"] + [cell(r, lambda r: num(r["peak_pss_mib"], 1)) for r in cols],
        ["Peak memory, RSS summed (MiB)"] + [cell(r, lambda r: num(r["peak_rss_mib"], 1)) for r in cols],
        ["Peak CPU (% of one core)"] + [cell(r, lambda r: num(r["peak_cpu_pct"], 0)) for r in cols],
        ["CPU per request: stack / PostgreSQL (µs)"] + [
            f"{num(r.get('cpu_us_per_req'), 0)} / {num(r.get('pg_cpu_us_per_req'), 0)}" for r in cols],
        ["Load tool CPU: mean (% of one core) / per request (µs)"] + [cell(r, lambda r: (
            f"{num(r.get('load_mean_cpu_pct'), 0)} / {num(r.get('load_cpu_us_per_req'), 0)}"))
            for r in cols],
        ["Share of the pgbench ceiling"] + [
            cell(r, lambda r: f"{100 * r['rps'] / c_rps:.0f} %" if c_rps else "–") for r in cols],
        ["Requests per round (actual)"] + [num(r["requests"], 0) for r in cols],
        ["Non-2xx / socket errors (all rounds)"] + [errors_cell(r) for r in cols],
    ]
    return table(["Metric"] + [label(r["stack"]) for r in cols], rows)


def ratio_table(results):
    """Each stack against FastAPI (stack ÷ FastAPI), as the seed compares."""
    base = find(results, "fastapi", results[0]["mode"]) if results else None
    others = [r for r in results if r["stack"] != "fastapi"]
    if not base or not others:
        return None
    rows = [[name] + [times(quotient(r, base, key)) for r in others] for name, key in (
        ("Throughput (rps)", "rps"), ("p50 latency", "p50_ms"), ("p99 latency", "p99_ms"),
        ("p99.9 latency", "p999_ms"), ("Peak memory (PSS)", "peak_pss_mib"),
        ("Peak memory (RSS)", "peak_rss_mib"), ("CPU per request", "cpu_us_per_req"))]
    return table(["Stack ÷ FastAPI"] + [label(r["stack"]) for r in others], rows)


def seed_section(main, machine):
    """Our connection-per-request figures beside the seed's published three,
    the seed's ratios beside ours, and the C stacks against axum."""
    cores = machine["cores"]
    ours = {s: find(main, s, "close") for s in STACKS}
    cols = []  # (header, seed figures or None, our result or None)
    for s in ("fastapi", "fastapi-async", "axum"):
        cols.append((f"{SEED[s]['name']}, seed", SEED[s], None))
        if ours[s]:
            cols.append((f"{s}, here", None, ours[s]))
    cols += [(f"{s}, here", None, ours[s]) for s in ("c-lighttpd", "c-nginx") if ours[s]]

    def row(name, seed_fn, our_fn):
        return [name] + [seed_fn(sd) if sd else our_fn(r) for _, sd, r in cols]

    rows = [
        row("Throughput (rps)", lambda sd: num(sd["rps"], 0), lambda r: num(r["rps"], 0)),
        row("p50 latency (ms)", lambda sd: num(sd["p50_ms"], 1), lambda r: num(r["p50_ms"])),
        row("p99 latency (ms)", lambda sd: num(sd["p99_ms"], 1), lambda r: num(r["p99_ms"])),
        row("p99.9 latency (ms)", lambda sd: num(sd["p999_ms"], 1), lambda r: num(r["p999_ms"])),
        row("Peak memory (MiB): seed btm; here PSS (RSS summed)", lambda sd: num(sd["mem"], 0),
            lambda r: f"{num(r['peak_pss_mib'], 1)} ({num(r['peak_rss_mib'], 1)})"),
        row("Peak CPU (% of the whole machine)", lambda sd: num(sd["cpu"], 1),
            lambda r: num(r["peak_cpu_pct"] / cores if r.get("peak_cpu_pct") is not None
                          else None, 1)),
    ]
    out = [f"The seed's published table ({SEED_MACHINE}, oha -n 50000 -c 10 "
           "--disable-keepalive, btm) beside ours, connection per request, on "
           f"{machine['cpu']}, {cores} cores. Peak CPU is a share of the whole "
           f"machine as btm shows it (here: % of one core ÷ {cores}).", "",
           table(["Metric"] + [h for h, _, _ in cols], rows)]

    def mode_ratio(stack, mode):
        return times(quotient(find(main, stack, mode), find(main, "fastapi", mode), "rps"))

    modes = [m for m in ("close", "keepalive") if find(main, "fastapi", m)]
    rrows = [[f"{s} ÷ fastapi", f"{SEED_RATIOS[s]}×"] + [mode_ratio(s, m) for m in modes]
             for s in ("axum", "fastapi-async")]
    out += ["", "Throughput ratios, the seed's and ours (does the reproduction have the "
            "seed's shape?):", "",
            table(["Throughput ratio", f"seed ({SEED_MACHINE})"]
                  + [f"here, {MODES[m].lower()}" for m in modes], rrows)]

    cs = [(s, m) for s in ("c-lighttpd", "c-nginx") for m in ("close", "keepalive")
          if find(main, s, m) and find(main, "axum", m)]
    if cs:
        crows = [[name] + [times(quotient(find(main, s, m), find(main, "axum", m), key))
                           for s, m in cs]
                 for name, key in (("Throughput (rps)", "rps"), ("p50 latency", "p50_ms"),
                                   ("p99 latency", "p99_ms"), ("p99.9 latency", "p999_ms"),
                                   ("Peak memory (PSS)", "peak_pss_mib"),
                                   ("CPU per request", "cpu_us_per_req"))]
        out += ["", "The C stacks against axum (C ÷ axum: above 1 is more throughput, "
                "below 1 is less latency, memory or CPU):", "",
                table(["C stack ÷ axum"] + [f"{s}, {'close' if m == 'close' else 'keep-alive'}"
                                            for s, m in cs], crows)]
    return "\n".join(out)


def machine_line(machine):
    versions = ", ".join(f"{name} {v}" for name, v in machine["versions"].items())
    line = (f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
            f"{machine['os']}, Linux {machine['kernel']}; {versions}")
    return line + (f" ({machine['peers_note']})" if machine.get("peers_note") else "")


def tool_name(meta, machine):
    return f"{meta['tool']} {machine['load_tool_version']}"


def method(meta, machine):
    lines = [
        f"- Load: {tool_name(meta, machine)}, {meta['concurrency']} connections"
        " (`--no-tui --output-format json`)"
        f"; up to {meta['requests']:,} requests per measured run; GET /users "
        "(`SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100`, "
        "2000 rows seeded).",
        "- Modes: *connection per request* (the seed's method: "
        "`oha -c 10 --disable-keepalive`) and *keep-alive*.",
        f"- Every stack runs alone against the same PostgreSQL. {meta['rounds']} round(s), "
        "interleaved across the stacks (A B C … A B C …); in each round a stack is started, "
        f"warmed up for {meta['warmup_s']} s per mode, measured, stopped. "
        "Figures are the median of the rounds, min–max in parentheses; peaks are the "
        "highest of the rounds.",
        f"- A measured run does at most the requests that take {meta['max_seconds']} s "
        "(BENCH_MAX_SECONDS) at the rate of its warm-up"
        " (oha's `-n` and `-z` exclude each other, so the count is computed)"
        ": a slow stack does fewer requests, *Requests per round* gives the count done.",
        "- Memory: every 0.2 s during the measured run, the sum of `Pss` (and of `Rss`) "
        "from /proc/PID/smaps_rollup over every process of the stack (front server + "
        "workers, uvicorn, the axum binary). CPU: utime + stime of the same processes, "
        "over windows of at least 1 s, in % of one core (100 % = one core busy; "
        "the seed's btm figures are shares of the whole machine). The load tool's CPU "
        "(mean and per request) is the kernel's account of it once it has exited (bash's "
        "`times`); its peak, sampled as above, is in results.json. It shares the cores "
        "with the stack and PostgreSQL.",
        "- oha counts any HTTP answer, a 5xx too, as a success: *non-2xx* comes from its "
        "`statusCodeDistribution`, *socket errors* from its `errorDistribution`.",
        "- pgbench: the same query, 5 clients (the servers' pool size), `-M prepared`, "
        "for as long as c-lighttpd's connection-per-request run of the same round; its "
        "tps is shown as rps.",
    ]
    return "\n".join(lines)


SEED_75_S = (
    "Why the seed saw a 75 s median at `-q 10000 --latency-correction`: it offered "
    "FastAPI about sixteen times the ~600 requests per second it could serve, so the "
    "backlog of requests waiting for their intended start time grew for the whole run. "
    "With latency correction oha counts each request from its intended start, so the "
    "median measured how long that backlog had grown, not FastAPI's time per request.")


def open_loop_section(meta, open_runs):
    if not open_runs:
        return "No open-loop run completed."
    o = meta["open"]
    intro = (
        f"oha at a constant offered rate (`-q R --latency-correction --disable-keepalive "
        f"-z {o['seconds']}s -w -c {o['connections']}`), latency counted from when each "
        "request was due, so time spent waiting behind a slow one counts (coordinated "
        "omission corrected). Rates: "
        + ", ".join(f"{p} %" for p in o["pcts"])
        + " of each stack's closed-loop maximum (its median connection-per-request rate "
        "above)"
        + (f", and {o['common']:,} rps for every stack whose maximum is above it (half "
           "the lowest maximum but FastAPI sync's)" if o.get("common") else "")
        + ". *Outstanding* is achieved rate × mean latency (Little's law): the mean number "
        "of requests due and not yet answered. Above the connection count "
        f"({o['connections']}) requests waited in oha for a connection: the server had "
        "fallen behind, and the wait is counted, since latency runs from the intended start.")
    rows = []
    for r in open_runs:
        share = (f"{100 * r['rate'] / r['closed_max_rps']:.0f} %"
                 if r.get("closed_max_rps") else "–")
        outstanding = r["rps"] * r["mean_ms"] / 1000 if r.get("mean_ms") is not None else None
        flags = []
        conns = r.get("connections", 1e9)
        if r["rps"] < 0.95 * r["rate"]:
            flags.append("overloaded: fell behind the offered rate")
        if outstanding is not None and outstanding >= conns:
            flags.append(f"requests waited for one of oha's {conns} connections "
                         "(counted in their latency)")
        elif outstanding is not None and outstanding >= 0.5 * conns:
            flags.append(f"oha's {conns} connections may all have been busy at times")
        rows.append([label(r["stack"]), num(r["rate"], 0)
                     + (" (common)" if r.get("offer") == "common" else ""), share,
                     num(r["rps"], 0), lat_cell(r), num(outstanding, 1),
                     errors_cell(r) + (" **" + ", ".join(flags) + "**" if flags else "")])
    skipped, best = [], []
    for s in STACKS:
        runs = [r for r in open_runs if r["stack"] == s]
        if not runs:
            continue
        closed_max = runs[0].get("closed_max_rps")
        if closed_max and o.get("common") and not any(r.get("offer") == "common" for r in runs):
            skipped.append(f"{label(s)} ({num(closed_max, 0)} rps)")
        ok = [r for r in runs if r["p99_ms"] is not None and r["p99_ms"] < P99_GOAL_MS
              and not r["non_2xx"] and not r["socket_errors"]]
        top = max(ok, key=lambda r: r["rate"]) if ok else None
        best.append([label(s), num(closed_max, 0),
                     f"{num(top['rate'], 0)} ({num(top['p99_ms'])} ms)" if top
                     else f"none of the {len(runs)} rates measured",
                     num(max(r["rate"] for r in runs), 0)])
    out = [intro, "",
           table(["Stack", "Offered (rps)", "of max", "Achieved (rps)",
                  "p50 / p90 / p99 / p99.9 (ms)", "Outstanding", "Non-2xx / socket errors"],
                 rows)]
    if skipped:
        out += ["", f"Not offered the common rate ({o['common']:,} rps), which is above "
                "their closed-loop maximum: " + ", ".join(skipped) + "."]
    out += ["", f"Highest offered rate whose p99 stayed under {P99_GOAL_MS} ms (of the "
            "rates measured, without errors):", "",
            table(["Stack", "Closed-loop max (rps)", f"Highest rate with p99 < {P99_GOAL_MS} "
                   "ms (its p99)", "Highest rate offered"], best),
            "", SEED_75_S]
    return "\n".join(out)


def scaling_section(scaling):
    rows = [[str(r["workers"]), rps_cell(r), lat_cell(r), num(r["peak_pss_mib"], 1),
             num(r["peak_cpu_pct"], 0), num(r.get("cpu_us_per_req"), 0)] for r in scaling]
    return table(["Workers", "Throughput (rps)", "p50 / p90 / p99 / p99.9 (ms)",
                  "Peak PSS (MiB)", "Peak CPU (%)", "CPU per request (µs)"], rows)


def markdown(meta, machine, results, errors, charts):
    main = [r for r in results if r["kind"] == "main"]
    ceiling = next((r for r in main if r["stack"] == "pgbench"), None)
    o = meta["open"]
    out = [f"# users-fcgi benchmark, {meta['started']}", "",
           f"**Machine:** {machine_line(machine)}", "",
           f"**Run:** {tool_name(meta, machine)}, "
           f"BENCH_REQUESTS={meta['requests']} BENCH_CONCURRENCY={meta['concurrency']} "
           f"BENCH_ROUNDS={meta['rounds']} BENCH_WARMUP={meta['warmup_s']} "
           f"BENCH_MAX_SECONDS={meta['max_seconds']} "
           f"BENCH_STACKS=\"{' '.join(meta['stacks'])}\" BENCH_MODES=\"{' '.join(meta['modes'])}\" "
           f"BENCH_SCALING=\"{' '.join(map(str, meta['scaling']))}\" "
           + (f"BENCH_OPEN_PCTS=\"{' '.join(map(str, o['pcts']))}\" "
              f"BENCH_OPEN_COMMON={o['common'] or 0} BENCH_OPEN_SECONDS={o['seconds']} "
              f"BENCH_OPEN_CONNECTIONS={o['connections']} " if o["stacks"] else "")
           + f"(commit {meta['commit']})"
           + (f"; finished {meta['finished']}, {meta['elapsed_s'] // 60} min"
              if "finished" in meta else ""),
           "",
           "## Stacks", ""]
    ran = {r["stack"] for r in results}
    out += [f"- **{label(s)}**: {DESCRIPTIONS[s]}" for s in meta["stacks"] if s in ran]
    errors = errors + [f"{s} did not run: it has no figures in this report"
                       for s in meta["stacks"] if s not in ran]
    if errors:
        out += ["", "## Errors", "", "Some runs failed; their figures are missing:", ""]
        out += [f"- {e}" for e in errors]
    bad = [r for r in results if r["non_2xx"]]
    if bad:
        out += ["", "## Warning: answers that are not 2xx", ""]
        out += [f"- {label(r['stack'])}, {r['mode']}"
                + (f", {r['workers']} workers" if r["kind"] == "scaling" else "")
                + (f", {r['rate']} rps" if r["kind"] == "open" else "")
                + f": {r['non_2xx']} of {r['requests_total']} answers" for r in bad]
    if any(find(main, s, "close") for s in SEED):
        out += ["", "## Beside the seed", "", seed_section(main, machine)]
    for mode in meta["modes"]:
        rows = [r for r in main if r["mode"] == mode]
        if not rows:
            continue
        out += ["", f"## {MODES[mode]}", "", main_table(rows, ceiling)]
        ratios = ratio_table(rows)
        if ratios:
            out += ["", "Ratio to FastAPI (stack ÷ FastAPI: above 1 is more throughput, "
                    "below 1 is less latency, memory or CPU):", "", ratios]
    out += ["", "## Open-loop latency", "",
            open_loop_section(meta, [r for r in results if r["kind"] == "open"])]
    scaling = [r for r in results if r["kind"] == "scaling"]
    if scaling:
        out += ["", "## Scaling: c-lighttpd against its number of workers", "",
                "Connection per request, nothing else changed (each worker holds one "
                "PostgreSQL connection).", "", scaling_section(scaling)]
    if charts:
        out += ["", "## Charts", ""] + [f"![{title}]({name})" for name, title in charts]
    out += ["", "## Method", "", method(meta, machine), ""]
    return "\n".join(out)


# --- charts ------------------------------------------------------------------

def dat_value(v):
    return "-" if v is None else f"{v:.4f}"


def dat_label(stack):
    return '"' + label(stack).replace(" (", "\\n(").replace(", ", ",\\n") + '"'


def gnuplot(script, out, **variables):
    def literal(v):
        return f"'{v}'" if isinstance(v, str) else str(v)
    expr = "; ".join(f"{k}={literal(v)}" for k, v in variables.items())
    subprocess.run(["gnuplot", "-e", expr, os.path.join(CHARTS, script)], check=True)
    with open(out, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            raise SystemExit(f"report.py: {out} is not a PNG")


def charts(out_dir, meta, machine, results):
    """Write the .dat files and draw; returns [(png name, title)]."""
    plot = os.path.join(out_dir, "plot")
    os.makedirs(plot, exist_ok=True)
    main = [r for r in results if r["kind"] == "main"]
    servers = [s for s in STACKS if s != "pgbench" and any(r["stack"] == s for r in main)]
    ceiling = next((r["rps"] for r in main if r["stack"] == "pgbench"), 0)
    host = f"{machine['cpu']}, {machine['cores']} cores"
    sub = (f"{tool_name(meta, machine)}, {meta['concurrency']} connections, "
           f"{meta['requests']} requests x {meta['rounds']} round(s); {host}")
    made = []

    def get(stack, mode):
        return find(main, stack, mode) or {}

    if servers:
        path = os.path.join(plot, "throughput.dat")
        with open(path, "w") as f:
            for s in servers:
                cols = []
                for mode in ("close", "keepalive"):
                    r = get(s, mode)
                    cols += [r.get("rps"), r.get("rps_min"), r.get("rps_max")]
                f.write(dat_label(s) + " " + " ".join(map(dat_value, cols)) + "\n")
        png = os.path.join(out_dir, "throughput.png")
        gnuplot("throughput.gp", png, datafile=path, outfile=png, n=len(servers),
                ceiling=ceiling or 0, keepalive=int(any(get(s, "keepalive") for s in servers)),
                subtitle=sub + " (bars: median, min-max)")
        made.append(("throughput.png", "Throughput per stack"))

        files = {}
        for mode in ("close", "keepalive"):
            if not any(get(s, mode) for s in servers):
                files[mode] = ""
                continue
            files[mode] = os.path.join(plot, f"latency-{mode}.dat")
            with open(files[mode], "w") as f:
                for s in servers:
                    r = get(s, mode)
                    f.write(dat_label(s) + " " + " ".join(
                        dat_value(r.get(k)) for k in ("p50_ms", "p99_ms", "p999_ms")) + "\n")
        png = os.path.join(out_dir, "latency.png")
        gnuplot("latency.gp", png, closefile=files["close"], keepfile=files["keepalive"],
                outfile=png, n=len(servers), subtitle=sub + ", medians, closed loop")
        made.append(("latency.png", "Latency percentiles per stack"))

    scaling = [r for r in results if r["kind"] == "scaling"]
    if scaling:
        path = os.path.join(plot, "scaling.dat")
        with open(path, "w") as f:
            for r in scaling:
                f.write(" ".join([str(r["workers"])] + [dat_value(r.get(k)) for k in (
                    "rps", "rps_min", "rps_max", "p99_ms", "p99_ms_min", "p99_ms_max")]) + "\n")
        png = os.path.join(out_dir, "scaling.png")
        gnuplot("scaling.gp", png, datafile=path, outfile=png, subtitle=sub)
        made.append(("scaling.png", "c-lighttpd: rps and p99 against worker count"))

    open_runs = [r for r in results if r["kind"] == "open"]
    if open_runs:
        stacks = [s for s in STACKS if any(r["stack"] == s for r in open_runs)]
        files = []
        for s in stacks:
            path = os.path.join(plot, f"openloop-{s}.dat")
            with open(path, "w") as f:
                for r in sorted((r for r in open_runs if r["stack"] == s),
                                key=lambda r: r["rate"]):
                    f.write(" ".join([str(r["rate"])] + [dat_value(r.get(k)) for k in (
                        "p50_ms", "p90_ms", "p99_ms", "p999_ms")]) + "\n")
            files.append(path)
        png = os.path.join(out_dir, "openloop.png")
        o = meta["open"]
        gnuplot("openloop.gp", png, files=" ".join(files), titles=" ".join(stacks),
                outfile=png, goal=P99_GOAL_MS,
                subtitle=(f"{tool_name(meta, machine)} -q R --latency-correction "
                          f"--disable-keepalive, {o['seconds']} s per rate; {host}"))
        made.append(("openloop.png", "Open loop: latency against offered rate"))
    return made


def main():
    out_dir = sys.argv[1]
    meta = load(os.path.join(out_dir, "meta.json"))
    machine = load(os.path.join(out_dir, "machine.json"))
    runs = [load(p) for p in sorted(glob.glob(os.path.join(out_dir, "runs", "*.json")))]
    try:
        with open(os.path.join(out_dir, "errors.txt")) as f:
            errors = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        errors = []
    results = group(runs) if runs else []
    made = charts(out_dir, meta, machine, results)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "machine": machine, "results": results,
                   "errors": errors}, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(markdown(meta, machine, results, errors, made))


if __name__ == "__main__":
    main()
