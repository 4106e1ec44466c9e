#!/usr/bin/python3
"""bench/report.py OUT -- turn the runs of bench/run.sh into the report.

Reads OUT/meta.json, OUT/machine.json, OUT/runs/*.json (one per measured
run, see lib/normalize.py) and OUT/errors.txt; writes
  OUT/results.json  one object per stack and mode (and per worker count
                    for the scaling runs): medians over the rounds, min and
                    max, the rounds themselves
  OUT/results.md    the seed's table for every stack and mode, the ratios
                    to FastAPI, open-loop latency, scaling, the machine
  OUT/*.png         charts, made by gnuplot from bench/charts/*.gp
"""
import glob
import json
import os
import statistics
import subprocess
import sys

CHARTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "charts")
STACKS = ["c-lighttpd", "c-nginx", "fastapi", "fastapi-async", "rust", "pgbench"]
LABELS = {"rust": "rust (hyper + tokio-postgres, stand-in for Axum + SQLx)",
          "pgbench": "pgbench (ceiling)"}
DESCRIPTIONS = {
    "c-lighttpd": "this project: 5 libfcgi + libpq + cJSON worker processes spawned by lighttpd",
    "c-nginx": "the same 5 workers (spawn-fcgi + multiwatch) behind nginx",
    "fastapi": "FastAPI sync as in FastAPI's SQL tutorial (SQLAlchemy session per request, "
               "Pydantic response model, pool of 5), uvicorn with one worker",
    "fastapi-async": "FastAPI with an asyncpg pool min = max = 5, uvicorn with one worker",
    "rust": "Axum and SQLx are not packaged for Debian 12, so: hyper 0.14 + tokio + "
            "tokio-postgres (Debian's crates, built offline, release), a pool of 5 "
            "connections each held exclusively per request, statement prepared",
    "pgbench": "PostgreSQL's own client running the same query with 5 clients, "
               "`-M prepared`, as long as c-lighttpd's run: what the database alone can do",
}
MODES = {"close": "Connection per request (the seed's method)",
         "keepalive": "Keep-alive",
         "open": "Open loop: constant rate at 75 % of the maximum",
         "ceiling": "pgbench"}
# Medians (with min and max) over the rounds; the rest is summed or peaked.
MEDIAN = ["rps", "p50_ms", "p99_ms", "p999_ms", "mean_ms", "requests", "duration_s",
          "mean_cpu_pct", "cpu_us_per_req", "pg_mean_cpu_pct", "pg_cpu_us_per_req",
          "load_mean_cpu_pct"]
PEAK = ["peak_pss_mib", "peak_rss_mib", "peak_cpu_pct", "max_ms"]
SUM = ["non_2xx", "socket_errors"]


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
    if "rate" in first:
        out["rate"] = first["rate"]
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
        key = (run.get("kind", "main"), run["stack"], run["mode"], run.get("workers"))
        groups.setdefault(key, []).append(run)
    order = {s: i for i, s in enumerate(STACKS)}
    mode_order = {m: i for i, m in enumerate(MODES)}
    return [aggregate(g) for _, g in sorted(
        groups.items(), key=lambda kv: (kv[0][0] != "main", order.get(kv[0][1], 99),
                                        mode_order.get(kv[0][2], 99), kv[0][3] or 0))]


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
    return " / ".join(num(r[k]) for k in ("p50_ms", "p99_ms", "p999_ms"))


def errors_cell(r):
    """non-2xx / socket errors, with the kinds of socket error."""
    kinds = ", ".join(f"{n:,} {k}" for k, n in r["socket_error_detail"].items())
    return f"{r['non_2xx']:,} / {r['socket_errors']:,}" + (f" ({kinds})" if kinds else "")


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "| :-- | " + " | ".join("--:" for _ in header[1:]) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main_table(results, ceiling):
    """The seed's table: metrics as rows, stacks as columns."""
    cols = results + ([ceiling] if ceiling else [])
    c_rps = ceiling["rps"] if ceiling else None

    def cell(r, fn, servers_only=True):
        return "–" if servers_only and r["stack"] == "pgbench" else fn(r)

    rows = [
        ["Throughput (rps), median (min–max)"] + [rps_cell(r) for r in cols],
        ["Latency p50 / p99 / p99.9 (ms)"] + [cell(r, lat_cell) for r in cols],
        ["Peak memory, PSS of the whole stack (MiB)"] + [cell(r, lambda r: num(r["peak_pss_mib"], 1)) for r in cols],
        ["Peak memory, RSS summed (MiB)"] + [cell(r, lambda r: num(r["peak_rss_mib"], 1)) for r in cols],
        ["Peak CPU (% of one core)"] + [cell(r, lambda r: num(r["peak_cpu_pct"], 0)) for r in cols],
        ["CPU per request: stack / PostgreSQL (µs)"] + [
            f"{num(r.get('cpu_us_per_req'), 0)} / {num(r.get('pg_cpu_us_per_req'), 0)}" for r in cols],
        ["Share of the pgbench ceiling"] + [
            cell(r, lambda r: f"{100 * r['rps'] / c_rps:.0f} %" if c_rps else "–") for r in cols],
        ["Requests per round (actual)"] + [num(r["requests"], 0) for r in cols],
        ["Non-2xx / socket errors (all rounds)"] + [errors_cell(r) for r in cols],
    ]
    return table(["Metric"] + [label(r["stack"]) for r in cols], rows)


