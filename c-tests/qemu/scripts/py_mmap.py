# python3 guest workload (c-tests/qemu/run.sh): the mmap module on files and anonymous
# memory (resize is an mremap), and large lists, bytes and dicts that grow (realloc of
# big blocks is an mremap in glibc). Prints only deterministic digests.
import hashlib
import mmap
import os
import sys

work = sys.argv[1]
out = []


def digest(b):
    return hashlib.sha256(b).hexdigest()[:16]


# 1. a file map that grows with resize (ftruncate + mremap) and is written through
path = os.path.join(work, "py-mmap.bin")
with open(path, "wb") as f:
    f.write(bytes(range(256)) * 4096)  # 1 MiB
with open(path, "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    for step in range(1, 6):
        old = len(m)
        m.resize(old + step * 300000 + 123)
        pat = bytes((i * 7 + step) & 255 for i in range(256))
        m[old:] = (pat * ((len(m) - old) // 256 + 1))[: len(m) - old]
        m.flush()
        out.append("resize %d len=%d sum=%s find=%d" % (step, len(m), digest(m[:]), m.find(b"\x07\x0e\x15", old)))
    m.resize(700001)
    out.append("shrink len=%d sum=%s" % (len(m), digest(m[:])))
    m.close()
with open(path, "rb") as f:
    data = f.read()
out.append("file len=%d sum=%s" % (len(data), digest(data)))
# a read-only map at an offset that is not a multiple of 64 KiB
with open(path, "rb") as f:
    m = mmap.mmap(f.fileno(), 200000, access=mmap.ACCESS_READ, offset=mmap.ALLOCATIONGRANULARITY * 3)
    out.append("offset map sum=%s ok=%s" % (digest(m[:]), m[:] == data[3 * mmap.ALLOCATIONGRANULARITY:][:200000]))
    m.close()
os.unlink(path)

# 2. anonymous maps
for size in (4096, 65536 + 4096, 3 << 20):
    a = mmap.mmap(-1, size)
    a[0:4] = b"head"
    a[size - 4:size] = b"tail"
    a.seek(size // 2)
    a.write(b"middle" * 100)
    out.append("anon %d sum=%s" % (size, digest(a[:])))
    a.close()

# 3. growing containers
lst = []
for i in range(400000):
    lst.append(i * 3)
out.append("list len=%d sum=%d" % (len(lst), sum(lst)))
ba = bytearray()
for i in range(2000):
    ba += bytes([i & 255]) * 2003
out.append("bytearray len=%d sum=%s" % (len(ba), digest(ba)))
chunks = [("%06d" % i).encode() for i in range(150000)]
big = b"".join(chunks)
out.append("join len=%d sum=%s" % (len(big), digest(big)))
d = {}
for i in range(100000):
    d["k%d" % i] = i
out.append("dict len=%d sum=%d" % (len(d), sum(d.values())))
del lst, ba, big, d, chunks
s = "x"
for i in range(20):
    s = s + s[: len(s) // 2 + 1]
out.append("str len=%d sum=%s" % (len(s), digest(s.encode())))
print("\n".join(out))
print("OK")
