#!/usr/bin/python3
"""hostile.py -- malformed and abusive requests, sent raw to the front.

  hostile.py PORT

Sends every case of CASES to 127.0.0.1:PORT on a connection of its own,
half-closes it (so that a server waiting for more sees the end), reads
what comes back and classifies it:

  200, 404, 400...   the status of each HTTP/1.x response received
  close              the server closed without answering
  raw                bytes that are no HTTP/1.x response (an HTTP/0.9 body,
                     HTTP/2 frames)
  timeout            nothing within 5 s

A case passes when every outcome is in its allowed set.  REJECT (any 4xx,
or a close) is what a malformed request must get; ANSWER (a 2xx or a 4xx,
never a silent close) is what a request that is odd but valid HTTP must
get; ANY (REJECT or a 2xx) is for the few invalid requests that a server
may also take as valid.  20 pipelined requests, alternately for /users
and /nope, must get their 20 answers, complete and in order.  No case allows a 5xx, except the
two answers RFC 9110 itself prescribes: 501 for a method or transfer
coding the server does not implement, 505 for an HTTP version it does
not support.  Then the slow cases: a request trickled byte by byte, and
200 connections holding half-sent headers while a normal request must
still be answered quickly.

Prints one line per case: "PASS|FAIL <TAB> name <TAB> outcomes".
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rawhttp  # noqa: E402

HOST = "127.0.0.1"
REJECT = {"4xx", "close"}
ANY = REJECT | {"1xx", "2xx"}
ANSWER = {"1xx", "2xx", "4xx"}
EOF = True
H = b"Host: localhost\r\n"


def req(line, headers=b"", body=b""):
    """A request: request line, Host, Connection: close (so that the
    server ends the exchange), more headers, body."""
    return line + b"\r\n" + H + b"Connection: close\r\n" + headers + \
        b"\r\n" + body


CLIENT_HELLO = bytes.fromhex(
    "16030100a5010000a10303" + "00" * 32 + "000020c02bc02fc02cc030cca9cca8"
    "c009c013c00ac014009c009d002f0035000a0100005800000014001200000f6578616d"
    "706c652e6578616d706c65000500050100000000000a000a0008001d00170018001900"
    "0b00020100000d0012001004030804040105030805050108060601ff01000100")

# (name, bytes to send, allowed outcomes[, EOF]): with EOF, the request is
# incomplete on purpose and the client half-closes the connection after
# it (a complete request is not followed by EOF: nginx takes that for an
# abort and closes without answering).
CASES = [
    # --- the request line
    ("long URI (9 KiB query)", req(b"GET /users?" + b"a" * 9000 + b" HTTP/1.1"), REJECT),
    ("long URI (100 KiB path)", req(b"GET /" + b"a" * 100000 + b" HTTP/1.1"), REJECT),
    ("long method (1 KiB)", req(b"G" * 1024 + b" /users HTTP/1.1"), REJECT | {"501"}),
    ("unknown method FOO", req(b"FOO /users HTTP/1.1"), REJECT | {"501"}),
    ("lower-case method", req(b"get /users HTTP/1.1"), REJECT | {"501"}),
    ("method with a NUL byte", req(b"G\x00T /users HTTP/1.1"), REJECT | {"501"}),
    ("TRACE", req(b"TRACE /users HTTP/1.1"), REJECT | {"501"}),
    ("CONNECT", req(b"CONNECT localhost:443 HTTP/1.1"), REJECT | {"501"}),
    ("PROPFIND", req(b"PROPFIND /users HTTP/1.1", b"Depth: 1\r\n"), REJECT | {"501"}),
    ("no URI", req(b"GET HTTP/1.1"), REJECT),
    ("no version, extra tokens", req(b"GET /users x y HTTP/1.1"), REJECT),
    ("absolute-form URI", req(b"GET http://evil.example/users HTTP/1.1"), ANSWER),
    ("HTTP/0.9", b"GET /users\r\n", REJECT | {"raw"}, EOF),
    ("HTTP/1.0", b"GET /users HTTP/1.0\r\n\r\n", ANSWER),
    ("HTTP/3.0 in the request line", req(b"GET /users HTTP/3.0"), REJECT | {"505"}),
    ("version HTTP/1.1x", req(b"GET /users HTTP/1.1x"), REJECT | {"505"}),
    ("HTTP/2 preface on HTTP/1", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", REJECT | {"raw", "505"}, EOF),
    # --- the path
    ("bad percent-encoding %zz", req(b"GET /users%zz HTTP/1.1"), REJECT),
    ("truncated percent-encoding", req(b"GET /users% HTTP/1.1"), REJECT),
    ("encoded NUL %00", req(b"GET /users%00 HTTP/1.1"), REJECT),
    ("raw NUL in the path", req(b"GET /us\x00ers HTTP/1.1"), REJECT),
    ("encoded CRLF in the path", req(b"GET /users%0d%0aSet-Cookie:x HTTP/1.1"), REJECT),
    ("path traversal", req(b"GET /../../../../etc/passwd HTTP/1.1"), REJECT),
    ("encoded traversal", req(b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1"), REJECT),
    ("backslash traversal", req(b"GET /..\\..\\etc\\passwd HTTP/1.1"), REJECT),
    ("overlong UTF-8 dots", req(b"GET /%c0%ae%c0%ae/etc/passwd HTTP/1.1"), REJECT),
    ("traversal back to /users", req(b"GET /x/../users HTTP/1.1"), ANSWER),
    ("invalid UTF-8 in the path", req(b"GET /users/\xff\xfe HTTP/1.1"), REJECT),
    # --- headers
    ("HTTP/1.1 without Host", b"GET /users HTTP/1.1\r\n\r\n", REJECT),
    ("two different Host headers", req(b"GET /users HTTP/1.1", b"Host: evil.example\r\n"), REJECT),
    ("Host with a space", b"GET /users HTTP/1.1\r\nHost: a b\r\n\r\n", REJECT),
    ("300 headers (5 KiB)", req(b"GET /users HTTP/1.1", b"".join(
        b"X-H%d: v\r\n" % i for i in range(300))), ANSWER),
    ("5000 headers (60 KiB)", req(b"GET /users HTTP/1.1", b"".join(
        b"X-H%d: v\r\n" % i for i in range(5000))), REJECT),
    ("huge header value (64 KiB)", req(b"GET /users HTTP/1.1", b"X-Big: " + b"v" * 65536 + b"\r\n"), REJECT),
    ("huge cookie (16 KiB)", req(b"GET /users HTTP/1.1", b"Cookie: a=" + b"c" * 16384 + b"\r\n"), REJECT),
    # invalid, but nginx takes it for a header with an empty value
    ("header without a colon", req(b"GET /users HTTP/1.1", b"NoColonHere\r\n"), ANY),
    ("space in a header name", req(b"GET /users HTTP/1.1", b"Bad Name: x\r\n"), REJECT),
    ("space before the colon", req(b"GET /users HTTP/1.1", b"X-A : x\r\n"), REJECT),
    # RFC 9112 5.2: reject obs-fold, or replace it by spaces (lighttpd)
    ("obsolete line folding", req(b"GET /users HTTP/1.1", b"X-A: a\r\n  folded\r\n"), ANSWER),
    ("NUL in a header value", req(b"GET /users HTTP/1.1", b"X-A: a\x00b\r\n"), REJECT),
    ("bare CR in a header value", req(b"GET /users HTTP/1.1", b"X-A: a\rb\r\n"), REJECT),
    ("control bytes in a header name", req(b"GET /users HTTP/1.1", b"X-\x01\x02: x\r\n"), REJECT),
    # --- bodies and framing
    ("GET with a body", req(b"GET /users HTTP/1.1", b"Content-Length: 5\r\n", b"hello"), ANSWER),
    ("negative Content-Length", req(b"GET /users HTTP/1.1", b"Content-Length: -1\r\n"), REJECT),
    ("non-numeric Content-Length", req(b"POST /users HTTP/1.1", b"Content-Length: abc\r\n"), REJECT),
    ("two different Content-Lengths", req(b"POST /users HTTP/1.1",
        b"Content-Length: 1\r\nContent-Length: 2\r\n", b"ab"), REJECT),
    ("Content-Length overflowing 64 bits", req(b"POST /users HTTP/1.1",
        b"Content-Length: 99999999999999999999999\r\n"), REJECT),
    ("body shorter than Content-Length", req(b"POST /users HTTP/1.1",
        b"Content-Length: 100\r\n", b"abc"), REJECT, EOF),
    ("POST of 2 MiB", req(b"POST /users HTTP/1.1", b"Content-Length: 2097152\r\n",
        b"x" * 2097152), REJECT),
    ("chunked: bad chunk size", req(b"POST /users HTTP/1.1", b"Transfer-Encoding: chunked\r\n",
        b"zz\r\nhello\r\n0\r\n\r\n"), REJECT),
    ("chunked: size overflowing 64 bits", req(b"POST /users HTTP/1.1",
        b"Transfer-Encoding: chunked\r\n", b"ffffffffffffffffffff\r\nx\r\n0\r\n\r\n"), REJECT),
    ("chunked: no last chunk", req(b"POST /users HTTP/1.1", b"Transfer-Encoding: chunked\r\n",
        b"5\r\nhello\r\n"), REJECT, EOF),
    ("chunked: data longer than its size", req(b"POST /users HTTP/1.1",
        b"Transfer-Encoding: chunked\r\n", b"2\r\nhello\r\n0\r\n\r\n"), REJECT),
    ("chunked and Content-Length (smuggling)", req(b"POST /users HTTP/1.1",
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\nGET /x HTTP/1.1\r\n\r\n"), REJECT),
    ("unknown transfer coding", req(b"POST /users HTTP/1.1", b"Transfer-Encoding: xchunked\r\n",
        b"0\r\n\r\n"), REJECT | {"501"}),
    ("chunked on GET", req(b"GET /users HTTP/1.1", b"Transfer-Encoding: chunked\r\n",
        b"5\r\nhello\r\n0\r\n\r\n"), ANSWER),
    ("Expect: 100-continue on GET", req(b"GET /users HTTP/1.1", b"Expect: 100-continue\r\n"), ANSWER),
    # RFC 9110 10.1.1: a server MAY answer 417 to an unknown expectation
    ("unknown Expect", req(b"GET /users HTTP/1.1", b"Expect: teapot\r\n"), ANSWER),
    # --- not HTTP at all
    ("TLS ClientHello on the plain port", CLIENT_HELLO, REJECT, EOF),
    ("SSH banner", b"SSH-2.0-OpenSSH_9.2\r\n", REJECT, EOF),
    ("4 KiB of binary noise", bytes((i * 7919 + 13) % 256 for i in range(4096)), REJECT, EOF),
    ("only CRLFs", b"\r\n" * 100, REJECT, EOF),
    ("empty connection", b"", REJECT, EOF),
    ("bare LF line ends", b"GET /users HTTP/1.1\nHost: x\nConnection: close\n\n", ANSWER),
]


def send_case(port, payload, eof=False, wait=5.0):
    """Send payload on a connection of its own; the outcome of each
    response that comes back, in order (rawhttp reads them as the server
    framed them), or close / raw / timeout."""
    found = []
    conn = rawhttp.Conn(port, timeout=wait)
    try:
        try:
            conn.send(payload)
            if eof:
                conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close before it has read everything
        while True:
            try:
                status, _, _ = conn.response()
            except (EOFError, ConnectionError):
                if conn.buf:  # bytes that are no response head
                    return found + ["raw"]
                return found or ["close"]
            except socket.timeout:
                return found or ["timeout"]
            except ValueError:
                return found + ["raw"]
            found.append(str(status))
    finally:
        conn.close()


def allowed(outcome, allow):
    if outcome in allow:
        return True
    return outcome.isdigit() and outcome[0] + "xx" in allow


def report(name, ok, outs):
    """One line: verdict, name, outcomes ("200x100" for repeats)."""
    seen = []
    for o in outs:
        if o not in seen:
            seen.append(o)
    text = " ".join(o if outs.count(o) == 1 else "%sx%d" % (o, outs.count(o))
                    for o in seen)
    print("%s\t%s\t%s" % ("PASS" if ok else "FAIL", name, text))
    sys.stdout.flush()


def pipelined(port, n=20):
    """n requests in one write, alternately GET /users and GET /nope, the
    last with Connection: close: n complete answers, in order."""
    paths = ["/users" if i % 2 == 0 else "/nope" for i in range(n)]
    payload = b"".join(b"GET " + p.encode() + b" HTTP/1.1\r\n" + H + b"\r\n"
                       for p in paths[:-1]) + req(b"GET " + paths[-1].encode()
                                                 + b" HTTP/1.1")
    want = ["200" if p == "/users" else "404" for p in paths]
    outs = send_case(port, payload)
    report("%d pipelined requests, /users and /nope in turn: %d answers in "
           "order" % (n, n), outs == want, outs)


def trickle(port):
    """A valid request sent one byte every 10 ms: answered 200."""
    payload = req(b"GET /users HTTP/1.1", b"Connection: close\r\n")
    conn = rawhttp.Conn(port, timeout=5)
    try:
        for i in range(len(payload)):
            conn.send(payload[i:i + 1])
            time.sleep(0.01)
        outs = [str(conn.response()[0])]
    except (OSError, EOFError, ValueError) as e:
        outs = [type(e).__name__]
    finally:
        conn.close()
    report("slow headers: one byte every 10 ms", outs == ["200"], outs)


def slowloris(port, n=200):
    """n connections hold half-sent headers; a normal request still gets
    200 within 2 s, as the front buffers requests before the workers see
    them; then the idle ones are closed by us."""
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection((HOST, port), timeout=5)
            s.sendall(b"GET /users HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(s)
        start = time.monotonic()
        conn = rawhttp.Conn(port, timeout=5)
        try:
            conn.send(req(b"GET /users HTTP/1.1"))
            status = str(conn.response()[0])
        except (OSError, EOFError, ValueError):
            status = "close"
        finally:
            conn.close()
        took = time.monotonic() - start
        # and they are still held open, not answered
        for s in socks[:3]:
            s.sendall(b"more")
    finally:
        for s in socks:
            s.close()
    report("slow headers: %d connections hold half a request; another "
           "one is answered in %.0f ms" % (n, took * 1000),
           status == "200" and took < 2, [status])


def main():
    port = int(sys.argv[1])
    for name, payload, allow, *eof in CASES:
        try:
            outs = send_case(port, payload, bool(eof))
        except OSError as e:
            outs = ["connect-error:" + type(e).__name__]
        report(name, all(allowed(o, allow) for o in outs), outs)
    pipelined(port)
    trickle(port)
    slowloris(port)


if __name__ == "__main__":
    main()
