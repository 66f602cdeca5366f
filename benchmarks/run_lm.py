#!/usr/bin/env python3
"""Causal-LM benchmark: qeff vs PyTorch and llama.cpp, prefill and decode tokens/s.

    run_lm.py BUILD_DIR [options]        (see --help; run_lm.sh wraps it)

BUILD_DIR is a configured and built qeff build directory (BUILD_DIR/src/libqeff.so);
nothing of qeff is built here. The script

  1. writes the random-weight TinyLlama-1.1B-shaped LlamaForCausalLM
     (make_lm_model.py, fp32, ~4.4 GB) into BUILD_DIR/models/tinyllama-shape
     unless it is there (--model-dir to use another);
  2. compiles the C driver lm_qeff_worker.c against include/qeff/qeff.h and
     BUILD_DIR/src/libqeff.so (into BUILD_DIR/bench-work);
  3. for the llama.cpp variants (only when node-llama-cpp is installed under
     --node-llama): converts the model to GGUF files of the same weights
     (make_gguf.py: F32, F16, BF16, Q8_0, Q4_0; into BUILD_DIR/gguf) unless
     they are there;
  4. runs ROUNDS rounds; in each, every variant (qeff fp32, qeff bf16 weights,
     PyTorch fp32, PyTorch bf16, llama.cpp per GGUF type) in turn (rotating
     order) runs as its own process: load (+ compile for qeff: from the compile
     cache after the first round), 1 warm-up generation, CALLS measured greedy
     generations of
     NEW_TOKENS + 1 tokens from one PROMPT_LEN-token prompt (batch 1), exit.
     One process at a time: a 1.1 B model is 4.4 GB in fp32, and nothing else
     of the benchmark runs while a variant measures. Interleaving the variants
     round by round spreads load changes on the machine over all of them;
  5. prints a markdown report: prefill tokens/s (PROMPT_LEN / time of the
     prefill, first token included) and decode tokens/s (NEW_TOKENS / time of
     the decode steps), best (from the minimum time) and median over all
     calls, and the ratios qeff/PyTorch and qeff/llama.cpp at equal precision
     (> 1: qeff faster);
  6. unless --no-bandwidth: measures the machine's memory read bandwidth with
     --threads threads (bandwidth.c, a STREAM-like sum over a 1 GiB buffer,
     compiled with --cc -O3 -march=native) before the first round and after
     the last, and reports per variant the bytes of weights one decode token
     reads (from the model's config.json and the variant's weight format, see
     decode_bytes_per_token), the decode ceiling tok/s = GB/s / GB per token
     and the fraction of it reached (best / best, median / median).
     --bandwidth-only measures the bandwidth and prints the ceilings without
     running any variant (no qeff build needed). --bandwidth-per-process also
     measures it right before and right after every variant's process and
     reports each process's decode against the ceiling of the bandwidth
     around it: on a VM whose bandwidth changes between processes (2 vCPUs
     placed on one or two paths to memory) a ceiling from the start and the
     end of the benchmark says little about a process in between.
     --bandwidth-per-call goes finer: the qeff and llama.cpp workers run the
     probe themselves (LM_BANDWIDTH_PROBE) before each measured generation and
     after the last, and the report sets each generation's decode against the
     bandwidth seconds around it (the ceiling code: lm_ceiling.py).

qeff's figures are its own statistics (qeff_result_stat "prefill_ms",
"prefill_tokens_per_s", "decode_ms", "decode_tokens_per_s" of one
qeff_generate call with generate.max_new_tokens NEW_TOKENS + 1 and
generate.ignore_eos); PyTorch's are timed around the forward calls and argmax
(prefill with num_logits_to_keep=1 as HF generate does, decode with the
DynamicCache); llama.cpp's are its own llama_perf_context timings (prompt
eval and eval time) of one context sequence, run by llama_cpp_worker.mjs
through the node-llama-cpp npm package (prebuilt CPU binaries).
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from bench_common import run_worker  # noqa: E402,F401 (make_gguf.py calls run_lm.run_worker)
from lm_ceiling import (GGUF_TYPES, compile_bandwidth, display, measure_bandwidth, probe_bandwidth,  # noqa: E402
                        render_bandwidth)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LLAMA_VARIANTS = ["llamacpp-" + t for t in GGUF_TYPES]
VARIANTS = ["qeff-fp32", "qeff-bf16", "qeff-f16", "qeff-int8", "qeff-mxfp6", "qeff-int4", "qeff-int4g128", "torch-fp32",
            "torch-bf16"] + LLAMA_VARIANTS
IDS_SEED = 20240601


log = bench_common.log_lm


loadavg, cpu_name, cpu_isa = bench_common.loadavg, bench_common.cpu_name, bench_common.cpu_isa


def mem_gib():
    try:
        with open("/proc/meminfo") as f:
            info = {l.split(":")[0]: int(l.split()[1]) for l in f}
        return round(info["MemTotal"] / 2**20, 1), round(info["MemAvailable"] / 2**20, 1)
    except (OSError, KeyError, ValueError):
        return None


def write_prompt_ids(path, n):
    """The benchmark's prompt: n random token ids in [1000, 30000) (fixed seed), int32, written to path."""
    import numpy as np

    ids = np.random.default_rng(IDS_SEED).integers(1000, 30000, size=n, dtype=np.int32)
    ids.tofile(path)
    return ids


