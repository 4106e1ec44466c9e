#!/usr/bin/python3
"""fcgi_peer.py -- a FastCGI peer, straight to a worker's socket.

  fcgi_peer.py ADDR CASE [--hold S]

ADDR is a unix socket's path or HOST:PORT.  CASE is one of:

  get        GET /users on a new connection; prints "STATUS MS"
             (000 if no answer came within 5 s).  Any other case prints
             "refused 0" if it cannot connect.
  hostile-*  a request whose PARAMS records lie about their lengths
             (HOSTILE below); prints what came back: "close MS" (the
             worker closed the connection), "answer STATUS MS", or
             "timeout MS" (nothing within --hold seconds, 5).
  stall-new  one byte of a record header on a new connection, then
             nothing; prints "close MS" once the worker closes it, or
             "timeout MS" after --hold seconds (5).
  stall-kept GET /users with FCGI_KEEP_CONN, then one byte of the next
             record header, then nothing; prints as stall-new (the time
             counts from that byte).
  idle       a new connection that sends nothing; prints as stall-new.
  hangup     one byte of a record header, then close; prints "sent".
  get-values a lone FCGI_GET_VALUES record; prints as stall-new.
  pipelined  two GET /users with FCGI_KEEP_CONN in one write; prints
             "answers N close|open MS": the answers that came, and
             whether the worker closed the connection within --hold
             seconds (5) after them.
"""
import socket
import struct
import sys
import time

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
GET_VALUES = 9
KEEP_CONN = 1


def record(rtype, rid, content, length=None):
    """One record; length, if given, is what the header claims."""
    n = len(content) if length is None else length
    pad = -len(content) % 8
    return struct.pack("!BBHHBx", 1, rtype, rid, n, pad) + content + b"\0" * pad


def pair(name, value):
    """A name-value pair, lengths in the 1-byte or 4-byte form."""
    def length(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


PARAMS_GET = (pair(b"REQUEST_METHOD", b"GET") + pair(b"SCRIPT_NAME", b"/users")
              + pair(b"REQUEST_URI", b"/users") + pair(b"SERVER_PROTOCOL", b"HTTP/1.1"))


def request(rid=1, flags=0):
    """A whole request: BEGIN_REQUEST, PARAMS, empty PARAMS, empty STDIN."""
    return (record(BEGIN, rid, struct.pack("!HB5x", 1, flags))
            + record(PARAMS, rid, PARAMS_GET) + record(PARAMS, rid, b"")
            + record(STDIN, rid, b""))


def head(params):
    """BEGIN_REQUEST, then params as they are (no terminator)."""
    return record(BEGIN, 1, struct.pack("!HB5x", 1, 0)) + params


HOSTILE = {
    # The name length 0x7ffffffe (4-byte form): libfcgi 2.4.2 computes
    # nameLen + valueLen + 2 in an int, malloc fails, an assert aborts.
    "hostile-name": head(record(PARAMS, 1, b"\xff\xff\xff\xfe\x01" + b"A" * 32)),
    "hostile-value": head(record(PARAMS, 1, b"\x01\xff\xff\xff\xfe" + b"A" * 32)),
    # a pair longer than everything the PARAMS stream holds
    "hostile-long": head(record(PARAMS, 1, b"\x7f\x7f" + b"A" * 40)
                         + record(PARAMS, 1, b"")),
    # a record header that claims more content than comes, then EOF
    "hostile-short": head(record(PARAMS, 1, b"\x01\x01AB", length=60000)),
}


def connect(addr, timeout=5.0):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def read_answer(s, buf=b""):
    """Read records until END_REQUEST.  Returns (status, rest of buf);
    status None if the peer closed first."""
    out = b""
    while True:
        while len(buf) < 8:
            chunk = s.recv(65536)
            if not chunk:
                return None, buf
            buf += chunk
        _, rtype, _, n, pad = struct.unpack("!BBHHBx", buf[:8])
        while len(buf) < 8 + n + pad:
            chunk = s.recv(65536)
            if not chunk:
                return None, buf
            buf += chunk
        content, buf = buf[8:8 + n], buf[8 + n + pad:]
        if rtype == STDOUT:
            out += content
        elif rtype == END:
            status = 200
            for line in out.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
                if line.lower().startswith(b"status:"):
                    status = int(line.split()[1])
            return status, buf


def ms(t0):
    return int((time.monotonic() - t0) * 1000)


def wait_close(s, hold):
    """Wait (at most hold seconds) for the peer to close; "close MS" or
    "timeout MS" counted from now.  Any answer is read and ignored."""
    t0 = time.monotonic()
    s.settimeout(0.1)
    while time.monotonic() - t0 < hold:
        try:
            if not s.recv(65536):
                return "close %d" % ms(t0)
        except socket.timeout:
            continue
        except OSError:
            return "close %d" % ms(t0)
    return "timeout %d" % ms(t0)


def main():
    addr, case = sys.argv[1], sys.argv[2]
    hold = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--hold" else 5.0
    t0 = time.monotonic()
    try:
        s = connect(addr)
    except OSError:
        print("000 0" if case == "get" else "refused 0")
        return
    try:
        if case == "get":
            s.sendall(request())
            try:
                status, _ = read_answer(s)
            except OSError:
                status = None
            print("%03d %d" % (status or 0, ms(t0)))
        elif case in HOSTILE:
            s.sendall(HOSTILE[case])
            s.settimeout(hold)
            try:
                status, _ = read_answer(s)
                print("answer %d %d" % (status, ms(t0)) if status else "close %d" % ms(t0))
            except socket.timeout:
                print("timeout %d" % ms(t0))
            except OSError:
                print("close %d" % ms(t0))
        elif case == "stall-new":
            s.sendall(b"\x01")
            print(wait_close(s, hold))
        elif case == "stall-kept":
            s.sendall(request(flags=KEEP_CONN))
            status, _ = read_answer(s)
            if status != 200:
                print("no-first-answer %s" % status)
                return
            s.sendall(b"\x01")
            print(wait_close(s, hold))
        elif case == "hangup":
            s.sendall(b"\x01")
            print("sent")
        elif case == "idle":
            print(wait_close(s, hold))
        elif case == "get-values":
            s.sendall(record(GET_VALUES, 0, pair(b"FCGI_MAX_CONNS", b"")))
            print(wait_close(s, hold))
        elif case == "pipelined":
            s.sendall(request(1, KEEP_CONN) + request(1, KEEP_CONN))
            answers, buf = 0, b""
            s.settimeout(hold)
            try:
                while answers < 2:
                    status, buf = read_answer(s, buf)
                    if status is None:
                        print("answers %d close %d" % (answers, ms(t0)))
                        return
                    answers += 1
            except socket.timeout:
                print("answers %d open %d" % (answers, ms(t0)))
                return
            print("answers %d %s" % (answers, wait_close(s, 0.5).replace("timeout", "open")))
        else:
            sys.exit("fcgi_peer.py: unknown case " + case)
    finally:
        s.close()


if __name__ == "__main__":
    main()
