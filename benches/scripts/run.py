#!/usr/bin/env python3
"""Run the qemu-user-mmap benchmarks side by side with the original.

    run.py --full     all workloads, 21 alternating rounds, callgrind; rewrites the results
                      section of docs/BENCHMARKS.md, benches/results/bench.json and plot.svg
    run.py --quick    1 round, short batches, no callgrind; prints the tables and
                      writes benches/results/quick.json only
    run.py --render   re-renders the results section of docs/BENCHMARKS.md from
                      benches/results/bench.json (after a change of the tables' wording)

Python standard library only. Run from anywhere; paths are relative to this file.
Environment: BENCH_ROUNDS, BENCH_REPS, BENCH_JOBS (callgrind parallelism) override defaults.
"""
import concurrent.futures
import datetime
import functools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

from hostinfo import machine  # (this file's folder is on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))   # benches/scripts
BENCHES = os.path.dirname(HERE)
REPO = os.path.dirname(BENCHES)
BUILD = os.path.join(BENCHES, "build")
RESULTS = os.path.join(BENCHES, "results")
TARGETS = ["x86_64", "arm"]
CONFIG = {  # how each build is configured (printed in the tables)
    "x86_64": "x86_64, no reserved_va",
    "arm": "arm, reserved_va 0xf7000000",
}
CG_HELPERS = {"mremap_grow_rva/2M"}        # run only for the callgrind linear fit
BEGIN = "<!-- BEGIN GENERATED RESULTS (benches/scripts/run.py --full) -->"
# (an older marker named another path: the block is found by this prefix)
BEGIN_PREFIX = "<!-- BEGIN GENERATED RESULTS"
END = "<!-- END GENERATED RESULTS -->"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def binary(impl, target):
    return os.path.join(BUILD, "bench-%s-%s" % (impl, target))


