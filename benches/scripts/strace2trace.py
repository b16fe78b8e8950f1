#!/usr/bin/env python3
"""Convert an strace log of mmap-family calls into the replayer's numeric trace.

    strace2trace.py IN.strace OUT.trace

Input: `strace [-f] -e trace=mmap,munmap,mprotect,mremap,msync -o IN.strace CMD`.
With -f (several processes) only the process with the most calls is kept: the
replayer replays one address space.

Output, one call per line, numbers in decimal (x86_64 Linux flag values):
    M addr len prot flags fd offset result
    U addr len result
    P addr len prot result
    R old_addr old_len new_len flags new_addr result
    S addr len flags result
A failed call has result -1.  Lines starting with '#' are comments.
"""
import re
import sys

CONST = {
    "PROT_NONE": 0x0, "PROT_READ": 0x1, "PROT_WRITE": 0x2, "PROT_EXEC": 0x4,
    "PROT_SEM": 0x8, "PROT_GROWSDOWN": 0x01000000, "PROT_GROWSUP": 0x02000000,
    "MAP_SHARED": 0x01, "MAP_PRIVATE": 0x02, "MAP_SHARED_VALIDATE": 0x03,
    "MAP_FIXED": 0x10, "MAP_ANONYMOUS": 0x20, "MAP_32BIT": 0x40,
    "MAP_GROWSDOWN": 0x100, "MAP_DENYWRITE": 0x800, "MAP_EXECUTABLE": 0x1000,
    "MAP_LOCKED": 0x2000, "MAP_NORESERVE": 0x4000, "MAP_POPULATE": 0x8000,
    "MAP_NONBLOCK": 0x10000, "MAP_STACK": 0x20000, "MAP_HUGETLB": 0x40000,
    "MAP_SYNC": 0x80000, "MAP_FIXED_NOREPLACE": 0x100000,
    "MREMAP_MAYMOVE": 1, "MREMAP_FIXED": 2, "MREMAP_DONTUNMAP": 4,
    "MS_ASYNC": 1, "MS_INVALIDATE": 2, "MS_SYNC": 4,
    "NULL": 0,
}

LINE = re.compile(r"^(?:(\d+)\s+)?(mmap|munmap|mprotect|mremap|msync)\((.*)\)\s*=\s*(\S+)")


def num(tok):
    tok = tok.strip()
    if not tok:
        return 0
    value = 0
    for part in tok.split("|"):
        part = part.strip()
        if part in CONST:
            value |= CONST[part]
        elif re.fullmatch(r"-?0x[0-9a-fA-F]+|-?\d+", part):
            value |= int(part, 0) & 0xFFFFFFFFFFFFFFFF if not part.startswith("-") else int(part, 0)
        else:
            raise ValueError("unknown token %r" % part)
    return value


def main():
    src, dst = sys.argv[1], sys.argv[2]
    calls = {}
    for raw in open(src):
        m = LINE.match(raw.strip())
        if not m:
            continue
        pid, name, args, res = m.group(1) or "0", m.group(2), m.group(3), m.group(4)
        a = [num(x) for x in args.split(",")]
        r = -1 if res.startswith("-1") else num(res)
        if name == "mmap":
            rec = "M %d %d %d %d %d %d %d" % (a[0], a[1], a[2], a[3], a[4], a[5], r)
        elif name == "munmap":
            rec = "U %d %d %d" % (a[0], a[1], r)
        elif name == "mprotect":
            rec = "P %d %d %d %d" % (a[0], a[1], a[2], r)
        elif name == "mremap":
            new = a[4] if len(a) > 4 else 0
            rec = "R %d %d %d %d %d %d" % (a[0], a[1], a[2], a[3], new, r)
        else:
            rec = "S %d %d %d %d" % (a[0], a[1], a[2], r)
        calls.setdefault(pid, []).append(rec)
    if not calls:
        sys.exit("strace2trace: no mmap-family calls in %s" % src)
    pid = max(calls, key=lambda p: len(calls[p]))
    with open(dst, "w") as out:
        out.write("# from %s (pid %s): %d calls\n" % (src, pid, len(calls[pid])))
        out.write("\n".join(calls[pid]) + "\n")


if __name__ == "__main__":
    main()
