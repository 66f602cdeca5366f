"""Encoder models exported by qeff_export (C ABI, ctypes over libqeff.so),
checked by the Python onnx checker (full_check) and run by ONNX Runtime
(CPUExecutionProvider, one intra-op thread) on the fixtures' reference batch,
against the PyTorch references (tests/fixtures/reference/<name>.json,
"encoder" block).

For every fixture with an "encoder" block:
- embedding models: one export per pooling mode (none, mean, avg, cls, max,
  mean_sqrt_len, last_token) with model.normalize = false, and mean with
  model.normalize = true; compared with encoder.pooled / encoder.normalized,
  and for "none" with encoder.last_hidden_state on the real positions only
  (per row the first lengths[i] tokens: padded positions are not defined by
  the contract);
- rerankers: one export with the default options, compared with encoder.logits.
Each graph must have exactly the inputs input_ids, attention_mask (plus
token_type_ids where the model consumes them: the BERT reranker) of dims
[batch_size, seq_len], and one output, "output" or "logits".

Tolerance: absolute only, |ort - reference| <= 1e-5 everywhere (fp32; no
relative term).

usage: check_models_ort.py LIBQEFF FIXTURES_DIR WORK_DIR
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

ATOL = 1e-5  # absolute tolerance, fp32 against the PyTorch references (no rtol)

MODELS = ["bert-tiny", "roberta-tiny", "xlm-roberta-tiny", "mpnet-tiny", "distilbert-tiny",
          "nomic-bert-tiny", "bert-reranker-tiny", "xlm-roberta-reranker-tiny"]
POOLINGS = ["none", "mean", "avg", "cls", "max", "mean_sqrt_len", "last_token"]
REFERENCE_POOLING = {"avg": "mean"}  # avg is an alias of mean
TOKEN_TYPES = {"bert-reranker-tiny"}  # the graphs that take token_type_ids
TOKEN_DIMS = ["batch_size", "seq_len"]


def decode(t):
    return np.array(t["data"], dtype={"float32": np.float32, "int64": np.int64}[t["dtype"]]).reshape(t["shape"])


def compare(label, got, ref):
    if got.shape != ref.shape:
        print("%-52s shape %s, reference %s MISMATCH" % (label, list(got.shape), list(ref.shape)))
        return False, float("inf")
    err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) if got.size else 0.0
    ok = bool(err <= ATOL)
    print("%-52s max |ort - reference| = %.3g %s" % (label, err, "ok" if ok else "MISMATCH"))
    return ok, err


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def check_signature(label, model, want_inputs, want_output, want_output_dims):
    """Inputs exactly `want_inputs`, int64 [batch_size, seq_len]; one float
    output named `want_output` of dims `want_output_dims`."""
    g = model.graph
    problems = []
    names = [i.name for i in g.input]
    if names != want_inputs:
        problems.append("inputs %s, expected %s" % (names, want_inputs))
    for i in g.input:
        if dims(i) != TOKEN_DIMS or i.type.tensor_type.elem_type != onnx.TensorProto.INT64:
            problems.append("input %s: %s %s, expected int64 %s" % (
                i.name, onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type), dims(i), TOKEN_DIMS))
    outs = [(o.name, dims(o), o.type.tensor_type.elem_type) for o in g.output]
    if outs != [(want_output, want_output_dims, onnx.TensorProto.FLOAT)]:
        problems.append("outputs %s, expected [(%r, %s, FLOAT)]" % (
            [(n, d, onnx.TensorProto.DataType.Name(t)) for n, d, t in outs], want_output, want_output_dims))
    print("%-52s %s" % (label + " signature", "MISMATCH: " + "; ".join(problems) if problems else "ok"))
    return not problems


def run_export(q, model, out_dir, options):
    """Export, check with the onnx checker, open in ONNX Runtime."""
    q.export(model, out_dir, options)
    path = os.path.join(out_dir, "model.onnx")
    onnx.checker.check_model(path, full_check=True)
    proto = onnx.load(path, load_external_data=False)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
    return proto, sess


def feeds_for(sess, enc):
    feeds = {}
    for i in sess.get_inputs():
        if i.name not in enc:
            raise RuntimeError("graph input %s has no reference value" % i.name)
        feeds[i.name] = np.array(enc[i.name], dtype=np.int64)
    return feeds


def check_embedding(q, model, name, enc, work):
    hidden = decode(enc["last_hidden_state"]).shape[-1]
    lengths = enc["lengths"]
    inputs = ["input_ids", "attention_mask"]
    ok, worst = True, 0.0
    cases = [(p, False) for p in POOLINGS] + [("mean", True)]
    for pooling, normalize in cases:
        tag = "%s pooling=%s normalize=%s" % (name, pooling, "true" if normalize else "false")
        out_dir = os.path.join(work, name, pooling + ("-normalized" if normalize else ""))
        proto, sess = run_export(q, model, out_dir, {"model.pooling": pooling,
                                                     "model.normalize": "true" if normalize else "false"})
        meta = {p.key: p.value for p in proto.metadata_props}
        want_pooling = REFERENCE_POOLING.get(pooling, pooling)
        if meta.get("qeff.pooling") != want_pooling or meta.get("qeff.normalize") != str(normalize).lower():
            print("%-52s metadata %s MISMATCH" % (tag, meta))
            ok = False
        out_dims = ["batch_size"] + (["seq_len"] if pooling == "none" else []) + [hidden]
        ok &= check_signature(tag, proto, inputs, "output", out_dims)
        got = sess.run(["output"], feeds_for(sess, enc))[0]
        if pooling == "none":
            ref = decode(enc["last_hidden_state"])
            if got.shape != ref.shape:
                c_ok, err = compare(tag + " (real tokens)", got, ref)
            else:  # the real positions of every row, concatenated
                c_ok, err = compare(tag + " (real tokens)",
                                    np.concatenate([got[i, :n] for i, n in enumerate(lengths)]),
                                    np.concatenate([ref[i, :n] for i, n in enumerate(lengths)]))
        else:
            ref = decode(enc["normalized" if normalize else "pooled"][want_pooling])
            c_ok, err = compare(tag, got, ref)
        ok &= c_ok
        worst = max(worst, err)
    return ok, worst


def check_reranker(q, model, name, enc, work):
    inputs = ["input_ids", "attention_mask"] + (["token_type_ids"] if name in TOKEN_TYPES else [])
    ref = decode(enc["logits"])
    proto, sess = run_export(q, model, os.path.join(work, name, "default"), {})
    ok = check_signature(name, proto, inputs, "logits", ["batch_size", ref.shape[1]])
    got = sess.run(["logits"], feeds_for(sess, enc))[0]
    c_ok, err = compare(name + " logits", got, ref)
    return ok and c_ok, err


def main():
    lib, fixtures, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    q = Qeff(lib)
    failures = 0
    summary = []
    start = time.monotonic()
    for name in MODELS:
        with open(os.path.join(fixtures, "reference", name + ".json"), encoding="utf-8") as f:
            enc = json.load(f)["encoder"]
        model = None
        try:
            model = q.load(os.path.join(fixtures, "models", name))
            if "logits" in enc:
                ok, worst = check_reranker(q, model, name, enc, work)
            else:
                ok, worst = check_embedding(q, model, name, enc, work)
            summary.append((name, worst, ok))
        except Exception as e:  # a failed export, checker error, ORT error: report and go on
            print("%s: %s: %s" % (name, type(e).__name__, e))
            summary.append((name, float("nan"), False))
            ok = False
        finally:
            if model is not None:
                q.lib.qeff_model_free(model)
        failures += not ok
    print("--- max |ort - reference| per model (atol %g)" % ATOL)
    for name, worst, ok in summary:
        print("%-28s %.3g %s" % (name, worst, "ok" if ok else "FAILED"))
    print("%d model(s) failed, %.1f s" % (failures, time.monotonic() - start))
    if failures:
        print("exports kept in %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