def setarch_prefix():
    """Disable ASLR so that host addresses (and so checksums) do not depend on the run."""
    arch = platform.machine()
    if shutil.which("setarch"):
        try:
            subprocess.run(["setarch", arch, "-R", "true"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return ["setarch", arch, "-R"]
        except (subprocess.CalledProcessError, OSError):
            pass
    return []


SETARCH = setarch_prefix()


def run_json(cmd, timeout=300, env=None):
    p = subprocess.run(SETARCH + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, env=env)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError("%s printed no result: %s" % (" ".join(cmd), p.stderr[-2000:]))
    return json.loads(lines[-1])


# ---- callgrind -------------------------------------------------------------
def parse_callgrind(path):
    """Exclusive Ir per (object, file of the function, function, source file of the line,
    line, instruction address) from a callgrind out file written with --dump-instr=yes.
    The source file is the one the instruction's line is in: for code inlined from another
    file (a small Rust function, core's iterators) that file, not the function's."""
    names = {"ob": {}, "fl": {}, "fn": {}}
    alias = {"cob": "ob", "cfl": "fl", "cfi": "fl", "cfn": "fn", "fi": "fl", "fe": "fl"}
    cur = {"ob": "", "fl": "", "fn": "", "src": ""}
    fn_home = {}
    cost = {}
    skip_next = False
    positions = ["line"]
    last = {"instr": 0, "line": 0}
    rx = re.compile(r"^(ob|fl|fn|cob|cfl|cfi|cfn|fi|fe)=(?:\((\d+)\))?\s*(.*)$")

    def position(kind, text):
        # absolute (hex for addresses), relative (+N/-N) or unchanged (*)
        if text == "*":
            return last[kind]
        if text[0] in "+-":
            return last[kind] + int(text)
        return int(text, 16) if text.startswith("0x") else int(text)

    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = rx.match(line)
            if m:
                kind, ident, name = m.group(1), m.group(2), m.group(3)
                table = names[alias.get(kind, kind)]
                if ident is not None:
                    if name:
                        table[ident] = name
                    name = table.get(ident, "?")
                if kind in ("ob", "fl", "fn"):
                    cur[kind] = name
                    if kind == "fn":
                        fn_home.setdefault(name, (cur["ob"], cur["fl"]))
                if kind in ("fl", "fi", "fe"):
                    cur["src"] = name
                continue
            if line.startswith("positions:"):
                positions = line.split()[1:]
                continue
            if line.startswith("calls="):
                skip_next = True
                continue
            if not line or not (line[0].isdigit() or line[0] in "+-*"):
                continue
            parts = line.split()
            if len(parts) < len(positions) + 1:
                continue
            pos = {}
            for kind, text in zip(positions, parts):
                pos[kind] = last[kind] = position(kind, text)
            if skip_next:       # the cost of a call, inclusive of the callee
                skip_next = False
                continue
            ob, fl = fn_home.get(cur["fn"], (cur["ob"], cur["fl"]))
            key = (ob, fl, cur["fn"], cur["src"], pos.get("line", 0), pos.get("instr", 0))
            cost[key] = cost.get(key, 0) + int(parts[len(positions)])
    return cost


def source_of(path):
    """A short name for the source file of a cost line: the path inside this repository's
    src/ for the library's own files, `core`/`std`/... for the Rust library's (by the last
    two components), `(no line)` where the debug information has none."""
    if not path or path in ("???", "?"):
        return "(no line)"
    mine = os.path.join(REPO, "src") + os.sep
    if path.startswith(mine):
        return path[len(mine):]
    m = re.search(r"/library/(core|std|alloc)/src/(.*)$", path)
    if m:
        return "%s::%s" % (m.group(1), m.group(2))
    return os.path.basename(path)


HARNESS_FILES = {"bench.c", "replay.c", "count.c", "emu.c"}


def classify(ob, fl, fn):
    """own: the implementation under test (mmap.c, or the Rust library with the parts of
    std/core it inlines); harness: the benchmark and the emulator's page table (emu.c);
    libc: libc, ld.so and PLT stubs (the host-call wrappers, pthread)."""
    if os.path.basename(fl) in HARNESS_FILES or fn.startswith("__wrap_"):
        return "harness"
    if "/build/bench-" not in ob or fn.startswith("0x"):
        return "libc"
    return "own"


# ---- where the instructions go: kinds ----------------------------------------
# Each own instruction executed is put in one kind (KIND_TEXT says which; one home for the
# definitions, also printed above the generated table): lock and walk by its source line
# (their calls and global loads included), else the first of the others that fits.
KINDS = ["lock", "walk", "frame", "global", "checks", "rest"]
KIND_TEXT = {
    "lock": "the mmap lock: `mmap_lock`/`mmap_unlock` and the code of `src/lock.rs`; in the "
            "original its `mmap_lock`/`mmap_unlock`, inlined into the exports",
    "walk": "page flags lookups: our functions in `WALK_FNS` (the loops and the lookup "
            "call); the original's lines that call `page_get_flags`, with their loop's header",
    "frame": "calls and stack frames: call, ret, push, pop, leave, a stack-pointer "
             "adjustment, a jump to another function",
    "global": "the address of a global: a load from the GOT or a rip-relative `lea` of data "
              "(each read of an emulator global by the position-independent library is "
              "such a load and then the load of the value, where the original's `-fPIE` "
              "code loads the value directly; a `lea` of its own data, such as the mutex, "
              "counts here on both sides)",
    "checks": "the tests that decide an error result: a line calling `ensure`, our "
              "functions in `CHECK_FNS` (the guest-space, descriptor and access checks); in "
              "the original an `if` whose next line sets errno or returns an error, and "
              "that line",
    "rest": "the operation itself: host ranges, the host calls' arguments, page flags, the "
            "search, each implementation's bookkeeping",
}
WALK_FNS = {"mapped_prefix", "protection_runs", "flags_between", "range_is_free",
            "page_flags", "page_flags_at"}
CHECK_FNS = {"ensure", "ensure_neg", "descriptor_flags", "check_access", "mmap_end_limit",
             "contains", "end_limit"}
DATA_SECTIONS = {".data", ".bss", ".got", ".got.plt", ".data.rel.ro", ".tdata", ".tbss"}
_DISASM = {}
_SOURCE = {}


def disassembly(path):
    """{address: (mnemonic, operands, section of the rip-relative target or None)} of an
    x86-64 binary, from objdump."""
    if path in _DISASM:
        return _DISASM[path]
    sections = []
    for line in subprocess.run(["objdump", "-h", path], stdout=subprocess.PIPE, text=True,
                               check=True).stdout.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0].isdigit():
            sections.append((int(f[3], 16), int(f[3], 16) + int(f[2], 16), f[1]))
    code = {}
    rx = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*([^#]*?)\s*(?:#\s*([0-9a-f]+)\s*<([^>]*)>)?$")
    for line in subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                               stdout=subprocess.PIPE, text=True, check=True).stdout.splitlines():
        m = rx.match(line)
        if not m:
            continue
        target = int(m.group(4), 16) if m.group(4) else None
        sec = next((n for lo, hi, n in sections if target is not None and lo <= target < hi), None)
        # a direct branch names its target in the operands: `jmp f378 <sym@plt>`
        sym = m.group(5) or (re.search(r"<([^>]*)>", m.group(3)) or [None, ""])[1]
        code[int(m.group(1), 16)] = (m.group(2), m.group(3), sec, sym)
    _DISASM[path] = code
    return code


def source_lines(path):
    if path not in _SOURCE:
        try:
            with open(path) as f:
                _SOURCE[path] = f.read().split("\n")
        except OSError:
            _SOURCE[path] = []
    return _SOURCE[path]


@functools.lru_cache(maxsize=None)
def enclosing_fn(path, line):
    """The name of the function whose definition is the last one at or before `line` of a
    Rust or C source file (functions do not nest in these files), or ''."""
    rust = path.endswith(".rs")
    rx = re.compile(r"^\s*(?:pub(?:\([a-z]+\))? )?(?:const )?(?:unsafe )?(?:extern \"C\" )?fn (\w+)" if rust
                    else r"^[A-Za-z_][\w \*]*?\b(\w+)\s*\([^;]*$")
    for text in reversed(source_lines(path)[:max(line, 0)]):
        m = rx.match(text)
        if m:
            return m.group(1)
    return ""


def c_statement(text, line, start_rx):
    """(first, last) line numbers of the C statement header (an `if` or `for` condition,
    perhaps over several lines) that contains `line`, found by `start_rx` at most two lines
    up and ending at the first line that ends with `{` or `)`; or None."""
    for first in range(line, max(line - 3, 0), -1):
        if start_rx.match(text[first - 1]):
            last = first
            while last < len(text) and not text[last - 1].rstrip().endswith(("{", ")")):
                last += 1
            return (first, last) if first <= line <= last else None
    return None


C_FOR = re.compile(r"\s*for\s*\(")
C_IF = re.compile(r"\s*(\}\s*else\s+)?if\s*\(")
C_ERROR = re.compile(r"errno = E|return -(TARGET_)?E")


def source_kind(path, line):
    """The kind (lock, walk, checks) a source line gives its instructions, or None."""
    text = source_lines(path)
    here = text[line - 1] if 0 < line <= len(text) else ""
    fn = enclosing_fn(path, line)
    if path.endswith(".rs"):
        if path.endswith(os.sep + "lock.rs"):
            return "lock"
        if fn in WALK_FNS:
            return "walk"
        if fn in CHECK_FNS or "ensure(" in here or "ensure_neg(" in here:
            return "checks"
        return None
    if fn in ("mmap_lock", "mmap_unlock"):
        return "lock"
    if "page_get_flags(" in here:
        return "walk"
    loop = c_statement(text, line, C_FOR)
    if loop and any("page_get_flags(" in t for t in text[loop[1]:loop[1] + 3]):
        return "walk"
    cond = c_statement(text, line, C_IF)
    if C_ERROR.search(here) or (cond and cond[1] < len(text) and C_ERROR.search(text[cond[1]])):
        return "checks"
    return None


def resolve(src):
    """A source path of the debug information, absolute (the oracle's is relative to the
    benches directory, where it was compiled)."""
    return src if os.path.isabs(src) else os.path.join(BENCHES, src)


def where_of(fn, src, line):
    """Where an instruction comes from, for the itemized kinds: `module::function` for the
    library's sources (`map::mmap`, `host::mmap`), the function for the original's,
    file:line for the Rust library's own code inlined into ours, and for an instruction
    without a source line the function the compiler put it in."""
    name = source_of(src)
    if not line:
        return "%s, no line" % short(fn).strip("`")
    fn = enclosing_fn(resolve(src), line)
    if not fn:
        return "%s:%d" % (name, line)
    if name.endswith(".rs") and "::" not in name:
        return "%s::%s" % (os.path.basename(name)[:-3], fn)
    return fn


def kind_of(code, fn, src, line, addr):
    if fn in ("mmap_lock", "mmap_unlock"):
        return "lock"
    k = source_kind(resolve(src), line) if line else None
    if k in ("lock", "walk"):
        return k
    mnem, ops, sec, sym = code.get(addr, ("", "", None, ""))
    if mnem in ("call", "ret", "push", "pop", "leave") or (
            mnem in ("sub", "add") and ops.endswith(",%rsp")) or (
            mnem == "jmp" and (ops.startswith("*") or (sym and "+" not in sym))):
        return "frame"
    if "(%rip)" in ops and (sec in (".got", ".got.plt") or (mnem == "lea" and sec in DATA_SECTIONS)):
        return "global"
    return k or "rest"


def callgrind(impl, target, name, ops=None):
    out = os.path.join(BUILD, "cg", "%s-%s-%s.out" % (impl, target, name.replace("/", "_")))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--dump-instr=yes",
           "--skip-plt=no", "--callgrind-out-file=" + out, binary(impl, target), "callgrind",
           name]
    if ops:
        cmd += ["--ops", str(ops)]
    env = dict(os.environ, LD_BIND_NOW="1")
    res = run_json(cmd, timeout=900, env=env)
    cost = parse_callgrind(out)
    code = disassembly(binary(impl, target))
    buckets = {"own": 0, "harness": 0, "libc": 0}
    top, kinds, items, unknown = {}, dict.fromkeys(KINDS, 0), {}, 0
    for (ob, fl, fn, src, line, addr), c in cost.items():
        k = classify(ob, fl, fn)
        buckets[k] += c
        if k == "own":
            top[fn] = top.get(fn, 0) + c
            unknown += c if addr not in code else 0
            kind = kind_of(code, fn, src, line, addr)
            kinds[kind] += c
            where = where_of(fn, src, line)
            items.setdefault(kind, {})
            items[kind][where] = items[kind].get(where, 0) + c
    n = max(res["ops"], 1)
    per_op = lambda d: [(k, c / n) for k, c in sorted(d.items(), key=lambda kv: -kv[1])]
    return {
        "ops": res["ops"],
        "own_ir": buckets["own"], "emu_ir": buckets["harness"], "libc_ir": buckets["libc"],
        "own_ir_per_op": buckets["own"] / n,
        "incl_ir_per_op": sum(buckets.values()) / n,
        "top_own": per_op(top)[:6],
        "own_by_kind": {k: c / n for k, c in kinds.items()},
        "own_kind_items": {k: per_op(d) for k, d in items.items()},
        # own instructions at addresses the disassembly does not have (a binary rebuilt
        # after the run): their kinds are guesses
        "own_unknown_addr": unknown / n,
    }


# ---- the plan ----------------------------------------------------------------
def workloads(impls):
    plan = []
    for t in TARGETS:
        names = None
        for impl in impls:
            p = subprocess.run([binary(impl, t), "list"], stdout=subprocess.PIPE, text=True,
                               check=True)
            got = p.stdout.split()
            names = got if names is None else [n for n in names if n in got]
        plan += [(t, n) for n in names]
    return plan


def library_state():
    """Whether the static libraries are older than the sources (then the numbers are stale)."""
    srcs = []
    for d, _, files in os.walk(os.path.join(REPO, "src")):
        srcs += [os.path.join(d, f) for f in files if f.endswith(".rs")]
    srcs += [os.path.join(REPO, f) for f in ("build.rs", "Cargo.toml")]
    newest = max(os.path.getmtime(s) for s in srcs if os.path.exists(s))
    state = {}
    for t in TARGETS:
        lib = os.path.join(REPO, "build", t, "libqemu_user_mmap.a")
        m = os.path.getmtime(lib)
        state[t] = {"mtime": datetime.datetime.utcfromtimestamp(m).strftime("%Y-%m-%d %H:%M:%S UTC"),
                    "stale": m < newest}
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             stdout=subprocess.PIPE, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "src"],
                               stdout=subprocess.PIPE, text=True).stdout.strip() != ""
    except OSError:
        rev, dirty = "?", False
    return {"libs": state, "git": rev + ("+dirty src/" if dirty else "")}



