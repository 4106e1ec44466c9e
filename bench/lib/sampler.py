#!/usr/bin/python3
"""Sample the memory and CPU of groups of process trees until SIGTERM.

    sampler.py OUT [--interval S] GROUP=PID[,PID...] | GROUP=@PIDFILE ...

Each GROUP is the given root processes (or those listed in PIDFILE, read
again at every tick: it may appear later) and all their descendants,
looked up again at every tick (workers may be respawned).  Once the first
sample is taken it creates OUT.ready.  On SIGTERM or SIGINT it writes to
OUT, per group:

    peak_pss_mib   the highest sum of Pss (smaps_rollup) over the group
    peak_rss_mib   the same for Rss (counts shared pages once per process)
    peak_cpu_pct   the highest CPU use over a window of at least 1 s,
                   in % of one core (100 = one core busy, as top shows it)
    mean_cpu_pct   CPU use over the whole sampled span, same unit
    cpu_s          CPU seconds the group used while sampled
    span_s         the sampled span
    processes      the highest number of processes seen at once
"""
import json
import os
import signal
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
CPU_WINDOW_S = 1.0


def parent_map():
    """pid -> ppid for every process."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = read_stat(int(name))
            if stat:
                parents[int(name)] = int(stat[1])
    return parents


def read_stat(pid):
    """The fields of /proc/PID/stat after the command name, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def cpu_ticks(pid):
    stat = read_stat(pid)
    return int(stat[11]) + int(stat[12]) if stat else None  # utime + stime


def memory_kib(pid):
    """(Pss, Rss) in KiB, or None if the process is gone or unreadable."""
    found = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Pss", "Rss"):
                    found[key] = int(rest.split()[0])
    except OSError:
        return None
    if "Pss" not in found:
        return None
    return found["Pss"], found.get("Rss", 0)


def tree(roots, parents):
    """roots and their descendants that are alive."""
    children = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [p for p in roots if p in parents]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


class Group:
    def __init__(self, spec):
        self.spec = spec
        self.samples = []  # (time, {pid: ticks})
        self.peak_pss = self.peak_rss = 0
        self.max_procs = 0

    def roots(self):
        spec = self.spec
        if spec.startswith("@"):
            try:
                with open(spec[1:]) as f:
                    spec = f.read()
            except OSError:
                return []
        return [int(p) for p in spec.replace(",", " ").split()]

    def sample(self, parents):
        pids = tree(self.roots(), parents)
        # The CPU times first, all at once, with their own time stamp: on a
        # busy machine the sampler may wait long between two reads.
        now = time.monotonic()
        ticks = {pid: t for pid, t in ((p, cpu_ticks(p)) for p in pids) if t is not None}
        pss = rss = 0
        for pid in pids:
            mem = memory_kib(pid)
            if mem:
                pss += mem[0]
                rss += mem[1]
        self.samples.append((now, ticks))
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_rss = max(self.peak_rss, rss)
        self.max_procs = max(self.max_procs, len(ticks))

    @staticmethod
    def used(before, after):
        """CPU seconds between two samples; a process born in between
        counts from zero."""
        return sum(t - before.get(pid, 0) for pid, t in after.items()) / CLK_TCK

    def result(self):
        s = self.samples
        out = {"peak_pss_mib": round(self.peak_pss / 1024, 2),
               "peak_rss_mib": round(self.peak_rss / 1024, 2),
               "processes": self.max_procs}
        if len(s) < 2:
            return out
        span = s[-1][0] - s[0][0]
        # Every process seen: its last ticks minus its first (zero if born
        # after the first sample).
        first, last = {}, {}
        for _, ticks in s:
            for pid, t in ticks.items():
                first.setdefault(pid, t if pid in s[0][1] else 0)
                last[pid] = t
        cpu_s = sum(last[p] - first[p] for p in last) / CLK_TCK
        peak, i = 0.0, 0
        for j in range(1, len(s)):
            while i + 1 < j and s[j][0] - s[i + 1][0] >= CPU_WINDOW_S:
                i += 1
            dt = s[j][0] - s[i][0]
            if dt >= CPU_WINDOW_S or (i == 0 and j == len(s) - 1):
                peak = max(peak, 100 * self.used(s[i][1], s[j][1]) / dt)
        out.update(peak_cpu_pct=round(peak, 1),
                   mean_cpu_pct=round(100 * cpu_s / span, 1) if span else None,
                   cpu_s=round(cpu_s, 3), span_s=round(span, 3))
        return out


def main():
    args = sys.argv[1:]
    out, interval = args.pop(0), 0.2
    if args[:1] == ["--interval"]:
        interval = float(args[1])
        args = args[2:]
    groups = {}
    for arg in args:
        name, _, spec = arg.partition("=")
        groups[name] = Group(spec)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while True:
        now, parents = time.monotonic(), parent_map()
        for g in groups.values():
            g.sample(parents)
        if not os.path.exists(out + ".ready"):
            open(out + ".ready", "w").close()
        if stop:
            break
        time.sleep(max(0.0, interval - (time.monotonic() - now)))

    with open(out + ".tmp", "w") as f:
        json.dump({name: g.result() for name, g in groups.items()}, f)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
