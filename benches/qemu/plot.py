"""The SVG of benches/qemu/run.py (Python standard library only, no matplotlib).

Left: one row per (guest, target, page size): the per-round wall-time ratios ours/stock
(dots, log scale), their interquartile range (bar) and median (tick); where stock failed,
why. Right: the emulator's peak resident size for g_bigmap (1 GiB in 4 KiB pieces).
"""
import math

COL = {"4k": "#1f77b4", "64k": "#d62728"}
ROW_H = 19


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(data, summary, rss, rss_mib):
    meta = data["meta"]
    lib = meta["library"]
    rows = summary
    # ratio axis: at least 0.5 .. 2, widened to the data
    vals = [v for s in rows if "ratio" in s for v in s["ratio"]["all"]]
    lo = min([0.5] + [v / 1.1 for v in vals])
    hi = max([2.0] + [v * 1.1 for v in vals])
    X0, XW = 250, 430            # the ratio axis
    Y0 = 96
    H_rows = ROW_H * len(rows)
    RX, RW = 800, 300            # the memory panel
    rss_rows = [r for r in rss]
    H_rss = 44 * len(rss_rows)
    W = RX + RW + 150
    H = Y0 + max(H_rows, H_rss + 40) + 90

    def px(v):
        return X0 + (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) * XW

    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="20" y="26" font-size="17" font-weight="bold">Inside the real QEMU 2.3.0: '
         'qemu-user-mmap (ours) against stock mmap.c, guest wall time</text>',
         '<text x="20" y="46" font-size="12">%s · library %s%s · %s CPUs, shared machine '
         '(load %s → %s) · %d rounds, stock then ours</text>'
         % (esc(meta["date"]), esc(lib["commit"]), " + uncommitted src/" if lib["dirty"] else "",
            meta["machine"]["nproc"], esc(" ".join(meta["load_start"])),
            esc(" ".join(meta["load_end"])), data["config"]["rounds"])]
    # ratio panel
    o.append('<text x="%d" y="%d" font-size="13" font-weight="bold">ours/stock per round '
             '(dots), interquartile range (bar), median (tick); &lt; 1: ours faster</text>'
             % (20, Y0 - 22))
    ticks = [t for t in (0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0) if lo <= t <= hi]
    for t in ticks:
        X = px(t)
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>'
                 % (X, Y0 - 6, X, Y0 + H_rows, "#888" if t == 1.0 else "#e4e4e4"))
        o.append('<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%g</text>'
                 % (X, Y0 + H_rows + 14, t))
    o.append('<text x="%.1f" y="%d" font-size="12" text-anchor="middle">wall time, ours / stock '
             '(log scale)</text>' % (X0 + XW / 2, Y0 + H_rows + 32))
    prev = None
    for i, s in enumerate(rows):
        y = Y0 + i * ROW_H + ROW_H / 2
        if prev and prev != s["workload"]:
            o.append('<line x1="20" y1="%.1f" x2="%d" y2="%.1f" stroke="#bbb"/>'
                     % (y - ROW_H / 2, X0 + XW, y - ROW_H / 2))
        prev = s["workload"]
        c = COL[s["page"]]
        o.append('<text x="20" y="%.1f" font-size="11">%s</text>' % (y + 4, esc(s["workload"])))
        o.append('<text x="90" y="%.1f" font-size="11">%s</text>' % (y + 4, esc(s["target"])))
        o.append('<text x="145" y="%.1f" font-size="11" fill="%s">%s</text>'
                 % (y + 4, c, "4 KiB" if s["page"] == "4k" else "-p 65536"))
        if "ratio" in s:
            r = s["ratio"]
            o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="7" '
                     'stroke-opacity="0.35"/>' % (px(r["q1"]), y, px(r["q3"]), y, c))
            for v in r["all"]:
                o.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (px(v), y, c))
            o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" stroke-width="2"/>'
                     % (px(r["median"]), y - 6, px(r["median"]), y + 6))
            o.append('<text x="%d" y="%.1f" font-size="11">%.2f</text>' % (X0 + XW + 8, y + 4, r["median"]))
        else:
            f = s["fails"]
            if "ours" in f:
                msg = "ours fails: " + f["ours"]["verdict"]
            elif "stock" in f:
                msg = "stock fails: %s (ours %.2f s)" % (f["stock"]["verdict"], s["ours"]["median_s"] or 0)
            else:
                msg = "no runs"
            o.append('<text x="%d" y="%.1f" font-size="11" fill="#a00">%s</text>' % (X0 + 6, y + 4, esc(msg)))
    # memory panel
    if rss_rows:
        vals = [r[k]["maxrss_kib"] for r in rss_rows for k in r if isinstance(r[k], dict)
                and r[k].get("maxrss_kib")]
        top = max(vals) / 1024 if vals else 1
        step = 10 ** math.floor(math.log10(top)) if top > 0 else 1
        top = math.ceil(top / step) * step

        def mx(mib):
            return RX + mib / top * RW

        o.append('<text x="%d" y="%d" font-size="13" font-weight="bold">Emulator peak RSS: g_bigmap, '
                 '%d MiB in 4 KiB pieces</text>' % (RX - 60, Y0 - 22, rss_mib))
        for k in range(0, int(top / step) + 1):
            X = mx(k * step)
            o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>' % (X, Y0 - 6, X, Y0 + H_rss))
            o.append('<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%g</text>'
                     % (X, Y0 + H_rss + 14, k * step))
        o.append('<text x="%.1f" y="%d" font-size="12" text-anchor="middle">MiB (light: the same '
                 'guest mapping nothing)</text>' % (RX + RW / 2, Y0 + H_rss + 32))
        for i, r in enumerate(rss_rows):
            y = Y0 + i * 44
            o.append('<text x="%d" y="%d" font-size="11">%s</text>' % (RX - 60, y + 16, esc(r["target"])))
            o.append('<text x="%d" y="%d" font-size="11" fill="%s">%s</text>'
                     % (RX - 60, y + 30, COL[r["page"]], "4 KiB" if r["page"] == "4k" else "-p 65536"))
            for j, impl in enumerate(("stock", "ours")):
                yy = y + 4 + j * 18
                g, b = r["%s_%d" % (impl, rss_mib)], r["%s_0" % impl]
                color = "#777" if impl == "stock" else "#2ca02c"
                if g["maxrss_kib"] and not g["fail"]:
                    o.append('<rect x="%d" y="%d" width="%.1f" height="14" fill="%s"/>'
                             % (RX, yy, mx(g["maxrss_kib"] / 1024) - RX, color))
                    if b["maxrss_kib"]:
                        o.append('<rect x="%d" y="%d" width="%.1f" height="14" fill="white" '
                                 'fill-opacity="0.55"/>' % (RX, yy, mx(b["maxrss_kib"] / 1024) - RX))
                    o.append('<text x="%.1f" y="%d" font-size="11">%s %.1f MiB</text>'
                             % (mx(g["maxrss_kib"] / 1024) + 4, yy + 11, impl, g["maxrss_kib"] / 1024))
                else:
                    why = g["fail"]["verdict"] if g["fail"] else "no run"
                    o.append('<text x="%d" y="%d" font-size="11" fill="#a00">%s fails: %s</text>'
                             % (RX, yy + 11, impl, esc(why)))
    o.append("</svg>")
    return "\n".join(o) + "\n"
