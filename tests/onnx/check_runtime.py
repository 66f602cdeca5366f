"""qeff's compiled runtime against ONNX Runtime on the golden graphs, through
the C ABI (ctypes over libqeff.so): for every golden graph, several
specializations compiled into one program (listed in shuffled order), each run
with random inputs and compared with ONNX Runtime running the same ONNX file
(fp32, atol = rtol = 1e-5); the recorded PyTorch references too. Then retained
state: kv_step run twice in one session (the cache kept by the runtime) must
equal the one-graph kv_cache reference.

usage: check_runtime.py LIBQEFF EXPORT_GOLDEN_BINARY WORK_DIR
Exits 77 (skipped) when numpy or onnxruntime cannot be imported.
"""
import json
import os
import random
import shutil
import subprocess
import sys

try:
    import numpy as np
    import onnxruntime as ort
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(77)

from qeff_ctypes import Qeff  # noqa: E402 (after the skip check)

ATOL = RTOL = 1e-5
HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {"float32": (np.float32, 1), "int64": (np.int64, 5), "bool": (np.bool_, 10)}
CACHE_POSITIONS = {"p1", "p2", "position"}  # scatter positions into the golden caches of length 8
CACHE_LEN = 8


def decode(t):
    return np.array(t["data"], dtype=DTYPES[t["dtype"]][0]).reshape(t["shape"])


def compare(label, got, ref):
    err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) if got.size else 0.0
    ok = got.shape == ref.shape and np.allclose(got, ref, atol=ATOL, rtol=RTOL)
    print("%-44s max |qeff - ref| = %.3g %s" % (label, err, "ok" if ok else "MISMATCH"))
    return ok


def symbols_of(sess):
    """{input name: [dim or symbol]} from the ONNX Runtime session."""
    return {i.name: i.shape for i in sess.get_inputs()}


def random_feeds(rng, sig, bind, ref_inputs):
    """Inputs of the shapes `bind` gives, with values in the ranges the
    reference inputs use (positions stay inside the cache, masks keep one
    visible position per row)."""
    feeds = {}
    for name, dims in sig.items():
        shape = [bind[d] if isinstance(d, str) else d for d in dims]
        ref = ref_inputs[name]
        if ref.dtype == np.float32:
            feeds[name] = rng.standard_normal(shape).astype(np.float32)
        elif ref.dtype == np.bool_:
            m = rng.random(shape) < 0.3
            m[..., 0] = False
            feeds[name] = m
        elif name in CACHE_POSITIONS:  # distinct per row: one scatter has one winner per slot
            rows = int(np.prod(shape[:-1]))
            feeds[name] = np.stack([rng.permutation(CACHE_LEN)[:shape[-1]] for _ in range(rows)]).reshape(shape)
        else:
            lo, hi = int(ref.min()), int(ref.max())
            v = rng.integers(lo, hi + 1, size=shape).astype(np.int64)
            if lo == 0 and hi == 1:
                v[..., 0] = 1
            feeds[name] = v
    return feeds


def check_case(q, work, name, case, rng):
    path = os.path.join(work, name, "model.onnx")
    ref_sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    sig = symbols_of(ref_sess)
    ref_inputs = {k: decode(v) for k, v in case["inputs"].items()}
    base = {}
    for n, dims in sig.items():
        for d, size in zip(dims, ref_inputs[n].shape):
            if isinstance(d, str):
                base[d] = size
    binds = [dict(base)]
    for delta in ((1, 2) if base else ()):
        b = {s: (v + delta if s not in ("batch",) else max(1, v - 1 + delta % 2)) for s, v in base.items()}
        binds.append(b)
    specs = [{"name": "s%d" % i, "symbols": b} for i, b in enumerate(binds)]
    order = list(specs)
    random.Random(len(name)).shuffle(order)
    sess = q.compile(path, order)
    ok = True
    try:
        got = q.run(sess, ref_inputs)
        for out_name, ref in case["outputs"].items():
            ok &= compare("%s.%s (PyTorch reference)" % (name, out_name), got[out_name], decode(ref))
        for spec in specs[1:]:
            feeds = random_feeds(rng, sig, spec["symbols"], ref_inputs)
            want = dict(zip([o.name for o in ref_sess.get_outputs()], ref_sess.run(None, feeds)))
            got = q.run(sess, feeds)
            for out_name in want:
                ok &= compare("%s.%s %s (ONNX Runtime)" % (name, out_name, json.dumps(spec["symbols"])),
                              got[out_name], want[out_name])
    finally:
        q.lib.qeff_session_free(sess)
    return ok


def check_torch_export(q, name, rng):
    """A graph torch.onnx.export wrote (shape arithmetic, Softmax, masks...),
    compiled for three specializations and compared with ONNX Runtime."""
    path = os.path.join(HERE, "torch_exports", name + ".onnx")
    ref_sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    binds = [{"batch": 1, "seq": 5}, {"batch": 2, "seq": 3}, {"batch": 3, "seq": 8}]
    sess = q.compile(path, [{"name": "s%d" % i, "symbols": b} for i, b in enumerate(binds)])
    ok = True
    try:
        for b in binds:
            feeds = {"hidden_states": rng.standard_normal([b["batch"], b["seq"], 32]).astype(np.float32)}
            if name == "bert_layer":
                mask = np.ones([b["batch"], b["seq"]], np.int64)
                mask[:, b["seq"] // 2 + 1:] = 0
                feeds["attention_mask"] = mask
            else:
                feeds["position_ids"] = np.tile(np.arange(b["seq"], dtype=np.int64), (b["batch"], 1))
            want = ref_sess.run(None, feeds)[0]
            ok &= compare("torch %s %s (ONNX Runtime)" % (name, json.dumps(b)), q.run(sess, feeds)["output"], want)
    finally:
        q.lib.qeff_session_free(sess)
    return ok


def check_retained_state(q, work, case):
    """kv_step twice in one session: the runtime keeps the cache."""
    inp = {k: decode(v) for k, v in case["inputs"].items()}
    path = os.path.join(work, "kv_step", "model.onnx")
    specs = [{"name": "prompt", "symbols": {"batch": 2, "seq": 3, "n": 4}},
             {"name": "step", "symbols": {"batch": 2, "seq": 1, "n": 4}}]
    sess = q.compile(path, specs)
    try:
        q.run(sess, {"position": inp["p1"], "update": inp["u1"], "ctx": inp["ctx"]})
        got = q.run(sess, {"position": inp["p2"], "update": inp["u2"], "ctx": inp["ctx"]})
        ok = compare("kv_step call 2 gathered (retained state)", got["gathered"], decode(case["outputs"]["gathered"]))
        ok &= compare("kv_step retained cache", q.state(sess, "cache"), decode(case["outputs"]["cache_out"]))
    finally:
        q.lib.qeff_session_free(sess)
    return ok


def main():
    lib, exe, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    subprocess.run([exe, work], check=True)
    q = Qeff(lib)
    with open(os.path.join(HERE, "golden_reference.json")) as f:
        cases = json.load(f)["cases"]
    rng = np.random.default_rng(1234)
    failures = 0
    for name, case in cases.items():
        try:
            failures += not check_case(q, work, name, case, rng)
        except RuntimeError as e:
            print("%s: %s" % (name, e))
            failures += 1
    for name in ("bert_layer", "llama_block"):
        try:
            failures += not check_torch_export(q, name, rng)
        except RuntimeError as e:
            print("torch %s: %s" % (name, e))
            failures += 1
    try:
        failures += not check_retained_state(q, work, cases["kv_cache"])
    except RuntimeError as e:
        print("kv_step: %s" % e)
        failures += 1
    shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