# ---- main ------------------------------------------------------------------
def main():
    if "--render" in sys.argv:
        # Only the tables: re-render the results section from the committed bench.json.
        with open(os.path.join(RESULTS, "bench.json")) as f:
            update_benchmarks_md(render(json.load(f)))
        return
    quick = "--quick" in sys.argv
    full = "--full" in sys.argv or not quick
    t_start = time.time()
    # the Makefile says whether ../shared/oracle exists (an old oracle build may linger)
    oracle = os.environ.get("BENCH_ORACLE", "1") != "0" and all(
        os.path.exists(binary("oracle", t)) for t in TARGETS)
    impls = ["oracle", "ours"] if oracle else ["ours"]
    if not oracle:
        log("run.py: no oracle build (../shared/oracle missing?): measuring ours alone")
    rounds = int(os.environ.get("BENCH_ROUNDS", "1" if quick else "21"))
    reps = int(os.environ.get("BENCH_REPS", "5" if quick else "3"))
    batch_ms = "2" if quick else "10"
    budget_ms = "300" if quick else "1500"
    box = "0.5" if quick else "1.0"
    plan = [(t, n) for (t, n) in workloads(impls) if n not in CG_HELPERS]
    libs = library_state()
    for t, s in libs["libs"].items():
        if s["stale"]:
            log("run.py: WARNING: build/%s/libqemu_user_mmap.a is older than src/: "
                "run `make -C .. lib TARGET=%s` first, these numbers are of the old code" % (t, t))

    runs = {}
    timed_out = set()
    for r in range(rounds):
        for (t, n) in plan:
            order = impls if r % 2 == 0 else list(reversed(impls))
            for impl in order:
                if (impl, t, n) in timed_out:
                    continue
                cmd = [binary(impl, t), "run", n, "--reps", str(reps), "--batch-ms", batch_ms,
                       "--budget-ms", budget_ms]
                if n.startswith("mremap_grow"):
                    cmd += ["--box", box]
                res = run_json(cmd)
                res["round"] = r
                runs.setdefault((t, n, impl), []).append(res)
                if res.get("timeout"):
                    timed_out.add((impl, t, n))
        log("run.py: round %d/%d done (%.0f s)" % (r + 1, rounds, time.time() - t_start))

    cg = {}
    if full and shutil.which("valgrind"):
        jobs = []
        for (t, n) in plan + [("arm", h) for h in CG_HELPERS]:
            for impl in impls:
                if impl == "oracle" and n in ("mremap_grow_rva/64M", "mremap_grow_rva/1G"):
                    continue        # linear fit from 1M and 2M below
                jobs.append((impl, t, n))
        workers = int(os.environ.get("BENCH_JOBS", str(max(1, min(2, os.cpu_count() or 1)))))
        with concurrent.futures.ThreadPoolExecutor(workers) as ex:
            futs = {ex.submit(callgrind, *j): j for j in jobs}
            for f in concurrent.futures.as_completed(futs):
                cg[futs[f]] = f.result()
        # The original's per-byte loop is linear in the growth: fit Ir = a + b * bytes.
        if "oracle" in impls:
            a1 = cg.get(("oracle", "arm", "mremap_grow_rva/1M"))
            a2 = cg.get(("oracle", "arm", "mremap_grow_rva/2M"))
            if a1 and a2:
                b = (a2["own_ir"] - a1["own_ir"]) / float(1 << 20)
                a = a1["own_ir"] - b * (1 << 20)
                for n, size in (("mremap_grow_rva/64M", 64 << 20), ("mremap_grow_rva/1G", 1 << 30)):
                    cg[("oracle", "arm", n)] = {"ops": 1, "own_ir": a + b * size,
                                                "own_ir_per_op": a + b * size,
                                                "fit": True, "top_own": []}
        log("run.py: callgrind done (%.0f s)" % (time.time() - t_start))

    results = aggregate(plan, impls, runs, cg)
    meta = {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "command": "make -C benches " + ("bench-quick" if quick else "bench"),
        "rounds": rounds, "reps": reps, "batch_ms": float(batch_ms), "box_s": float(box),
        "oracle": oracle, "aslr_off": bool(SETARCH), "elapsed_s": round(time.time() - t_start),
        **libs,
    }
    out = {"meta": meta, "results": results}
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "quick.json" if quick else "bench.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    md = render(out)
    print(md)
    if full and not quick:
        update_benchmarks_md(md)
        subprocess.run([sys.executable, os.path.join(HERE, "plot.py"), path,
                        os.path.join(RESULTS, "plot.svg")], check=True)
    log("run.py: wrote %s (%.0f s)" % (path, time.time() - t_start))


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    i = (len(xs) - 1) * q
    lo = int(i)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (i - lo)


