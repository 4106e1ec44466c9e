#!/usr/bin/python3
"""make-seeds.py -- write the starting corpus (tests/fuzz/corpus/) and the
hand-written edge cases (tests/fuzz/regressions/) of both harnesses.

The files are committed; run this again only to change them.  Crashes
that fuzzing finds are added to tests/fuzz/regressions/<target>/ by
tests/fuzz/run-fuzzers.sh, beside these.
"""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def fcgi_len(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def params(*pairs, tail=b""):
    """FastCGI name-value pairs, then tail (for respond_head)."""
    return b"".join(fcgi_len(len(k)) + fcgi_len(len(v)) + k + v
                    for k, v in pairs) + tail


def head_tail(size, status, length):
    """13 bytes: respond_head's buffer size, status, length."""
    return struct.pack("<HiQ", size, status, length)[:13].ljust(13, b"\0")


def table(ncols, cells):
    """The json harness's input: column count, then NUL-separated cells."""
    return bytes([ncols - 1]) + b"\0".join(cells)


M, S, P = b"REQUEST_METHOD", b"SCRIPT_NAME", b"PATH_INFO"
ROUTE_CORPUS = [
    params((M, b"GET"), (S, b"/users")),
    params((M, b"HEAD"), (S, b"/users")),
    params((M, b"POST"), (S, b"/users"), (b"CONTENT_LENGTH", b"5")),
    params((M, b"GET"), (S, b"/users"), (P, b"/5")),
    params((M, b"GET"), (S, b""), (P, b"/users")),
    params((M, b"GET"), (S, b"/us"), (P, b"ers")),
    params((M, b"GET"), (S, b"/"), (P, b"users")),
    params((b"REQUEST_URI", b"/users?x=1"), (b"QUERY_STRING", b"x=1"),
           (M, b"GET"), (S, b"/users"), (b"SERVER_PROTOCOL", b"HTTP/1.1")),
    params((M, b"GET"), (S, b"/users"), tail=head_tail(512, 200, 10240)),
    params((M, b"DELETE"), (S, b"/nope"), tail=head_tail(80, 404, 21)),
    params((b"HTTP_X_LONG", b"v" * 300), (M, b"GET"), (S, b"/users")),
]
ROUTE_REGRESSIONS = [
    b"",                                              # no parameters at all
    params((M, b"GET")),                              # no SCRIPT_NAME
    params((S, b"/users")),                           # no method
    params((M, b"GET"), (S, b"/users\0x")),           # NUL inside a value
    params((M, b"GET"), (M, b"POST"), (S, b"/users")),  # duplicate names
    params((M, b"get"), (S, b"/users")),              # method is case-sensitive
    params((M, b"GET"), (S, b"/users"), (P, b"/")),   # trailing slash
    params((M, b"GET"), (S, b"/USERS")),              # path is case-sensitive
    b"\x80\x00\x00",                                   # truncated 4-byte length
    b"\xff\xff\xff\xff\x00",                           # 2 GiB name length
    params((M, b"GET"), (S, b"/users"), tail=head_tail(1, 200, 0)),
    params((M, b"GET"), (S, b"/users"), tail=head_tail(599, 503, 2**56 - 1)),
    params((M, b"GET"), (S, b"/users"), tail=head_tail(300, -1, 0)),
    params((M, b"GET"), (S, b"/users"), tail=head_tail(300, 2**31 - 1, 0)),
]
COLS = [b"user_id", b"username", b"email"]
JSON_CORPUS = [
    table(3, COLS + [b"00000000-0000-0000-0000-000000000001", b"user1",
                     b"user1@example.com"]),
    table(3, COLS),                                   # no rows: []
    table(3, COLS + [b"id", b"\xff", b"e"]),          # a NULL
    table(1, [b"k"] + [b"v%d" % i for i in range(50)]),
    table(2, [b"a", b"b", b'quote" back\\ slash/', b"\t\n\r\x01\x1f\x7f"]),
    table(3, COLS + [b"x", "é ü 中文 😀 𝄞".encode(), "\u2028\u2029".encode()]),
    table(3, COLS + [b"x", b"</script><script>alert(1)</script>", b"\\u0000"]),
]
JSON_REGRESSIONS = [
    b"",                                              # nothing
    b"\x03",                                          # 4 columns, no names
    table(4, [b"", b"", b"", b""]),                   # empty names, no rows
    table(2, [b"same", b"same", b"1", b"2"]),         # duplicate keys
    table(1, [b"\xff", b"\xff"]),                     # 0xff name, NULL value
    table(1, [b"k", b"\x80\xfe invalid UTF-8 \xc0\xae"]),
    table(1, [b"k", b"\x01" * 4000]),                 # all escapes: 6 bytes each
    table(3, COLS + [b"a", b"b"]),                    # incomplete last row
    table(1, [b"k", b"long" * 1000]),
]


def write(directory, inputs):
    os.makedirs(directory, exist_ok=True)
    for data in inputs:
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


write(os.path.join(HERE, "corpus", "route"), ROUTE_CORPUS)
write(os.path.join(HERE, "corpus", "json"), JSON_CORPUS)
write(os.path.join(HERE, "regressions", "route"), ROUTE_REGRESSIONS)
write(os.path.join(HERE, "regressions", "json"), JSON_REGRESSIONS)
