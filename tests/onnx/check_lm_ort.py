"""Causal LMs exported by qeff_export (C ABI, ctypes over libqeff.so), checked
by the Python onnx checker (full_check) and driven by ONNX Runtime
(CPUExecutionProvider, one intra-op thread) with the library's prefill/decode
loop, against the HuggingFace references (tests/fixtures/reference/<name>.json).

Every fixture whose reference has a "generate_single" block is checked (found
by listing the reference directory, so new fixtures are picked up):
- the graph follows QEfficient's contract: inputs input_ids, position_ids
  (int64 [batch_size, seq_len]) and past_key.N / past_value.N (float
  [batch_size, kv_heads, ctx_len, head_dim]); outputs logits (float
  [batch_size, 1, vocab]) then every past_*.N_RetainedState;
- the loop: caches start as zeros (ctx_len 96); the prompt is prefilled in
  chunks of prefill_seq_len at each row's own positions (unused slots: pad id
  0 at position -1); every *_RetainedState output is fed back as the next
  run's past_*; then one greedy decode run per token (seq_len 1, argmax with
  the lowest index on ties); a row stops at EOS or max_new_tokens;
- logits: the "logits" prompt prefilled in one chunk, the last position's
  logits against the reference's last row; prefilled token by token (chunks
  of 1), every position's logits against the reference's rows; |ort - ref|
  <= 1e-4 (fp32, absolute);
- generate_single: greedy tokens with one prefill chunk (the whole prompt)
  and with chunks of 3 equal new_token_ids;
- generate_batch: the two prompts (ids from "prompts", add_special_tokens
  true) as one batch of 2 rows of different lengths, prefilled in one chunk
  (the longer prompt's length) and in chunks of 3, equal
  each_row_generated_alone_new_token_ids.
Tokens are compared up to and including the first EOS (HF pads after it).

Then llama-tiny and gemma2-tiny (soft-capped eager attention) exported with
model.kv_cache_dtype = f16: past_* inputs and outputs are float16, the
checker passes, ORT runs the token-by-token logits within cosine 0.9999 of
the fp32 reference and generate_single gives the reference tokens. And with
model.kv_cache_dtype = mxint8: past_* are uint8 MXINT8 rows [.., head_dim +
head_dim / 32], ORT (running the qeff.MxInt8Quantize / MxInt8Dequantize
function bodies) stays within cosine 0.995 of the fp32 reference, and the
library running the same export (its own kernels, the dequantize fused into
the attention) gives ORT's logits at every position (cosine >= 0.99999, the
same argmax).

usage: check_lm_ort.py LIBQEFF FIXTURES_DIR WORK_DIR
Exits 77 (skipped) when numpy, onnx or onnxruntime cannot be imported.
"""
import json
import os
import shutil
import sys
import time

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as e:  # the suite's interpreter lacks the reference tools
    print("skipped: %s" % e)
    sys.exit(77)

from qeff_ctypes import Qeff  # noqa: E402 (after the skip check)

ATOL = 1e-4     # absolute tolerance on logits, fp32 against the HF references
CTX_LEN = 96    # cache length the loop allocates
PAD_ID = 0      # input id of unused slots (their position is -1)
CHUNK = 3       # the short prefill_seq_len