def aggregate(plan, impls, runs, cg):
    results = []
    for (t, n) in plan:
        row = {"target": t, "workload": n, "impl": {}}
        # paired ratio: in each round the two implementations ran back to back, so the
        # ratio of their medians in that round cancels the machine's slow drifts
        pr = []
        for ru in runs.get((t, n, "ours"), []):
            for ro in runs.get((t, n, "oracle"), []):
                if ru.get("round") == ro.get("round") and ru.get("samples") \
                        and ro.get("samples") and not ro.get("timeout"):
                    pr.append(statistics.median(ru["samples"]) / statistics.median(ro["samples"]))
        if pr:
            row["paired_ratio"] = statistics.median(pr)
            row["paired_ratio_q1"] = quantile(pr, 0.25)
            row["paired_ratio_q3"] = quantile(pr, 0.75)
            row["rounds_paired"] = len(pr)
        for impl in impls:
            rs = runs.get((t, n, impl), [])
            if not rs:
                continue
            first = rs[0]
            d = {"checksum": first.get("checksum")}
            if first.get("timeout"):
                d.update({"timeout": True, "elapsed_ns": first["elapsed_ns"],
                          "pgf_done": first["pgf_done"]})
            else:
                ops = max(first["ops"], 1)
                samples = [s for r in rs for s in r.get("samples", [])]
                d.update({
                    "ops": first["ops"],
                    "median_ns": statistics.median(samples) if samples else None,
                    "q1_ns": quantile(samples, 0.25), "q3_ns": quantile(samples, 0.75),
                    "nsamples": len(samples),
                    "pgf_per_op": first["pgf"] / ops, "psf_per_op": first["psf"] / ops,
                    "sys_per_op": sum(first["sys"].values()) / ops,
                    "sys_detail": {k: v / ops for k, v in first["sys"].items()},
                    "counts_stable": all((r.get("pgf"), r.get("psf"), r.get("sys"),
                                          r.get("checksum")) ==
                                         (first["pgf"], first["psf"], first["sys"],
                                          first["checksum"]) for r in rs),
                })
                for k in ("span_pages", "trace_calls", "skipped"):
                    if k in first:
                        d[k] = first[k]
            c = cg.get((impl, t, n))
            if c:
                d["own_ir_per_op"] = c["own_ir_per_op"]
                d["own_ir_fit"] = bool(c.get("fit"))
                d["top_own"] = c.get("top_own", [])
                if "incl_ir_per_op" in c:
                    d["incl_ir_per_op"] = c["incl_ir_per_op"]
                    for k in ("own_by_kind", "own_kind_items", "own_unknown_addr"):
                        d[k] = c.get(k)
            row["impl"][impl] = d
        results.append(row)
    # exact counts for a time-boxed original: the per-byte loop of mmap.c:729-731 calls
    # page_get_flags once per byte of growth and nothing else calls it on the failing path
    # (checked by the runs that finished).
    for row in results:
        o = row["impl"].get("oracle")
        if o and o.get("timeout") and row["workload"].startswith("mremap_grow_rva/"):
            size = {"1M": 1 << 20, "2M": 2 << 20, "64M": 64 << 20, "1G": 1 << 30}[
                row["workload"].split("/")[1]]
            o["pgf_per_op"] = float(size)
            o["pgf_computed"] = True
            o["psf_per_op"] = 0.0
            o["sys_per_op"] = 1.0
            o["sys_detail"] = {"mremap.mremap": 1.0}
            frac = o["pgf_done"] / float(size) if o["pgf_done"] else 0
            o["lower_bound_ns"] = o["elapsed_ns"]
            o["extrapolated_ns"] = o["elapsed_ns"] / frac if frac > 0 else None
    return results


