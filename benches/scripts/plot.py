#!/usr/bin/env python3
"""Draw benches/results/plot.svg from a results file of run.py (Python standard library only).

    plot.py results/bench.json results/plot.svg      (from benches/)

Four log-log panels, ours (solid) against the original (dashed):
  reserved-VA search: time per mmap_find_vma and page_get_flags calls against N
  (one line per request size S); in-place mremap growth: time per call and
  page_get_flags calls against the growth size.
"""
import json
import math
import re
import sys

W, H = 1120, 840
PANEL_W, PANEL_H = 440, 270
COLORS = {1: "#1f77b4", 16: "#d62728", 256: "#2ca02c", "grow": "#9467bd"}


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def value_time(d):
    if not d:
        return None, False
    if d.get("timeout"):
        return d.get("extrapolated_ns") or d.get("lower_bound_ns"), True
    return d.get("median_ns"), False


class Panel:
    def __init__(self, x, y, title, xlabel, ylabel, xs, ys, xticks=None):
        self.x, self.y = x, y
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        xs = [v for v in xs if v and v > 0]
        ys = [v for v in ys if v and v > 0]
        # x: the data's range plus a margin (log scale); ticks at the data points
        lo, hi = math.log10(min(xs)), math.log10(max(xs))
        pad = max((hi - lo) * 0.06, 0.1)
        self.x0, self.x1 = lo - pad, hi + pad
        self.xticks = xticks or sorted(set(xs))
        self.y0 = math.floor(math.log10(min(ys)))
        self.y1 = math.ceil(math.log10(max(ys)))
        if self.y1 == self.y0:
            self.y1 += 1
        self.out = []

    def px(self, v):
        return self.x + (math.log10(v) - self.x0) / (self.x1 - self.x0) * PANEL_W

    def py(self, v):
        return self.y + PANEL_H - (math.log10(v) - self.y0) / (self.y1 - self.y0) * PANEL_H

    def frame(self, xfmt, yfmt):
        o = self.out
        o.append('<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#444"/>'
                 % (self.x, self.y, PANEL_W, PANEL_H))
        o.append('<text x="%g" y="%g" font-size="14" font-weight="bold">%s</text>'
                 % (self.x, self.y - 10, esc(self.title)))
        for v in self.xticks:
            X = self.px(v)
            o.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>'
                     % (X, self.y, X, self.y + PANEL_H))
            o.append('<text x="%g" y="%g" font-size="11" text-anchor="middle">%s</text>'
                     % (X, self.y + PANEL_H + 15, esc(xfmt(v))))
        step = 1 if self.y1 - self.y0 <= 8 else 2
        for e in range(self.y0, self.y1 + 1, step):
            Y = self.py(10 ** e)
            o.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>'
                     % (self.x, Y, self.x + PANEL_W, Y))
            o.append('<text x="%g" y="%g" font-size="11" text-anchor="end">%s</text>'
                     % (self.x - 5, Y + 4, esc(yfmt(10 ** e))))
        o.append('<text x="%g" y="%g" font-size="12" text-anchor="middle">%s</text>'
                 % (self.x + PANEL_W / 2, self.y + PANEL_H + 33, esc(self.xlabel)))
        o.append('<text x="%g" y="%g" font-size="12" text-anchor="middle" '
                 'transform="rotate(-90 %g %g)">%s</text>'
                 % (self.x - 58, self.y + PANEL_H / 2, self.x - 58, self.y + PANEL_H / 2,
                    esc(self.ylabel)))

    def line(self, pts, color, dashed, label_marks=()):
        pts = [(a, b, lb) for (a, b, lb) in pts if a and b and a > 0 and b > 0]
        if not pts:
            return
        d = " ".join("%s%g,%g" % ("M" if i == 0 else "L", self.px(a), self.py(b))
                     for i, (a, b, _) in enumerate(pts))
        self.out.append('<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>'
                        % (d, color, ' stroke-dasharray="6,4"' if dashed else ""))
        for a, b, lb in pts:
            X, Y = self.px(a), self.py(b)
            if dashed:
                self.out.append('<rect x="%g" y="%g" width="7" height="7" fill="white" '
                                'stroke="%s" stroke-width="2"/>' % (X - 3.5, Y - 3.5, color))
            else:
                self.out.append('<circle cx="%g" cy="%g" r="4" fill="%s"/>' % (X, Y, color))
            if lb:
                self.out.append('<text x="%g" y="%g" font-size="11" fill="%s" '
                                'text-anchor="end">≥ (time box, extrapolated)</text>'
                                % (X - 8, Y - 8, color))


def fmt_count(v):
    if v >= 1e9:
        return "%gG" % (v / 1e9)
    if v >= 1e6:
        return "%gM" % (v / 1e6)
    if v >= 1e3:
        return "%gk" % (v / 1e3)
    return "%g" % v


