#!/usr/bin/env python3
"""Guest-level timings inside the real QEMU 2.3.0: stock against qemu-user-mmap swapped in.

    run.py [--rounds N] [--targets i386,x86_64,arm] [--workloads mmloop,...] [--quick]
           [--stock DIR] [--ours DIR] [--prepared DIR] [--no-doc]
    run.py --render results.json     redraw the plot and the BENCHMARKS.md section only

Uses the set-up of `make check-qemu` (c-tests/qemu): STOCK is a build-qemu.sh output (or
its build/ folder), OURS the copy with the library swapped in (`make qemu-ours`), PREPARED
the folder c-tests/qemu/prepare.sh filled (sysroots, static guests). `make bench-qemu`
runs it with the right paths.

Timings: each (guest, target, page size) cell is first run once by stock and once by ours
(a warm-up, not counted, whose time sets the time-out), then in ROUNDS rounds, each round
running every cell stock then ours, one process at a time. Per cell: the median wall time
of each side, the median of the per-round ratios ours/stock and their interquartile range,
and the same ratio of CPU time (user + system, from wait4). Every run's output must equal
the program's output run natively on the host; once stock fails a cell (wrong output,
non-zero exit, crash, time-out) it is not run again there and the cell says why.
Memory: the emulator's peak resident size (ru_maxrss) for g_bigmap, which maps 1 GiB in
4 KiB pieces and unmaps it again, and for the same guest mapping nothing (the base).

Writes benches/qemu/results.json (every run), benches/qemu/plot.svg and the section of
docs/BENCHMARKS.md between its qemu-guest markers. Python standard library only.
"""
import argparse
import datetime
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from hostinfo import machine  # noqa: E402  (one copy with benches/scripts/run.py)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
QDIR = os.path.join(REPO, "c-tests", "qemu")
RESULTS = os.path.join(HERE, "results.json")
PLOT = os.path.join(HERE, "plot.svg")
DOC = os.path.join(REPO, "docs", "BENCHMARKS.md")
BEGIN = "<!-- qemu-guest:begin -->"
END = "<!-- qemu-guest:end -->"
SECTION = "## Inside the real QEMU 2.3.0"

ARCH = {"i386": "i386", "arm": "armhf", "x86_64": "amd64"}
TRIPLET = {"i386": "i386-linux-gnu", "armhf": "arm-linux-gnueabihf", "amd64": "x86_64-linux-gnu"}
LDSO = {"i386": "lib/ld-linux.so.2", "armhf": "lib/ld-linux-armhf.so.3",
        "amd64": "lib64/ld-linux-x86-64.so.2"}
PAGES = ["4k", "64k"]

# name: (kind, program, arguments, stdin, what it does). kind: static guests live in
# PREPARED/guests/<target>, dynamic programs in the sysroot (run with -L).
WORKLOADS = {
    "mmloop": ("static", "g_mmloop", ["60000", "{work}"], None,
               "g_mmloop 60000: 3 x 60 000 iterations over a pool of up to 256 mappings of "
               "1-32 pages: mmap, mprotect of sub-ranges, munmap of a middle + MAP_FIXED "
               "into the hole, mremap growth + munmap of the tail, munmap"),
    "mprotect": ("static", "g_mprotect", ["12000", "{work}"], None,
                 "g_mprotect 12000: 3 x 12 000 mprotect calls over random ranges of a 48-page "
                 "mapping, contents checked every 8 calls"),
    "python3": ("dynamic", "usr/bin/python3.11", [os.path.join(QDIR, "scripts", "py_alloc.py"), "800"],
                None, "python3.11 py_alloc.py 800: 800 buffers of 160 KiB-3 MiB allocated and "
                "freed, growing bytearrays and lists, 800 anonymous mmap objects resized"),
    "sqlite3": ("dynamic", "usr/bin/sqlite3", ["{work}/t.db"], os.path.join(QDIR, "scripts", "sqlite.sql"),
                "sqlite3 with WAL and mmap_size = 256 MiB: a 100 000-row table, an index, updates, "
                "deletes, a checkpoint (c-tests/qemu/scripts/sqlite.sql)"),
}
QUICK_ARGS = {"mmloop": ["6000", "{work}"], "mprotect": ["1200", "{work}"],
              "python3": [os.path.join(QDIR, "scripts", "py_alloc.py"), "80"]}