# ---- rendering ---------------------------------------------------------------
def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns < 1e3:
        return "%.0f ns" % ns
    if ns < 1e6:
        return "%.2f µs" % (ns / 1e3)
    if ns < 1e9:
        return "%.2f ms" % (ns / 1e6)
    return "%.2f s" % (ns / 1e9)


def fmt_n(x):
    if x is None:
        return "-"
    if x == int(x):
        return "{:,}".format(int(x))
    if x >= 100:
        return "{:,.0f}".format(x)
    return "%.2f" % x


def time_of(d):
    if d is None:
        return None
    if d.get("timeout"):
        return d.get("extrapolated_ns") or d.get("lower_bound_ns")
    return d.get("median_ns")


def time_cell(d):
    if d is None:
        return "-"
    if d.get("timeout"):
        s = "≥ " + fmt_ns(d["lower_bound_ns"]) + " (box)"
        if d.get("extrapolated_ns"):
            s += ", ~" + fmt_ns(d["extrapolated_ns"]) + " extrapolated"
        return s
    return fmt_ns(d.get("median_ns"))


def spread(d):
    if not d or d.get("timeout") or not d.get("median_ns"):
        return ""
    return "±%.0f%%" % (100.0 * (d["q3_ns"] - d["q1_ns"]) / 2.0 / d["median_ns"])


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(x, lower_bound=False):
    if x is None:
        return "-"
    if x < 0.01:
        s = "%.2g" % x
    elif x < 10:
        s = "%.2f" % x
    else:
        s = "{:,.0f}".format(x)
    return ("≤ " + s) if lower_bound else s


def unit_of(name):
    if name.startswith("replay"):
        return "replayed call"
    if name in ("anon_churn", "anon_churn_rva", "file_map"):
        return "map + unmap"
    if name.startswith("lock"):
        return "lock + unlock"
    if name.startswith("search"):
        return "mmap_find_vma"
    if name.startswith("mremap"):
        return "mremap"
    if name.startswith("mprotect"):
        return "mprotect"
    return "mmap"


def row_ratio(row):
    """ours/original: the median of the per-round paired ratios when there are any, else
    the ratio of the overall medians (time-boxed original: its extrapolated time)."""
    if row.get("paired_ratio") is not None:
        return row["paired_ratio"]
    return ratio(time_of(row["impl"].get("ours")), time_of(row["impl"].get("oracle")))


def ratio_cell(row):
    us, og = row["impl"].get("ours"), row["impl"].get("oracle")
    if og and og.get("timeout") and us and us.get("median_ns"):
        # the original's time is only known to be at least the box
        s = "≤ " + fmt_ratio(us["median_ns"] / og["lower_bound_ns"])
        if og.get("extrapolated_ns"):
            s += " (~%s extrapolated)" % fmt_ratio(us["median_ns"] / og["extrapolated_ns"])
        return s
    return fmt_ratio(row_ratio(row)) + ratio_range(row)


def ratio_range(row):
    if row.get("paired_ratio") is None or row.get("rounds_paired", 0) < 3:
        return ""
    return " [%s–%s]" % (fmt_ratio(row["paired_ratio_q1"]), fmt_ratio(row["paired_ratio_q3"]))


def sys_cell(d):
    if not d or d.get("sys_per_op") is None:
        return "-"
    det = d.get("sys_detail", {})
    if not det:
        return "0"
    parts = ", ".join("%s %s" % (k.replace(".", "→"), fmt_n(v)) for k, v in sorted(det.items()))
    return "%s (%s)" % (fmt_n(d["sys_per_op"]), parts)