def lm_fixtures(fixtures):
    names = []
    ref_dir = os.path.join(fixtures, "reference")
    for f in sorted(os.listdir(ref_dir)):
        if not f.endswith(".json"):
            continue
        name = f[:-len(".json")]
        with open(os.path.join(ref_dir, f), encoding="utf-8") as fh:
            ref = json.load(fh)
        if "generate_single" in ref and os.path.isdir(os.path.join(fixtures, "models", name)):
            names.append((name, ref))
    return names


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def check_signature(proto):
    """The contract's inputs and outputs. Returns (problems, layers)."""
    g = proto.graph
    f32, i64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64
    ins = {i.name: (i.type.tensor_type.elem_type, dims(i)) for i in g.input}
    outs = [o.name for o in g.output]
    problems = []
    for n in ("input_ids", "position_ids"):
        if ins.get(n) != (i64, ["batch_size", "seq_len"]):
            problems.append("input %s: %s, expected int64 [batch_size, seq_len]" % (n, ins.get(n)))
    layers = sum(1 for n in ins if n.startswith("past_key."))
    want_ins = {"input_ids", "position_ids"} | {"past_%s.%d" % (kv, i) for i in range(layers) for kv in ("key", "value")}
    if set(ins) != want_ins or len(g.input) != len(want_ins):
        problems.append("inputs %s, expected %s" % ([i.name for i in g.input], sorted(want_ins)))
    for n, (t, d) in ins.items():
        if n.startswith("past_") and (t != f32 or len(d) != 4 or d[0] != "batch_size" or d[2] != "ctx_len"
                                      or not all(isinstance(x, int) for x in (d[1], d[3]))):
            problems.append("input %s: %s, expected float [batch_size, kv_heads, ctx_len, head_dim]" % (n, d))
    want_outs = {n + "_RetainedState" for n in want_ins if n.startswith("past_")}
    if not outs or outs[0] != "logits" or set(outs[1:]) != want_outs or len(outs) != 1 + len(want_outs):
        problems.append("outputs %s, expected logits then the RetainedState caches" % outs)
    logits = [o for o in g.output if o.name == "logits"]
    if logits and (dims(logits[0])[:2] != ["batch_size", 1] or logits[0].type.tensor_type.elem_type != f32):
        problems.append("logits %s, expected float [batch_size, 1, vocab]" % dims(logits[0]))
    return problems, layers


class Runner:
    """The exported graph in ONNX Runtime with the library's loop."""

    def __init__(self, path):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
        self.past = [i for i in self.sess.get_inputs() if i.name.startswith("past_")]
        self.outputs = [o.name for o in self.sess.get_outputs()]
        self.runs = 0

    def zeros(self, batch):
        types = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(uint8)": np.uint8}
        return {i.name: np.zeros([batch, i.shape[1], CTX_LEN, i.shape[3]], types[i.type]) for i in self.past}

    def run(self, cache, ids, pos):
        """One run; `cache` is replaced by the RetainedState outputs. Returns
        the logits [batch, vocab]."""
        feeds = dict(cache)
        feeds["input_ids"] = np.asarray(ids, np.int64)
        feeds["position_ids"] = np.asarray(pos, np.int64)
        res = dict(zip(self.outputs, self.sess.run(None, feeds)))
        self.runs += 1
        for n in cache:
            cache[n] = res[n + "_RetainedState"]
        logits = res["logits"]
        if logits.shape[:2] != (len(ids), 1):
            raise RuntimeError("logits shape %s for a batch of %d" % (list(logits.shape), len(ids)))
        return logits[:, 0, :]

    def prefill(self, prompts, chunk):
        """Prefill every row in chunks of `chunk` at its own positions.
        Returns (cache, logits of each row's last prompt token, per-run list
        of (row, position, logits) for every row whose last fed token was in
        that run)."""
        batch = len(prompts)
        cache = self.zeros(batch)
        fed = [0] * batch
        last = [None] * batch
        seen = []
        while any(f < len(p) for f, p in zip(fed, prompts)):
            ids = np.full([batch, chunk], PAD_ID, np.int64)
            pos = np.full([batch, chunk], -1, np.int64)
            for b, p in enumerate(prompts):
                n = min(chunk, len(p) - fed[b])
                if n > 0:
                    ids[b, :n] = p[fed[b]:fed[b] + n]
                    pos[b, :n] = np.arange(fed[b], fed[b] + n)
            logits = self.run(cache, ids, pos)
            for b, p in enumerate(prompts):
                n = min(chunk, len(p) - fed[b])
                if n > 0:
                    fed[b] += n
                    last[b] = logits[b]
                    seen.append((b, fed[b] - 1, logits[b]))
        return cache, last, seen

    def generate(self, prompts, chunk, max_new, eos):
        """Greedy generation as the library does it. Returns the new tokens
        of each row (ending at the first EOS or after max_new)."""
        cache, last, _ = self.prefill(prompts, chunk)
        tokens = [[int(np.argmax(lg))] for lg in last]
        next_pos = [len(p) for p in prompts]

        def is_open(b):
            return tokens[b][-1] not in eos and len(tokens[b]) < max_new

        while any(is_open(b) for b in range(len(prompts))):
            ids = np.full([len(prompts), 1], PAD_ID, np.int64)
            pos = np.full([len(prompts), 1], -1, np.int64)
            open_rows = [b for b in range(len(prompts)) if is_open(b)]
            for b in open_rows:
                ids[b, 0], pos[b, 0] = tokens[b][-1], next_pos[b]
                next_pos[b] += 1
            if max(next_pos) > CTX_LEN:
                raise RuntimeError("context overflow (ctx_len %d)" % CTX_LEN)
            logits = self.run(cache, ids, pos)
            for b in open_rows:
                tokens[b].append(int(np.argmax(logits[b])))
        return tokens


