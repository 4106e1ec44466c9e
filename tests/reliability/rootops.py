#!/usr/bin/env python3
"""tests/reliability/rootops.py -- root and the run user's links.

  race PG TARGET STOP   as the run user: whenever PG/run is a directory,
                        rename it away and put a symbolic link to TARGET in
                        its place, until the file STOP exists; prints how
                        many times it swapped
  audit TRACE UID       read an `strace -f` log (see links.sh) and print
                        every path that a process still running as root
                        created, chowned, chmodded, bound or opened with
                        O_CREAT/O_TRUNC (not O_EXCL) inside a directory
                        that user UID can write: one line each
"""
import os
import re
import stat
import sys


def race(pg, target, stop):
    run = os.path.join(pg, "run")
    swaps = 0
    while not os.path.exists(stop):
        try:
            st = os.lstat(run)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            try:
                os.rename(run, "%s.%d" % (run, swaps))
                os.symlink(target, run)
                swaps += 1
            except OSError:
                pass
    print(swaps)


# "PID syscall(args) = ret" (strace -f); resumed calls are joined first.
LINE = re.compile(r'^(\d+) +(\w+)\((.*)\) += (-?\d+|0x[0-9a-f]+|\?)')
PATHS = {"mkdir": 0, "mkdirat": 1, "chown": 0, "lchown": 0, "fchownat": 1,
         "chmod": 0, "fchmodat": 1, "open": 0, "openat": 1, "creat": 0,
         "symlink": 1, "symlinkat": 2, "link": 1, "linkat": 3,
         "rename": 1, "renameat": 3, "renameat2": 3, "mknod": 0,
         "mknodat": 1, "bind": None, "connect": None}
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def writable_by(path, uid):
    """Can user uid write directory path (owner or mode bits)?"""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if st.st_uid == uid:
        return True
    return bool(st.st_mode & stat.S_IWOTH)  # sticky /tmp too: a name in it can be a link


def joined(lines):
    """Lines with "<unfinished ...>" and "<... resumed>" put together."""
    pending = {}
    for line in lines:
        pid = line.split(" ", 1)[0]
        if line.rstrip().endswith("<unfinished ...>"):
            pending[pid] = line.rstrip()[:-len("<unfinished ...>")]
            continue
        m = re.match(r'^(\d+) +<\.\.\. \w+ resumed>(.*)', line)
        if m and pid in pending:
            line = pending.pop(pid) + m.group(2)
        yield line


def audit(trace, uid):
    uid = int(uid)
    root = {}  # pid -> still root?
    with open(trace, errors="replace") as f:
        for line in joined(f):
            m = LINE.match(line)
            if not m:
                continue
            pid, call, args, ret = m.groups()
            is_root = root.get(pid, True)
            if call in ("clone", "clone3", "fork", "vfork") and ret.isdigit():
                root[ret] = is_root
                continue
            if call in ("setuid", "setresuid", "setreuid", "setfsuid") and ret == "0":
                ids = [a.strip() for a in args.split(",")]
                root[pid] = is_root and all(a in ("0", "-1") for a in ids)
                continue
            if not is_root or call not in PATHS or ret.startswith("-"):
                continue
            if call in ("open", "openat", "creat"):
                flags = args
                if call != "creat" and not re.search(r'O_CREAT|O_TRUNC', flags):
                    continue
                if "O_EXCL" in flags:
                    continue
            strings = STRING.findall(args)
            if call in ("bind", "connect"):
                m2 = re.search(r'sun_path="((?:[^"\\]|\\.)*)"', args)
                if not m2:
                    continue
                path = m2.group(1)
            else:
                if not strings:
                    continue
                path = strings[-1] if call in ("symlink", "symlinkat", "link",
                                                "linkat", "rename", "renameat",
                                                "renameat2") else strings[0]
            if not path.startswith("/"):
                continue
            parent = os.path.dirname(path.rstrip("/")) or "/"
            if writable_by(parent, uid):
                print("%s %s %s (in %s, writable by uid %d)" % (pid, call, path, parent, uid))


if __name__ == "__main__":
    {"race": race, "audit": audit}[sys.argv[1]](*sys.argv[2:])