def llama_cpp_command(node_llama, gguf, threads, prompt_len, ctx_len, new_tokens, calls, ids_file, logits_out=None,
                      node="node"):
    """The llama_cpp_worker.mjs command line (see that file)."""
    return [node, os.path.join(HERE, "llama_cpp_worker.mjs"), node_llama, gguf] + [
        str(x) for x in (threads, prompt_len, ctx_len, new_tokens, calls)] + [ids_file] + (
        [logits_out] if logits_out else [])


def common_prefix(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def model_config(model_dir):
    """The model's config.json, or make_lm_model.py's CONFIG when model_dir has none (--bandwidth-only)."""
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        import make_lm_model

        return dict(make_lm_model.CONFIG)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", help="qeff build directory holding src/libqeff.so")
    ap.add_argument("--threads", type=int, default=2, help="threads for every runtime (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds: worker processes per variant (default 3)")
    ap.add_argument("--calls", type=int, default=1, help="measured generations per worker process (default 1)")
    ap.add_argument("--prompt-len", type=int, default=128, help="prompt tokens = compile.prefill_seq_len (128)")
    ap.add_argument("--ctx-len", type=int, default=256, help="qeff compile.ctx_len (256)")
    ap.add_argument("--new-tokens", type=int, default=64, help="qeff: decode steps measured per generation (64)")
    ap.add_argument("--torch-new-tokens", type=int, default=16,
                    help="PyTorch: decode steps per generation (default 16: Debian's torch decodes a 1.1 B model at "
                         "well under 1 token/s on 2 cores; at ctx <= 256 the step cost hardly depends on the "
                         "position)")
    ap.add_argument("--variants", default=None,
                    help="comma-separated subset of " + ",".join(VARIANTS) + " (default: all; the llama.cpp ones "
                         "only when node-llama-cpp is installed under --node-llama)")
    ap.add_argument("--torch-bf16-rounds", type=int, default=1,
                    help="rounds in which PyTorch bf16 runs (the first N; default 1): PyTorch 1.13 has no fast "
                         "bf16 matmul on a CPU without AVX-512 BF16 (a 128-token prefill takes minutes)")
    ap.add_argument("--torch-bf16-calls", type=int, default=None,
                    help="measured generations per PyTorch bf16 process (default: --calls)")
    ap.add_argument("--torch-bf16-new-tokens", type=int, default=8,
                    help="decode steps per PyTorch bf16 generation (default 8)")
    ap.add_argument("--torch-bf16-warmup-len", type=int, default=16,
                    help="prompt tokens of PyTorch bf16's warm-up generation (default 16; the others warm up with "
                         "the full prompt)")
    ap.add_argument("--model-dir", default=None, help="model directory (default BUILD_DIR/models/tinyllama-shape)")
    ap.add_argument("--cache", default=None,
                    help="qeff compile cache directory (default BUILD_DIR/bench-cache), or 'none' for "
                         "cache.enabled false (every qeff process then compiles from scratch)")
    ap.add_argument("--python", default="/work/refenv/bin/python",
                    help="Python with torch + transformers for the model and the PyTorch worker")
    ap.add_argument("--torch-env", default="OMP_WAIT_POLICY=PASSIVE",
                    help="extra environment of the PyTorch worker, space separated (default "
                         "'OMP_WAIT_POLICY=PASSIVE'; OPENBLAS_NUM_THREADS is set to --threads)")
    ap.add_argument("--node-llama", default=None,
                    help="npm prefix holding node-llama-cpp for the llama.cpp variants (default BUILD_DIR/node-llama)")
    ap.add_argument("--gguf-dir", default=None, help="GGUF files of the model (default BUILD_DIR/gguf; make_gguf.py)")
    ap.add_argument("--node", default=shutil.which("node") or "node", help="node binary")
    ap.add_argument("--worker-timeout", type=int, default=3600, help="seconds one worker process may take (3600)")
    ap.add_argument("--qeff-kv-cache-dtype", default=None, choices=["f32", "f16", "bf16", "mxint8"],
                    help="model.kv_cache_dtype of the qeff variants (default: the library's, f32; llama.cpp's "
                         "default KV cache is f16)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"), help="C compiler for lm_qeff_worker.c and bandwidth.c")
    ap.add_argument("--out", default=None, help="also write the markdown report to this file")
    ap.add_argument("--no-bandwidth", action="store_true",
                    help="do not measure the memory read bandwidth (bandwidth.c) nor report the decode ceilings")
    ap.add_argument("--bandwidth-only", action="store_true",
                    help="only measure the bandwidth and print every variant's decode ceiling (no variant runs; "
                         "BUILD_DIR needs no qeff build, it only holds bench-work/)")
    ap.add_argument("--bandwidth-per-process", action="store_true",
                    help="also measure the bandwidth right before and after every variant process (--bracket-rounds "
                         "rounds) and report each process's decode against the ceiling of the bandwidth around it")
    ap.add_argument("--bandwidth-per-call", action="store_true",
                    help="also measure the bandwidth inside the qeff and llama.cpp worker processes before each "
                         "measured generation and after the last (--bracket-rounds rounds; LM_BANDWIDTH_PROBE) and "
                         "report each generation's decode against the ceiling of the bandwidth around it")
    ap.add_argument("--bracket-rounds", type=int, default=3,
                    help="bandwidth.c timed rounds per measurement around a process or a generation (default 3)")
    ap.add_argument("--bandwidth-mib", type=int, default=1024, help="bandwidth.c buffer in MiB (default 1024)")
    ap.add_argument("--bandwidth-rounds", type=int, default=10, help="bandwidth.c timed rounds per run (default 10)")
    args = ap.parse_args()
    if args.no_bandwidth and args.bandwidth_only:
        sys.exit("--no-bandwidth and --bandwidth-only exclude each other")
    if args.no_bandwidth and (args.bandwidth_per_process or args.bandwidth_per_call):
        sys.exit("--no-bandwidth excludes --bandwidth-per-process and --bandwidth-per-call")
    if args.bandwidth_mib < args.threads or min(args.bandwidth_rounds, args.bracket_rounds, args.threads) < 1:
        sys.exit("--threads, --bandwidth-rounds and --bracket-rounds must be >= 1, --bandwidth-mib >= --threads")
    if args.bandwidth_only:
        bandwidth_only(args)
        return

    build = os.path.abspath(args.build_dir)
    lib = os.path.join(build, "src", "libqeff.so")
    if not os.path.exists(lib):
        sys.exit(f"no {lib}: build qeff first (meson setup + ninja)")
    node_llama = os.path.abspath(args.node_llama or os.path.join(build, "node-llama"))
    have_llama = os.path.isfile(os.path.join(node_llama, "node_modules", "node-llama-cpp", "package.json"))
    variants = ([v for v in args.variants.split(",") if v] if args.variants else
                [v for v in VARIANTS if have_llama or v not in LLAMA_VARIANTS])
    for v in variants:
        if v not in VARIANTS:
            sys.exit(f"unknown variant {v}")
    if not have_llama and any(v in LLAMA_VARIANTS for v in variants):
        sys.exit(f"no node-llama-cpp under {node_llama}: npm install node-llama-cpp @node-llama-cpp/linux-x64 "
                 f"--omit=optional --ignore-scripts --prefix {node_llama} (see benchmarks/README.md)")
    if args.rounds < 1 or args.calls < 1 or args.new_tokens < 1:
        sys.exit("--rounds, --calls and --new-tokens must be >= 1")
    if args.prompt_len + args.new_tokens + 1 > args.ctx_len:
        sys.exit(f"--prompt-len + --new-tokens + 1 = {args.prompt_len + args.new_tokens + 1} exceeds --ctx-len "
                 f"{args.ctx_len}")
    tb_calls = args.torch_bf16_calls or args.calls
    tb_new = args.torch_bf16_new_tokens
    for n in (args.torch_new_tokens, tb_new, tb_calls, args.torch_bf16_warmup_len):
        if n < 1:
            sys.exit("token counts and calls must be >= 1")
    model_dir = os.path.abspath(args.model_dir or os.path.join(build, "models", "tinyllama-shape"))
    work = os.path.join(build, "bench-work")
    cache = args.cache if args.cache == "none" else os.path.abspath(args.cache or os.path.join(build, "bench-cache"))
    os.makedirs(work, exist_ok=True)
    worker_log = os.path.join(work, "lm-workers.log")
    open(worker_log, "w").close()

    load_start = loadavg()
    log(f"load average {load_start}, memory (total, available) GiB {mem_gib()}")

    # 1. the model (make_lm_model.py keeps a directory of the same shape)
    subprocess.run([args.python, os.path.join(HERE, "make_lm_model.py"), model_dir], check=True)

    # 2. the qeff driver
    qeff_worker = os.path.join(work, "lm_qeff_worker")
    subprocess.run([args.cc, "-O2", "-std=c11", "-Wall", "-Wextra", "-o", qeff_worker,
                    os.path.join(HERE, "lm_qeff_worker.c"), "-I", os.path.join(REPO, "include"),
                    "-L", os.path.dirname(lib), "-lqeff", "-Wl,-rpath," + os.path.dirname(lib)], check=True)

    # the bandwidth probe (bandwidth.c), measured before the first round and after the last
    bw = None
    if not args.no_bandwidth:
        bw = {"runs": [], "errors": [], "brackets": {}, "calls": {}}  # variant -> [per process], [per generation]
        bw_exe = os.path.join(work, "bandwidth")
        err = compile_bandwidth(args.cc, bw_exe)
        if err:
            bw["errors"].append(err)
            log(f"bandwidth: {err}")
        bw["compiled"] = err is None

    # 3. the GGUF files of the llama.cpp variants (make_gguf.py keeps files made from the same model)
    gguf_dir = os.path.abspath(args.gguf_dir or os.path.join(build, "gguf"))
    gguf_types = [v.split("-")[1] for v in variants if v in LLAMA_VARIANTS]
    if gguf_types:
        subprocess.run([args.python, os.path.join(HERE, "make_gguf.py"), model_dir, gguf_dir, "--types",
                        ",".join(gguf_types)], check=True)

    ids_file = os.path.join(work, f"lm-ids-{args.prompt_len}.bin")
    write_prompt_ids(ids_file, args.prompt_len)

    torch_env = dict(os.environ)
    torch_env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    for kv in args.torch_env.split():
        k, _, v = kv.partition("=")
        torch_env[k] = v

    versions = {"qeff": subprocess.run([args.python, "-c",
                                        "import ctypes,sys; l=ctypes.CDLL(sys.argv[1]); "
                                        "l.qeff_version.restype=ctypes.c_char_p; print(l.qeff_version().decode())",
                                        lib], capture_output=True, text=True).stdout.strip()}
    if any(v.startswith("torch") for v in variants):
        versions["torch"], versions["transformers"] = subprocess.run(
            [args.python, "-c", "import torch, transformers; print(torch.__version__); print(transformers.__version__)"],
            capture_output=True, text=True, check=True).stdout.split()

    # --bandwidth-per-call: the workers run this before each measured generation and after the last
    probe_env = None
    if args.bandwidth_per_call and bw is not None and bw["compiled"]:
        probe_env = dict(os.environ, LM_BANDWIDTH_PROBE=" ".join(shlex.quote(x) for x in (
            bw_exe, str(args.threads), "--mib", str(args.bandwidth_mib), "--rounds", str(args.bracket_rounds))))

    def command(v):
        if v.startswith("qeff"):
            dtype = {"qeff-fp32": "f32", "qeff-bf16": "bf16", "qeff-f16": "f16", "qeff-int8": "int8",
                     "qeff-mxfp6": "mxfp6",
                     "qeff-int4": "int4", "qeff-int4g128": "int4g128"}[v]
            kv = [args.qeff_kv_cache_dtype] if args.qeff_kv_cache_dtype else []
            return [qeff_worker, model_dir, cache, str(args.threads), dtype, str(args.prompt_len), str(args.ctx_len),
                    str(args.new_tokens), str(args.calls), ids_file] + kv, probe_env
        mode = v.split("-")[1]
        if v in LLAMA_VARIANTS:
            return llama_cpp_command(node_llama, os.path.join(gguf_dir, f"tinyllama-shape-{mode}.gguf"), args.threads,
                                     args.prompt_len, args.ctx_len, args.new_tokens, args.calls, ids_file,
                                     node=args.node), probe_env
        new, calls, warm = ((tb_new, tb_calls, min(args.torch_bf16_warmup_len, args.prompt_len)) if v == "torch-bf16"
                            else (args.torch_new_tokens, args.calls, args.prompt_len))
        return [args.python, os.path.join(HERE, "lm_torch_worker.py"), model_dir, str(args.threads), mode,
                str(args.prompt_len), str(new), str(calls), ids_file, str(warm)], torch_env

    samples = {v: {"prefill_ms": [], "prefill_tok_s": [], "decode_ms": [], "decode_tok_s": []} for v in variants}
    details = {v: [] for v in variants}
    tokens = {}
    failures = {}
    round_loads = []
    if bw is not None and bw["compiled"]:
        measure_bandwidth(bw, bw_exe, "before", args, worker_log)
    t_start = time.time()
    for r in range(args.rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            if v in failures or (v == "torch-bf16" and r >= args.torch_bf16_rounds):
                continue
            cmd, env = command(v)
            bracket = args.bandwidth_per_process and bw is not None and bw["compiled"]
            if bracket:
                before = probe_bandwidth(bw, bw_exe, f"before {v}", args, worker_log, args.bracket_rounds)
            time.sleep(1.0)  # let the previous process's memory and threads go
            try:
                res = run_worker(v, cmd, env, worker_log, args.worker_timeout)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                failures[v] = str(e)
                log(f"{v} FAILED: {e}")
                continue
            if bracket:
                after = probe_bandwidth(bw, bw_exe, f"after {v}", args, worker_log, args.bracket_rounds)
                if before is not None and after is not None:
                    bw["brackets"].setdefault(v, []).append(
                        {"before": before["median"], "after": after["median"],
                         "decode_tok_s": statistics.median(res["decode_tok_s"])})
            gbs = res.get("bandwidth_gbs")
            if gbs and len(gbs) == len(res["decode_tok_s"]) + 1:
                bw["calls"].setdefault(v, []).extend(
                    {"before": gbs[i], "after": gbs[i + 1], "decode_tok_s": x} for i, x in enumerate(res["decode_tok_s"]))
            for k in samples[v]:
                samples[v][k] += res[k]
            tokens[v] = res.get("tokens", [])
            versions.update(res.get("versions", {}))
            details[v].append({k: round(res[k], 2) for k in ("load_s", "compile_s", "context_s", "process_s")
                               if k in res})
            if gbs:
                details[v][-1]["bandwidth_gbs"] = [round(x, 1) for x in gbs]
            if v in LLAMA_VARIANTS:  # llama.cpp's timings vs the wall time around the node-llama-cpp calls
                details[v][-1].update(threads=res["threads"], flash_attention=res["flash_attention"],
                                      wall_decode_tok_s=round(args.new_tokens * 1e3 / min(res["wall_decode_ms"]), 2))
            log(f"{v} round {r + 1}/{args.rounds}: prefill {statistics.median(res['prefill_tok_s']):.1f} tok/s, "
                f"decode {statistics.median(res['decode_tok_s']):.2f} tok/s, process {res['process_s']:.0f} s")
        round_loads.append(loadavg())
        log(f"round {r + 1} done, load average {round_loads[-1]}")
    elapsed = time.time() - t_start
    if bw is not None and bw["compiled"]:
        measure_bandwidth(bw, bw_exe, "after", args, worker_log)
    load_end = loadavg()

    report = render(args, variants, samples, details, tokens, failures, versions, load_start, load_end, round_loads,
                    elapsed, tb_calls, tb_new, bw, model_config(model_dir))
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")
        log(f"report written to {args.out}")
    if failures:
        sys.exit(1)


def bandwidth_only(args):
    """--bandwidth-only: compile and run bandwidth.c once, print the read bandwidth and every variant's ceiling."""
    build = os.path.abspath(args.build_dir)
    work = os.path.join(build, "bench-work")
    os.makedirs(work, exist_ok=True)
    log_path = os.path.join(work, "lm-bandwidth.log")
    open(log_path, "w").close()
    model_dir = os.path.abspath(args.model_dir or os.path.join(build, "models", "tinyllama-shape"))
    variants = [v for v in args.variants.split(",") if v] if args.variants else list(VARIANTS)
    for v in variants:
        if v not in VARIANTS:
            sys.exit(f"unknown variant {v}")
    bw = {"runs": [], "errors": []}
    exe = os.path.join(work, "bandwidth")
    err = compile_bandwidth(args.cc, exe)
    if err:
        bw["errors"].append(err)
    else:
        measure_bandwidth(bw, exe, "alone", args, log_path)
    L = ["# Decode bandwidth ceilings (run_lm.py --bandwidth-only: no variant ran)\n",
         f"- machine: {cpu_name()} ({cpu_isa()}), {os.cpu_count()} CPUs, memory (total, available) GiB "
         f"{mem_gib()}; load average {loadavg()}",
         "- model config: " + (os.path.join(model_dir, "config.json") if os.path.isfile(
             os.path.join(model_dir, "config.json")) else f"make_lm_model.py's (no config.json in {model_dir})") + "\n"]
    L += render_bandwidth(args, variants, {}, bw, model_config(model_dir))
    report = "\n".join(L)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")
    if bw["errors"]:
        sys.exit(1)


def render(args, variants, samples, details, tokens, failures, versions, load_start, load_end, round_loads, elapsed,
           tb_calls, tb_new, bw=None, cfg=None):
    def best_median(v, key):
        """(best = max tok/s, i.e. from the min time; median tok/s; count), None when absent."""
        rate = samples.get(v, {}).get(key)
        if not rate:
            return None
        return max(rate), statistics.median(rate), len(rate)

    def cell(v, key, nd=1):
        bm = best_median(v, key)
        return "-" if bm is None else f"{bm[0]:.{nd}f} / {bm[1]:.{nd}f}"

    def ratio(a, b, key, i):
        x, y = best_median(a, key), best_median(b, key)
        return "-" if x is None or y is None else f"{x[i] / y[i]:.2f}"

    llama = [v for v in variants if v in LLAMA_VARIANTS]
    L = ["# Causal-LM benchmark: qeff vs PyTorch" + (" and llama.cpp\n" if llama else "\n")]
    L.append("- model: random-weight LlamaForCausalLM of TinyLlama-1.1B's shape (22 layers, hidden 2048, 32 heads / "
             "4 KV heads, intermediate 5632, vocab 32000; 1.10 G parameters, fp32 safetensors)")
    L.append(f"- workload: batch 1, prompt {args.prompt_len} random token ids (one prefill run), greedy; decode "
             f"steps per generation: qeff and llama.cpp {args.new_tokens}, PyTorch fp32 {args.torch_new_tokens}, "
             f"PyTorch bf16 {tb_new}; qeff compile.prefill_seq_len {args.prompt_len}, compile.ctx_len {args.ctx_len}")
    L.append(f"- machine: {cpu_name()} ({cpu_isa()}), {os.cpu_count()} CPUs, memory (total, available) GiB "
             f"{mem_gib()}; {args.threads} threads per runtime")
    L.append(f"- rounds {args.rounds} (PyTorch bf16: the first {min(args.torch_bf16_rounds, args.rounds)}), one "
             f"process per variant and round, {args.calls} measured generations per process ({tb_calls} for PyTorch "
             f"bf16) after 1 warm-up generation (PyTorch bf16: with a {args.torch_bf16_warmup_len}-token prompt)")
    L.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    L.append(f"- load average (1, 5, 15 min) at start {load_start}, after each round {round_loads}, at end "
             f"{load_end}; measuring took {elapsed / 60:.1f} min")
    cmd = os.environ.get("BENCH_COMMAND") or " ".join([sys.argv[0]] + sys.argv[1:])
    L.append(f"- command: `{cmd}`")
    L.append(f"- PyTorch: OPENBLAS_NUM_THREADS={args.threads} {args.torch_env}, torch.set_num_threads({args.threads}); "
             "fp32 = torch_dtype float32, bf16 = torch_dtype bfloat16 (bf16 weights and compute). qeff: "
             f"runtime.threads {args.threads}; fp32 = compile.weight_dtype f32, bf16 = compile.weight_dtype bf16 "
             "(matmul weights stored as bf16, computed in f32), int8 = compile.weight_dtype int8 (int8 weights with per-column "
             "scales, activations quantized per token at run time, int32 sums); KV cache "
             f"{args.qeff_kv_cache_dtype or 'f32 (the default)'} (model.kv_cache_dtype)")
    if llama:
        L.append(f"- llama.cpp (llama_cpp_worker.mjs, node-llama-cpp's prebuilt CPU binaries): GGUF files of the same "
                 f"weights (make_gguf.py; norms F32, every matrix in the file's type), context {args.ctx_len} "
                 f"tokens, batch {args.prompt_len} (the prompt is one llama_decode), {args.threads} threads, "
                 "llama.cpp's default KV cache (f16) and flash attention (auto); figures from llama_perf_context "
                 "(prompt eval time, eval time)")
    L.append("- best = highest tok/s (from the minimum time), median = median tok/s over all measured generations\n")

    L.append("## Tokens/s (best / median)\n")
    L.append("| runtime | precision | prefill tok/s | decode tok/s | generations |")
    L.append("| --- | --- | ---: | ---: | ---: |")
    for v in variants:
        n = best_median(v, "prefill_tok_s")
        L.append(f"| {' | '.join(display(v))} | {cell(v, 'prefill_tok_s')} | "
                 f"{cell(v, 'decode_tok_s', 2)} | {n[2] if n else 0}{' (failed)' if v in failures else ''} |")
    L.append("")
    L.append("## Ratios at equal precision (tok/s of the first / tok/s of the second; > 1: the first is faster)\n")
    L.append("| pair | prefill (best / median) | decode (best / median) |")
    L.append("| --- | ---: | ---: |")
    for a, b in (("qeff-fp32", "torch-fp32"), ("qeff-bf16", "torch-bf16"), ("qeff-fp32", "llamacpp-f32"),
                 ("qeff-bf16", "llamacpp-bf16"), ("qeff-bf16", "llamacpp-f16"), ("qeff-f16", "llamacpp-f16"), ("qeff-int8", "llamacpp-q8_0"),
                 ("qeff-int4", "llamacpp-q4_0"), ("qeff-int4g128", "llamacpp-q4_0"), ("qeff-mxfp6", "llamacpp-q6_k"), ("qeff-bf16", "qeff-fp32"), ("qeff-int8", "qeff-fp32"),
                 ("qeff-mxfp6", "qeff-fp32"), ("qeff-int4", "qeff-fp32")):
        if a in variants and b in variants:
            name = " / ".join(" ".join(display(x)) for x in (a, b))
            L.append(f"| {name} | {ratio(a, b, 'prefill_tok_s', 0)} / {ratio(a, b, 'prefill_tok_s', 1)} | "
                     f"{ratio(a, b, 'decode_tok_s', 0)} / {ratio(a, b, 'decode_tok_s', 1)} |")
    L.append("")
    if bw is not None:
        L += render_bandwidth(args, variants, samples, bw, cfg or {})
    L.append("## Details\n")
    for v in variants:
        L.append(f"- {v}: processes {json.dumps(details[v])}")
    pairs = [("qeff-fp32", v) for v in variants if v != "qeff-fp32"] + [("qeff-bf16", "torch-bf16"),
                                                                         ("torch-fp32", "llamacpp-f32")]
    agree = [f"{a} vs {b}: {common_prefix(tokens[a], tokens[b])} of {min(len(tokens[a]), len(tokens[b]))}"
             for a, b in pairs if a in tokens and b in tokens]
    if agree:
        L.append("- greedy tokens equal from the start (random weights give flat logits, so low-precision "
                 "variants may part early): " + "; ".join(agree))
    for v, msg in failures.items():
        L.append(f"- {v} FAILED: {msg.strip()}")
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    main()