def until_eos(tokens, eos):
    out = []
    for t in tokens:
        out.append(t)
        if t in eos:
            break
    return out


def max_err(got, ref):
    return float(np.max(np.abs(np.asarray(got, np.float64) - np.asarray(ref, np.float64))))


def check_fixture(q, name, ref, fixtures, work):
    model = q.load(os.path.join(fixtures, "models", name))
    try:
        out_dir = os.path.join(work, name)
        q.export(model, out_dir, {"export.overwrite": "true"})
    finally:
        q.lib.qeff_model_free(model)
    path = os.path.join(out_dir, "model.onnx")
    onnx.checker.check_model(path, full_check=True)
    problems, layers = check_signature(onnx.load(path, load_external_data=False))
    ok = not problems
    print("%-44s %s" % (name + " signature (%d layers)" % layers,
                        "MISMATCH: " + "; ".join(problems) if problems else "ok"))
    r = Runner(path)

    eos = ref["special_token_ids"]["eos_token_id"]
    eos = set(eos if isinstance(eos, list) else [] if eos is None else [eos])

    # (1) logits: the last position with one chunk, every position token by token.
    lg = ref["logits"]
    want = np.array(lg["logits"]["data"], np.float32).reshape(lg["logits"]["shape"])
    ids = lg["input_ids"]
    _, last, _ = r.prefill([ids], len(ids))
    err_last = max_err(last[0], want[-1])
    _, _, seen = r.prefill([ids], 1)
    got = np.stack([l for _, _, l in sorted(seen, key=lambda s: s[1])])
    err_all = max_err(got, want) if got.shape == want.shape else float("inf")
    l_ok = err_last <= ATOL and err_all <= ATOL
    print("%-44s max |ort - ref| last %.3g, token by token %.3g %s" % (
        name + " logits", err_last, err_all, "ok" if l_ok else "MISMATCH"))
    ok &= l_ok
    worst = max(err_last, err_all)

    # (2) generate_single, one chunk and chunks of 3.
    gs = ref["generate_single"]
    want_single = until_eos(gs["new_token_ids"], eos)
    agree = []
    for chunk in (len(gs["input_ids"]), CHUNK):
        got = r.generate([gs["input_ids"]], chunk, gs["max_new_tokens"], eos)[0]
        equal = got == want_single
        agree.append(equal)
        print("%-44s %s" % ("%s generate_single chunk %d" % (name, chunk),
                            "ok (%d tokens)" % len(got) if equal else "MISMATCH: %s, reference %s" % (got, want_single)))

    # (3) generate_batch as one batch of 2 rows of different lengths.
    gb = ref["generate_batch"]
    by_text = {p["text"]: p["ids"] for p in ref["prompts"] if p.get("add_special_tokens")}
    prompts = [by_text[t] for t in gb["prompts"]]
    # dynamic NTK rope: HF's base depends on the whole batch, so the batch differs from each row alone
    key = "each_row_generated_alone_new_token_ids" if gb.get("batch_matches_individual", True) else "new_token_ids"
    want_batch = [until_eos(t, eos) for t in gb[key]]
    for chunk in (max(len(p) for p in prompts), CHUNK):
        got = r.generate(prompts, chunk, gb["max_new_tokens"], eos)
        equal = got == want_batch
        agree.append(equal)
        print("%-44s %s" % ("%s generate_batch %s chunk %d" % (name, [len(p) for p in prompts], chunk),
                            "ok" if equal else "MISMATCH: %s, reference %s" % (got, want_batch)))
    ok &= all(agree)
    return ok, worst, "%d/%d" % (sum(agree), len(agree)), r.runs


def cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def library_logits(q, path, ids):
    """The library compiling the same ONNX file: every position's logits,
    fed token by token (its session keeps the cache)."""
    sess = q.compile(path, [{"batch_size": 1, "seq_len": 1, "ctx_len": CTX_LEN}])
    try:
        return [q.run(sess, {"input_ids": np.array([[t]], np.int64),
                             "position_ids": np.array([[i]], np.int64)})["logits"][0, 0].astype(np.float64)
                for i, t in enumerate(ids)]
    finally:
        q.lib.qeff_session_free(sess)


