#!/usr/bin/python3
"""pgpeer.py -- misbehaving PostgreSQL peers for the worker's tests.

  pgpeer.py copy SOCKET_DIR
      A server on SOCKET_DIR/.s.PGSQL.5432 that trusts every startup,
      answers Parse with ParseComplete, and answers the query
      (Bind/Execute) with BindComplete and CopyOutResponse -- then
      nothing, as a hostile server or a man in the middle could.

  pgpeer.py pooler LISTEN UPSTREAM
      A proxy on the unix socket LISTEN that passes the protocol through
      to the server socket UPSTREAM and, after SIGUSR1, moves each client
      to a new server session (the same startup packet, the greeting
      swallowed) before its next message -- what a transaction pooler
      does.  The old server session, and the statements prepared in it,
      are gone.

Both run until killed.
"""
import os
import signal
import socket
import struct
import sys
import threading


def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def msg(kind, body=b""):
    return kind + struct.pack("!I", len(body) + 4) + body


def copy_session(c):
    try:
        n, = struct.unpack("!I", recvn(c, 4))
        recvn(c, n - 4)
        greet = msg(b"R", struct.pack("!I", 0))
        for k, v in ((b"server_version", b"15.0"), (b"client_encoding", b"UTF8"),
                     (b"standard_conforming_strings", b"on"),
                     (b"integer_datetimes", b"on")):
            greet += msg(b"S", k + b"\0" + v + b"\0")
        c.sendall(greet + msg(b"K", struct.pack("!II", 1, 2)) + msg(b"Z", b"I"))
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
                c.sendall(msg(b"Z", b"I"))
                prepared = False
    except (EOFError, OSError):
        pass
    c.close()


class Pooler:
    def __init__(self, upstream):
        self.upstream = upstream
        self.gen = 0
        signal.signal(signal.SIGUSR1, self.next_gen)

    def next_gen(self, *_):
        self.gen += 1

    @staticmethod
    def pipe(up, cl):
        try:
            while True:
                b = up.recv(65536)
                if not b:
                    return
                cl.sendall(b)
        except OSError:
            pass

    def server(self, startup, greet, cl):
        up = socket.socket(socket.AF_UNIX)
        up.connect(self.upstream)
        up.sendall(startup)
        while greet:
            t, n = struct.unpack("!cI", recvn(up, 5))
            recvn(up, n - 4)
            greet = t != b"Z"
        threading.Thread(target=self.pipe, args=(up, cl), daemon=True).start()
        return up

    def session(self, c):
        try:
            n, = struct.unpack("!I", recvn(c, 4))
            startup = struct.pack("!I", n) + recvn(c, n - 4)
            mine = self.gen
            up = self.server(startup, False, c)
            while True:
                head = recvn(c, 5)
                m = head + recvn(c, struct.unpack("!cI", head)[1] - 4)
                if mine != self.gen:
                    mine = self.gen
                    up.shutdown(socket.SHUT_RDWR)
                    up.close()
                    up = self.server(startup, True, c)
                up.sendall(m)
        except (EOFError, OSError):
            pass
        c.close()


def serve(path, session):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen(16)
    while True:
        c = s.accept()[0]
        threading.Thread(target=session, args=(c,), daemon=True).start()


def main():
    if sys.argv[1] == "copy":
        serve(os.path.join(sys.argv[2], ".s.PGSQL.5432"), copy_session)
    elif sys.argv[1] == "pooler":
        serve(sys.argv[2], Pooler(sys.argv[3]).session)
    else:
        sys.exit("pgpeer.py: copy or pooler")


if __name__ == "__main__":
    main()
