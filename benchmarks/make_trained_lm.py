#!/usr/bin/env python3
"""Train the small byte-level Llama that accuracy.py measures perplexity deltas on.

    make_trained_lm.py [OUT_DIR] [--steps N] [--threads N] [--force]
                                  (default OUT_DIR build-bench/models/trained-bytes)

Random-weight models have nearly flat next-token distributions, so their
perplexity says little about what a weight format costs. This script trains,
with the official transformers LlamaForCausalLM code on the CPU, a small model
whose distributions look like a trained model's (peaked, low entropy on real
text), in minutes (about 14 on a busy 2-core machine: ~1.7 s per step):

  * vocabulary: 256 = the raw bytes of UTF-8 text (token id = byte value); no
    tokenizer files are written (qeff is fed ids);
  * shape: hidden 256, 4 layers, 4 heads of 64 / 2 KV heads (grouped-query
    attention like TinyLlama), intermediate 768, 512 positions, untied
    embeddings, rms_norm_eps 1e-5, rope_theta 10000 (about 3.3 M parameters);
  * text: the regular files (symlinks skipped) of /usr/share/common-licenses
    (Debian's base-files: the same bytes on every Debian 12 machine), sorted
    by name. HELD_OUT (Apache-2.0, Artistic, CC0-1.0: licenses whose text
    occurs in no other file there) is held out for evaluation, the rest
    (GPL, LGPL, GFDL, MPL, BSD) is the training text;
  * training: torch.manual_seed(SEED), torch.set_num_threads(--threads, 2),
    --steps (default 500) AdamW steps (lr 3e-3, betas 0.9/0.95, weight decay
    0.1, 30 warm-up steps then cosine to 10 %, gradient norm clipped at 1) of
    BATCH random windows of SEQ bytes of the training text. The step count, not
    the wall clock, ends training, so a rerun gives the same weights (up to
    the float summation order of the machine's BLAS).

OUT_DIR receives save_pretrained(safe_serialization=True) in fp32
(config.json, generation_config.json, model.safetensors), eval.txt (the
held-out text, the concatenated HELD_OUT files, each followed by a blank
line) and train_info.json (files, sizes, steps, losses, held-out bits per
byte under PyTorch). A directory whose train_info.json records the same
settings is kept unless --force. Needs torch and transformers (e.g.
/work/refenv/bin/python).
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

LICENSES = "/usr/share/common-licenses"
HELD_OUT = ["Apache-2.0", "Artistic", "CC0-1.0"]
CONFIG = dict(vocab_size=256, hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0,
              hidden_act="silu", tie_word_embeddings=False, bos_token_id=2, eos_token_id=3, pad_token_id=0,
              initializer_range=0.02, attention_bias=False, mlp_bias=False)
SEED = 20241123
SEQ = 256
BATCH = 8
LR = 3e-3
WARMUP = 30


def log(msg):
    print(f"[trained-lm {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def text_files():
    """(training files, held-out files): regular files of LICENSES sorted by name, symlinks skipped."""
    if not os.path.isdir(LICENSES):
        sys.exit(f"[trained-lm] no {LICENSES}: this script uses Debian's license texts as its corpus")
    names = sorted(n for n in os.listdir(LICENSES)
                   if os.path.isfile(os.path.join(LICENSES, n)) and not os.path.islink(os.path.join(LICENSES, n)))
    missing = [n for n in HELD_OUT if n not in names]
    if missing:
        sys.exit(f"[trained-lm] {LICENSES} lacks {missing}")
    return [n for n in names if n not in HELD_OUT], list(HELD_OUT)


def read_all(names):
    parts = []
    for n in names:
        with open(os.path.join(LICENSES, n), "rb") as f:
            parts.append(f.read().rstrip(b"\n") + b"\n\n")
    return b"".join(parts)


def settings(args, train_names):
    return {"config": CONFIG, "seed": SEED, "seq": SEQ, "batch": BATCH, "lr": LR, "warmup": WARMUP,
            "steps": args.steps, "train_files": train_names, "held_out_files": HELD_OUT}


def kept(out, want):
    try:
        with open(os.path.join(out, "train_info.json")) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return False
    return (info.get("settings") == want and os.path.isfile(os.path.join(out, "model.safetensors"))
            and os.path.isfile(os.path.join(out, "eval.txt")))


def bits_per_byte(model, data, torch, seq=SEQ):
    """Mean next-byte cross-entropy in bits over consecutive windows of seq + 1 bytes of data (PyTorch fp32)."""
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(data) - seq - 1, seq):
            x = torch.tensor(list(data[start:start + seq + 1]), dtype=torch.long)[None]
            logits = model(input_ids=x[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(logits[0], x[0, 1:], reduction="sum")
            total += float(loss)
            count += seq
    return total / count / math.log(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default="build-bench/models/trained-bytes", help="output directory")
    ap.add_argument("--steps", type=int, default=500, help="optimizer steps (default 500)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--force", action="store_true", help="retrain even when OUT has a model of these settings")
    args = ap.parse_args()
    if args.steps < 1 or args.threads < 1:
        sys.exit("[trained-lm] --steps and --threads must be >= 1")
    out = os.path.abspath(args.out)
    train_names, held_names = text_files()
    want = settings(args, train_names)
    if not args.force and kept(out, want):
        log(f"kept {out} (train_info.json has these settings; --force retrains)")
        return
    train, held = read_all(train_names), read_all(held_names)
    log(f"training text {len(train)} bytes from {len(train_names)} files, held-out {len(held)} bytes "
        f"from {held_names}")

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    cfg = LlamaConfig(**CONFIG)
    cfg.architectures = ["LlamaForCausalLM"]
    cfg.torch_dtype = torch.float32
    model = LlamaForCausalLM(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{n_params / 1e6:.2f} M parameters, {args.steps} steps of {BATCH} x {SEQ} bytes, {args.threads} threads")

    data = torch.tensor(list(train), dtype=torch.long)
    gen = torch.Generator().manual_seed(SEED)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.95))

    def lr_at(step):
        if step < WARMUP:
            return LR * (step + 1) / WARMUP
        t = (step - WARMUP) / max(1, args.steps - WARMUP)
        return LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))

    model.train()
    t0 = time.perf_counter()
    losses = []
    for step in range(args.steps):
        starts = torch.randint(0, len(data) - SEQ - 1, (BATCH,), generator=gen)
        x = torch.stack([data[s:s + SEQ + 1] for s in starts.tolist()])
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        logits = model(input_ids=x[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, CONFIG["vocab_size"]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss))
        if step % 50 == 0 or step == args.steps - 1:
            recent = losses[-50:]
            log(f"step {step + 1}/{args.steps}: loss {sum(recent) / len(recent):.3f} nats/byte (mean of the last "
                f"{len(recent)}), lr {lr_at(step):.2e}, {time.perf_counter() - t0:.0f} s")
    train_s = time.perf_counter() - t0
    model.eval()
    held_bpb = bits_per_byte(model, held, torch)
    train_bpb = bits_per_byte(model, train[:len(held)], torch)
    log(f"trained in {train_s:.0f} s; PyTorch fp32 bits/byte: held-out {held_bpb:.3f} (perplexity "
        f"{2 ** held_bpb:.2f}), first {len(held)} training bytes {train_bpb:.3f}")

    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    with open(os.path.join(tmp, "eval.txt"), "wb") as f:
        f.write(held)
    info = {"settings": want, "parameters": n_params, "train_bytes": len(train), "eval_bytes": len(held),
            "train_seconds": round(train_s, 1), "final_loss_nats": round(sum(losses[-50:]) / len(losses[-50:]), 4),
            "torch_fp32_bits_per_byte": {"held_out": round(held_bpb, 4), "train_prefix": round(train_bpb, 4)},
            "torch_version": torch.__version__}
    with open(os.path.join(tmp, "train_info.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
