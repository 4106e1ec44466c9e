"""json_same.py [--any-key-order] GOT EXPECTED: exit 0 if both files hold
the same JSON value, objects compared with their keys in order (or, with
--any-key-order, as sets of keys: the benchmark's peers order the keys as
the seed's code did); GOT must be strict UTF-8."""
import json
import sys

args = sys.argv[1:]
any_order = args[:1] == ["--any-key-order"]
if any_order:
    args = args[1:]


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"),
                          object_pairs_hook=None if any_order else list)


got, expected = load(args[0]), load(args[1])
if got != expected:
    print(f"json_same: {args[0]} differs from {args[1]}", file=sys.stderr)
    sys.exit(1)