def ratio_table(results):
    """Each stack against FastAPI (stack ÷ FastAPI), as the seed compares."""
    base = next((r for r in results if r["stack"] == "fastapi"), None)
    others = [r for r in results if r["stack"] != "fastapi"]
    if not base or not others:
        return None

    def ratio(r, key):
        if not r.get(key) or not base.get(key):
            return "–"
        x = r[key] / base[key]
        return f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"

    rows = [[name] + [ratio(r, key) for r in others] for name, key in (
        ("Throughput (rps)", "rps"), ("p50 latency", "p50_ms"), ("p99 latency", "p99_ms"),
        ("p99.9 latency", "p999_ms"), ("Peak memory (PSS)", "peak_pss_mib"),
        ("Peak memory (RSS)", "peak_rss_mib"), ("CPU per request", "cpu_us_per_req"))]
    return table(["Stack ÷ FastAPI"] + [label(r["stack"]) for r in others], rows)


def machine_line(machine):
    versions = ", ".join(f"{name} {v}" for name, v in machine["versions"].items())
    return (f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
            f"{machine['os']}, Linux {machine['kernel']}; {versions}")


def method(meta, machine):
    tool = f"{meta['tool']} {machine['load_tool_version']}"
    lines = [
        f"- Load: {tool}, {meta['concurrency']} connections"
        + (f", {meta['wrk_threads']} threads" if meta["tool"] == "wrk" else "")
        + f"; {meta['requests']:,} requests per measured run; GET /users "
        "(`SELECT * FROM \"users\" ORDER BY user_id LIMIT 100`, 2000 rows seeded).",
        "- Modes: *connection per request* (the seed's method: "
        + ("`oha --disable-keepalive`" if meta["tool"] == "oha" else "wrk with `Connection: close`")
        + ") and *keep-alive*.",
        f"- Every stack runs alone against the same PostgreSQL. {meta['rounds']} round(s), "
        "interleaved across the stacks (A B C … A B C …); in each round a stack is started, "
        f"warmed up for {meta['warmup_s']} s per mode, measured, stopped. "
        "Figures are the median of the rounds, min–max in parentheses; peaks are the "
        "highest of the rounds.",
        "- Memory: every 0.2 s during the measured run, the sum of `Pss` (and of `Rss`) "
        "from /proc/PID/smaps_rollup over every process of the stack (front server + "
        "workers, uvicorn, the rust binary). CPU: utime + stime of the same processes, "
        "over windows of at least 1 s, in % of one core (100 % = one core busy; "
        "the seed's btm figures are shares of the whole machine).",
    ]
    if meta["tool"] == "wrk":
        lines.append(
            "- wrk runs for a duration, not a request count: each run lasts the whole seconds "
            "that the requested count takes at the rate measured in its warm-up"
            + (f", at most {meta['max_seconds']} s (BENCH_MAX_SECONDS): a slower stack does "
               "fewer requests" if meta.get("max_seconds") else "")
            + "; *Requests* is the count actually done. wrk starts its latency clock after the TCP connect, "
            "oha (the seed's tool) before it. A server that closes the connection first is "
            "a socket *read* error for wrk although the response arrived and was counted: "
            "non-2xx answers are counted apart.")
    lines.append(
        "- pgbench: the same query, 5 clients (the servers' pool size), `-M prepared`, "
        "for as long as c-lighttpd's connection-per-request run of the same round; its "
        "tps is shown as rps.")
    return "\n".join(lines)


