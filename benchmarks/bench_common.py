"""Helpers the benchmark drivers share (run_encoders.py, run_lm.py): logging
with a timestamp, the machine's load and CPU description."""
import os
import platform
import sys
import time


def log(msg, tag="bench"):
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def cpu_isa():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "?"
    keep = ["avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512vbmi", "avx512_bf16", "amx_tile", "amx_int8",
            "amx_bf16"]
    return ",".join(k for k in keep if k in flags)
