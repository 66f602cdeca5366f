#!/usr/bin/env python3
"""Convert the causal-LM benchmark's model to GGUF files for llama.cpp.

    make_gguf.py [MODEL_DIR [OUT_DIR]] [--types f32,f16,bf16,q8_0,q6_k,q4_0] [--check NODE_LLAMA_DIR]

MODEL_DIR (default build-bench/models/tinyllama-shape, written by
make_lm_model.py) holds a LlamaForCausalLM as one fp32 model.safetensors and
its config.json; OUT_DIR (default build-bench/gguf) receives
tinyllama-shape-<type>.gguf for every type: the same weights, laid out as
llama.cpp's convert_hf_to_gguf.py lays out a LLaMA:

  - tensor names from gguf-py's LLaMA name map (token_embd, blk.N.attn_q, ...);
  - q_proj / k_proj rows permuted from HF's rotate-half RoPE layout to GGML's
    interleaved pairs (convert_hf_to_gguf's LlamaModel.permute, with the KV
    head count for k_proj);
  - the norm weights (1-D) stay F32; every matrix, token_embd and output
    included, is stored in the file's type ("pure": no higher-precision
    output.weight as llama-quantize would pick for Q4_0). Q8_0, Q4_0 and BF16
    come from gguf-py's reference quantizers (gguf.quants); Q6_K (the peer of
    qeff's 6-bit MXFP6; gguf-py only dequantizes it) from quantize_q6_k()
    here, a plain rounding quantizer (not llama-quantize's search for the best
    scales: the decode speed does not depend on it) whose blocks gguf-py's
    dequantizer reads back within the format's rounding;
  - a dummy SentencePiece ("llama") vocabulary of vocab_size tokens: <unk>,
    <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then "t<id>" (the benchmark
    feeds token ids, so only the size matters).

Each file records the size and mtime of the model.safetensors it came from
(key qeff.bench.source); a file with the same record is kept. The tensors are
written one at a time (memory: about one tensor, not the model).

--check NODE_LLAMA_DIR (an `npm install node-llama-cpp` prefix) verifies the
conversion: it runs llama_cpp_worker.mjs on every converted file and PyTorch
(transformers, fp32) on the benchmark's 128-token prompt and compares the
logits of the last prompt position (max abs difference relative to the largest
logit, top-10 ids) and the greedy tokens. Needs torch, transformers, numpy,
safetensors and gguf (pip install gguf), e.g. /work/refenv/bin/python.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np

try:
    import gguf
except ImportError:
    sys.exit("[gguf] needs gguf-py: pip install gguf")

HERE = os.path.dirname(os.path.abspath(__file__))
Q, F = gguf.GGMLQuantizationType, gguf.LlamaFileType
TYPES = {"f32": (Q.F32, F.ALL_F32), "f16": (Q.F16, F.MOSTLY_F16), "bf16": (Q.BF16, F.MOSTLY_BF16),
         "q8_0": (Q.Q8_0, F.MOSTLY_Q8_0), "q6_k": (Q.Q6_K, F.MOSTLY_Q6_K),
         "q4_0": (Q.Q4_0, F.MOSTLY_Q4_0)}  # matrices' type, general.file_type


def quantize_q6_k(x):
    """Rows of x (length a multiple of 256) as GGML Q6_K blocks of 210 bytes: ql[128] (low nibbles), qh[64]
    (high 2 bits), 16 int8 sub-block scales, fp16 d; element = d * scale[e // 16] * (q - 32), q in [0, 63]. The
    layout is the one gguf.quants.Q6_K.dequantize_blocks reads: element h*128 + r takes its low nibble from
    ql[h*64 + r % 64] >> 4 (r // 64) and its high bits from qh[h*32 + r % 32] >> 2 (r // 32)."""
    rows = x.reshape(-1, 256).astype(np.float32)
    nb = rows.shape[0]
    sub = rows.reshape(nb, 16, 16)
    sub_scale = np.abs(sub).max(axis=2) / 31.0                       # [nb, 16]: |q| <= 31 for the sub-block max
    d = (sub_scale.max(axis=1) / 127.0).astype(np.float16)            # [nb]
    d32 = d.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(d32[:, None] > 0, np.rint(sub_scale / d32[:, None]), 0).clip(0, 127).astype(np.int8)
        eff = (d32[:, None] * sc.astype(np.float32))[:, :, None]     # [nb, 16, 1]
        q = np.where(eff > 0, np.rint(sub / eff), 0).clip(-32, 31)
    u = (q.reshape(nb, 256) + 32).astype(np.uint8)
    low = (u & 0x0F).reshape(nb, 2, 2, 64)
    ql = (low[:, :, 0, :] | (low[:, :, 1, :] << 4)).reshape(nb, 128)
    hi = (u >> 4).reshape(nb, 2, 4, 32)
    qh = (hi[:, :, 0] | (hi[:, :, 1] << 2) | (hi[:, :, 2] << 4) | (hi[:, :, 3] << 6)).reshape(nb, 64)
    blocks = np.concatenate([ql, qh, sc.view(np.uint8), d.reshape(nb, 1).view(np.uint8)], axis=1)
    return blocks.reshape(*x.shape[:-1], x.shape[-1] // 256 * 210)


def quantize(x, tt):
    return quantize_q6_k(x) if tt == Q.Q6_K else gguf.quants.quantize(x, tt)


def gguf_path(out_dir, t):
    return os.path.join(out_dir, f"tinyllama-shape-{t}.gguf")


def source_id(model_dir):
    st = os.stat(os.path.join(model_dir, "model.safetensors"))
    return f"{st.st_size}:{int(st.st_mtime)}"


def up_to_date(path, src):
    if not os.path.isfile(path):
        return False
    try:
        field = gguf.GGUFReader(path).get_field("qeff.bench.source")
        return field is not None and field.contents() == src
    except (ValueError, OSError):
        return False


def permute(w, n_head):
    """convert_hf_to_gguf LlamaModel.permute: HF rotate-half rows -> GGML interleaved RoPE pairs."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def convert(model_dir, path, t, src):
    from safetensors import safe_open

    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    qtype, ftype = TYPES[t]
    n_layer, n_head, n_kv = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    n_vocab, n_embd = cfg["vocab_size"], cfg["hidden_size"]

    w = gguf.GGUFWriter(path + ".tmp", "llama")
    w.add_name("tinyllama-shape (random weights, qeff benchmark)")
    w.add_string("qeff.bench.source", src)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_vocab_size(n_vocab)
    w.add_file_type(ftype)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256
    tokens += [f"t{i}" for i in range(len(tokens), n_vocab)]
    types += [gguf.TokenType.NORMAL] * (n_vocab - len(types))
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * 3 + [-float(i) for i in range(3, n_vocab)])
    w.add_token_types(types)
    w.add_bos_token_id(cfg.get("bos_token_id", 1))
    w.add_eos_token_id(cfg.get("eos_token_id", 2))
    w.add_unk_token_id(0)
    w.add_add_bos_token(False)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layer)
    with safe_open(os.path.join(model_dir, "model.safetensors"), framework="np") as st:
        plan = []
        for hf in st.keys():
            name = names.get_name(hf, try_suffixes=(".weight", ".bias"))
            if name is None:
                sys.exit(f"[gguf] no GGUF name for {hf}")
            shape = st.get_slice(hf).get_shape()
            tt = qtype if len(shape) == 2 else Q.F32
            bs, ts = gguf.GGML_QUANT_SIZES[tt]
            plan.append((hf, name, tt))
            w.add_tensor_info(name, shape, np.float32, int(np.prod(shape)) // bs * ts, raw_dtype=tt)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        for hf, name, tt in plan:
            x = st.get_tensor(hf).astype(np.float32, copy=False)
            if hf.endswith("q_proj.weight"):
                x = permute(x, n_head)
            elif hf.endswith("k_proj.weight"):
                x = permute(x, n_kv)
            w.write_tensor_data(x if tt == Q.F32 else quantize(x, tt))
    w.close()
    os.replace(path + ".tmp", path)


def check(model_dir, out_dir, types, node_llama, threads, prompt_len=128, new_tokens=8):
    """llama.cpp (every converted type) vs PyTorch fp32: last-position logits and greedy tokens."""
    sys.path.insert(0, HERE)
    import run_lm

    work = os.path.join(out_dir, "check")
    os.makedirs(work, exist_ok=True)
    ids_file, log = os.path.join(work, f"ids-{prompt_len}.bin"), os.path.join(work, "workers.log")
    ids = run_lm.write_prompt_ids(ids_file, prompt_len)
    results = {}
    for t in types:
        logits_file = os.path.join(work, f"logits-{t}.bin")
        res = run_lm.run_worker(f"llamacpp-{t}", run_lm.llama_cpp_command(
            node_llama, gguf_path(out_dir, t), threads, prompt_len, 256, new_tokens, 1, ids_file, logits_file),
            None, log, 3600)
        results[t] = (np.fromfile(logits_file, dtype=np.float32), res["tokens"])
    # PyTorch: the greedy tokens from the benchmark's worker, the logits from one forward here
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_WAIT_POLICY="PASSIVE")
    toks = run_lm.run_worker("torch-fp32", [sys.executable, os.path.join(HERE, "lm_torch_worker.py"), model_dir,
                                            str(threads), "fp32", str(prompt_len), str(new_tokens), "1", ids_file],
                             env, log, 3600)["tokens"]
    import torch
    from transformers import LlamaForCausalLM

    torch.set_num_threads(threads)
    model = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    with torch.inference_mode():
        ref = model(input_ids=torch.from_numpy(ids.astype(np.int64)).reshape(1, -1)).logits[0, -1].numpy()
    top_ref = np.argsort(-ref)[:10]
    print(f"[gguf] PyTorch fp32: max |logit| {np.abs(ref).max():.4f}, top-10 {top_ref.tolist()}, greedy {toks}")
    ok = True
    for t, (lg, tk) in results.items():
        rel = float(np.abs(lg - ref).max() / np.abs(ref).max())
        top = np.argsort(-lg)[:10]
        agree = run_lm.common_prefix(tk, toks)
        print(f"[gguf] llama.cpp {t.upper()}: max |logit difference| / max |logit| {rel:.2e}, top-10 "
              f"{'equal' if (top == top_ref).all() else top.tolist()}, greedy tokens equal from the start: "
              f"{agree} of {len(toks)}")
        if t == "f32" and (rel > 1e-3 or agree < len(toks)):
            ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", nargs="?", default="build-bench/models/tinyllama-shape")
    ap.add_argument("out_dir", nargs="?", default="build-bench/gguf")
    ap.add_argument("--types", default=",".join(TYPES), help="comma-separated subset of " + ",".join(TYPES))
    ap.add_argument("--check", metavar="NODE_LLAMA_DIR", default=None,
                    help="compare llama.cpp's logits and greedy tokens with PyTorch fp32 (see above)")
    ap.add_argument("--threads", type=int, default=2, help="threads of the check (2)")
    args = ap.parse_args()
    model_dir, out_dir = os.path.abspath(args.model_dir), os.path.abspath(args.out_dir)
    types = [t for t in args.types.split(",") if t]
    for t in types:
        if t not in TYPES:
            sys.exit(f"[gguf] unknown type {t}")
    os.makedirs(out_dir, exist_ok=True)
    src = source_id(model_dir)
    for t in types:
        path = gguf_path(out_dir, t)
        if up_to_date(path, src):
            print(f"[gguf] kept {path}")
            continue
        free = shutil.disk_usage(out_dir).free
        bs, ts = gguf.GGML_QUANT_SIZES[TYPES[t][0]]
        need = os.path.getsize(os.path.join(model_dir, "model.safetensors")) * ts / bs / 4
        if free < need * 1.1:
            sys.exit(f"[gguf] not enough disk space in {out_dir}: {free / 1e9:.1f} GB free, {t} needs "
                     f"{need / 1e9:.1f} GB")
        print(f"[gguf] writing {path} (~{need / 1e9:.1f} GB)", flush=True)
        convert(model_dir, path, t, src)
    if args.check:
        if not check(model_dir, out_dir, types, os.path.abspath(args.check), args.threads):
            sys.exit("[gguf] check FAILED")
        print("[gguf] check passed")


if __name__ == "__main__":
    main()
