#!/usr/bin/env python3
"""Accuracy of qeff's weight formats and KV cache types against fp32, per position of a token sequence.

    accuracy.py MODEL_DIR [options]          (see --help; docs/accuracy.md has the tables it produced)

MODEL_DIR is a HuggingFace causal-LM directory qeff loads (no tokenizer needed:
token ids are fed). The script

  1. chooses the token sequences (windows), each of N + 1 ids (N = --positions,
     default 256):
       * --ids-from-text FILE: the bytes of FILE are the ids (a byte-level model,
         vocabulary >= 256, e.g. make_trained_lm.py's eval.txt); --windows K
         (default 4) windows of N + 1 bytes, evenly spaced over the file (the
         first at offset 0, the last ending at the end of the file);
       * otherwise the fp32 model's own continuation: the prompt ids
         (--prompt-ids, default: the config's bos_token_id, then vocab/4,
         vocab/2 and 3 vocab/4), then ids sampled from the fp32 logits at
         --temperature (default 1; 0: greedy) with NumPy's default_rng(
         --sample-seed) (default 1234), no top-k / top-p, during the reference
         run, until the window holds N + 1 ids. Sampling at temperature 1 keeps
         the sequence typical of the model, so its perplexity is informative;
         a greedy sequence is the model's most likely path and makes every
         format look better than it is. --windows K > 1 draws K sequences from
         the same generator, one after the other;
  2. compiles the fp32 reference (compile.weight_dtype f32, model.kv_cache_dtype
     f32) and then each variant, one at a time (the previous program freed
     first), with compile.prefill_seq_len --prefill-seq-len (default 32) and
     compile.ctx_len max(N, prefill); cache.enabled false unless --cache DIR;
  3. runs every window teacher-forced through the KV cache: one token per
     qeff_session_run (input_ids [1, 1], position_ids [1, 1] = 0 .. N - 1, the
     session reset before each window), i.e. the Decode specialization, which
     is what generation runs after the prompt. One token per step because a
     causal-LM program returns only the last position's logits (docs/models.md);
  4. compares each variant's logits at every fed position with the reference's
     and reports, over all windows:
       * min cos / mean cos: the cosine similarity of the two logit vectors
         (float64), smallest and mean over the positions;
       * top-1: % of positions whose argmax equals the reference's argmax;
       * mean KL: KL(p_fp32 || p_variant) in nats, softmax of the logits,
         mean over positions;
       * PPL: exp(mean negative log-likelihood) of the window's next ids
         (the id after each fed position) under the variant; sampled windows
         score only the sampled ids (not those the prompt dictated), text
         windows every id after the first; pooled over all windows
         (exp(total NLL / total count)); dPPL: PPL(variant) - PPL(fp32) and
         relative in %; s.e.: the standard error of dPPL from the paired
         per-id NLL differences (PPL(variant) x standard deviation / sqrt(count)):
         a dPPL within about 2 s.e. of 0 is not distinguishable from noise on
         this sequence.

Variants: every --weight-dtypes value (default f32,bf16,f16,int8,mxfp6,int4)
with an f32 cache, plus every --kv-dtypes value (default f16,bf16) with f32
weights, plus explicit --variants W:KV pairs; f32:f32 is the reference and is
not repeated. The dtype names are passed to the library unchanged, so a new
weight format or cache type needs no change here (one spelling is the
script's own: a weight name int4gN, e.g. int4g128, compiles int4 with
compile.int4_block_size N); before the first long
compile every variant is compiled once on tests/fixtures/models/llama-tiny
(when the repository has it), so a name the library rejects fails at once
with the library's message.

Memory: the reference keeps its N x vocab float32 logits of every window
(256 x 32000 = 33 MB per window); a variant's logits are reduced to the
per-position statistics as they come. One program is alive at a time (an f32
TinyLlama-1.1B program is 4.4 GB).

Output: a markdown report (the settings, the table, per-variant compile and
run times) on stdout and in --out FILE; --json FILE writes the numbers.
"""
import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PREFLIGHT_MODEL = os.path.join(REPO, "tests", "fixtures", "models", "llama-tiny")
DEFAULT_WEIGHTS = "f32,bf16,f16,int8,mxfp6,int4"
DEFAULT_KV = "f16,bf16"
REFERENCE = ("f32", "f32")


