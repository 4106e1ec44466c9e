"""json_same.py GOT EXPECTED: exit 0 if both files hold the same JSON value,
objects compared with their keys in order; GOT must be strict UTF-8."""
import json
import sys


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"), object_pairs_hook=list)


got, expected = load(sys.argv[1]), load(sys.argv[2])
if got != expected:
    print(f"json_same: {sys.argv[1]} differs from {sys.argv[2]}", file=sys.stderr)
    sys.exit(1)
