#!/usr/bin/python3
"""fcgi_probe.py HOST PORT -- send one FastCGI request (GET /users) straight
to a worker's socket, as a front server would; print how many bytes came
back before the worker closed (0: refused without a word) or the 5 s
timeout passed.
"""
import socket
import struct
import sys


def record(rtype, content):
    """One FastCGI record of request 1 (version 1), unpadded."""
    return struct.pack(">BBHHBx", 1, rtype, 1, len(content), 0) + content


def param(name, value):
    """One name-value pair, both shorter than 128 bytes."""
    return bytes([len(name), len(value)]) + name + value


def main():
    params = b"".join(param(k, v) for k, v in (
        (b"REQUEST_METHOD", b"GET"), (b"SCRIPT_NAME", b"/users"),
        (b"REQUEST_URI", b"/users"), (b"SERVER_PROTOCOL", b"HTTP/1.1")))
    begin = struct.pack(">HB5x", 1, 0)       # role responder, no keep-conn
    req = (record(1, begin) + record(4, params) + record(4, b"")
           + record(5, b""))
    got = 0
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    try:
        s.sendall(req)
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += len(b)
    except OSError:
        pass  # reset or timeout: what came before counts
    finally:
        s.close()
    print(got)


if __name__ == "__main__":
    main()
