#!/usr/bin/python3
"""conns.py -- many connections, or slow ones, against the front.

  conns.py keepalive PORT N [--rounds R] [--seconds S]
      Open N keep-alive connections to 127.0.0.1:PORT (at most 200
      connecting at a time) and keep them all open.  On each, GET /users
      and read the whole answer; once every connection has its answer, do
      it again, R rounds in all (2), within S seconds (30).  Prints one
      line per outcome, "COUNT OUTCOME" (a status, or an error such as
      timeout / closed / refused), then "open MAX": the most connections
      that were open at once.

  conns.py slow PORT [--slow N] [--seconds S] [--rcvbuf B]
      N clients (50), each with a receive buffer of B bytes (1024), send
      GET /users and then read one byte a second.  Meanwhile, for S
      seconds (8), a probe sends GET /users on a new connection every
      0.2 s and reads it whole.  Prints "probes TOTAL ok OK slowest MS",
      then "slow STILL_READING N": slow clients still connected and
      reading at the end.

  conns.py churn PORT N [--seconds S]
      N clients (asyncio) each open a connection, GET /users, read the
      answer, close, and again, for S seconds (8): an overload when N is
      above what the front holds.  Prints "COUNT OUTCOME" lines.

  conns.py drain PORT [--rate BYTES_PER_S] [--started FILE]
      GET /users, read at about that rate (500000); create FILE once the
      first bytes are in.  Prints "complete STATUS BYTES" if the whole
      answer came, else "incomplete ...".
"""
import argparse
import asyncio
import os
import resource
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rawhttp  # noqa: E402

REQUEST = b"GET /users HTTP/1.1\r\nHost: localhost\r\n\r\n"
CLOSE_REQUEST = (b"GET /users HTTP/1.1\r\nHost: localhost\r\n"
                 b"Connection: close\r\n\r\n")


def raise_nofile():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def keepalive(args):
    outcomes = {}
    open_now = [0, 0]
    connecting = asyncio.Semaphore(200)
    barriers = [asyncio.Event() for _ in range(args.rounds)]
    done = [0] * args.rounds

    def note(outcome):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    async def one_response(reader, writer):
        writer.write(REQUEST)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status, headers = rawhttp.parse_head(head[:-4])
        length = rawhttp.body_length("GET", status, headers)
        if not isinstance(length, int):
            raise ValueError("no Content-Length")
        await reader.readexactly(length)
        return status

    async def client():
        try:
            async with connecting:
                reader, writer = await asyncio.open_connection(
                    rawhttp.HOST, args.port)
        except OSError as e:
            note("connect-" + type(e).__name__)
            for r in range(args.rounds):
                done[r] += 1
                if done[r] == args.n:
                    barriers[r].set()
            return
        open_now[0] += 1
        open_now[1] = max(open_now[1], open_now[0])
        failed = False
        for r in range(args.rounds):
            if not failed:
                try:
                    note(str(await one_response(reader, writer)))
                except asyncio.IncompleteReadError:
                    note("closed")
                    failed = True
                except (OSError, ValueError, asyncio.LimitOverrunError) as e:
                    note(type(e).__name__)
                    failed = True
            done[r] += 1
            if done[r] == args.n:
                barriers[r].set()
            # Every connection stays open until all have their answer.
            await barriers[r].wait()
        open_now[0] -= 1
        writer.close()

    tasks = [asyncio.ensure_future(client()) for _ in range(args.n)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), args.seconds)
    except asyncio.TimeoutError:
        missing = args.n * args.rounds - sum(outcomes.values())
        outcomes["timeout"] = missing
    for outcome in sorted(outcomes):
        print(outcomes[outcome], outcome)
    print("open", open_now[1])


def slow(args):
    stop = threading.Event()
    reading = [0]
    lock = threading.Lock()

    def slow_client():
        try:
            conn = rawhttp.Conn(args.port, timeout=args.seconds + 5,
                                rcvbuf=args.rcvbuf)
            conn.send(CLOSE_REQUEST)
            while not stop.is_set():
                if not conn.sock.recv(1):
                    return
                time.sleep(1)
            with lock:
                reading[0] += 1
            conn.close()
        except OSError:
            pass

    threads = [threading.Thread(target=slow_client) for _ in range(args.slow)]
    for t in threads:
        t.start()
    time.sleep(2)  # until their answers are on their way
    total = ok = 0
    slowest = 0.0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        start = time.monotonic()
        total += 1
        try:
            conn = rawhttp.Conn(args.port, timeout=10)
            conn.send(CLOSE_REQUEST)
            status, _, _ = conn.response()
            conn.close()
            ok += status == 200
        except (OSError, EOFError, ValueError):
            pass
        took = time.monotonic() - start
        slowest = max(slowest, took)
        time.sleep(max(0.0, 0.2 - took))
    stop.set()
    for t in threads:
        t.join()
    print("probes %d ok %d slowest %d" % (total, ok, slowest * 1000))
    print("slow still-reading %d" % reading[0])


async def churn(args):
    outcomes = {}
    end = time.monotonic() + args.seconds

    async def client():
        while time.monotonic() < end:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(rawhttp.HOST, args.port), 5)
                writer.write(CLOSE_REQUEST)
                data = await asyncio.wait_for(reader.read(), 10)
                writer.close()
                outcome = data[9:12].decode("latin-1") or "closed"
            except (OSError, asyncio.TimeoutError) as e:
                outcome = type(e).__name__
                await asyncio.sleep(0.01)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    await asyncio.gather(*(client() for _ in range(args.n)))
    for outcome in sorted(outcomes):
        print(outcomes[outcome], outcome)


def drain(args):
    conn = rawhttp.Conn(args.port, timeout=20, rcvbuf=65536)
    conn.send(CLOSE_REQUEST)
    got = b""
    try:
        for chunk in conn.chunks():
            if not got and args.started:
                open(args.started, "w").close()
            got += chunk
            time.sleep(len(chunk) / args.rate)
    except OSError as e:
        print("incomplete %s after %d bytes" % (type(e).__name__, len(got)))
        return
    head, _, body = got.partition(b"\r\n\r\n")
    try:
        status, headers = rawhttp.parse_head(head)
    except ValueError:
        print("incomplete: no response head, %d bytes" % len(got))
        return
    want = int(headers.get("content-length", -1))
    print("%s %d %d of %d" % ("complete" if len(body) == want else
                             "incomplete", status, len(body), want))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keepalive")
    k.add_argument("port", type=int)
    k.add_argument("n", type=int)
    k.add_argument("--rounds", type=int, default=2)
    k.add_argument("--seconds", type=float, default=30)
    s = sub.add_parser("slow")
    s.add_argument("port", type=int)
    s.add_argument("--slow", type=int, default=50)
    s.add_argument("--seconds", type=float, default=8)
    s.add_argument("--rcvbuf", type=int, default=1024)
    c = sub.add_parser("churn")
    c.add_argument("port", type=int)
    c.add_argument("n", type=int)
    c.add_argument("--seconds", type=float, default=8)
    d = sub.add_parser("drain")
    d.add_argument("port", type=int)
    d.add_argument("--rate", type=float, default=500000)
    d.add_argument("--started", help="a file created once the first bytes are in")
    args = p.parse_args()
    raise_nofile()
    if args.cmd == "keepalive":
        asyncio.run(keepalive(args))
    elif args.cmd == "slow":
        slow(args)
    elif args.cmd == "churn":
        asyncio.run(churn(args))
    else:
        drain(args)


if __name__ == "__main__":
    main()
