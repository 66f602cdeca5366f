#!/usr/bin/env python3
"""Encoder benchmark: qeff vs ONNX Runtime (onnxruntime-node) vs PyTorch.

    run_encoders.py BUILD_DIR [options]        (see --help; run_encoders.sh wraps it)

BUILD_DIR is a configured and built qeff build directory (BUILD_DIR/src/libqeff.so);
nothing of qeff is built here. The script

  1. writes the random-weight models (make_models.py) into BUILD_DIR/bench-models
     unless they are there;
  2. compiles the small C driver qeff_worker.c against include/qeff/qeff.h and
     BUILD_DIR/src/libqeff.so (into BUILD_DIR/bench-work);
  3. exports each model with qeff_export (model.pooling = mean): the ONNX file
     ONNX Runtime runs is the graph qeff compiles;
  4. for each model and workload starts one long-lived worker per runtime
     (qeff_worker, ort_worker.js, torch_worker.py): each loads/compiles, warms
     up and writes the embeddings of one run; then runs REPS rounds, each round
     asking every worker in turn (rotating order) for a block of timed calls, so
     that load changes on the machine hit every runtime alike;
  5. prints a markdown report: absolute numbers (best = min time, median),
     ratios (> 1: qeff faster) and the max abs difference of the embeddings.

Timed spans: qeff_generate (token rows in, pooled embeddings out; the result is
freed outside the span); ONNX Runtime session.run (tensors created once);
PyTorch forward + masked mean pooling under torch.inference_mode().
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODELS = ["minilm-l6", "bert-base"]
# name -> (batch, seq, kind)
WORKLOADS = {"b32s128": (32, 128, "throughput"), "b1s16": (1, 16, "latency")}
IDS_SEED = 20240601


def log(msg):
    bench_common.log(msg)


loadavg, cpu_name, cpu_isa = bench_common.loadavg, bench_common.cpu_name, bench_common.cpu_isa


class Worker:
    """A benchmark worker process speaking the 'ready' / 'run K' / JSON-line protocol."""

    def __init__(self, label, cmd, env=None, cwd=None, timeout=3600):
        self.label = label
        self.cmd = cmd
        self.info = {}
        log(f"start {label}: {' '.join(cmd)}")
        t0 = time.perf_counter()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                  cwd=cwd, bufsize=1)
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError(f"{label}: worker exited before 'ready' (rc {self.p.wait()})")
            line = line.strip()
            if line == "ready":
                break
            if line.startswith("{"):
                self.info.update(json.loads(line))
        self.startup_s = time.perf_counter() - t0
        log(f"{label}: ready after {self.startup_s:.1f} s {self.info}")

    def run(self, k):
        self.p.stdin.write(f"run {k}\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label}: worker died (rc {self.p.wait()})")
        return json.loads(line)

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.close()
                self.p.wait(timeout=60)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()


def read_f32(path):
    import numpy as np
    return np.fromfile(path, dtype=np.float32)


def max_abs_diff(a, b):
    import numpy as np
    x, y = read_f32(a), read_f32(b)
    if x.shape != y.shape:
        return float("nan")
    return float(np.abs(x - y).max())


def min_cosine(a, b):
    """The smallest cosine similarity between corresponding rows (embeddings)."""
    import numpy as np
    x, y = read_f32(a).astype(np.float64), read_f32(b).astype(np.float64)
    if x.shape != y.shape:
        return float("nan")
    x, y = x.reshape(-1, x.shape[-1]) if x.ndim > 1 else x[None], y.reshape(-1, y.shape[-1]) if y.ndim > 1 else y[None]
    return float(((x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))).min())


def summarize(times):
    return {"min": min(times), "median": statistics.median(times), "n": len(times)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", help="qeff build directory holding src/libqeff.so")
    ap.add_argument("--threads", type=int, default=2, help="threads for every runtime (default 2)")
    ap.add_argument("--reps", type=int, default=7, help="rounds per workload (>= 5; default 7)")
    ap.add_argument("--latency-calls", type=int, default=20,
                    help="timed calls per round in the latency workload (default 20)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS))
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated subset of " + ",".join(WORKLOADS))
    ap.add_argument("--qeff-bf16", default="all", choices=["off", "latency", "all"],
                    help="also run qeff with compile.weight_dtype = bf16: in no workload, the latency workload "
                         "only, or all (default)")
    ap.add_argument("--qeff-int8", default="all", choices=["off", "latency", "all"],
                    help="also run qeff with compile.weight_dtype = int8 (W8A8): in no workload, the latency "
                         "workload only, or all (default)")
    ap.add_argument("--torch-bf16", default="latency", choices=["off", "latency", "all"],
                    help="also run PyTorch under bf16 autocast: in no workload, the latency workload only (default: "
                         "PyTorch 1.13's bf16 matmuls are very slow without AVX-512 BF16), or all")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    ap.add_argument("--no-ort", action="store_true", help="skip ONNX Runtime")
    ap.add_argument("--python", default="/work/refenv/bin/python",
                    help="Python with torch + transformers for the models and the PyTorch worker")
    ap.add_argument("--node", default=shutil.which("node") or "node", help="node binary")
    ap.add_argument("--node-modules", default=None,
                    help="folder holding onnxruntime-node (default: BUILD_DIR/node/node_modules, else "
                         "benchmarks/node_modules)")
    ap.add_argument("--torch-env", default="OMP_WAIT_POLICY=PASSIVE",
                    help="extra environment of the PyTorch worker, space separated (default "
                         "'OMP_WAIT_POLICY=PASSIVE'; OPENBLAS_NUM_THREADS is set to --threads)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"), help="C compiler for qeff_worker.c")
    ap.add_argument("--out", default=None, help="also write the markdown report to this file")
    args = ap.parse_args()

    build = os.path.abspath(args.build_dir)
    lib = os.path.join(build, "src", "libqeff.so")
    if not os.path.exists(lib):
        sys.exit(f"no {lib}: build qeff first (meson setup + ninja)")
    models = [m for m in args.models.split(",") if m]
    workloads = [w for w in args.workloads.split(",") if w]
    for m in models:
        if m not in MODELS:
            sys.exit(f"unknown model {m}")
    for w in workloads:
        if w not in WORKLOADS:
            sys.exit(f"unknown workload {w}")
    if args.reps < 1:
        sys.exit("--reps must be >= 1")
    models_dir = os.path.join(build, "bench-models")
    work = os.path.join(build, "bench-work")
    cache = os.path.join(build, "bench-cache")
    os.makedirs(work, exist_ok=True)
    node_modules = args.node_modules
    if node_modules is None:
        for cand in (os.path.join(build, "node", "node_modules"), os.path.join(HERE, "node_modules")):
            if os.path.isdir(os.path.join(cand, "onnxruntime-node")):
                node_modules = cand
                break
    if not args.no_ort and node_modules is None:
        sys.exit("onnxruntime-node not found: npm install onnxruntime-node --ignore-scripts --prefix "
                 f"{os.path.join(build, 'node')} (see benchmarks/README.md), or pass --no-ort")

    load_start = loadavg()
    log(f"load average {load_start}")

    # 1. models
    missing = [m for m in models if not os.path.isfile(os.path.join(models_dir, m, "model.safetensors"))]
    if missing:
        log(f"writing models {missing} into {models_dir}")
        subprocess.run([args.python, os.path.join(HERE, "make_models.py"), models_dir], check=True)

    # 2. the qeff driver
    worker = os.path.join(work, "qeff_worker")
    subprocess.run([args.cc, "-O2", "-std=c11", "-Wall", "-Wextra", "-o", worker, os.path.join(HERE, "qeff_worker.c"),
                    "-I", os.path.join(REPO, "include"), "-L", os.path.dirname(lib), "-lqeff",
                    "-Wl,-rpath," + os.path.dirname(lib)], check=True)

    # 3. ONNX exports
    onnx = {}
    if not args.no_ort:
        for m in models:
            d = os.path.join(work, "onnx-" + m)
            out = subprocess.run([worker, "export", os.path.join(models_dir, m), d, "mean"], check=True,
                                 capture_output=True, text=True).stdout
            log(f"exported {m}: {out.strip()}")
            onnx[m] = os.path.join(d, "model.onnx")

    import numpy as np

    torch_env = dict(os.environ)
    torch_env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    for kv in args.torch_env.split():
        k, _, v = kv.partition("=")
        torch_env[k] = v
    node_env = dict(os.environ)
    if node_modules:
        node_env["NODE_PATH"] = node_modules

    versions = {"qeff": subprocess.run([args.python, "-c",
                                        "import ctypes,sys; l=ctypes.CDLL(sys.argv[1]); "
                                        "l.qeff_version.restype=ctypes.c_char_p; print(l.qeff_version().decode())",
                                        lib], capture_output=True, text=True).stdout.strip()}
    if not args.no_torch:
        versions["torch"], versions["transformers"] = subprocess.run(
            [args.python, "-c", "import torch, transformers; print(torch.__version__); print(transformers.__version__)"],
            capture_output=True, text=True, check=True).stdout.split()
    if not args.no_ort:
        versions["onnxruntime-node"] = json.load(open(os.path.join(node_modules, "onnxruntime-node", "package.json")))["version"]
        versions["node"] = subprocess.run([args.node, "--version"], capture_output=True, text=True).stdout.strip()

    results = {}  # (model, workload) -> {label: summary}
    diffs = {}  # (model, workload) -> {pair: diff}
    extra = {}  # (model, workload) -> {label: info}
    t_start = time.time()
    for m in models:
        mdir = os.path.join(models_dir, m)
        for wname in workloads:
            batch, seq, kind = WORKLOADS[wname]
            ids = np.random.default_rng(IDS_SEED).integers(1000, 30000, size=batch * seq, dtype=np.int32)
            ids_file = os.path.join(work, f"ids-{wname}.bin")
            ids.tofile(ids_file)
            qeff_bf16 = args.qeff_bf16 == "all" or (args.qeff_bf16 == "latency" and kind == "latency")
            qeff_int8 = args.qeff_int8 == "all" or (args.qeff_int8 == "latency" and kind == "latency")
            torch_bf16 = args.torch_bf16 == "all" or (args.torch_bf16 == "latency" and kind == "latency")
            specs = [("qeff", [worker, "serve", mdir, cache, ids_file, str(batch), str(seq), str(args.threads), "f32"],
                      None)]
            if not args.no_ort:
                specs.append(("ort", [args.node, os.path.join(HERE, "ort_worker.js"), onnx[m], ids_file, str(batch),
                                      str(seq), str(args.threads)], node_env))
            if not args.no_torch:
                specs.append(("torch", [args.python, os.path.join(HERE, "torch_worker.py"), mdir, ids_file, str(batch),
                                        str(seq), str(args.threads), "fp32"], torch_env))
            if qeff_bf16:
                specs.append(("qeff-bf16w", [worker, "serve", mdir, cache, ids_file, str(batch), str(seq),
                                             str(args.threads), "bf16"], None))
            if qeff_int8:
                specs.append(("qeff-int8", [worker, "serve", mdir, cache, ids_file, str(batch), str(seq),
                                            str(args.threads), "int8"], None))
            if torch_bf16 and not args.no_torch:
                specs.append(("torch-bf16", [args.python, os.path.join(HERE, "torch_worker.py"), mdir, ids_file,
                                                 str(batch), str(seq), str(args.threads), "bf16"], torch_env))
            workers = []
            try:
                for label, cmd, env in specs:
                    emb = os.path.join(work, f"emb-{m}-{wname}-{label}.bin")
                    workers.append(Worker(label, cmd + [emb], env=env))
                    workers[-1].emb = emb
                k = 1 if kind == "throughput" else args.latency_calls
                times = {w.label: [] for w in workers}
                compute = {}
                for r in range(args.reps):
                    order = workers[r % len(workers):] + workers[:r % len(workers)]
                    for w in order:
                        time.sleep(0.2)  # let the previous worker's thread pool go idle
                        res = w.run(k)
                        times[w.label] += res["times_ms"]
                        if "compute_ms" in res:
                            compute.setdefault(w.label, []).extend(res["compute_ms"])
                    log(f"{m} {wname} round {r + 1}/{args.reps}: " +
                        ", ".join(f"{lbl} {statistics.median(t[-k:]):.2f} ms" for lbl, t in times.items()))
            finally:
                for w in workers:
                    w.close()
            results[(m, wname)] = {lbl: summarize(t) for lbl, t in times.items()}
            extra[(m, wname)] = {w.label: dict(w.info, startup_s=round(w.startup_s, 2)) for w in workers}
            for lbl, c in compute.items():
                extra[(m, wname)][lbl]["compute_ms_median"] = round(statistics.median(c), 3)
            by = {w.label: w.emb for w in workers}
            d = {}
            for a, b in [("qeff", "ort"), ("qeff", "torch"), ("ort", "torch"), ("qeff-bf16w", "torch"),
                         ("qeff-int8", "torch"), ("torch-bf16", "torch")]:
                if a in by and b in by:
                    d[f"{a} vs {b}"] = max_abs_diff(by[a], by[b])
                    if a != "qeff" and a != "ort":
                        d[f"{a} vs {b} min cosine"] = min_cosine(by[a], by[b])
            diffs[(m, wname)] = d
    elapsed = time.time() - t_start
    load_end = loadavg()

    report = render(args, models, workloads, results, diffs, extra, versions, load_start, load_end, elapsed)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
        log(f"report written to {args.out}")


def render(args, models, workloads, results, diffs, extra, versions, load_start, load_end, elapsed):
    L = []
    L.append("# Encoder benchmark: qeff vs ONNX Runtime vs PyTorch\n")
    L.append(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}, host CPU: {cpu_name()} "
             f"({os.cpu_count()} logical CPUs; {cpu_isa()})")
    L.append(f"- threads: {args.threads} per runtime; rounds: {args.reps} (latency: {args.latency_calls} calls per round)")
    L.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    L.append(f"- load average at start {load_start}, at end {load_end}; measuring took {elapsed / 60:.1f} min")
    cmd = os.environ.get("BENCH_COMMAND") or " ".join([sys.argv[0]] + sys.argv[1:])
    L.append(f"- command: `{cmd}`")
    L.append(f"- PyTorch worker environment: OPENBLAS_NUM_THREADS={args.threads} {args.torch_env}; "
             f"torch.set_num_threads({args.threads}); ONNX Runtime: intraOpNumThreads {args.threads}, "
             "interOpNumThreads 1, graphOptimizationLevel 'all'; qeff: runtime.threads "
             f"{args.threads}, compile.weight_dtype f32")
    L.append("- best = from the minimum time, median = from the median time; ratios qeff/X = time(X) / time(qeff): "
             "> 1 means qeff is faster\n")

    def fmt(x, nd=1):
        return "-" if x is None else f"{x:.{nd}f}"

    def ratio(res, a, b, key):
        if a not in res or b not in res:
            return None
        return res[b][key] / res[a][key]

    def cells_sps(res, lbl, b):
        if lbl not in res:
            return "-"
        return f"{b * 1e3 / res[lbl]['min']:.1f} / {b * 1e3 / res[lbl]['median']:.1f}"

    def cells_ms(res, lbl, b):
        return "-" if lbl not in res else f"{res[lbl]['min']:.2f} / {res[lbl]['median']:.2f}"

    sections = [("throughput", "Throughput", "sentences/s", cells_sps), ("latency", "Latency", "ms per call", cells_ms)]
    for kind, title, unit, cell in sections:
        for w in [w for w in workloads if WORKLOADS[w][2] == kind]:
            b, s, _ = WORKLOADS[w]
            L.append(f"## {title}: batch {b} x seq {s}, {unit} (best / median)\n")
            L.append("| model | qeff | ONNX Runtime | PyTorch fp32 | qeff/ORT (best / median) | qeff/PyTorch (best / median) |")
            L.append("| --- | ---: | ---: | ---: | ---: | ---: |")
            for m in models:
                res = results.get((m, w))
                if not res:
                    continue
                L.append(f"| {m} | {cell(res, 'qeff', b)} | {cell(res, 'ort', b)} | {cell(res, 'torch', b)} | "
                         f"{fmt(ratio(res, 'qeff', 'ort', 'min'), 2)} / {fmt(ratio(res, 'qeff', 'ort', 'median'), 2)} | "
                         f"{fmt(ratio(res, 'qeff', 'torch', 'min'), 2)} / {fmt(ratio(res, 'qeff', 'torch', 'median'), 2)} |")
            L.append("")
    variants = ["qeff-bf16w", "qeff-int8", "torch-bf16"]
    bf = [(m, w) for m in models for w in workloads
          if (m, w) in results and any(v in results[(m, w)] for v in variants)]
    if bf:
        L.append("## Reduced-precision variants (best / median; throughput in sentences/s, latency in ms)\n")
        L.append("qeff-bf16w: compile.weight_dtype = bf16 (matmul weights stored as bf16, computed in f32); qeff-int8: "
                 "compile.weight_dtype = int8 (int8 weights with per-column scales, activations quantized per row at "
                 "run time, int32 sums); PyTorch: torch.autocast('cpu', dtype=torch.bfloat16). Ratios as above: > 1 "
                 "means the variant is faster.\n")
        L.append("| model | workload | variant | time | variant/ORT f32 (best / median) | variant/qeff f32 (best / median) "
                 "| variant/PyTorch-bf16 (best / median) |")
        L.append("| --- | --- | --- | ---: | ---: | ---: | ---: |")
        for m, w in bf:
            res = results[(m, w)]
            b, s, kind = WORKLOADS[w]
            for v in variants:
                if v not in res:
                    continue
                val = (f"{b * 1e3 / res[v]['min']:.1f} / {b * 1e3 / res[v]['median']:.1f}" if kind == "throughput"
                       else f"{res[v]['min']:.2f} / {res[v]['median']:.2f}")
                cols = [f"{fmt(ratio(res, v, o, 'min'), 2)} / {fmt(ratio(res, v, o, 'median'), 2)}" if v != o else "-"
                        for o in ("ort", "qeff", "torch-bf16")]
                L.append(f"| {m} | {b}x{s} | {v} | {val} | " + " | ".join(cols) + " |")
        L.append("")
    L.append("## Correctness: max abs difference (and min row cosine) of the pooled embeddings\n")
    pairs = sorted({p for d in diffs.values() for p in d})
    if pairs:
        L.append("| model | workload | " + " | ".join(pairs) + " |")
        L.append("| --- | --- | " + " | ".join("---:" for _ in pairs) + " |")
        for (m, w), d in diffs.items():
            b, s, _ = WORKLOADS[w]
            L.append(f"| {m} | {b}x{s} | " + " | ".join((f"{d[p]:.6f}" if "cosine" in p else f"{d[p]:.3g}") if p in d else "-"
                                                for p in pairs) + " |")
        L.append("")
    L.append("## Worker details\n")
    L.append("Start-up = load + compile (qeff: from the compile cache when warm) + 2 warm-up calls.\n")
    for (m, w), info in extra.items():
        L.append(f"- {m} {w}: " + "; ".join(f"{lbl} {json.dumps(v, sort_keys=True)}" for lbl, v in info.items()))
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    main()
