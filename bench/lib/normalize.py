#!/usr/bin/python3
"""One load run -> one JSON object on stdout, whatever the tool.

    normalize.py oha|pgbench RAW [--samples FILE] [KEY=VALUE ...]

RAW is the tool's standard output; FILE is what lib/sampler.py wrote
during the run; KEY=VALUEs (stack=..., mode=..., round=...) are copied in.
Fields: tool, requests, duration_s, rps, p50_ms, p90_ms, p99_ms, p999_ms, mean_ms,
max_ms, non_2xx, socket_errors, socket_error_detail, and from the samples
peak_pss_mib, peak_rss_mib, peak_cpu_pct, mean_cpu_pct, cpu_us_per_req
(the stack's CPU time per request), pg_mean_cpu_pct, pg_cpu_us_per_req,
load_peak_cpu_pct (the load tool's, sampled), and from load_cpu_s=SECONDS
(the tool's CPU time, given by load_run) load_mean_cpu_pct and
load_cpu_us_per_req.  Latencies are in ms; null where the tool has none.
"""
import json
import re
import sys


def from_oha(text):
    """oha --output-format json (schema.json of oha; times in seconds)."""
    data = json.loads(text)
    summary, pct = data["summary"], data.get("latencyPercentiles") or {}
    codes = {int(k): v for k, v in data.get("statusCodeDistribution", {}).items()}
    errors = data.get("errorDistribution") or {}

    def ms(seconds):
        return None if seconds is None else seconds * 1000

    return {"tool": "oha", "requests": sum(codes.values()),
            "duration_s": summary["total"],
            "p50_ms": ms(pct.get("p50")), "p90_ms": ms(pct.get("p90")),
            "p99_ms": ms(pct.get("p99")),
            "p999_ms": ms(pct.get("p99.9")), "mean_ms": ms(summary.get("average")),
            "max_ms": ms(summary.get("slowest")),
            "non_2xx": sum(n for c, n in codes.items() if not 200 <= c < 300),
            "socket_errors": sum(errors.values()),
            "socket_error_detail": errors}


def from_pgbench(text):
    """pgbench's summary: transactions, tps, average latency."""
    def grab(pattern, default=None):
        m = re.search(pattern, text)
        if not m and default is None:
            raise SystemExit(f"normalize.py: no {pattern!r} in pgbench's output")
        return float(m.group(1)) if m else default

    return {"tool": "pgbench",
            "requests": int(grab(r"number of transactions actually processed: (\d+)")),
            "duration_s": grab(r"duration: (\d+) s"),
            "rps": grab(r"tps = ([\d.]+) \(without initial connection time\)"),
            "p50_ms": None, "p90_ms": None, "p99_ms": None, "p999_ms": None,
            "mean_ms": grab(r"latency average = ([\d.]+) ms"), "max_ms": None,
            "non_2xx": int(grab(r"number of failed transactions: (\d+)", 0)),
            "socket_errors": 0, "socket_error_detail": {}}


def add_samples(run, samples):
    per_req = 1e6 / run["requests"] if run["requests"] else None
    stack, pg, load = (samples.get(k, {}) for k in ("stack", "postgres", "load"))
    for key in ("peak_pss_mib", "peak_rss_mib", "peak_cpu_pct", "mean_cpu_pct"):
        if key in stack:
            run[key] = stack[key]
    if "cpu_s" in stack and per_req:
        run["cpu_us_per_req"] = round(stack["cpu_s"] * per_req, 1)
    if "mean_cpu_pct" in pg:
        run["pg_mean_cpu_pct"] = pg["mean_cpu_pct"]
        if per_req:
            run["pg_cpu_us_per_req"] = round(pg["cpu_s"] * per_req, 1)
    if "peak_cpu_pct" in load:
        run["load_peak_cpu_pct"] = load["peak_cpu_pct"]


def add_load_cpu(run):
    """The load tool's mean CPU and CPU per request from load_cpu_s."""
    cpu_s = run.get("load_cpu_s")
    if cpu_s is None:
        return
    if run["duration_s"]:
        run["load_mean_cpu_pct"] = round(100 * cpu_s / run["duration_s"], 1)
    if run["requests"]:
        run["load_cpu_us_per_req"] = round(cpu_s * 1e6 / run["requests"], 1)


def value(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def main():
    tool, raw, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(raw) as f:
        run = {"oha": from_oha, "pgbench": from_pgbench}[tool](f.read())
    if run.get("rps") is None:
        run["rps"] = run["requests"] / run["duration_s"] if run["duration_s"] else 0.0
    while args:
        arg = args.pop(0)
        if arg == "--samples":
            with open(args.pop(0)) as f:
                add_samples(run, json.load(f))
        else:
            key, _, val = arg.partition("=")
            run[key] = value(val)
    add_load_cpu(run)
    for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "mean_ms", "max_ms"):
        if run.get(key) is not None:
            run[key] = round(run[key], 3)
    json.dump(run, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