def fmt_time(v):
    for unit, f in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if v >= f:
            return "%g %s" % (v / f, unit)
    return "%g ns" % v


def fmt_bytes(v):
    for unit, f in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= f:
            return "%g %s" % (v / f, unit)
    return "%g B" % v


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = json.load(open(src))
    meta, results = data["meta"], data["results"]
    search = {}
    grow = {}
    for row in results:
        m = re.match(r"search_rva/N=(\d+)/S=(\d+)$", row["workload"])
        if m:
            search.setdefault(int(m.group(2)), {})[int(m.group(1))] = row["impl"]
        m = re.match(r"mremap_grow_rva/(\d+)([MG])$", row["workload"])
        if m:
            size = int(m.group(1)) << (20 if m.group(2) == "M" else 30)
            grow[size] = row["impl"]

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="20" y="28" font-size="17" font-weight="bold">qemu-user-mmap: ours '
           '(solid, dots) vs the original QEMU 2.3 mmap.c (dashed, squares)</text>',
           '<text x="20" y="48" font-size="12">%s · %s CPUs, %s · %s</text>'
           % (esc(meta["date"]), meta["machine"]["nproc"], esc(meta["machine"]["cpu"]),
              esc(meta["command"]))]

    def collect(impl, key):
        out = []
        for s in search.values():
            for d in s.values():
                v = d.get(impl, {}).get(key) if impl in d else None
                out.append(v)
        return out

    panels = []
    if search:
        ns = sorted({n for s in search.values() for n in s})
        t_all = [value_time(d.get(i))[0] for s in search.values() for d in s.values()
                 for i in ("ours", "oracle")]
        p_all = [d.get(i, {}).get("pgf_per_op") for s in search.values() for d in s.values()
                 for i in ("ours", "oracle")]
        p1 = Panel(100, 90, "Reserved-VA search (holes of 0–7 pages): time per call", "N live mappings",
                   "median time per call", ns, t_all)
        p2 = Panel(640, 90, "Reserved-VA search (holes 0–7): page_get_flags per call", "N live mappings",
                   "page_get_flags calls", ns, p_all)
        p1.frame(fmt_count, fmt_time)
        p2.frame(fmt_count, fmt_count)
        for s, byn in sorted(search.items()):
            for impl, dashed in (("oracle", True), ("ours", False)):
                pts_t = [(n, value_time(byn[n].get(impl))[0], False) for n in sorted(byn)]
                pts_p = [(n, (byn[n].get(impl) or {}).get("pgf_per_op"), False) for n in sorted(byn)]
                p1.line(pts_t, COLORS.get(s, "#333"), dashed)
                p2.line(pts_p, COLORS.get(s, "#333"), dashed)
        panels += [p1, p2]
    if grow:
        sizes = sorted(grow)
        t_all = [value_time(grow[g].get(i))[0] for g in sizes for i in ("ours", "oracle")]
        p_all = [(grow[g].get(i) or {}).get("pgf_per_op") for g in sizes for i in ("ours", "oracle")]
        p3 = Panel(100, 500, "In-place mremap growth (reserved VA): time per call",
                   "growth", "median time per call", sizes, t_all)
        p4 = Panel(640, 500, "In-place mremap growth: page_get_flags per call", "growth",
                   "page_get_flags calls", sizes, p_all)
        p3.frame(fmt_bytes, fmt_time)
        p4.frame(fmt_bytes, fmt_count)
        for impl, dashed in (("oracle", True), ("ours", False)):
            pts_t = []
            for g in sizes:
                v, lb = value_time(grow[g].get(impl))
                pts_t.append((g, v, lb))
            p3.line(pts_t, COLORS["grow"], dashed)
            p4.line([(g, (grow[g].get(impl) or {}).get("pgf_per_op"), False) for g in sizes],
                    COLORS["grow"], dashed)
        panels += [p3, p4]
    for p in panels:
        svg += p.out
    # legend
    ly = 420
    x = 100
    for s in (1, 16, 256):
        svg.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>'
                   % (x, ly, x + 25, ly, COLORS[s]))
        svg.append('<text x="%d" y="%d" font-size="12">S = %d page%s</text>'
                   % (x + 30, ly + 4, s, "" if s == 1 else "s"))
        x += 130
    svg.append('<text x="%d" y="%d" font-size="12">solid/dots: ours · dashed/squares: original'
               '</text>' % (x, ly + 4))
    svg.append('<text x="100" y="%d" font-size="12">"≥": the original hit the time box; the '
               'point is extrapolated from the page_get_flags calls it made before the box '
               'expired</text>' % (ly + 22))
    svg.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