RSS_MIB = 1024


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def resolve(d):
    """A build tree holding <target>-linux-user/, or a build-qemu.sh output with build/."""
    if os.path.isdir(os.path.join(d, "build", "i386-linux-user")):
        d = os.path.join(d, "build")
    return os.path.abspath(d)


def git(*args, cwd=REPO):
    try:
        return subprocess.run(["git", "-C", cwd] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip()
    except OSError:
        return ""


def library_source(ours):
    """The repository whose library the ours tree links (from the kit's include line in
    config-target.mak), its commit and whether its src/ differs from that commit."""
    repo = None
    for t in ("i386", "x86_64", "arm"):
        p = os.path.join(ours, "%s-linux-user" % t, "config-target.mak")
        try:
            for line in open(p):
                m = re.match(r"include (\S+)/qemu-user-mmap\.mk\s*$", line)
                if m:
                    repo = m.group(1)
        except OSError:
            pass
    if not repo:
        return {"repo": None, "commit": "?", "dirty": False}
    dirty = git("status", "--porcelain", "--", "src", "build.rs", "Cargo.toml", cwd=repo) != ""
    return {"repo": repo, "commit": git("rev-parse", "--short", "HEAD", cwd=repo) or "?",
            "dirty": dirty}



def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?"] * 3


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# ---- one run -------------------------------------------------------------------------
class Runner:
    def __init__(self, args):
        self.stock = resolve(args.stock)
        self.ours = resolve(args.ours)
        self.prep = os.path.abspath(args.prepared)
        self.quick = args.quick
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.work = tempfile.mkdtemp(prefix="qemu-bench-", dir=base)
        self.tools = tempfile.mkdtemp(prefix="qemu-bench-tools-")
        self.rusage = os.path.join(self.tools, "rusage")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                        self.rusage, os.path.join(HERE, "rusage.c")], check=True)

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.rmtree(self.tools, ignore_errors=True)

    def emulator(self, impl, target):
        return os.path.join(self.stock if impl == "stock" else self.ours,
                            "%s-linux-user" % target, "qemu-%s" % target)

    def command(self, impl, target, page, workload, args=None):
        """argv, stdin path and environment of one run. impl: stock, ours or native (for
        arm, the native reference is the x86_64 build of the same program)."""
        kind, prog, wargs, stdin, _ = WORKLOADS[workload]
        if args is None:
            args = QUICK_ARGS.get(workload, wargs) if self.quick else wargs
        args = [a.replace("{work}", self.work) for a in args]
        t = ("x86_64" if target == "arm" else target) if impl == "native" else target
        sr = os.path.join(self.prep, "sysroot", ARCH[t])
        if kind == "static":
            argv = [os.path.join(self.prep, "guests", t, prog)] + args
        else:
            argv = [os.path.join(sr, prog)] + args
        if impl == "native":
            if kind == "dynamic":
                tr = TRIPLET[ARCH[t]]
                argv = [os.path.join(sr, LDSO[ARCH[t]]), "--library-path",
                        "%s/lib/%s:%s/usr/lib/%s" % (sr, tr, sr, tr)] + argv
        else:
            q = [self.emulator(impl, target)]
            if page == "64k":
                q += ["-p", "65536"]
            if kind == "dynamic":
                q += ["-L", sr]
            argv = q + argv
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC", "HOME": self.work,
               "TMPDIR": self.work, "PYTHONHOME": os.path.join(sr, "usr"),
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
        return argv, stdin, env

    def clean(self):
        for f in os.listdir(self.work):
            p = os.path.join(self.work, f)
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.unlink(p)

    def run(self, argv, stdin, env, timeout):
        """Runs argv (its first element a path) under the rusage launcher; returns wall
        seconds, CPU seconds (user + system), peak RSS (KiB), exit status (negative: killed
        by that signal), whether the time-out struck, stdout, stderr."""
        self.clean()
        out_p = os.path.join(self.work, ".stdout")
        err_p = os.path.join(self.work, ".stderr")
        use_p = os.path.join(self.tools, "usage")
        if os.path.exists(use_p):
            os.unlink(use_p)
        with open(stdin or os.devnull, "rb") as fi, open(out_p, "wb") as fo, open(err_p, "wb") as fe:
            t0 = time.perf_counter()
            p = subprocess.Popen([self.rusage, use_p] + argv, stdin=fi, stdout=fo, stderr=fe,
                                 env=env, cwd=self.work, start_new_session=True, preexec_fn=no_core)
            hit = []

            def kill():
                hit.append(1)
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
            timer = threading.Timer(timeout, kill)
            timer.start()
            p.wait()
            wall = time.perf_counter() - t0
            timer.cancel()
        out = open(out_p, "rb").read()
        err = open(err_p, "rb").read().decode("utf-8", "replace")
        try:
            rss, ut, st, code, sig = open(use_p).read().split()
            cpu, rss, rc = float(ut) + float(st), int(rss), (-int(sig) if int(sig) else int(code))
        except (OSError, ValueError):  # the launcher itself was killed (time-out)
            cpu, rss, rc = 0.0, 0, p.returncode
        return (wall, cpu, rss, rc, bool(hit), out, err)


