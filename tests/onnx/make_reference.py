"""Reference outputs for every golden graph of export_golden.cpp, computed on
PyTorch: torch.nn modules for the standard-op graphs, the official
transformers code for the fused ops and layers (LlamaRMSNorm,
apply_rotary_pos_emb, LlamaRotaryEmbedding, repeat_kv and the eager attention
math, LlamaDecoderLayer, BertLayer) and sentence-transformers' Pooling module,
written to golden_reference.json (committed; the test suite needs no torch).

Regenerate with the reference venv (see tests/fixtures/README.md):
    /work/refenv/bin/python tests/onnx/make_reference.py
"""
import json
import math
import os

import numpy as np
import torch
from transformers import LlamaConfig
from transformers.models.llama import modeling_llama as llama

torch.manual_seed(0)
RNG = np.random.default_rng(20241122)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_reference.json")


def weight(shape, salt):
    """The deterministic weights export_golden.cpp writes."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return (np.sin(0.37 * i + salt) * 0.5).astype(np.float32).reshape(shape)


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def enc(a):
    a = np.asarray(a)
    kind = "bool" if a.dtype == np.bool_ else ("int64" if a.dtype.kind == "i" else "float32")
    return {"dtype": kind, "shape": list(a.shape),
            "data": [bool(x) for x in a.ravel()] if kind == "bool" else
                    [int(x) for x in a.ravel()] if kind == "int64" else
                    [float(np.float32(x)) for x in a.ravel()]}


def rms_norm():
    x = RNG.standard_normal((2, 5, 64)).astype(np.float32)
    norm = llama.LlamaRMSNorm(64, eps=1e-6)
    with torch.no_grad():
        norm.weight.copy_(t(weight((64,), 0.8)))
        y = norm(t(x)).numpy()
    return {"inputs": {"x": enc(x)}, "outputs": {"y": enc(y)}}


def rotary():
    cfg = LlamaConfig(hidden_size=64, num_attention_heads=4, rope_theta=10000.0,
                      max_position_embeddings=64)
    rope = llama.LlamaRotaryEmbedding(config=cfg)
    x = RNG.standard_normal((2, 4, 6, 16)).astype(np.float32)
    pos = torch.tensor([[0, 1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]])
    with torch.no_grad():
        cos, sin = rope(t(x), pos)
        y, _ = llama.apply_rotary_pos_emb(t(x), t(x), cos, sin)
    return {"inputs": {"x": enc(x), "cos": enc(cos.numpy()), "sin": enc(sin.numpy())},
            "outputs": {"y": enc(y.numpy())}}


def attention():
    b, hq, hkv, s, c, d = 2, 4, 2, 3, 5, 16
    q = RNG.standard_normal((b, hq, s, d)).astype(np.float32)
    k = RNG.standard_normal((b, hkv, c, d)).astype(np.float32)
    v = RNG.standard_normal((b, hkv, c, d)).astype(np.float32)
    # Row 0: 5 cached+new positions, causal over the last 3 queries.
    # Row 1: left padding in the first 2 context slots, then causal.
    mask = np.zeros((b, 1, s, c), dtype=bool)
    for i in range(s):
        mask[:, 0, i, c - s + i + 1:] = True
    mask[1, 0, :, :2] = True
    with torch.no_grad():
        # LlamaAttention eager path: repeat_kv, QK^T / sqrt(d), additive
        # finfo.min mask, fp32 softmax, times V.
        kr = llama.repeat_kv(t(k), hq // hkv)
        vr = llama.repeat_kv(t(v), hq // hkv)
        w = torch.matmul(t(q), kr.transpose(2, 3)) / math.sqrt(d)
        additive = torch.zeros(mask.shape).masked_fill(t(mask), torch.finfo(torch.float32).min)
        w = torch.nn.functional.softmax(w + additive, dim=-1, dtype=torch.float32)
        y = torch.matmul(w, vr).numpy()
    return {"inputs": {"q": enc(q), "k": enc(k), "v": enc(v), "mask": enc(mask)},
            "outputs": {"y": enc(y)}}


def kv_cache():
    """QEfficient's CtxScatter / CtxGather semantics: cache[b, h, pos[b, s]] = updates[b, h, s]."""
    b, h, c, d = 2, 2, 8, 4
    cache = np.zeros((b, h, c, d), dtype=np.float32)
    p1 = np.array([[0, 1, 2], [0, 1, 2]], dtype=np.int64)
    u1 = RNG.standard_normal((b, h, 3, d)).astype(np.float32)
    p2 = np.array([[3], [3]], dtype=np.int64)
    u2 = RNG.standard_normal((b, h, 1, d)).astype(np.float32)
    ctx = np.array([[0, 1, 2, 3], [3, 2, 1, 0]], dtype=np.int64)
    out = t(cache).clone()
    bi = torch.arange(b).view(b, 1, 1)
    hi = torch.arange(h).view(1, h, 1)
    out[bi, hi, t(p1).unsqueeze(1)] = t(u1)
    out[bi, hi, t(p2).unsqueeze(1)] = t(u2)
    gathered = out[bi, hi, t(ctx).unsqueeze(1)]
    return {"inputs": {"cache": enc(cache), "p1": enc(p1), "u1": enc(u1), "p2": enc(p2),
                       "u2": enc(u2), "ctx": enc(ctx)},
            "outputs": {"cache_out": enc(out.numpy()), "gathered": enc(gathered.numpy())}}


