"""Real-program test for the LD_PRELOAD tool: Python's mmap module on a file, plus heavy
allocation (pymalloc arenas are mmap'd), threads and fork. Prints only deterministic
results, compared by run_real.sh with a run without the tool."""
import hashlib
import mmap
import os
import shutil
import sys
import threading

src = sys.argv[1]
data = open(src, 'rb').read()
print('input', len(data), hashlib.sha256(data).hexdigest()[:16])

# Read-only map of the whole file, and a window at an offset (a multiple of 64 KiB).
with open(src, 'rb') as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    print('ro', len(m), hashlib.sha256(m[:]).hexdigest()[:16], m.find(b'\x00\x01'), m[12345:12349].hex())
    off = 16 * mmap.ALLOCATIONGRANULARITY * (65536 // mmap.ALLOCATIONGRANULARITY) // 16
    w = mmap.mmap(f.fileno(), 200000, access=mmap.ACCESS_READ, offset=off)
    print('window', w[:] == data[off:off + 200000])
    w.close()
    m.close()

# Shared writable map of a copy: write, flush (msync), grow and shrink (mremap).
shutil.copyfile(src, 'work.bin')
with open('work.bin', 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    for i in range(0, len(m), 4099):
        m[i] = (m[i] + 1) & 0xff
    m.flush()
    m.resize(len(m) + 1000000)
    m[-5:] = b'tail!'
    m.flush()
    m.resize(len(m) // 2)
    print('rw', len(m), hashlib.sha256(m[:]).hexdigest()[:16])
    m.close()
print('file', os.path.getsize('work.bin'), hashlib.sha256(open('work.bin', 'rb').read()).hexdigest()[:16])

# Anonymous maps.
a = mmap.mmap(-1, 8 << 20)
for i in range(0, len(a), 4096):
    a[i:i + 8] = i.to_bytes(8, 'little')
print('anon', hashlib.sha256(a[:]).hexdigest()[:16])
a.close()

# Heavy allocation: millions of small objects (pymalloc arenas come from mmap).
def churn(seed, n):
    d = {}
    for i in range(n):
        d[(seed, i)] = [i, str(i * seed), (i, i + 1)]
    s = sum(len(v[1]) for v in d.values())
    big = [bytes(1000 + (i % 5000)) for i in range(2000)]
    s += sum(map(len, big))
    del d, big
    return s

print('alloc', churn(3, 600000))

# Threads allocating and mapping at once.
results = [0] * 4
def worker(k):
    total = churn(k + 5, 80000)
    for j in range(200):
        mm = mmap.mmap(-1, 4096 * (1 + (j % 17)))
        mm[0] = k
        total += mm[0] + len(mm)
        mm.close()
    results[k] = total
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print('threads', results)

# Fork: the child maps and allocates, the parent checks its exit status.
pid = os.fork()
if pid == 0:
    mm = mmap.mmap(-1, 1 << 20)
    mm[-1] = 42
    code = 0 if churn(1, 50000) > 0 and mm[-1] == 42 else 1
    os._exit(code)
_, status = os.waitpid(pid, 0)
print('fork', os.waitstatus_to_exitcode(status))