def log(msg):
    print(f"[accuracy {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def fail(msg):
    sys.exit(f"accuracy.py: {msg}")


def split_list(text):
    return [x.strip() for x in text.split(",") if x.strip()]


def variants_of(args):
    """[(weight dtype, kv dtype)] in report order, the reference excluded, no duplicates."""
    out = [(w, "f32") for w in split_list(args.weight_dtypes)]
    out += [("f32", kv) for kv in split_list(args.kv_dtypes)]
    for pair in split_list(args.variants or ""):
        if pair.count(":") != 1 or not all(pair.split(":")):
            fail(f"--variants: {pair!r} is not WEIGHT_DTYPE:KV_DTYPE (e.g. int4:f16)")
        out.append(tuple(pair.split(":")))
    seen, uniq = {REFERENCE}, []
    for v in out:
        if v not in seen:
            seen.add(v)
            uniq.append(v)
    return uniq


def import_qeff(build_dir):
    if build_dir:
        py = os.path.join(os.path.abspath(build_dir), "bindings", "python")
        if not os.path.isdir(os.path.join(py, "qeff")):
            fail(f"no Python binding under {py} (build qeff with -Dpython=enabled, or --build-dir '' to import the "
                 "installed package)")
        sys.path.insert(0, py)
    try:
        import qeff  # noqa: F401
    except ImportError as e:
        fail(f"cannot import qeff ({e}); pass --build-dir BUILD_DIR or install the binding")
    return sys.modules["qeff"]


def weight_options(weight):
    """The compile options of a weight name: compile.weight_dtype, and for int4gN also compile.int4_block_size N."""
    m = re.fullmatch(r"int4g(\d+)", weight)
    if m:
        return {"compile.weight_dtype": "int4", "compile.int4_block_size": int(m.group(1))}
    return {"compile.weight_dtype": weight}


def compile_options(args, weight, kv, ctx_len, prefill):
    opts = {"compile.prefill_seq_len": prefill, "compile.ctx_len": ctx_len, **weight_options(weight),
            "model.kv_cache_dtype": kv}
    if args.cache == "none":
        opts["cache.enabled"] = False
    else:
        opts["cache.dir"] = os.path.abspath(args.cache)
    return opts


def preflight(qeff, variants):
    """Compile every variant's dtypes on the tiny llama fixture: a name the library rejects fails now."""
    if not os.path.isdir(PREFLIGHT_MODEL):
        log(f"no {PREFLIGHT_MODEL}: dtype names are checked when each variant compiles")
        return
    with qeff.Model.load(PREFLIGHT_MODEL) as m:
        for w, kv in [REFERENCE] + variants:
            try:
                m.compile(**{"compile.prefill_seq_len": 4, "compile.ctx_len": 8, **weight_options(w),
                             "model.kv_cache_dtype": kv, "cache.enabled": False}).close()
            except qeff.QeffError as e:
                fail(f"variant weights {w} / KV cache {kv}: the library rejects it: {e}")


# ---- token windows --------------------------------------------------------------------------------------------------


def text_windows(path, n, k, vocab):
    """K windows of n + 1 byte ids evenly spaced over the file (ids = bytes)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        fail(f"--ids-from-text: {e}")
    if vocab < 256:
        fail(f"--ids-from-text feeds bytes as ids, but the model's vocabulary has only {vocab} ids")
    if len(data) < n + 1:
        fail(f"--ids-from-text: {path} has {len(data)} bytes, a window needs {n + 1}")
    span = len(data) - (n + 1)
    starts = [0] if k == 1 else [round(i * span / (k - 1)) for i in range(k)]
    return [(s, list(data[s:s + n + 1])) for s in starts]


def default_prompt(model, vocab):
    bos = model.config("bos_token_id", None)
    bos = bos[0] if isinstance(bos, list) and bos else bos
    head = [int(bos)] if isinstance(bos, int) and 0 <= bos < vocab else []
    return head + [vocab // 4, vocab // 2, 3 * vocab // 4]


# ---- running a program ----------------------------------------------------------------------------------------------


def log_softmax(x):
    import numpy as np

    m = x.max()
    return x - (m + math.log(np.exp(x - m).sum()))


class Variant:
    """One compiled program: runs windows token by token, yielding every position's float32 logits."""

    def __init__(self, qeff, model, args, weight, kv, ctx_len, prefill):
        t0 = time.perf_counter()
        self.program = model.compile(**compile_options(args, weight, kv, ctx_len, prefill))
        self.compile_s = time.perf_counter() - t0
        info = self.program.info
        self.from_cache = bool(info.get("from_cache"))
        self.weight_storage = info.get("weight_dtype", "?")
        state = info.get("retained_state") or [{}]
        self.kv_storage = state[0].get("dtype", "?")
        self.session = qeff.Session(self.program, num_cores=args.threads)
        self.run_s = 0.0
        self.steps = 0

    def positions(self, ids):
        import numpy as np

        self.session.reset()
        for i, tok in enumerate(ids):
            t0 = time.perf_counter()
            out = self.session.run({"input_ids": np.array([[tok]], dtype=np.int64),
                                    "position_ids": np.array([[i]], dtype=np.int64)})
            self.run_s += time.perf_counter() - t0
            self.steps += 1
            yield out["logits"].reshape(-1)

    def close(self):
        self.session.close()
        self.program.close()


# ---- statistics -----------------------------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.cos = []
        self.ref_norm = []  # L2 norm of the reference logits per position
        self.same = 0
        self.kl = []
        self.nll = []  # negative log-likelihood of each scored next id

    def add(self, ref, got, target):
        """ref, got: float64 logits of one position; target: the next id when this position is scored, else None."""
        import numpy as np

        self.ref_norm.append(float(np.linalg.norm(ref)))
        self.cos.append(float(ref @ got / (self.ref_norm[-1] * np.linalg.norm(got))))
        self.same += int(np.argmax(ref) == np.argmax(got))
        lp_ref, lp_got = log_softmax(ref), log_softmax(got)
        self.kl.append(float(np.exp(lp_ref) @ (lp_ref - lp_got)))
        if target is not None:
            self.nll.append(-float(lp_got[target]))

    def row(self, n_per_window):
        n = len(self.cos)
        worst = min(range(n), key=self.cos.__getitem__)
        return {"positions": n, "min_cos": min(self.cos), "mean_cos": sum(self.cos) / n,
                "min_cos_at": {"window": worst // n_per_window, "position": worst % n_per_window,
                               "ref_logit_norm": self.ref_norm[worst], "kl": self.kl[worst],
                               "median_ref_logit_norm": sorted(self.ref_norm)[n // 2]},
                "top1_same": self.same, "top1_pct": 100.0 * self.same / n, "mean_kl": sum(self.kl) / n,
                "max_kl": max(self.kl), "scored": len(self.nll), "ppl": math.exp(sum(self.nll) / len(self.nll)),
                "nll_per_scored": self.nll, "cos_per_position": self.cos, "kl_per_position": self.kl}


def dppl_se(row, ref_row):
    """Standard error of dPPL from the paired per-id NLL differences d: PPL(variant) x s.e.(mean d) (the delta
    method; PPL(variant) = PPL(fp32) x exp(mean d))."""
    d = [a - b for a, b in zip(row["nll_per_scored"], ref_row["nll_per_scored"])]
    if len(d) < 2:
        return float("nan")
    mean = sum(d) / len(d)
    var = sum((x - mean) ** 2 for x in d) / (len(d) - 1)
    return row["ppl"] * math.sqrt(var / len(d))


def torch_check(model_dir, windows, ref_logits, n, first_scored, threads):
    """The reference against transformers' fp32 model: one forward of each window's first n ids."""
    import numpy as np
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    m = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    st, max_abs, max_logit = Stats(), 0.0, 0.0
    with torch.no_grad():
        for (_, ids), rows in zip(windows, ref_logits):
            logits = m(input_ids=torch.tensor([ids[:n]], dtype=torch.long)).logits[0].numpy()
            max_abs = max(max_abs, float(np.abs(logits - rows).max()))
            max_logit = max(max_logit, float(np.abs(logits).max()))
            for i in range(n):
                st.add(rows[i].astype(np.float64), logits[i].astype(np.float64),
                       ids[i + 1] if i >= first_scored else None)
    del m
    r = st.row(n)
    r.update(max_abs=max_abs, max_logit=max_logit,
             what=f"transformers {transformers.__version__} / torch {torch.__version__} fp32, one forward per window")
    log(f"PyTorch check in {time.perf_counter() - t0:.1f} s: min cos {r['min_cos']:.7f}, max |diff| {max_abs:.2e}, "
        f"PyTorch PPL {r['ppl']:.4f}")
    return r


def fmt_ppl(x):
    return f"{x:.4f}" if x < 100 else f"{x:.1f}"


def fmt_delta(x, ref_ppl, sign="+"):
    """A PPL difference with the decimals fmt_ppl gives the reference."""
    return f"{x:{sign}.4f}" if ref_ppl < 100 else f"{x:{sign}.1f}"


def loaded_library():
    """(path, modification time) of the libqeff this process mapped, from /proc/self/maps."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libqeff.so" in line and "/" in line}
    except OSError:
        return "?", "?"
    if not paths:
        return "?", "?"
    path = sorted(paths)[0]
    try:
        return path, time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(os.stat(path).st_mtime))
    except OSError:
        return path, "?"


def git_head(path):
    """The commit checked out at path and its commit time (git log -1, read-only) as "sha (date)", or None."""
    try:
        out = subprocess.run(["git", "-C", path, "log", "-1", "--format=%H %cd", "--date=format-local:%Y-%m-%d %H:%M"],
                             capture_output=True, text=True, timeout=10, env=dict(os.environ, TZ="UTC")).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{out[:40]} (committed {out[41:]} UTC)" if len(out) > 41 else None


def source_of(build_dir):
    """(source directory of a meson build directory, its git HEAD or None), or (None, None)."""
    try:
        with open(os.path.join(build_dir, "meson-info", "meson-info.json")) as f:
            src = json.load(f)["directories"]["source"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    return src, git_head(src)


def report(meta, ref_row, rows):
    lines = [f"# qeff accuracy vs fp32: {os.path.basename(meta['model'].rstrip('/'))}", ""]
    lines += [f"- model: `{meta['model']}` ({meta['shape']})",
              f"- tokens: {meta['source']}",
              f"- positions: {meta['positions']} per window x {meta['windows']} window(s), teacher-forced one token "
              f"per step through the KV cache (Decode specialization, prefill_seq_len {meta['prefill']}, ctx_len "
              f"{meta['ctx_len']}); perplexity over {ref_row['scored']} scored next ids",
              f"- qeff {meta['qeff_version']} from `{meta['qeff_path']}` (`{meta['library'][0]}` built "
              f"{meta['library'][1]}"
              + (f", source {meta['build_source'][0]}"
                 + (f", a git checkout at HEAD {meta['build_source'][1]} now: the library may be older or hold "
                    "uncommitted changes" if meta['build_source'][1] else " (not a git checkout)")
                 if meta['build_source'][0] else "")
              + f"); this repository's HEAD {meta['commit']}; measured {meta['date']}",
              *([f"- note: {meta['note']}"] if meta["note"] else []),
              *([f"- the fp32 reference against PyTorch ({meta['torch']['what']}): min cos "
                 f"{meta['torch']['min_cos']:.7f}, largest logit difference {meta['torch']['max_abs']:.2e} "
                 f"(largest |logit| {meta['torch']['max_logit']:.2f}), top-1 agreement {meta['torch']['top1_same']}/"
                 f"{meta['torch']['positions']}, PyTorch PPL {fmt_ppl(meta['torch']['ppl'])} (qeff "
                 f"{fmt_ppl(ref_row['ppl'])})"] if meta["torch"] else []),
              f"- runtime.threads {meta['threads']}, {meta['cpu']}, compile cache: {meta['cache']}", ""]
    lines += ["| weights | KV cache | min cos | mean cos | top-1 agree | mean KL (nats) | PPL | dPPL (s.e.) | dPPL % |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines.append(f"| f32 | f32 | (ref) | (ref) | (ref) | (ref) | {fmt_ppl(ref_row['ppl'])} | | |")
    for r in rows:
        d = r["ppl"] - ref_row["ppl"]
        lines.append(f"| {r['weights']} | {r['kv']} | {r['min_cos']:.6f} | {r['mean_cos']:.6f} | "
                     f"{r['top1_pct']:.2f} % ({r['top1_same']}/{r['positions']}) | {r['mean_kl']:.2e} | "
                     f"{fmt_ppl(r['ppl'])} | {fmt_delta(d, ref_row['ppl'])} "
                     f"({fmt_delta(dppl_se(r, ref_row), ref_row['ppl'], '')}) | "
                     f"{100 * d / ref_row['ppl']:+.3f} % |")
    lines += ["", "| weights | KV cache | storage (program info) | compile s | from cache | run s | tok/s |",
              "| --- | --- | --- | ---: | --- | ---: | ---: |"]
    for r in [ref_row] + rows:
        lines.append(f"| {r['weights']} | {r['kv']} | {r['weight_storage']} / {r['kv_storage']} | "
                     f"{r['compile_s']:.1f} | {'yes' if r['from_cache'] else 'no'} | {r['run_s']:.1f} | "
                     f"{r['steps'] / r['run_s']:.1f} |")
    lines += ["", f"Total wall-clock time: {meta['wall_s']:.0f} s."]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", help="HuggingFace causal-LM directory")
    ap.add_argument("--weight-dtypes", default=DEFAULT_WEIGHTS,
                    help=f"compile.weight_dtype values, each with an f32 cache (default {DEFAULT_WEIGHTS}; '' none)")
    ap.add_argument("--kv-dtypes", default=DEFAULT_KV,
                    help=f"model.kv_cache_dtype values, each with f32 weights (default {DEFAULT_KV}; '' none)")
    ap.add_argument("--variants", default="", help="extra WEIGHT:KV pairs, comma separated (e.g. int4:f16)")
    ap.add_argument("--positions", type=int, default=256, help="positions (fed tokens) per window (default 256)")
    ap.add_argument("--windows", type=int, default=None,
                    help="windows (token sequences): default 4 with --ids-from-text, else 1")
    ap.add_argument("--ids-from-text", default=None, metavar="FILE", help="the bytes of FILE are the token ids")
    ap.add_argument("--prompt-ids", default=None,
                    help="comma-separated ids that start each sampled window (default: bos, vocab/4, vocab/2, "
                         "3 vocab/4)")
    ap.add_argument("--temperature", type=float, default=1.0, help="sampling temperature, 0 = greedy (default 1)")
    ap.add_argument("--sample-seed", type=int, default=1234, help="NumPy default_rng seed of the sampler (1234)")
    ap.add_argument("--prefill-seq-len", type=int, default=32, help="compile.prefill_seq_len (default 32)")
    ap.add_argument("--threads", type=int, default=2, help="runtime.threads (default 2)")
    ap.add_argument("--cache", default="none",
                    help="compile cache directory (cache.dir), or 'none' (default: cache.enabled false, every "
                         "program compiled by the loaded library)")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"),
                    help="qeff build directory whose bindings/python is imported (default REPO/build; '' to import "
                         "the installed qeff)")
    ap.add_argument("--torch-check", action="store_true",
                    help="also run the windows through transformers' fp32 model (one forward each; needs torch and "
                         "transformers) and report how close qeff's fp32 reference is to it and PyTorch's PPL")
    ap.add_argument("--note", default=None, help="a line of text for the report's header (e.g. how the library was "
                                                 "built)")
    ap.add_argument("--out", default=None, help="also write the markdown report to this file")
    ap.add_argument("--json", default=None, help="write the numbers as JSON to this file")
    args = ap.parse_args()
    t_start = time.perf_counter()

    model_dir = os.path.abspath(args.model_dir)
    if not os.path.isdir(model_dir):
        fail(f"no model directory {model_dir}")
    if not os.path.isfile(os.path.join(model_dir, "config.json")):
        fail(f"{model_dir} has no config.json: not a HuggingFace model directory")
    n = args.positions
    if n < 1:
        fail("--positions must be >= 1")
    k = args.windows if args.windows is not None else (4 if args.ids_from_text else 1)
    if k < 1 or args.threads < 1 or args.prefill_seq_len < 1:
        fail("--windows, --threads and --prefill-seq-len must be >= 1")
    if args.temperature < 0:
        fail("--temperature must be >= 0")
    if args.ids_from_text and args.prompt_ids:
        fail("--prompt-ids applies to sampled windows, not to --ids-from-text")
    variants = variants_of(args)
    for path in (args.out, args.json):  # fail now, not after the runs
        if path:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
                with open(path, "a"):
                    pass
            except OSError as e:
                fail(f"cannot write {path}: {e}")

    qeff = import_qeff(args.build_dir)
    import numpy as np

    preflight(qeff, variants)
    try:
        model = qeff.Model.load(model_dir)
    except qeff.QeffError as e:
        fail(f"cannot load {model_dir}: {e}")
    if model.task != qeff.Task.CAUSAL_LM:
        fail(f"{model_dir} is a {model.architecture} ({model.task}), not a causal LM")
    vocab = model.vocab_size
    shape = (f"{model.architecture}, {model.num_layers} layers, hidden {model.hidden_size}, vocab {vocab}, "
             f"{model.num_parameters / 1e6:.1f} M parameters, weights {model.weight_dtype}")
    ctx_len, prefill = max(n, args.prefill_seq_len), args.prefill_seq_len
    log(f"{model_dir}: {shape}; {len(variants)} variant(s) + the reference")

    # Windows: [text offset or None, ids]; a sampled window starts with the prompt and grows in the reference run.
    sampled = args.ids_from_text is None
    if sampled:
        prompt = ([int(x) for x in split_list(args.prompt_ids)] if args.prompt_ids else default_prompt(model, vocab))
        if not prompt or any(not 0 <= t < vocab for t in prompt) or len(prompt) > n:
            fail(f"--prompt-ids must be 1 .. {n} ids in [0, {vocab})")
        rng = np.random.default_rng(args.sample_seed)
        how = "greedy" if args.temperature == 0 else f"sampled at temperature {args.temperature:g}"
        source = (f"the fp32 model's own continuation of the prompt ids {prompt}, {how} (NumPy default_rng("
                  f"{args.sample_seed}), no top-k/top-p); only the sampled ids are scored")
        windows = [[None, list(prompt)] for _ in range(k)]
    else:
        tw = text_windows(args.ids_from_text, n, k, vocab)
        offsets = [s for s, _ in tw]
        where = (f"offsets {offsets}" if len(offsets) <= 8 else
                 f"offsets {', '.join(map(str, offsets[:3]))}, ..., {offsets[-1]} (evenly spaced)")
        source = (f"the bytes of `{os.path.abspath(args.ids_from_text)}` ({os.path.getsize(args.ids_from_text)} "
                  f"bytes) as ids, {k} window(s) of {n + 1} bytes at {where}")
        windows = [[s, ids] for s, ids in tw]

    # The reference: every window's logits (float32 N x vocab), sampling the sampled windows' ids as it goes.
    ref = Variant(qeff, model, args, *REFERENCE, ctx_len, prefill)
    log(f"reference f32/f32 compiled in {ref.compile_s:.1f} s")
    ref_logits, ref_stats = [], Stats()
    for w in windows:
        ids = w[1]
        rows = np.empty((n, vocab), dtype=np.float32)
        for i, logits in enumerate(ref.positions(_growing(ids, n))):
            rows[i] = logits
            if sampled and i + 1 >= len(ids):  # choose ids[i + 1]
                x = logits.astype(np.float64)
                if args.temperature == 0:
                    nxt = int(np.argmax(x))
                else:
                    p = np.exp(log_softmax(x / args.temperature))
                    nxt = int(rng.choice(vocab, p=p / p.sum()))
                ids.append(nxt)
        ref_logits.append(rows)
    first_scored = len(prompt) - 1 if sampled else 0
    for (_, ids), rows in zip(windows, ref_logits):
        for i in range(n):
            x = rows[i].astype(np.float64)
            ref_stats.add(x, x, ids[i + 1] if i >= first_scored else None)
    ref_row = dict(ref_stats.row(n), weights="f32", kv="f32", compile_s=ref.compile_s, run_s=ref.run_s,
                   steps=ref.steps, from_cache=ref.from_cache, weight_storage=ref.weight_storage,
                   kv_storage=ref.kv_storage)
    ref.close()
    log(f"reference: {ref.steps} steps in {ref.run_s:.1f} s, PPL {ref_row['ppl']:.4f}")
    torch_row = torch_check(model_dir, windows, ref_logits, n, first_scored, args.threads) if args.torch_check else None

    rows = []
    for weight, kv in variants:
        try:
            v = Variant(qeff, model, args, weight, kv, ctx_len, prefill)
        except qeff.QeffError as e:
            fail(f"compiling weights {weight} / KV cache {kv}: {e}")
        st = Stats()
        for (_, ids), ref_rows in zip(windows, ref_logits):
            for i, logits in enumerate(v.positions(ids[:n])):
                st.add(ref_rows[i].astype(np.float64), logits.astype(np.float64),
                       ids[i + 1] if i >= first_scored else None)
        r = dict(st.row(n), weights=weight, kv=kv, compile_s=v.compile_s, run_s=v.run_s, steps=v.steps,
                 from_cache=v.from_cache, weight_storage=v.weight_storage, kv_storage=v.kv_storage)
        v.close()
        rows.append(r)
        at = r["min_cos_at"]
        log(f"{weight}/{kv} ({r['weight_storage']}/{r['kv_storage']}): compile {r['compile_s']:.1f} s, run "
            f"{r['run_s']:.1f} s; min cos {r['min_cos']:.6f} (window {at['window']} position {at['position']}: fp32 "
            f"logit norm {at['ref_logit_norm']:.1f}, median {at['median_ref_logit_norm']:.1f}; KL there "
            f"{at['kl']:.2e}), top-1 {r['top1_pct']:.1f} %, mean KL {r['mean_kl']:.2e}, PPL {r['ppl']:.4f} "
            f"({r['ppl'] - ref_row['ppl']:+.4f})")
    model.close()

    meta = {"torch": torch_row, "model": model_dir, "shape": shape, "source": source, "positions": n, "windows": k,
            "prefill": prefill, "ctx_len": ctx_len, "qeff_version": qeff.__version__,
            "qeff_path": os.path.dirname(qeff.__file__), "commit": git_head(REPO) or "?", "library": loaded_library(),
            "note": args.note,
            "build_source": source_of(os.path.abspath(args.build_dir)) if args.build_dir else (None, None),
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "threads": args.threads,
            "cpu": _cpu(), "cache": args.cache, "wall_s": time.perf_counter() - t_start}
    text = report(meta, ref_row, rows)
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "reference": ref_row, "variants": rows,
                       "windows": [{"offset": s, "ids": ids} for s, ids in windows]}, f, indent=1)
            f.write("\n")


def _growing(ids, n):
    """Yield ids[0 .. n - 1] while the caller appends to ids (sampled windows grow during the reference run)."""
    i = 0
    while i < n:
        yield ids[i]
        i += 1


def _cpu():
    sys.path.insert(0, HERE)
    try:
        import bench_common

        return f"{bench_common.cpu_name()} ({bench_common.cpu_isa()})"
    except ImportError:
        return platform.processor() or "?"


if __name__ == "__main__":
    main()
