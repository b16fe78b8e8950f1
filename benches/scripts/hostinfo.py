"""The machine a benchmark ran on, for the generated tables: one copy for benches/scripts/run.py
and benches/qemu/run.py."""
import os
import platform


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "page_size": os.sysconf("SC_PAGE_SIZE")}