def verdict(rc, timed_out, out, err, ref, timeout):
    """pass, or why not, and the telling line of the output."""
    lines = [l for l in (out.decode("utf-8", "replace") + "\n" + err).splitlines()
             if l and not l.startswith("qemu: Unsupported syscall")]
    note = next((l for l in lines if re.search(r"FAIL|[Ee]rror|qemu: |uncaught|Assertion|Traceback", l)),
                lines[-1] if lines else "")
    note = re.sub(r"[^ :]*/", "", note)[:110]
    if timed_out:
        return "hang (killed after %d s)" % timeout, ""
    if rc < 0:
        if "uncaught target signal" in err:
            return "guest killed by signal %d" % -rc, note
        return "QEMU crashed (signal %d)" % -rc, note
    if rc != 0:
        return "exit %d" % rc, note
    if ref is not None and out != ref:
        return "wrong output", note
    return "pass", ""


# ---- statistics ------------------------------------------------------------------------
def quartiles(v):
    v = sorted(v)
    if len(v) == 1:
        return v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[1], q[2]


def summarise(data):
    """Per (workload, target, page): medians, ratio median and IQR, or why stock failed."""
    cells = {}
    for r in data["runs"]:
        if r["round"] == 0:
            continue
        c = cells.setdefault((r["workload"], r["target"], r["page"]), {"stock": {}, "ours": {}})
        c[r["impl"]][r["round"]] = r
    summary = []
    for w in data["config"]["workloads"]:
        for t in data["config"]["targets"]:
            for pg in PAGES:
                warm = {r["impl"]: r for r in data["runs"] if r["round"] == 0 and
                        (r["workload"], r["target"], r["page"]) == (w, t, pg)}
                c = cells.get((w, t, pg), {"stock": {}, "ours": {}})
                s = {"workload": w, "target": t, "page": pg}
                fails = {}
                for impl in ("stock", "ours"):
                    runs = [warm[impl]] if impl in warm else []
                    runs += [c[impl][k] for k in sorted(c[impl])]
                    bad = [r for r in runs if r["verdict"] != "pass"]
                    if bad:
                        fails[impl] = {"verdict": bad[0]["verdict"], "note": bad[0]["note"],
                                       "round": bad[0]["round"]}
                    ok = [r for r in c[impl].values() if r["verdict"] == "pass"]
                    s[impl] = {"n": len(ok),
                               "median_s": statistics.median([r["wall"] for r in ok]) if ok else None,
                               "cpu_median_s": statistics.median([r["cpu"] for r in ok]) if ok else None}
                s["fails"] = fails
                pairs = [k for k in c["ours"] if k in c["stock"] and c["ours"][k]["verdict"] == "pass"
                         and c["stock"][k]["verdict"] == "pass"]
                if pairs and not fails:
                    ratios = [c["ours"][k]["wall"] / c["stock"][k]["wall"] for k in sorted(pairs)]
                    cpu = [c["ours"][k]["cpu"] / c["stock"][k]["cpu"] for k in sorted(pairs)]
                    q1, med, q3 = quartiles(ratios)
                    s["ratio"] = {"median": med, "q1": q1, "q3": q3, "all": ratios}
                    s["cpu_ratio"] = {"median": statistics.median(cpu)}
                summary.append(s)
    return summary