def open_loop_section(meta, open_runs):
    if meta["tool"] != "oha":
        return ("Open-loop latency was **not measured**: wrk (used because oha is not "
                "installed) keeps each connection waiting for its response, so the latencies "
                "above are closed-loop and understate queueing (coordinated omission). With "
                "oha installed, each stack also gets a constant-rate run at 75 % of its "
                "measured maximum with `--latency-correction`.")
    if not open_runs:
        return "No open-loop run completed."
    rows = [[label(r["stack"]), num(r["rate"], 0), num(r["rps"], 0), num(r["p50_ms"]),
             num(r["p99_ms"]), num(r["p999_ms"]), errors_cell(r)]
            for r in open_runs]
    return ("oha at a constant rate of 75 % of each stack's median connection-per-request "
            "throughput, `--disable-keepalive --latency-correction` (latency counted from "
            "when each request was due):\n\n"
            + table(["Stack", "Rate (rps)", "Achieved rps", "p50 (ms)", "p99 (ms)",
                     "p99.9 (ms)", "Non-2xx / socket errors"], rows))


def scaling_section(scaling):
    rows = [[str(r["workers"]), rps_cell(r), lat_cell(r), num(r["peak_pss_mib"], 1),
             num(r["peak_cpu_pct"], 0), num(r.get("cpu_us_per_req"), 0)] for r in scaling]
    return table(["Workers", "Throughput (rps)", "p50 / p99 / p99.9 (ms)", "Peak PSS (MiB)",
                  "Peak CPU (%)", "CPU per request (µs)"], rows)


def markdown(meta, machine, results, errors, charts):
    main = [r for r in results if r["kind"] == "main"]
    ceiling = next((r for r in main if r["stack"] == "pgbench"), None)
    out = [f"# users-fcgi benchmark, {meta['started']}", "",
           f"**Machine:** {machine_line(machine)}", "",
           f"**Run:** {meta['tool']} {machine['load_tool_version']}, "
           f"BENCH_REQUESTS={meta['requests']} BENCH_CONCURRENCY={meta['concurrency']} "
           f"BENCH_ROUNDS={meta['rounds']} BENCH_WARMUP={meta['warmup_s']} "
           + (f"BENCH_MAX_SECONDS={meta['max_seconds']} " if meta.get("max_seconds") else "") +
           f"BENCH_STACKS=\"{' '.join(meta['stacks'])}\" BENCH_MODES=\"{' '.join(meta['modes'])}\" "
           f"BENCH_SCALING=\"{' '.join(map(str, meta['scaling']))}\" (commit {meta['commit']})"
           + (f"; finished {meta['finished']}, {meta['elapsed_s'] // 60} min" if "finished" in meta else ""),
           "",
           "## Stacks", ""]
    out += [f"- **{label(s)}**: {DESCRIPTIONS[s]}" for s in meta["stacks"]]
    if errors:
        out += ["", "## Errors", "", "Some runs failed; their figures are missing:", ""]
        out += [f"- {e}" for e in errors]
    bad = [r for r in results if r["non_2xx"]]
    if bad:
        out += ["", "## Warning: answers that are not 2xx", ""]
        out += [f"- {label(r['stack'])}, {r['mode']}"
                + (f", {r['workers']} workers" if r["kind"] == "scaling" else "")
                + f": {r['non_2xx']} of {r['requests_total']} answers" for r in bad]
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
            open_loop_section(meta, [r for r in main if r["mode"] == "open"])]
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
    sub = (f"{meta['tool']} {machine['load_tool_version']}, {meta['concurrency']} connections, "
           f"{meta['requests']} requests x {meta['rounds']} round(s); "
           f"{machine['cpu']}, {machine['cores']} cores")
    made = []

    def find(stack, mode):
        return next((r for r in main if r["stack"] == stack and r["mode"] == mode), {})

    if servers:
        path = os.path.join(plot, "throughput.dat")
        with open(path, "w") as f:
            for s in servers:
                cols = []
                for mode in ("close", "keepalive"):
                    r = find(s, mode)
                    cols += [r.get("rps"), r.get("rps_min"), r.get("rps_max")]
                f.write(dat_label(s) + " " + " ".join(map(dat_value, cols)) + "\n")
        png = os.path.join(out_dir, "throughput.png")
        gnuplot("throughput.gp", png, datafile=path, outfile=png, n=len(servers),
                ceiling=ceiling or 0, keepalive=int(any(find(s, "keepalive") for s in servers)),
                subtitle=sub + " (bars: median, min-max)")
        made.append(("throughput.png", "Throughput per stack"))

        files = {}
        for mode in ("close", "keepalive"):
            if not any(find(s, mode) for s in servers):
                files[mode] = ""
                continue
            files[mode] = os.path.join(plot, f"latency-{mode}.dat")
            with open(files[mode], "w") as f:
                for s in servers:
                    r = find(s, mode)
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
