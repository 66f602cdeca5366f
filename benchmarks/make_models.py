#!/usr/bin/env python3
"""Write the random-weight BERT model directories the encoder benchmark runs.

    make_models.py OUT_DIR

Creates OUT_DIR/minilm-l6 (MiniLM-L6-sized: hidden 384, 6 layers, 12 heads,
intermediate 1536) and OUT_DIR/bert-base (hidden 768, 12 layers, 12 heads,
intermediate 3072), both vocab 30522 and 512 positions, with the official
transformers BertModel code, a fixed seed and save_pretrained(safe_serialization=True).
A directory that already holds config.json and model.safetensors is kept.
Needs torch and transformers (e.g. /work/refenv/bin/python).
"""
import os
import shutil
import sys

MODELS = {
    "minilm-l6": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
    "bert-base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}
SEED = 1234


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    import torch
    from transformers import BertConfig, BertModel

    for name, dims in MODELS.items():
        d = os.path.join(out, name)
        if os.path.isfile(os.path.join(d, "config.json")) and os.path.isfile(os.path.join(d, "model.safetensors")):
            print(f"[models] {name}: kept {d}")
            continue
        torch.manual_seed(SEED)
        cfg = BertConfig(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2,
                         hidden_act="gelu", layer_norm_eps=1e-12, initializer_range=0.02, **dims)
        cfg.architectures = ["BertModel"]
        model = BertModel(cfg, add_pooling_layer=False).eval()
        tmp = d + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp, safe_serialization=True)
        shutil.rmtree(d, ignore_errors=True)  # an incomplete earlier attempt
        os.replace(tmp, d)
        print(f"[models] {name}: wrote {d} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters)")


if __name__ == "__main__":
    main()