def rss_summary(data):
    out = []
    for t in data["config"]["targets"]:
        for pg in PAGES:
            row = {"target": t, "page": pg}
            for impl in ("stock", "ours"):
                for mib in (0, RSS_MIB):
                    rs = [r for r in data["rss"] if (r["target"], r["page"], r["impl"], r["mib"]) ==
                          (t, pg, impl, mib)]
                    ok = [r for r in rs if r["verdict"] == "pass"]
                    bad = [r for r in rs if r["verdict"] != "pass"]
                    row["%s_%d" % (impl, mib)] = {
                        "maxrss_kib": statistics.median([r["maxrss_kib"] for r in ok]) if ok else None,
                        "wall_s": statistics.median([r["wall"] for r in ok]) if ok else None,
                        "fail": ({"verdict": bad[0]["verdict"], "note": bad[0]["note"]} if bad else None),
                        "n": len(rs)}
            if any(v["n"] for k, v in row.items() if isinstance(v, dict)):
                out.append(row)
    return out


# ---- markdown ---------------------------------------------------------------------------
PAGE_NAME = {"4k": "4 KiB", "64k": "`-p 65536`"}


def fmt_fail(f):
    note = f["note"].replace("`", "'").replace("|", "/")
    return "**%s**%s" % (f["verdict"], ": `%s`" % note if note else "")


