"""Helpers the benchmark drivers share (run_encoders.py, run_lm.py, lm_ceiling.py): logging
with a timestamp, worker processes that print one JSON line, the machine's load and CPU description."""
import json
import os
import platform
import subprocess
import sys
import time


def log(msg, tag="bench"):
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def log_lm(msg):
    log(msg, "bench-lm")


def run_worker(label, cmd, env, log_path, timeout):
    """Run one worker process to completion (stderr appended to log_path); returns its last stdout line as a dict,
    plus "process_s" (its wall time), or raises RuntimeError when it exits non-zero."""
    log_lm(f"{label}: {' '.join(cmd)}")
    t0 = time.perf_counter()
    with open(log_path, "a") as err:
        err.write(f"==== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n")
        err.flush()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        with open(log_path) as f:
            tail = "".join(f.readlines()[-5:])
        raise RuntimeError(f"{label} exited with status {p.returncode}; the end of {log_path}:\n{tail}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["process_s"] = wall
    return res


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
