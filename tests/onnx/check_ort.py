"""Golden ONNX graphs: exported by export_golden, checked by the onnx checker,
run by ONNX Runtime, compared (fp32, atol 1e-5, rtol 1e-5) with
golden_reference.json (PyTorch / official transformers and sentence-transformers
code, written by make_reference.py). Graphs using qeff's fused ops run through
their ONNX local-function bodies.

usage: check_ort.py EXPORT_GOLDEN_BINARY WORK_DIR
Exits 77 (skipped) when onnx or onnxruntime cannot be imported.
"""
import json
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
    failures = 0
    with open(REFERENCE) as f:
        cases = json.load(f)["cases"]
    for name, case in cases.items():
        model, sess = load_checked(work, name)
        if any(n.domain == "qeff" for n in model.graph.node):
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