def render(out):
    meta, results = out["meta"], out["results"]
    m = meta["machine"]
    L = []
    L.append("Date: %s. Machine: %s CPUs (nproc), %s, Linux %s, %d-byte pages. Command: `%s` "
             "(%d round(s) alternating original/ours, %d batches of ≥ %g ms per run; "
             "ASLR %s). Library: commit %s, static libraries built %s. Took %d s."
             % (meta["date"], m["nproc"], m["cpu"], m["kernel"], m["page_size"],
                meta["command"], meta["rounds"], meta["reps"], meta["batch_ms"],
                "off (setarch -R)" if meta["aslr_off"] else "on", meta["git"],
                ", ".join("%s %s%s" % (t, s["mtime"], " (OLDER THAN src/)" if s["stale"] else "")
                          for t, s in sorted(meta["libs"].items(),
                                             key=lambda ts: TARGETS.index(ts[0])
                                             if ts[0] in TARGETS else len(TARGETS))),
                meta["elapsed_s"]))
    L.append("")
    if not meta["oracle"]:
        L.append("**The original was not available (../shared/oracle): our numbers alone.**")
        L.append("")
    L.append("### All workloads")
    L.append("")
    L.append("Time: median per operation over all batches of all rounds (± half the "
             "interquartile range). Ratio: median over rounds of ours/original, each round "
             "running the two back to back [interquartile range of those ratios]. Counts are exact, per operation, from a fixed verification "
             "pass. `pgf`/`psf`: page_get_flags/page_set_flags calls. Ir: callgrind "
             "instructions executed in the library's own code (not the emulator's page table, "
             "not libc) per operation; Ir incl.: all instructions of the operation (the library, "
             "the emulator's page table and libc's system call wrappers, measured the same way "
             "for both; the benchmark's loop is included on both sides). Same results: the "
             "checksum of every return value and errno of the verification pass is equal.")
    L.append("")
    L.append("| config | workload | operation | time ours | time original | ratio ours/orig "
             "| host syscalls ours | host syscalls original | pgf ours | pgf orig | psf ours "
             "| psf orig | Ir ours | Ir orig | Ir incl. ours | Ir incl. orig | same results |")
    L.append("|" + "---|" * 17)
    for row in results:
        us = row["impl"].get("ours")
        og = row["impl"].get("oracle")
        same = "-" if not (us and og) else ("yes" if us["checksum"] == og["checksum"] else "**NO**")
        if og and og.get("timeout"):
            same = "n/a (box)"
        if any(d and d.get("counts_stable") is False for d in (us, og)):
            same += " (counts differed between rounds!)"
        L.append("| %s | %s | %s | %s %s | %s %s | %s | %s | %s | %s | %s%s | %s | %s | %s | %s%s | %s | %s | %s |" % (
            CONFIG[row["target"]] + (", 64 KiB host pages" if "_64k" in row["workload"] else ""),
            row["workload"], unit_of(row["workload"]),
            time_cell(us), spread(us), time_cell(og), spread(og),
            ratio_cell(row), sys_cell(us), sys_cell(og),
            fmt_n(us.get("pgf_per_op")) if us else "-",
            fmt_n(og.get("pgf_per_op")) if og else "-",
            " (computed)" if og and og.get("pgf_computed") else "",
            fmt_n(us.get("psf_per_op")) if us else "-",
            fmt_n(og.get("psf_per_op")) if og else "-",
            fmt_n(us.get("own_ir_per_op")) if us else "-",
            fmt_n(og.get("own_ir_per_op")) if og else "-",
            " (fit)" if og and og.get("own_ir_fit") else "",
            fmt_n(us.get("incl_ir_per_op")) if us and us.get("incl_ir_per_op") else "-",
            fmt_n(og.get("incl_ir_per_op")) if og and og.get("incl_ir_per_op") else "-",
            same))
    L.append("")
    L.append("### Targets")
    L.append("")
    if meta["oracle"]:
        L += targets(results)
    else:
        L.append("Not evaluated: the targets compare with the original, which was not available.")
    L.append("")
    L.append("### Where our library spends its instructions (callgrind, own code, per operation)")
    L.append("")
    L.append("| workload | Ir ours | Ir orig | top functions of ours (Ir per operation) |")
    L.append("|---|---|---|---|")
    for row in results:
        us = row["impl"].get("ours") or {}
        og = row["impl"].get("oracle") or {}
        if not us.get("top_own"):
            continue
        top = "; ".join("%s %s" % (short(fn), fmt_n(c)) for fn, c in us["top_own"][:4])
        L.append("| %s | %s | %s | %s |" % (row["workload"], fmt_n(us.get("own_ir_per_op")),
                                           fmt_n(og.get("own_ir_per_op")), top))
    over = [row for row in results if ir_over(row)]
    if over:
        L += excess_tables(over)
    return "\n".join(L)


KIND_HEAD = {"lock": "lock", "walk": "walk", "frame": "frames", "global": "globals",
             "checks": "checks", "rest": "rest"}


