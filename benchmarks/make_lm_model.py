#!/usr/bin/env python3
"""Write the random-weight TinyLlama-1.1B-shaped model the causal-LM benchmark runs.

    make_lm_model.py [OUT_DIR]        (default build-bench/models/tinyllama-shape)

Writes a LlamaForCausalLM with TinyLlama-1.1B's shape (22 layers, hidden 2048,
32 heads / 4 KV heads, intermediate 5632, vocab 32000, 2048 positions,
rms_norm_eps 1e-5, rope_theta 10000, untied embeddings; 1.10 G parameters) with
the official transformers code, a fixed seed and
save_pretrained(safe_serialization=True), in fp32 (about 4.4 GB, one
model.safetensors). No tokenizer: the benchmark feeds token ids. A directory
whose config.json already has this shape and that holds model.safetensors is
kept. Checks the free disk space first. Needs torch and transformers (e.g.
/work/refenv/bin/python).
"""
import json
import os
import shutil
import sys

CONFIG = dict(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
              num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048, rms_norm_eps=1e-5,
              rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
              initializer_range=0.02, attention_bias=False, mlp_bias=False)
SEED = 1234
PARAMS = 1_100_048_384  # TinyLlama-1.1B
NEED_BYTES = PARAMS * 4 + 64 * 2**20  # fp32 weights + header / config slack


def same_config(d):
    try:
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return False
    if not os.path.isfile(os.path.join(d, "model.safetensors")):
        return False
    return cfg.get("architectures") == ["LlamaForCausalLM"] and cfg.get("torch_dtype") == "float32" and all(
        cfg.get(k) == v for k, v in CONFIG.items())


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1] if len(sys.argv) == 2 else "build-bench/models/tinyllama-shape")
    if same_config(out):
        print(f"[lm-model] kept {out}")
        return
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    free = shutil.disk_usage(parent).free
    if free < NEED_BYTES * 1.1:
        sys.exit(f"[lm-model] not enough disk space in {parent}: {free / 1e9:.1f} GB free, the fp32 model needs "
                 f"about {NEED_BYTES / 1e9:.1f} GB")
    print(f"[lm-model] {free / 1e9:.1f} GB free in {parent}; writing {out} (~{NEED_BYTES / 1e9:.1f} GB)", flush=True)
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(SEED)
    cfg = LlamaConfig(**CONFIG)
    cfg.architectures = ["LlamaForCausalLM"]
    cfg.torch_dtype = torch.float32
    with torch.no_grad():
        model = LlamaForCausalLM(cfg).eval()
    n = sum(p.numel() for p in model.parameters())
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True, max_shard_size="20GB")
    del model
    shutil.rmtree(out, ignore_errors=True)  # an incomplete earlier attempt or another shape
    os.replace(tmp, out)
    print(f"[lm-model] wrote {out} ({n / 1e6:.1f} M parameters)")


if __name__ == "__main__":
    main()
