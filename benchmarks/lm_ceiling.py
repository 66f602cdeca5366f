"""The decode bandwidth ceiling of the causal-LM benchmark (run_lm.py): bytes of weights per decode token per
weight format, the bandwidth probe (bandwidth.c) and the report's sections that set decode against it (the whole run,
per process, per call)."""
import os
import statistics
import subprocess
import time

from bench_common import log_lm as log, run_worker

HERE = os.path.dirname(os.path.abspath(__file__))
GGUF_TYPES = ["f32", "f16", "bf16", "q8_0", "q6_k", "q4_0"]
RUNTIMES = {"qeff": "qeff", "torch": "PyTorch", "llamacpp": "llama.cpp"}


def display(v):
    """(runtime, precision) as the report names them: llama.cpp's precisions are GGUF types (F32, Q8_0, ...)."""
    rt, prec = v.split("-")
    return RUNTIMES[rt], prec.upper() if rt == "llamacpp" else prec


# ---- the decode bandwidth ceiling ---------------------------------------------------------------------------------
# Decode (batch 1) streams every matmul weight once per token, so decode tok/s <= read bandwidth / bytes of weights
# read per token. The bytes of an in x out matrix (in = K, the reduced dimension) per storage format:


def _dense(bytes_per_weight):
    return lambda k, n: bytes_per_weight * k * n