def excess_tables(over):
    """The excess of every workload above the original's own instructions, by kind, and
    each kind's instructions by where they come from."""
    L = ["", "### The workloads above the original's own instructions: the excess, "
         "instruction by instruction", ""]
    L.append("Every own instruction executed (callgrind, per instruction address, with the "
             "disassembly and the source line of each) is put in one kind, on both sides "
             "(`benches/scripts/run.py`, `KIND_TEXT`): " + "; ".join(
                 "**%s** %s" % (KIND_HEAD[k], KIND_TEXT[k]) for k in KINDS) + ". Each cell "
             "is ours − original = difference, per operation; the differences add up to the "
             "excess. The list below the table gives each kind's instructions per operation "
             "by where they come from: `module::function` of our sources (the function the "
             "line is in, also when it was inlined), file:line for the Rust library's own "
             "code inlined into ours, the function of the original. Read with \"Why the "
             "misses\" below.")
    L.append("")
    L.append("| workload | Ir ours − orig = excess | " + " | ".join(KIND_HEAD[k] for k in KINDS)
             + " |")
    L.append("|---|---|" + "---|" * len(KINDS))

    def cell(a, b):
        d = a - b
        return "%s − %s = %s%s" % (fmt_n(a), fmt_n(b), "+" if d >= 0 else "−", fmt_n(abs(d)))
    for row in over:
        us, og = row["impl"]["ours"], row["impl"]["oracle"]
        ku, ko = us.get("own_by_kind") or {}, og.get("own_by_kind") or {}
        L.append("| %s | %s | %s |" % (
            row["workload"], cell(us["own_ir_per_op"], og["own_ir_per_op"]),
            " | ".join(cell(ku.get(k, 0), ko.get(k, 0)) for k in KINDS)))
    L.append("")

    def items(d, kind, n=6):
        every = (d.get("own_kind_items") or {}).get(kind, [])
        shown = [(w, c) for w, c in every if c >= 0.5][:n]
        text = ", ".join("`%s` %s" % (w, fmt_n(c)) for w, c in shown)
        rest = sum(c for w, c in every) - sum(c for w, c in shown)
        return (text + (", other %s" % fmt_n(rest) if rest >= 0.5 else "")) or "none"
    for row in over:
        us, og = row["impl"]["ours"], row["impl"]["oracle"]
        parts = []
        for k in KINDS:
            a, b = (us.get("own_by_kind") or {}).get(k, 0), (og.get("own_by_kind") or {}).get(k, 0)
            if a < 0.5 and b < 0.5:
                continue
            parts.append("%s: ours %s; original %s" % (KIND_HEAD[k], items(us, k), items(og, k)))
        L.append("* **%s**: %s." % (row["workload"], ". ".join(parts)))
    return L


def ir_over(row, key="own_ir_per_op"):
    """Whether ours executes more instructions per operation than the original (both
    measured)."""
    us, og = row["impl"].get("ours") or {}, row["impl"].get("oracle") or {}
    return us.get(key) is not None and og.get(key) is not None and us[key] > og[key]


def short(fn):
    fn = re.sub(r"::h[0-9a-f]{16}$", "", fn)
    fn = fn.replace("qemu_user_mmap::", "")
    return "`%s`" % fn


def find(results, target, name):
    for r in results:
        if r["target"] == target and r["workload"] == name:
            return r["impl"].get("ours"), r["impl"].get("oracle")
    return None, None


