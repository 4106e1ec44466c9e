#!/usr/bin/python3
"""rawhttp.py -- the tests' one raw-socket HTTP/1.x reader.

As a module: parse_head() for a response head, Conn for a connection
that sends bytes as they are and reads responses exactly as the server
framed them (Content-Length, chunked, or until close), nothing more.

  rawhttp.py PORT TEXT
      Send TEXT (printf-style escapes such as \\r\\n allowed) to
      127.0.0.1:PORT and print every byte of the answer until the server
      closes (tests/lib.sh raw_request).
"""
import socket
import sys

HOST = "127.0.0.1"


def parse_head(head):
    """(status, headers) of a response head (bytes, without the blank
    line); header names lower-cased.  Raises ValueError if it is not an
    HTTP/1.x status line."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") \
            or not parts[1].isdigit():
        raise ValueError("not an HTTP/1.x response: %r" % lines[0][:40])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = \
            value.strip().decode("latin-1")
    return int(parts[1]), headers


def body_length(method, status, headers):
    """How the body of this response ends: a byte count, "chunked", or
    None (it runs until the server closes)."""
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return 0
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return "chunked"
    if "content-length" in headers:
        return int(headers["content-length"])
    return None


class Conn:
    """A client connection to host:port (IPv4; host 127.0.0.1 unless given)."""

    def __init__(self, port, timeout=10.0, rcvbuf=None, host=HOST):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _more(self, n=65536):
        chunk = self.sock.recv(n)
        if not chunk:
            raise EOFError("the server closed the connection")
        self.buf += chunk

    def _take(self, n):
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def response(self, method="GET"):
        """Read one response: (status, headers, body).  Raises EOFError
        if the server closes first, socket.timeout, or ValueError."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status, headers = parse_head(head)
        length = body_length(method, status, headers)
        if length == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._take(size)
                self._take(2)
        elif length is None:
            body = self.rest()
        else:
            body = self._take(length)
        return status, headers, body

    def chunks(self):
        """Yield the bytes from the socket as they come, until the server
        closes; a timeout or a reset is raised to the caller."""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return
            yield chunk

    def rest(self):
        """Every byte until the server closes (or the timeout)."""
        data, self.buf = self.buf, b""
        try:
            for chunk in self.chunks():
                data += chunk
        except socket.timeout:
            pass
        return data

    def close(self):
        self.sock.close()


def main():
    conn = Conn(int(sys.argv[1]))
    conn.send(sys.argv[2].encode("latin-1").decode("unicode_escape")
              .encode("latin-1"))
    sys.stdout.buffer.write(conn.rest())
    conn.close()


if __name__ == "__main__":
    main()