def check_compressed_cache(q, name, ref, fixtures, work, kv):
    """The export with an f16 or MXINT8 KV cache in ONNX Runtime."""
    model = q.load(os.path.join(fixtures, "models", name))
    try:
        out_dir = os.path.join(work, name + "-kv-" + kv)
        q.export(model, out_dir, {"export.overwrite": "true", "model.kv_cache_dtype": kv})
    finally:
        q.lib.qeff_model_free(model)
    path = os.path.join(out_dir, "model.onnx")
    onnx.checker.check_model(path, full_check=True)
    g = onnx.load(path, load_external_data=False).graph
    elem = onnx.TensorProto.FLOAT16 if kv == "f16" else onnx.TensorProto.UINT8
    past = [v for v in list(g.input) + list(g.output) if v.name.startswith("past_")]
    types_ok = all(v.type.tensor_type.elem_type == elem for v in past)
    if kv == "mxint8":
        config = json.load(open(os.path.join(fixtures, "models", name, "config.json")))
        hd = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
        types_ok &= all(v.type.tensor_type.shape.dim[3].dim_value == hd + (hd + 31) // 32 for v in past)
    r = Runner(path)
    lg = ref["logits"]
    want = np.array(lg["logits"]["data"], np.float32).reshape(lg["logits"]["shape"])
    _, _, seen = r.prefill([lg["input_ids"]], 1)
    got = np.stack([l for _, _, l in sorted(seen, key=lambda s: s[1])]).astype(np.float64)
    cos = min(cosine(a, b) for a, b in zip(got, want))
    if kv == "f16":
        gs = ref["generate_single"]
        eos = ref["special_token_ids"]["eos_token_id"]
        eos = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        tokens = r.generate([gs["input_ids"]], len(gs["input_ids"]), gs["max_new_tokens"], eos)[0]
        same_ok = tokens == until_eos(gs["new_token_ids"], eos)
        ok = types_ok and cos >= 0.9999 and same_ok
        detail = "generate_single %s" % ("equal" if same_ok else "DIFFERS")
    else:
        mine = library_logits(q, path, lg["input_ids"])
        lib_cos = min(cosine(a, b) for a, b in zip(got, mine))
        same_ok = all(int(np.argmax(a)) == int(np.argmax(b)) for a, b in zip(got, mine))
        ok = types_ok and cos >= 0.995 and lib_cos >= 0.99999 and same_ok
        detail = "library vs ORT min cosine %.7f, argmax %s" % (lib_cos, "equal" if same_ok else "DIFFERS")
    print("%-44s %s caches %s, min cosine %.7f, %s %s" % (
        name + " kv cache " + kv, kv, "yes" if types_ok else "NO", cos, detail, "ok" if ok else "MISMATCH"))
    return ok


def main():
    lib, fixtures, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    q = Qeff(lib)
    failures = 0
    summary = []
    start = time.monotonic()
    fixtures_found = lm_fixtures(fixtures)
    if not fixtures_found:
        print("no LM fixture (reference with generate_single) in %s" % fixtures)
        sys.exit(1)
    for name, ref in fixtures_found:
        t0 = time.monotonic()
        try:
            ok, worst, agree, runs = check_fixture(q, name, ref, fixtures, work)
        except Exception as e:  # a failed export, checker error, ORT error: report and go on
            print("%s: %s: %s" % (name, type(e).__name__, e))
            ok, worst, agree, runs = False, float("nan"), "-", 0
        summary.append((name, worst, agree, runs, time.monotonic() - t0, ok))
        failures += not ok
    for name, ref in fixtures_found:
        if name not in ("llama-tiny", "gemma2-tiny"):
            continue
        for kv in ("f16", "mxint8"):
            try:
                ok = check_compressed_cache(q, name, ref, fixtures, work, kv)
            except Exception as e:
                print("%s kv cache %s: %s: %s" % (name, kv, type(e).__name__, e))
                ok = False
            failures += not ok
    print("--- per model: max |ort - reference| logits (atol %g), token runs equal, ORT runs, time" % ATOL)
    for name, worst, agree, runs, secs, ok in summary:
        print("%-24s %-9.3g %-5s %4d runs %5.1f s %s" % (name, worst, agree, runs, secs, "ok" if ok else "FAILED"))
    print("%d of %d model(s) failed, %.1f s" % (failures, len(summary), time.monotonic() - start))
    if failures:
        print("exports kept in %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
