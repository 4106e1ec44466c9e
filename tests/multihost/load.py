#!/usr/bin/python3
"""load.py -- tests/reliability/loadgen.py, but a 200 counts as "json" only
when its body is exactly the bytes of a reference file.

  load.py EXPECTED run URL LOG [loadgen's options]
  load.py EXPECTED count LOG [loadgen's options]

Any other status is judged as loadgen judges it (an {"error": ...} body).
"""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "reliability"))
import loadgen  # noqa: E402


def exact(expected):
    """A loadgen.one_request that compares the body of a 200 with expected."""
    def one_request(host, port, method, path, timeout):
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request(method, path, headers={"Connection": "close"})
            resp = conn.getresponse()
            status, body = resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            return 0, False
        finally:
            conn.close()
        if status == 200:
            return status, body == expected
        try:
            doc = json.loads(body)
        except ValueError:
            return status, False
        return status, isinstance(doc, dict) and isinstance(doc.get("error"), str)
    return one_request


if __name__ == "__main__":
    with open(sys.argv.pop(1), "rb") as f:
        loadgen.one_request = exact(f.read())
    sys.exit(loadgen.main())
