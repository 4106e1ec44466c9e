#!/usr/bin/python3
"""footprint.py PID... -- the resident memory of a group of processes with
every physical page counted once, in KiB.

PSS divides a shared page among all the processes that map it, on the
whole machine: the same stack shows less PSS on a busy machine (other
processes map the same libraries) than on a quiet one.  Counting each
page the group maps once (from /proc/PID/pagemap; needs root) gives what
the group holds by itself whatever else runs: an upper bound of its PSS
on a quiet machine.  Prints "<footprint KiB>".
"""
import struct
import sys

PAGE = 4096
PRESENT = 1 << 63
PFN_MASK = (1 << 55) - 1


def pfns(pid):
    """Yield the physical page numbers of every resident page of pid."""
    with open(f"/proc/{pid}/maps") as maps, \
            open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in maps:
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            if line.rstrip().endswith("[vsyscall]"):
                continue
            pagemap.seek(start // PAGE * 8)
            data = pagemap.read((end - start) // PAGE * 8)
            for (entry,) in struct.iter_unpack("Q", data):
                if entry & PRESENT and entry & PFN_MASK:
                    yield entry & PFN_MASK


def main():
    """Print the footprint of the PIDs given."""
    seen = set()
    for pid in sys.argv[1:]:
        seen.update(pfns(pid))
    print(len(seen) * PAGE // 1024)


if __name__ == "__main__":
    main()
