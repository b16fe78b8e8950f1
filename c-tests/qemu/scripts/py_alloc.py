# python3 guest workload for timing (benches/qemu/run.py): heavy allocation of large
# objects. Blocks above glibc's mmap threshold (128 KiB at first, then raised dynamically up
# to 32 MiB on 64-bit guests) are fresh mappings freed with munmap; growing bytearrays and
# lists reallocate them (mremap); anonymous mmap objects are created, resized and closed.
# Prints only deterministic digests, then OK.
# Usage: py_alloc.py [ROUNDS]
import hashlib
import mmap
import sys

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
out = []
h = hashlib.sha256()

# 1. large buffers of varied sizes, allocated, touched sparsely, freed
x = 12345
live = []
for i in range(rounds):
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    n = 160 * 1024 + x % (3 << 20)
    b = bytearray(n)
    for off in range(0, n, 65536):
        b[off] = (i + off // 65536) & 255
    h.update(b[:: 65536])
    live.append(b)
    if len(live) > 8:
        live.pop(x % len(live))
del live
out.append("buffers %d sum=%s" % (rounds, h.hexdigest()[:16]))

# 2. containers that grow by reallocation (mremap of mmapped blocks)
h = hashlib.sha256()
for r in range(rounds // 30 + 1):
    ba = bytearray()
    for i in range(300):
        ba += bytes([(i + r) & 255]) * 7001
    h.update(ba[::4099])
    lst = []
    for i in range(60000):
        lst.append(i ^ r)
    h.update(str(sum(lst)).encode())
    del ba, lst
out.append("growth sum=%s" % h.hexdigest()[:16])

# 3. private anonymous mmap objects created, resized (mremap) and closed (a shared
# anonymous one cannot grow: its new pages lie past the end of the shared memory object)
h = hashlib.sha256()
for i in range(rounds):
    size = 4096 * (1 + (i * 37) % 200)
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
    m[0:8] = b"%08d" % i
    m.resize(size + 4096 * (1 + i % 50))
    m[len(m) - 8 :] = b"%08d" % (len(m) // 4096)
    h.update(m[0:8] + m[len(m) - 8 :])
    m.close()
out.append("anon maps %d sum=%s" % (rounds, h.hexdigest()[:16]))
print("\n".join(out))
print("OK")
