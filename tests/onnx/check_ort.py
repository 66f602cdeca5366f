"""Golden ONNX graphs: exported by export_golden, checked by the onnx checker,
run by ONNX Runtime, compared (fp32, atol 1e-5, rtol 1e-5) with
- an independent NumPy reference for the standard-op graphs, and
- golden_reference.json (official transformers functions on PyTorch, written
  by make_reference.py) for the graphs using qeff's fused ops, which ONNX
  Runtime runs through their ONNX local-function bodies.

usage: check_ort.py EXPORT_GOLDEN_BINARY WORK_DIR
Exits 77 (skipped) when onnx or onnxruntime cannot be imported.
"""
import json
import math
import os
import shutil
import subprocess
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as e:  # the suite's interpreter lacks the reference tools
    print("skipped: %s" % e)
    sys.exit(77)

ATOL = RTOL = 1e-5


def weight(shape, salt):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return (np.sin(0.37 * i + salt) * 0.5).astype(np.float32).reshape(shape)


def erf(x):
    return np.vectorize(math.erf)(x.astype(np.float64))


def reference(name, x):
    if name == "mlp_relu":
        h = np.maximum(x @ weight((32, 64), 0.1) + weight((64,), 0.2), 0)
        return h @ weight((64, 16), 0.3)
    if name == "gemm_gelu":
        h = x.astype(np.float64) @ weight((48, 32), 0.4).T.astype(np.float64) + weight((48,), 0.5)
        return 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
    if name == "layer_norm":
        x64 = x.astype(np.float64)
        mu = x64.mean(-1, keepdims=True)
        var = ((x64 - mu) ** 2).mean(-1, keepdims=True)
        return (x64 - mu) / np.sqrt(var + 1e-5) * weight((32,), 0.6) + weight((32,), 0.7)
    raise KeyError(name)


INPUTS = {"mlp_relu": (3, 32), "gemm_gelu": (4, 32), "layer_norm": (2, 5, 32)}
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_reference.json")
DTYPES = {"float32": np.float32, "int64": np.int64, "bool": np.bool_}


def decode(t):
    return np.array(t["data"], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])


def check(name, got, ref):
    err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) if got.size else 0.0
    ok = got.shape == ref.shape and np.allclose(got, ref, atol=ATOL, rtol=RTOL)
    print("%-22s max |ort - reference| = %.3g %s" % (name, err, "ok" if ok else "MISMATCH"))
    return ok


def load_checked(work, name):
    path = os.path.join(work, name, "model.onnx")
    onnx.checker.check_model(path, full_check=True)
    model = onnx.load(path)  # loads the external data too
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta.get("qeff.source_model") == "golden", meta
    return model, ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def main():
    exe, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    subprocess.run([exe, work], check=True)
    rng = np.random.default_rng(7)
    failures = 0
    for name, shape in INPUTS.items():
        _, sess = load_checked(work, name)
        x = rng.standard_normal(shape).astype(np.float32)
        (y,) = sess.run(None, {"x": x})
        failures += not check(name, y, reference(name, x))
    with open(REFERENCE) as f:
        cases = json.load(f)["cases"]
    for name, case in cases.items():
        model, sess = load_checked(work, name)
        assert any(fn.domain == "qeff" for fn in model.functions), name + ": no qeff local function"
        feeds = {k: decode(v) for k, v in case["inputs"].items()}
        outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
        for out_name, ref in case["outputs"].items():
            failures += not check(name + "." + out_name, outs[out_name], decode(ref))
    failures += not kv_two_calls(work, cases["kv_cache"])
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


def kv_two_calls(work, case):
    """kv_step run twice, the first call's cache fed to the second (retained
    state, as the runtime keeps it); must end where the one-graph kv_cache
    reference does."""
    _, sess = load_checked(work, "kv_step")
    inp = {k: decode(v) for k, v in case["inputs"].items()}
    cache, _ = sess.run(None, {"cache": inp["cache"], "position": inp["p1"], "update": inp["u1"],
                               "ctx": inp["ctx"]})
    cache, gathered = sess.run(None, {"cache": cache, "position": inp["p2"], "update": inp["u2"],
                                      "ctx": inp["ctx"]})
    ok = check("kv_step.call2.cache", cache, decode(case["outputs"]["cache_out"]))
    return check("kv_step.call2.gathered", gathered, decode(case["outputs"]["gathered"])) and ok


if __name__ == "__main__":
    main()
