#!/usr/bin/python3
"""load.py -- tests/reliability/loadgen.py, but a 200 counts as "json" only
when its body is exactly the bytes of a reference file.

  load.py EXPECTED run URL LOG [loadgen's options]
  load.py EXPECTED count LOG [loadgen's options]

Everything else is judged as loadgen judges it.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "reliability"))
import loadgen  # noqa: E402


if __name__ == "__main__":
    with open(sys.argv.pop(1), "rb") as f:
        expected = f.read()
    loadgen.ok_200 = lambda body: body == expected
    sys.exit(loadgen.main())