def set_params(module, salts):
    """Fills each named parameter with the export_golden weights of its salt
    (biases use salt + 0.05, as export_golden does)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            base = name.rsplit(".", 1)[0]
            salt = salts[base] + (0.05 if name.endswith(".bias") else 0.0)
            p.copy_(t(weight(tuple(p.shape), salt)))


def llama_layer():
    cfg = LlamaConfig(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2,
                      rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=64,
                      attn_implementation="eager")
    layer = llama.LlamaDecoderLayer(cfg, layer_idx=0).eval()
    set_params(layer, {"input_layernorm": 1.0, "self_attn.q_proj": 1.1, "self_attn.k_proj": 1.2,
                       "self_attn.v_proj": 1.3, "self_attn.o_proj": 1.4, "post_attention_layernorm": 1.5,
                       "mlp.gate_proj": 1.6, "mlp.up_proj": 1.7, "mlp.down_proj": 1.8})
    b, s = 2, 5
    x = RNG.standard_normal((b, s, 64)).astype(np.float32)
    # Row 1 is left-padded by 2 tokens (positions start after the padding).
    pos = torch.tensor([[0, 1, 2, 3, 4], [0, 0, 0, 1, 2]])
    mask = np.triu(np.ones((s, s), dtype=bool), 1)[None, None].repeat(b, 0)
    mask[1, 0, :, :2] = True
    rope = llama.LlamaRotaryEmbedding(config=cfg)
    with torch.no_grad():
        cos, sin = rope(t(x), pos)
        additive = torch.zeros(mask.shape).masked_fill(t(mask), torch.finfo(torch.float32).min)
        y = layer(t(x), attention_mask=additive, position_ids=pos, position_embeddings=(cos, sin))[0]
    return {"inputs": {"x": enc(x), "cos": enc(cos.numpy()), "sin": enc(sin.numpy()), "mask": enc(mask)},
            "outputs": {"y": enc(y.numpy())}}


def bert_layer():
    from transformers import BertConfig
    from transformers.models.bert import modeling_bert as bert
    cfg = BertConfig(hidden_size=32, num_attention_heads=4, intermediate_size=64, hidden_act="gelu",
                     layer_norm_eps=1e-12, attn_implementation="eager")
    layer = bert.BertLayer(cfg).eval()
    set_params(layer, {"attention.self.query": 2.1, "attention.self.key": 2.2, "attention.self.value": 2.3,
                       "attention.output.dense": 2.4, "attention.output.LayerNorm": 2.5,
                       "intermediate.dense": 2.6, "output.dense": 2.7, "output.LayerNorm": 2.8})
    b, s = 2, 6
    x = RNG.standard_normal((b, s, 32)).astype(np.float32)
    attend = np.ones((b, s), dtype=np.int64)
    attend[1, 4:] = 0  # row 1 is right-padded
    mask = (attend == 0)[:, None, None, :]
    with torch.no_grad():
        additive = (1.0 - t(attend)[:, None, None, :].float()) * torch.finfo(torch.float32).min
        y = layer(t(x), attention_mask=additive)[0]
    return {"inputs": {"x": enc(x), "mask": enc(mask)}, "outputs": {"y": enc(y.numpy())}}


def linear(in_f, out_f, salt, bias=True, transposed_store=False):
    """An nn.Linear holding export_golden's weights. export_golden stores MLP
    weights as [in, out] for MatMul (transposed_store) and HF-style [out, in]
    for Gemm(transB=1)."""
    lin = torch.nn.Linear(in_f, out_f, bias=bias)
    with torch.no_grad():
        w = weight((in_f, out_f), salt).T if transposed_store else weight((out_f, in_f), salt)
        lin.weight.copy_(t(np.ascontiguousarray(w)))
        if bias:
            lin.bias.copy_(t(weight((out_f,), salt + 0.1)))
    return lin


def mlp_relu():
    x = RNG.standard_normal((3, 32)).astype(np.float32)
    fc1 = linear(32, 64, 0.1, transposed_store=True)   # bias salt 0.2
    fc2 = linear(64, 16, 0.3, bias=False, transposed_store=True)
    with torch.no_grad():
        y = fc2(torch.relu(fc1(t(x))))
    return {"inputs": {"x": enc(x)}, "outputs": {"y": enc(y.numpy())}}


def gemm_gelu():
    x = RNG.standard_normal((4, 32)).astype(np.float32)
    fc = linear(32, 48, 0.4)                             # bias salt 0.5
    with torch.no_grad():
        y = torch.nn.functional.gelu(fc(t(x)))           # exact (erf) GELU
    return {"inputs": {"x": enc(x)}, "outputs": {"y": enc(y.numpy())}}


def layer_norm():
    x = RNG.standard_normal((2, 5, 32)).astype(np.float32)
    ln = torch.nn.LayerNorm(32, eps=1e-5)
    with torch.no_grad():
        ln.weight.copy_(t(weight((32,), 0.6)))
        ln.bias.copy_(t(weight((32,), 0.7)))
        y = ln(t(x))
    return {"inputs": {"x": enc(x)}, "outputs": {"y": enc(y.numpy())}}


def pooling():
    """sentence-transformers' Pooling module (the official pooling code) per mode."""
    import warnings
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from sentence_transformers.models import Pooling
    x = RNG.standard_normal((3, 5, 16)).astype(np.float32)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=np.int64)
    outputs = {}
    for name, mode in [("mean", "mean"), ("max", "max"), ("cls", "cls"), ("last_token", "lasttoken")]:
        pool = Pooling(16, pooling_mode=mode)
        with torch.no_grad():
            y = pool({"token_embeddings": t(x).clone(), "attention_mask": t(mask)})["sentence_embedding"]
        outputs[name] = enc(y.numpy())
    return {"inputs": {"x": enc(x), "mask": enc(mask)}, "outputs": outputs}


def main():
    cases = {"mlp_relu": mlp_relu(), "gemm_gelu": gemm_gelu(), "layer_norm": layer_norm(),
             "rms_norm": rms_norm(), "rotary": rotary(), "attention": attention(),
             "kv_cache": kv_cache(), "llama_layer": llama_layer(), "bert_layer": bert_layer(),
             "pooling": pooling()}
    meta = {"generator": "tests/onnx/make_reference.py", "torch": torch.__version__,
            "reference": "official transformers modeling_llama functions (4.47) on PyTorch"}
    import sentence_transformers
    import transformers
    meta["transformers"] = transformers.__version__
    meta["sentence_transformers"] = sentence_transformers.__version__
    with open(OUT, "w") as f:
        json.dump({"metadata": meta, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
