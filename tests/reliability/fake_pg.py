#!/usr/bin/python3
"""fake_pg.py -- a PostgreSQL server that answers the query with COPY.

  fake_pg.py SOCKET_DIR

Listens on SOCKET_DIR/.s.PGSQL.5432 and, for each client: trusts its
startup, answers Parse with ParseComplete, and answers the next query
(Bind/Execute) with BindComplete and CopyOutResponse -- then nothing, as
a hostile server or a man in the middle could.  Runs until killed.
"""
import os
import socket
import struct
import sys
import threading


def msg(kind, body=b""):
    return kind + struct.pack("!I", len(body) + 4) + body


def recvn(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


def ready():
    return msg(b"Z", b"I")


def session(c):
    try:
        n, = struct.unpack("!I", recvn(c, 4))
        recvn(c, n - 4)
        greet = msg(b"R", struct.pack("!I", 0))
        for k, v in ((b"server_version", b"15.0"), (b"client_encoding", b"UTF8"),
                     (b"standard_conforming_strings", b"on"),
                     (b"integer_datetimes", b"on")):
            greet += msg(b"S", k + b"\0" + v + b"\0")
        c.sendall(greet + msg(b"K", struct.pack("!II", 1, 2)) + ready())
        prepared = False
        while True:
            kind = recvn(c, 1)
            n, = struct.unpack("!I", recvn(c, 4))
            recvn(c, n - 4)
            if kind == b"P":
                c.sendall(msg(b"1"))
                prepared = True
            elif kind == b"B":
                c.sendall(msg(b"2") + msg(b"H", struct.pack("!bh", 0, 0)))
            elif kind == b"S" and prepared:
                c.sendall(ready())
                prepared = False
    except (EOFError, OSError):
        pass
    c.close()


def main():
    path = os.path.join(sys.argv[1], ".s.PGSQL.5432")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen(16)
    while True:
        c = s.accept()[0]
        threading.Thread(target=session, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