def render_md(data):
    m = data["meta"]
    cfg = data["config"]
    summ = summarise(data)
    lib = m["library"]
    libtxt = "library at %s%s" % (lib["commit"], " + uncommitted changes to src/" if lib["dirty"] else "")
    o = []
    o.append("Generated by `make bench-qemu` (benches/qemu/run.py%s) on %s, %s; benchmark script at %s. "
             "Machine: %s CPUs (%s), Linux %s, load average %s at the start and %s at the end. "
             "**Shared machine:** %s; absolute times are noisy: read the per-round ratios. "
             "The runs took %d s."
             % (" --quick" if cfg["quick"] else "", m["date"], libtxt, m["commit"],
                m["machine"]["nproc"], m["machine"]["cpu"], m["machine"]["kernel"],
                " ".join(m["load_start"]), " ".join(m["load_end"]),
                m.get("note") or "it was not reserved for the runs (the load averages say how busy it was)",
                m["seconds"]))
    o.append("")
    o.append("**Method.** Real guest programs run under QEMU 2.3.0's `qemu-i386` (reserved "
             "guest space `0xf7000000`, as every 32-bit guest on a 64-bit host), `qemu-arm` "
             "(the same) and `qemu-x86_64` (no reserved space), stock and with the library "
             "swapped in (`make qemu-ours`), at the host's 4 KiB pages and with `-p 65536`. "
             "Each cell runs once per side as a warm-up (ours first, not counted; ours' time "
             "sets the time-out of both sides, 5 x + 10 s, at least 30 s), then in %d rounds, stock then ours, one "
             "process at a time, every output compared with the program run natively; a "
             "ratio below 1 means ours is faster. Once stock fails a cell it is not run "
             "there again. The ratios are per round (adjacent runs share the machine's "
             "load); IQR is their interquartile range; CPU is user + system time from `wait4`."
             % cfg["rounds"])
    o.append("")
    o.append("| guest | target | pages | stock (median) | ours (median) | ours/stock per round: median [IQR] | CPU ours/stock |")
    o.append("|---|---|---|---|---|---|---|")
    for s in summ:
        st, ou = s["stock"], s["ours"]
        f = s["fails"]
        if "ours" in f:
            ocell = "**ours fails** (round %d): %s" % (f["ours"]["round"], fmt_fail(f["ours"]))
        else:
            ocell = "%.2f s" % ou["median_s"] if ou["median_s"] is not None else "-"
        if "stock" in f:
            scell = "stock fails (%s): %s" % ("warm-up" if f["stock"]["round"] == 0 else
                                              "round %d" % f["stock"]["round"], fmt_fail(f["stock"]))
        else:
            scell = "%.2f s" % st["median_s"] if st["median_s"] is not None else "-"
        if "ratio" in s:
            r = s["ratio"]
            rcell = "**%.2f** [%.2f-%.2f]" % (r["median"], r["q1"], r["q3"])
            ccell = "%.2f" % s["cpu_ratio"]["median"]
        else:
            rcell = ccell = "-"
        o.append("| %s | %s | %s | %s | %s | %s | %s |" % (s["workload"], s["target"], PAGE_NAME[s["page"]],
                                                        scell, ocell, rcell, ccell))
    o.append("")
    o.append("Guests: " + "; ".join("**%s**: %s" % (w, WORKLOADS[w][4]) for w in cfg["workloads"]) + ".")
    rs = rss_summary(data)
    if rs:
        o.append("")
        o.append("**Emulator memory.** Peak resident size (`ru_maxrss` of the QEMU process, median "
                 "of %d runs per side) for `g_bigmap`, which maps %d MiB in 4 KiB pieces (one "
                 "`mmap` each; each piece is read once, never written) and unmaps them one by one, "
                 "and for the same guest mapping nothing (base); the growth is the emulator's "
                 "bookkeeping of the mapped pieces (QEMU's page descriptors, and the library's own "
                 "records)." % (cfg["rss_reps"], RSS_MIB))
        o.append("")
        o.append("| target | pages | stock: base, 1 GiB (growth), time | ours: base, 1 GiB (growth), time |")
        o.append("|---|---|---|---|")
        for r in rs:
            cells = []
            for impl in ("stock", "ours"):
                b, g = r["%s_0" % impl], r["%s_%d" % (impl, RSS_MIB)]
                if g["fail"]:
                    cells.append("fails: %s" % fmt_fail(g["fail"]))
                elif g["maxrss_kib"] is None:
                    cells.append("-")
                else:
                    base = b["maxrss_kib"]
                    cells.append("%.1f MiB, %.1f MiB (+%.1f MiB), %.2f s" % (
                        (base or 0) / 1024, g["maxrss_kib"] / 1024,
                        (g["maxrss_kib"] - (base or 0)) / 1024, g["wall_s"]))
            o.append("| %s | %s | %s | %s |" % (r["target"], PAGE_NAME[r["page"]], cells[0], cells[1]))
        if any(r["page"] == "64k" and r["target"] != "x86_64" and
               any(r["%s_%d" % (i, RSS_MIB)]["fail"] for i in ("stock", "ours")) for r in rs):
            o.append("")
            o.append("With `-p 65536` each 4 KiB piece takes a whole 64 KiB host page, so 1 GiB in "
                     "separate pieces needs 16 GiB of guest address space: a 32-bit guest (4 GiB, "
                     "`0xf7000000` reserved) runs out after about 63 000 pieces, whichever mmap.c "
                     "runs, and the failures in those rows are that limit.")
    o.append("")
    o.append("![ours/stock per round, inside the real QEMU 2.3.0](../benches/qemu/plot.svg)")
    o.append("")
    o.append("Raw runs: `benches/qemu/results.json`.")
    return "\n".join(o)