def targets(results):
    L = ["| target | measured (ours vs original) | met? | missed by |", "|---|---|---|---|"]

    def line(what, measured, ok, miss):
        L.append("| %s | %s | %s | %s |" % (what, measured, "**yes**" if ok else "no",
                                             "-" if ok else miss))

    us, og = find(results, "x86_64", "frag_anon_64k")
    if us:
        v = us["pgf_per_op"]
        line("page_get_flags per 64 KiB fragment ≤ 16 (frag_anon_64k)",
             "%s vs %s" % (fmt_n(v), fmt_n(og["pgf_per_op"]) if og else "-"), v <= 16,
             "%s calls too many" % fmt_n(v - 16))
    for size in ("1M", "64M", "1G"):
        us, og = find(results, "arm", "mremap_grow_rva/" + size)
        if not (us and og):
            continue
        rr = og["pgf_per_op"] / max(us["pgf_per_op"], 1e-9)
        line("mremap growth %s: ≥ 4096× fewer page_get_flags" % size,
             "%s vs %s (%s× fewer)" % (fmt_n(us["pgf_per_op"]), fmt_n(og["pgf_per_op"]),
                                       fmt_n(rr)), rr >= 4096,
             "%s calls above og/4096 = %s" % (fmt_n(us["pgf_per_op"] - og["pgf_per_op"] / 4096),
                                              fmt_n(og["pgf_per_op"] / 4096)))
    us, og = find(results, "arm", "mremap_grow_rva/64M")
    if us and og:
        sp = ratio(time_of(og), time_of(us))
        line("mremap growth 64 MiB: ≥ 1000× faster",
             "%s vs %s (%s× faster)" % (time_cell(us), time_cell(og), fmt_ratio(sp)),
             sp is not None and sp >= 1000, "%s× short" % fmt_ratio(1000 / sp if sp else None))
    worse, total, sfewer = [], 0, []
    u_pgf, o_pgf = {}, {}
    for row in results:
        if row["target"] != "arm":
            continue
        u, o = row["impl"].get("ours"), row["impl"].get("oracle")
        if not (u and o) or o.get("timeout") or row["workload"].startswith("mremap"):
            continue
        total += 1
        if u["pgf_per_op"] > o["pgf_per_op"]:
            worse.append("%s (%s vs %s)" % (row["workload"], fmt_n(u["pgf_per_op"]),
                                            fmt_n(o["pgf_per_op"])))
        m = re.match(r"search_rva(_dense)?/N=(\d+)/S=(\d+)", row["workload"])
        if m and int(m.group(3)) > 1:
            s = int(m.group(3))
            rr = o["pgf_per_op"] / max(u["pgf_per_op"], 1e-9)
            sfewer.append((row["workload"], bool(m.group(1)), s, rr, u["checksum"] == o["checksum"]))
            u_pgf[row["workload"]] = u["pgf_per_op"]
            o_pgf[row["workload"]] = o["pgf_per_op"]
    line("reserved search: never more page_get_flags than the original",
         "%d of %d reserved-VA workloads have more" % (len(worse), total), not worse,
         "; ".join(worse))
    for name, dense, s, rr, same in sorted(sfewer, key=lambda x: not x[1]):
        if dense:
            # Any page-by-page search must also look at the S pages of the window it finally
            # returns; the S× target is about the calls spent across the used region.
            ur = (o_pgf[name] - s) / max(u_pgf[name] - s, 1e-9)
            line("%s (one used region): about %d× fewer page_get_flags across the used "
                 "region (met when ≥ %d×), same addresses" % (name, s, s // 2),
                 "%s vs %s in all; across the region (all minus the %d pages of the window "
                 "returned) %s vs %s = %s× fewer; addresses %s"
                 % (fmt_n(u_pgf[name]), fmt_n(o_pgf[name]), s, fmt_n(u_pgf[name] - s),
                    fmt_n(o_pgf[name] - s), fmt_n(ur), "same" if same else "DIFFER"),
                 ur >= s / 2 and same, "factor %s short" % fmt_n((s / 2) / ur) if ur < s / 2
                 else "addresses differ")
        else:
            L.append("| %s (holes of 0–7 pages): page_get_flags reduction, same addresses "
                     "| %s× fewer; addresses %s | (information: the S× target is for used "
                     "regions) | %s |" % (name, fmt_n(rr), "same" if same else "DIFFER",
                                          "-" if same else "addresses differ"))
    us, og = find(results, "x86_64", "anon_churn")
    if us:
        v = sum(x for k, x in us["sys_detail"].items() if k.startswith("mmap."))
        vo = sum(x for k, x in og["sys_detail"].items() if k.startswith("mmap.")) if og else None
        line("anonymous non-fixed map, no reserved VA: 1 host syscall",
             "%s vs %s per map; addresses %s" % (fmt_n(v), fmt_n(vo), "same" if og and
                                                 us["checksum"] == og["checksum"] else "?"),
             v <= 1 and (not og or us["checksum"] == og["checksum"]), "%s extra" % fmt_n(v - 1))
    us, og = find(results, "x86_64", "file_map")
    if us and og:
        v = sum(x for k, x in us["sys_detail"].items() if k.startswith("mmap."))
        vo = sum(x for k, x in og["sys_detail"].items() if k.startswith("mmap."))
        line("file-backed non-fixed map: one host syscall fewer than the original",
             "%s vs %s per map" % (fmt_n(v), fmt_n(vo)), v <= vo - 1, "%s extra" % fmt_n(v - (vo - 1)))
    us, og = find(results, "x86_64", "lock_uncontended")
    if us and us.get("own_ir_per_op") is not None:
        v = us["own_ir_per_op"]
        line("mmap_lock + mmap_unlock uncontended: ≤ 13 own instructions",
             "%s vs %s" % (fmt_n(v), fmt_n(og.get("own_ir_per_op")) if og else "-"), v <= 13,
             "%s instructions too many" % fmt_n(v - 13))
    for key, what in (("own_ir_per_op", "own"), ("incl_ir_per_op", "inclusive")):
        measured = [r for r in results if (r["impl"].get("ours") or {}).get(key) is not None
                    and (r["impl"].get("oracle") or {}).get(key) is not None]
        if not measured:
            continue
        over = [r for r in measured if ir_over(r, key)]
        line("every workload: %s instructions per operation ≤ the original's" % what,
             "%d of %d workloads above" % (len(over), len(measured)), not over,
             "; ".join("%s %s vs %s (%s×)" % (
                 r["workload"], fmt_n(r["impl"]["ours"][key]), fmt_n(r["impl"]["oracle"][key]),
                 fmt_ratio(r["impl"]["ours"][key] / r["impl"]["oracle"][key])) for r in over))
    over = [r for r in results if ir_over(r)]
    if over:
        unknown = [r["workload"] for r in over
                   if any((d.get("own_unknown_addr") is None or d["own_unknown_addr"] > 0)
                          for d in (r["impl"]["ours"], r["impl"]["oracle"]))]
        line("every workload above the original's own instructions: its excess accounted "
             "for instruction by instruction, by kind (the last table)",
             "%d of %d rows with every own instruction found in the disassembly and put in "
             "a kind" % (len(over) - len(unknown), len(over)), not unknown,
             ", ".join(unknown))
    same_rows = [r for r in results if r["impl"].get("ours") and r["impl"].get("oracle")
                 and not r["impl"]["oracle"].get("timeout")
                 and r["impl"]["ours"]["checksum"] == r["impl"]["oracle"]["checksum"]]
    more = [r for r in same_rows
            if r["impl"]["ours"]["pgf_per_op"] > r["impl"]["oracle"]["pgf_per_op"] + 1]
    line("page_get_flags per operation ≤ the original's + 1 (every workload with the same "
         "results)", "%d of %d workloads above" % (len(more), len(same_rows)), not more,
         "; ".join("%s %s vs %s" % (r["workload"], fmt_n(r["impl"]["ours"]["pgf_per_op"]),
                                    fmt_n(r["impl"]["oracle"]["pgf_per_op"])) for r in more))
    slow = []
    n = 0
    for row in results:
        u, o = row["impl"].get("ours"), row["impl"].get("oracle")
        if not (u and o):
            continue
        n += 1
        r = row_ratio(row)
        if r is not None and r > 1.0:
            slow.append("%s %s%s" % (row["workload"], fmt_ratio(r), ratio_range(row)))
    line("every workload: median time ratio ours/original ≤ 1.0",
         "%d of %d workloads above 1.0" % (len(slow), n), not slow, "; ".join(slow))
    diff = [row["workload"] for row in results
            if row["impl"].get("ours") and row["impl"].get("oracle")
            and not row["impl"]["oracle"].get("timeout")
            and row["impl"]["ours"]["checksum"] != row["impl"]["oracle"]["checksum"]]
    line("guest-visible results unchanged (checksums of every result)",
         "%d workloads differ" % len(diff), not diff, ", ".join(diff))
    return L


def update_benchmarks_md(md):
    path = os.path.join(REPO, "docs", "BENCHMARKS.md")
    text = open(path).read() if os.path.exists(path) else ""
    block = BEGIN + "\n" + md + "\n" + END
    if BEGIN_PREFIX in text and END in text:
        text = text[:text.index(BEGIN_PREFIX)] + block + text[text.index(END) + len(END):]
    else:
        text = text + "\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