def _blocks_of_k(block_k, block_bytes):
    """Blocks of block_k consecutive k of one column (llama.cpp's Q8_0 / Q4_0, MX formats), block_bytes each."""
    return lambda k, n: -(-k // block_k) * block_bytes * n


def _q4_strips(strip_bytes, panel_bytes):
    """qeff 4-bit: per 128 k, strip_bytes per strip of 8 panels of 16 columns, panel_bytes per panel past them."""
    return lambda k, n: -(-k // 128) * (-(-n // 16) // 8 * strip_bytes + -(-n // 16) % 8 * panel_bytes)


WEIGHT_FORMATS = {  # name: (bytes per weight, as the report states it; bytes of a K x N matrix)
    "f32": ("4 B", _dense(4)),
    "bf16": ("2 B", _dense(2)),
    "f16": ("2 B", _dense(2)),
    # qeff int8: one byte per weight + an f32 scale per column (the int32 column sums of the layout are for VNNI
    # kernels; the AVX2 kernels do not read them)
    "i8.panel16x4": ("1 B + 4 B per column", lambda k, n: k * n + 4 * n),
    # qeff int4: strips of 8 panels (128 columns) x 128 k in 9728 bytes (nibbles + f16 scales + u8 zero points per
    # 32 k) = 4.75 bits, the panels past the last strip 1280 bytes per 16 columns x 128 k (5 bits); with groups of
    # 128 k (compile.int4_block_size 128) 8576 bytes per strip (one scale and zero point per column) = 4.1875 bits,
    # 1088 bytes per panel past the strips
    "q4.strip128x32h": ("4.75 bits (9728 B per 128 columns x 128 k)", _q4_strips(9728, 1280)),
    "q4.strip128x128h": ("4.19 bits (8576 B per 128 columns x 128 k)", _q4_strips(8576, 1088)),
    # MXFP6 E2M3 (OCP MX): blocks of 32 six-bit values + an E8M0 scale = 6.25 bits; qeff's layout packs superblocks
    # of 16 columns x 128 k in 1600 bytes
    "mxfp6.panel16x32": ("6.25 bits (1600 B per 16 columns x 128 k)",
                         lambda k, n: -(-k // 128) * -(-n // 16) * 1600),
    # GGUF types (llama.cpp)
    "F32": ("4 B", _dense(4)),
    "F16": ("2 B", _dense(2)),
    "BF16": ("2 B", _dense(2)),
    "Q8_0": ("34 B per block of 32 k = 8.5 bits", _blocks_of_k(32, 34)),
    "Q6_K": ("210 B per block of 256 k = 6.5625 bits", _blocks_of_k(256, 210)),
    "Q4_0": ("18 B per block of 32 k = 4.5 bits", _blocks_of_k(32, 18)),
}
# variant: (format of the matmul weights, lm_head included; format of the embedding table). qeff converts only the
# matmul weights (compile.weight_dtype), its embedding Gather reads f32; make_gguf.py writes every matrix, token_embd
# included, in the file's type.
VARIANT_WEIGHTS = {"qeff-fp32": ("f32", "f32"), "qeff-bf16": ("bf16", "f32"), "qeff-f16": ("f16", "f32"),
                   "qeff-int8": ("i8.panel16x4", "f32"),
                   "qeff-mxfp6": ("mxfp6.panel16x32", "f32"), "qeff-int4": ("q4.strip128x32h", "f32"),
                   "qeff-int4g128": ("q4.strip128x128h", "f32"),
                   "torch-fp32": ("f32", "f32"),
                   "torch-bf16": ("bf16", "bf16")}
VARIANT_WEIGHTS.update({"llamacpp-" + t: (t.upper(), t.upper()) for t in GGUF_TYPES})
DECODE_BYTES_FORMULA = ("bytes/token = layers x (bytes(h, heads x hd) [q] + 2 bytes(h, kv_heads x hd) [k, v] + "
                        "bytes(heads x hd, h) [o] + 2 bytes(h, i) [gate, up] + bytes(i, h) [down]) + bytes(h, vocab) "
                        "[lm_head] + bytes(h, 1) [the one embedding row gathered]; bytes(K, N) = the bytes of a "
                        "K x N matrix (K reduced) in the variant's format; norms, the KV cache and activations not "
                        "counted")


def lm_shape(cfg):
    """The dimensions the ceiling needs from a HF LLaMA-style config.json (dict): h, i, layers, heads, kv_heads, hd,
    vocab. Raises ValueError when one is missing."""
    try:
        h, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
        return dict(h=h, i=int(cfg["intermediate_size"]), layers=int(cfg["num_hidden_layers"]), heads=heads,
                    kv_heads=int(cfg.get("num_key_value_heads") or heads),
                    hd=int(cfg.get("head_dim") or h // heads), vocab=int(cfg["vocab_size"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"config.json lacks a LLaMA dimension: {e!r}") from None


def decode_matrices(cfg):
    """[(name, K, N, count)]: the matrices one decode token streams (K = the reduced dimension)."""
    s = lm_shape(cfg)
    h, i, L, q, kv = s["h"], s["i"], s["layers"], s["heads"] * s["hd"], s["kv_heads"] * s["hd"]
    return [("q_proj", h, q, L), ("k_proj", h, kv, L), ("v_proj", h, kv, L), ("o_proj", q, h, L),
            ("gate_proj", h, i, L), ("up_proj", h, i, L), ("down_proj", i, h, L), ("lm_head", h, s["vocab"], 1)]


def decode_bytes_per_token(cfg, variant):
    """Bytes of weights one decode token reads for a variant (see DECODE_BYTES_FORMULA), as
    {"bytes", "matrix_format", "embedding_format", "matrix_bytes", "embedding_bytes", "weights"}, or None when the
    variant's weight format is unknown."""
    fmts = VARIANT_WEIGHTS.get(variant)
    if fmts is None or fmts[0] not in WEIGHT_FORMATS or fmts[1] not in WEIGHT_FORMATS:
        return None
    mat, emb = (WEIGHT_FORMATS[f][1] for f in fmts)
    mats = decode_matrices(cfg)
    matrix_bytes = sum(c * mat(k, n) for _, k, n, c in mats)
    embedding_bytes = emb(lm_shape(cfg)["h"], 1)
    return {"bytes": matrix_bytes + embedding_bytes, "matrix_format": fmts[0], "embedding_format": fmts[1],
            "matrix_bytes": matrix_bytes, "embedding_bytes": embedding_bytes,
            "weights": sum(c * k * n for _, k, n, c in mats)}


def bandwidth_summary(bw):
    """(best GB/s over the runs, median GB/s over all their rounds), or None without a successful run."""
    runs = [r for r in (bw or {}).get("runs", []) if r.get("rounds")]
    if not runs:
        return None
    return max(r["best"] for r in runs), statistics.median([x for r in runs for x in r["rounds"]])


def decode_ceiling(cfg, variant, bw, decode_tok_s=None):
    """The ceiling of one variant: {"gb_per_token", "ceiling": (best, median) tok/s or None, "fraction": (best,
    median) or None} with best = best GB/s / GB per token, median = median GB/s / GB per token, fraction = best
    decode tok/s / best ceiling and median / median (decode_tok_s: the variant's list of decode tok/s). None when
    the variant's weight format is unknown."""
    d = decode_bytes_per_token(cfg, variant)
    if d is None:
        return None
    gb = d["bytes"] / 1e9
    out = dict(d, gb_per_token=gb, ceiling=None, fraction=None)
    s = bandwidth_summary(bw)
    if s is not None:
        out["ceiling"] = (s[0] / gb, s[1] / gb)
        if decode_tok_s:
            out["fraction"] = (max(decode_tok_s) / out["ceiling"][0],
                               statistics.median(decode_tok_s) / out["ceiling"][1])
    return out


def compile_bandwidth(cc, out):
    """Compile bandwidth.c into out; returns None or an error message."""
    cmd = [cc, "-O3", "-march=native", "-std=c11", "-pthread", "-Wall", "-Wextra", "-o", out,
           os.path.join(HERE, "bandwidth.c")]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        return f"{' '.join(cmd)} failed: {e}"
    if p.returncode != 0:
        return f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-500:]}"
    return None


def probe_bandwidth(bw, exe, when, args, log_path, rounds):
    """Run bandwidth.c once (--threads threads, `rounds` timed rounds); returns its JSON, or None after appending
    the error to bw["errors"]."""
    cmd = [exe, str(args.threads), "--mib", str(args.bandwidth_mib), "--rounds", str(rounds)]
    time.sleep(1.0)  # let the previous process's memory and threads go
    try:
        res = run_worker(f"bandwidth ({when})", cmd, None, log_path, 600)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError, IndexError) as e:
        bw["errors"].append(f"{when}: {e}")
        log(f"bandwidth ({when}) FAILED: {e}")
        return None
    log(f"bandwidth ({when}), {args.threads} threads: best {res['best']:.2f} / median {res['median']:.2f} GB/s")
    return res


def measure_bandwidth(bw, exe, when, args, log_path):
    """Run bandwidth.c once (--bandwidth-rounds); appends its JSON (plus "when") to bw["runs"]."""
    res = probe_bandwidth(bw, exe, when, args, log_path, args.bandwidth_rounds)
    if res is not None:
        res["when"] = when
        bw["runs"].append(res)


def render_bandwidth(args, variants, samples, bw, cfg):
    """The report's section on the memory-bandwidth ceiling of decode (markdown lines)."""
    L = ["## Decode against the memory-bandwidth ceiling\n"]
    runs = bw.get("runs", [])
    summary = bandwidth_summary(bw)
    if runs:
        r0 = runs[0]
        L.append(f"- read bandwidth: `bandwidth.c` ({args.cc} -O3 -march=native), a STREAM-like sum of 64-bit "
                 f"integers over a {r0['bytes'] / 2**20:.0f} MiB buffer that its {r0['threads']} "
                 f"thread{'s' if r0['threads'] != 1 else ''} "
                 f"first-touch in contiguous slices, {len(r0['rounds'])} timed rounds after 1 warm-up; GB/s = "
                 "1e9 bytes / s of the slowest thread. "
                 + "; ".join(f"{r['when']}: best {r['best']:.2f} / median {r['median']:.2f} GB/s" for r in runs))
        L.append(f"- the ceilings use the best run ({summary[0]:.2f} GB/s) and the median of all rounds "
                 f"({summary[1]:.2f} GB/s): ceiling tok/s = GB/s / GB per token; of the ceiling = decode tok/s / "
                 "ceiling, best / best and median / median")
    for e in bw.get("errors", []):
        L.append(f"- bandwidth FAILED: {e.strip()}")
    try:
        shape = lm_shape(cfg)
    except ValueError as e:
        L.append(f"- no ceilings: {e}\n")
        return L
    mats = decode_matrices(cfg)
    n_weights = sum(c * k * n for _, k, n, c in mats)
    L.append(f"- weights read per decode token: {DECODE_BYTES_FORMULA}. Here h {shape['h']}, i {shape['i']}, layers "
             f"{shape['layers']}, heads {shape['heads']} / kv_heads {shape['kv_heads']}, hd {shape['hd']}, vocab "
             f"{shape['vocab']}: " + ", ".join(f"{name[:-5] if name.endswith('_proj') else name} {k} x {n}"
                                               for name, k, n, _ in mats)
             + f"; {n_weights / 1e6:.1f} M weights streamed per token")
    kv = 2 * shape["layers"] * shape["kv_heads"] * shape["hd"] * (args.prompt_len + args.new_tokens) * 4
    L.append(f"- not counted: the KV cache read grows with the position, at most {kv / 1e6:.1f} MB per token in f32 "
             f"at position {args.prompt_len + args.new_tokens} ({kv / 2e6:.1f} MB in f16)")
    used = sorted({f for v in variants for f in VARIANT_WEIGHTS.get(v, ()) if f in WEIGHT_FORMATS},
                  key=list(WEIGHT_FORMATS).index)
    L.append("- bytes per weight: " + ", ".join(f"{f} {WEIGHT_FORMATS[f][0]}" for f in used) + "\n")
    L.append("| runtime | precision | matmul weights | GB / token | ceiling tok/s (best / median) | "
             "decode tok/s (best / median) | of the ceiling (best / median) |")
    L.append("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for v in variants:
        dec = samples.get(v, {}).get("decode_tok_s")
        c = decode_ceiling(cfg, v, bw, dec)
        dec_cell = f"{max(dec):.2f} / {statistics.median(dec):.2f}" if dec else "-"
        if c is None:
            L.append(f"| {' | '.join(display(v))} | ? | - | - | {dec_cell} | - |")
            continue
        ceil_cell = "-" if c["ceiling"] is None else f"{c['ceiling'][0]:.2f} / {c['ceiling'][1]:.2f}"
        frac_cell = "-" if c["fraction"] is None else f"{c['fraction'][0]:.0%} / {c['fraction'][1]:.0%}"
        L.append(f"| {' | '.join(display(v))} | {c['matrix_format']} | {c['gb_per_token']:.4f} | {ceil_cell} | "
                 f"{dec_cell} | {frac_cell} |")
    L.append("")
    if bw.get("brackets"):
        L += render_brackets(variants, bw["brackets"], cfg, args.bracket_rounds)
    if bw.get("calls"):
        L += render_calls(variants, bw["calls"], cfg, args.bracket_rounds)
    return L


def against_ceiling(items, gb, within=0.1):
    """Each item ({"before", "after", "decode_tok_s"}: bandwidth GB/s right before and after, decode tok/s between)
    as (fraction of its ceiling, stable): the ceiling is the mean of before and after / gb (GB per token); stable
    when before and after are within `within` of the larger (the bandwidth did not visibly change around it)."""
    return [(p["decode_tok_s"] / ((p["before"] + p["after"]) / 2 / gb),
             abs(p["before"] - p["after"]) <= within * max(p["before"], p["after"])) for p in items]


def marked_variants(variants, table, cfg):
    """Per variant with measurements in table (variant -> [items as against_ceiling takes them]) and a known weight
    format: (variant, items, [(fraction, stable)], [the stable fractions])."""
    for v in variants:
        d = decode_bytes_per_token(cfg, v)
        items = table.get(v)
        if d is None or not items:
            continue
        marked = against_ceiling(items, d["bytes"] / 1e9)
        yield v, items, marked, [f for f, ok in marked if ok]


def render_brackets(variants, brackets, cfg, rounds):
    """--bandwidth-per-process: each process's decode against the ceiling of the bandwidth around it."""
    L = ["### Per process: decode against the bandwidth measured around it\n",
         f"- right before and right after each variant's process, `bandwidth.c` with the same threads ({rounds} "
         "timed rounds, their median); the process's ceiling uses the mean of the two; of its ceiling = the "
         "process's median decode tok/s / that ceiling. A process is stable when before and after are within 10% "
         "of each other (the bandwidth did not visibly change around it)\n",
         "| runtime | precision | bandwidth before -> after, GB/s (per process) | decode tok/s (per process) | "
         "of its ceiling (per process) | median (all / stable) |",
         "| --- | --- | --- | --- | --- | ---: |"]
    for v, procs, marked, stable in marked_variants(variants, brackets, cfg):
        fracs = [f for f, _ in marked]
        L.append(f"| {' | '.join(display(v))} | " + ", ".join(f"{p['before']:.1f} -> {p['after']:.1f}" for p in procs)
                 + " | " + ", ".join(f"{p['decode_tok_s']:.2f}" for p in procs) + " | "
                 + ", ".join(f"{f:.0%}" for f in fracs) + f" | {statistics.median(fracs):.0%} / "
                 + (f"{statistics.median(stable):.0%} ({len(stable)})" if stable else "- (0)") + " |")
    L.append("")
    return L


def render_calls(variants, calls, cfg, rounds):
    """--bandwidth-per-call: each measured generation's decode against the ceiling of the bandwidth around it."""
    L = ["### Per generation: decode against the bandwidth measured around it\n",
         f"- inside each qeff and llama.cpp worker process, `bandwidth.c` with the same threads ({rounds} timed "
         "rounds, their median) runs before each measured generation and after the last "
         "(`LM_BANDWIDTH_PROBE`), so each generation has the bandwidth right before and right after it (seconds "
         "apart, where the per-process brackets are a process apart); its ceiling uses the mean of the two, of its "
         "ceiling = its decode tok/s / that ceiling. Stable: before and after within 10% of each other. Per "
         "generation in run order, the unstable ones in parentheses\n",
         "| runtime | precision | generations (stable) | of its ceiling, median: all / stable | stable: lowest / "
         "best | per generation |",
         "| --- | --- | ---: | ---: | ---: | --- |"]
    for v, _, marked, stable in marked_variants(variants, calls, cfg):
        L.append(f"| {' | '.join(display(v))} | {len(marked)} ({len(stable)}) | "
                 f"{statistics.median([f for f, _ in marked]):.0%} / "
                 + (f"{statistics.median(stable):.0%} | {min(stable):.0%} / {max(stable):.0%}" if stable else "- | -")
                 + " | " + ", ".join(f"{f:.0%}" if ok else f"({f:.0%})" for f, ok in marked) + " |")
    L.append("")
    return L