def write_doc(md):
    text = open(DOC).read() if os.path.exists(DOC) else ""
    block = BEGIN + "\n" + md + "\n" + END
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + block + "\n"
    with open(DOC, "w") as f:
        f.write(text)


def render(data, doc=True):
    sys.path.insert(0, HERE)
    import plot
    with open(PLOT, "w") as f:
        f.write(plot.svg(data, summarise(data), rss_summary(data), RSS_MIB))
    md = render_md(data)
    print(md)
    if doc:
        write_doc(md)
        log("run.py: wrote %s, %s and the section of %s" % (RESULTS, PLOT, DOC))


# ---- main -------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("QEMU_BENCH_ROUNDS", 7)))
    ap.add_argument("--targets", default=os.environ.get("QEMU_BENCH_TARGETS", "i386,x86_64,arm"))
    ap.add_argument("--workloads", default=os.environ.get("QEMU_BENCH_WORKLOADS", ",".join(WORKLOADS)))
    ap.add_argument("--rss-reps", type=int, default=3)
    ap.add_argument("--stock", default=os.environ.get("QEMU_STOCK", os.path.join(REPO, "build/qemu/stock")))
    ap.add_argument("--ours", default=os.path.join(REPO, "build/qemu/ours"))
    ap.add_argument("--prepared", default=os.path.join(REPO, "build/qemu"))
    ap.add_argument("--quick", action="store_true",
                    help="short guests; the results are printed and kept in "
                    "build/bench-qemu-quick.json only")
    ap.add_argument("--no-doc", action="store_true", help="do not touch BENCHMARKS.md")
    ap.add_argument("--note", default=os.environ.get("QEMU_BENCH_NOTE", ""),
                    help="what else the machine was doing, for the generated section")
    ap.add_argument("--render", metavar="JSON", help="only redraw the plot and the section from JSON")
    args = ap.parse_args()
    if args.render:
        render(json.load(open(args.render)), doc=not args.no_doc)
        return 0

    targets = [t for t in args.targets.split(",") if t]
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            ap.error("unknown workload %s (known: %s)" % (w, ", ".join(WORKLOADS)))
    rn = Runner(args)
    for t in targets:
        if t not in ARCH:
            ap.error("unknown target %s" % t)
        for impl in ("stock", "ours"):
            if not os.access(rn.emulator(impl, t), os.X_OK):
                ap.error("no %s (make qemu-stock / qemu-ours)" % rn.emulator(impl, t))
        for g in ("g_mmloop", "g_bigmap"):
            if not os.access(os.path.join(rn.prep, "guests", t, g), os.X_OK):
                ap.error("%s is not prepared for %s (make qemu-prepare)" % (rn.prep, t))
    if not os.path.exists(os.path.join(os.path.dirname(rn.ours), ".qemu-user-mmap-real-swap")):
        log("run.py: warning: %s is not a real_swap.sh output" % rn.ours)
    lib = library_source(rn.ours)
    if lib["dirty"]:
        log("run.py: warning: the library's src/ (%s) has uncommitted changes" % lib["repo"])

    t_start = time.time()
    data = {"meta": {"date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                     "commit": git("rev-parse", "--short", "HEAD") or "?",
                     "library": lib, "machine": machine(), "load_start": loadavg(),
                     "stock": rn.stock, "ours": rn.ours, "note": args.note},
            "config": {"rounds": args.rounds, "targets": targets, "workloads": workloads,
                       "quick": args.quick, "rss_reps": args.rss_reps,
                       "args": {w: (QUICK_ARGS.get(w, WORKLOADS[w][2]) if args.quick else WORKLOADS[w][2])
                                for w in workloads}},
            "runs": [], "rss": []}
    try:
        # native references
        refs = {}
        for t in targets:
            for w in workloads:
                argv, stdin, env = rn.command("native", t, "4k", w)
                wall, _, _, rc, to, out, err = rn.run(argv, stdin, env, 300)
                if rc != 0 or to:
                    log("run.py: the native reference run of %s for %s failed (%s): %s"
                        % (w, t, rc, err[-500:]))
                    return 1
                refs[(t, w)] = out
        cells = [(w, t, pg) for w in workloads for t in targets for pg in PAGES]
        tmo = {}
        stock_failed = set()
        for rnd in range(0, args.rounds + 1):
            for (w, t, pg) in cells:
                # the warm-up runs ours first: its time sets the time-out of both sides
                for impl in (("ours", "stock") if rnd == 0 else ("stock", "ours")):
                    if impl == "stock" and (w, t, pg) in stock_failed:
                        continue
                    timeout = tmo.get((w, t, pg), 300)
                    argv, stdin, env = rn.command(impl, t, pg, w)
                    wall, cpu, rss, rc, to, out, err = rn.run(argv, stdin, env, timeout)
                    v, note = verdict(rc, to, out, err, refs[(t, w)], timeout)
                    data["runs"].append({"round": rnd, "workload": w, "target": t, "page": pg,
                                         "impl": impl, "wall": round(wall, 4), "cpu": round(cpu, 4),
                                         "maxrss_kib": rss, "verdict": v, "note": note})
                    if v != "pass" and impl == "stock":
                        stock_failed.add((w, t, pg))
                    if rnd == 0 and impl == "ours":
                        tmo[(w, t, pg)] = max(30, int(5 * wall + 10))
                    if v != "pass" or rnd == 0:
                        log("[bench-qemu] round %d %-8s %-6s %-3s %-5s %6.2f s %s %s"
                            % (rnd, w, t, pg, impl, wall, v, note))
            log("[bench-qemu] round %d of %d done (%d s, load %s)"
                % (rnd, args.rounds, time.time() - t_start, " ".join(loadavg())))
        # peak RSS
        for rep in range(args.rss_reps):
            for t in targets:
                for pg in PAGES:
                    for mib in (0, RSS_MIB):
                        for impl in ("stock", "ours"):
                            exe = os.path.join(rn.prep, "guests", t, "g_bigmap")
                            argv = [rn.emulator(impl, t)] + (["-p", "65536"] if pg == "64k" else []) \
                                + [exe, str(mib), rn.work]
                            wall, cpu, rss, rc, to, out, err = rn.run(argv, None, {"PATH": "/usr/bin:/bin"}, 180)
                            ok = out.decode("utf-8", "replace").splitlines()[-1:] == ["OK"]
                            v, note = verdict(rc, to, out, err, None, 180)
                            if v == "pass" and not ok:
                                v = "wrong output"
                            data["rss"].append({"rep": rep + 1, "target": t, "page": pg, "impl": impl,
                                                "mib": mib, "wall": round(wall, 4), "cpu": round(cpu, 4),
                                                "maxrss_kib": rss, "verdict": v, "note": note})
                            if rep == 0:
                                log("[bench-qemu] rss %-6s %-3s %4d MiB %-5s %7.1f MiB %6.2f s %s %s"
                                    % (t, pg, mib, impl, rss / 1024, wall, v, note))
    finally:
        rn.close()
    data["meta"]["seconds"] = int(time.time() - t_start)
    data["meta"]["load_end"] = loadavg()
    dst = os.path.join(REPO, "build", "bench-qemu-quick.json") if args.quick else RESULTS
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    if args.quick:
        print(render_md(data))
        log("run.py: --quick: wrote %s only" % dst)
    else:
        render(data, doc=not args.no_doc)
    bad = [r for r in data["runs"] + data["rss"] if r["impl"] == "ours" and r["verdict"] != "pass"
           and not (r.get("mib") and r["page"] == "64k")]
    if bad:
        log("run.py: %d runs under qemu-user-mmap failed (see the table)" % len(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main())
