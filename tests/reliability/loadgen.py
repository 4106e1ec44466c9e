#!/usr/bin/python3
"""loadgen.py -- a bounded background load that records every request.

  loadgen.py run URL LOG [--clients N] [--seconds S] [--stop FILE]
                         [--requests R] [--method M] [--expect FILE]
      N clients (default 10) each send GET (or M) URL on a new connection
      (Connection: close, like `oha --disable-keepalive`), one after the
      other, until FILE exists, S seconds (default 60) have passed or R
      requests in all have been sent.
      One line per request is appended to LOG:
          start end status body
      start/end: Unix time in seconds; status: the HTTP status, 0 when no
      answer came (refused, reset, timeout); body: "json" when the body is
      what the service promises for that status (an array for 200, an
      {"error": ...} object otherwise), "bad" otherwise; with status 0,
      where it failed and the error's class ("connect:ConnectionRefusedError",
      "answer:ConnectionResetError", "answer:EOFError"...).  With --expect,
      a 200's body is "json" only when it is exactly FILE's bytes.

  loadgen.py count LOG [--after T] [--before T] [--ended-after T]
                       [--ended-before T]
      Prints "total ok s503 other badbody max_ms" for the requests that
      started at or after --after and before --before, and ended at or
      after --ended-after and before --ended-before (all optional, Unix
      times): ok counts
      200s, other every status that is neither 200 nor 503 (0 included),
      max_ms the slowest in milliseconds.
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rawhttp  # noqa: E402


def ok_200(body, expected):
    """Is body right for a 200 to GET /users?  expected's bytes if given,
    else any JSON array."""
    if expected is not None:
        return body == expected
    try:
        return isinstance(json.loads(body), list)
    except ValueError:
        return False


def one_request(host, port, method, path, timeout, expected):
    """Send one request; return (status, body_ok), or (0, "connect:ERROR"
    or "answer:ERROR") when no answer came.  The answer is read raw
    (rawhttp): a HEAD answer with a body, or any byte after the answer,
    makes body_ok false; a 200's body is judged by ok_200, any other's
    must be {"error": "..."}."""
    try:
        conn = rawhttp.Conn(port, timeout=timeout, host=host)
    except OSError as e:
        return 0, "connect:" + type(e).__name__
    try:
        conn.send(("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (method, path, host)).encode())
        status, _, body = conn.response(method)
        extra = conn.rest()
    except (OSError, EOFError, ValueError) as e:
        return 0, "answer:" + type(e).__name__
    finally:
        conn.close()
    if extra:
        return status, False
    if method == "HEAD":
        return status, body == b""
    if status == 200:
        return status, ok_200(body, expected)
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        return status, False
    return status, isinstance(doc, dict) and isinstance(doc.get("error"), str)


def run(args):
    url = urllib.parse.urlsplit(args.url)
    path = url.path or "/"
    deadline = time.monotonic() + args.seconds
    lock = threading.Lock()
    out = open(args.log, "a", buffering=1)
    left = [args.requests]
    expected = None
    if args.expect:
        with open(args.expect, "rb") as f:
            expected = f.read()

    def take():
        """May this client send one more request?"""
        if time.monotonic() >= deadline or os.path.exists(args.stop or ""):
            return False
        with lock:
            if left[0] is None:
                return True
            left[0] -= 1
            return left[0] >= 0

    def client():
        while take():
            start = time.time()
            status, ok = one_request(url.hostname, url.port, args.method,
                                     path, args.timeout, expected)
            end = time.time()
            if ok is True or ok is False:
                ok = "json" if ok else "bad"
            with lock:
                out.write("%.6f %.6f %d %s\n" % (start, end, status, ok))
            if status == 0:
                time.sleep(0.01)  # a refused port must not spin a core

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()


def count(args):
    total = ok = s503 = other = bad = 0
    max_ms = 0
    with open(args.log) as f:
        for line in f:
            start, end, status, body = line.split()
            start, end, status = float(start), float(end), int(status)
            if args.after is not None and start < args.after:
                continue
            if args.before is not None and start >= args.before:
                continue
            if args.ended_after is not None and end < args.ended_after:
                continue
            if args.ended_before is not None and end >= args.ended_before:
                continue
            total += 1
            if status == 200:
                ok += 1
            elif status == 503:
                s503 += 1
            else:
                other += 1
            if body != "json":
                bad += 1
            max_ms = max(max_ms, int((end - start) * 1000))
    print(total, ok, s503, other, bad, max_ms)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("url")
    r.add_argument("log")
    r.add_argument("--clients", type=int, default=10)
    r.add_argument("--seconds", type=float, default=60)
    r.add_argument("--stop")
    r.add_argument("--timeout", type=float, default=15)
    r.add_argument("--requests", type=int)
    r.add_argument("--method", default="GET")
    r.add_argument("--expect")
    c = sub.add_parser("count")
    c.add_argument("log")
    c.add_argument("--after", type=float)
    c.add_argument("--before", type=float)
    c.add_argument("--ended-after", type=float)
    c.add_argument("--ended-before", type=float)
    args = p.parse_args()
    {"run": run, "count": count}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
