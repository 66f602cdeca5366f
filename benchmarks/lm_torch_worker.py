#!/usr/bin/env python3
"""PyTorch worker of the causal-LM benchmark (driven by run_lm.py).

    lm_torch_worker.py MODEL_DIR THREADS {fp32|bf16} PROMPT_LEN NEW_TOKENS REPS IDS_FILE [WARMUP_PROMPT_LEN]

Loads the HF LlamaForCausalLM (transformers; torch_dtype float32, or bfloat16:
weights and compute in bf16), eval(), torch.set_num_threads(THREADS),
torch.set_num_interop_threads(1); reads PROMPT_LEN int32 token ids (batch 1).
Under torch.inference_mode(), one warm-up (prefill of the first
WARMUP_PROMPT_LEN tokens, default PROMPT_LEN, + 1 decode step) and REPS
measured greedy generations, each:
  prefill: one forward of the PROMPT_LEN tokens with use_cache=True and
           num_logits_to_keep=1 (as HF generate does: the LM head only for the
           last position) into a fresh DynamicCache, then the argmax: the
           first new token;
  decode:  NEW_TOKENS forwards of one token with past_key_values (the
           DynamicCache the prefill returned), each followed by the argmax.
Prints one JSON line {"load_s", "prefill_ms": [...], "prefill_tok_s": [...],
"decode_ms": [...], "decode_tok_s": [...], "tokens": [...]} ("tokens": the
generated ids of the last generation, first token included); progress on stderr.
"""
import json
import sys
import time


def main():
    model_dir, threads, mode, prompt_len, new_tokens, reps, ids_file = sys.argv[1:8]
    threads, prompt_len, new_tokens, reps = int(threads), int(prompt_len), int(new_tokens), int(reps)
    warmup_len = int(sys.argv[8]) if len(sys.argv) > 8 else prompt_len
    import numpy as np
    import torch
    from transformers import DynamicCache, LlamaForCausalLM

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[mode]
    t0 = time.perf_counter()
    model = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=dtype).eval()
    load_s = time.perf_counter() - t0
    print(f"lm_torch_worker: {mode}: load {load_s:.2f} s ({model.config._attn_implementation} attention)",
          file=sys.stderr, flush=True)
    ids = np.fromfile(ids_file, dtype=np.int32, count=prompt_len)
    prompt = torch.from_numpy(ids.astype(np.int64)).reshape(1, prompt_len)

    def generate(n, prompt=prompt):
        """Greedy: prefill, then n decode steps. Returns (prefill_ms, decode_ms, tokens)."""
        with torch.inference_mode():
            t0 = time.perf_counter()
            out = model(input_ids=prompt, past_key_values=DynamicCache(), use_cache=True, num_logits_to_keep=1)
            tok = out.logits[:, -1, :].argmax(-1, keepdim=True)
            t1 = time.perf_counter()
            past = out.past_key_values
            toks = [int(tok)]
            for _ in range(n):
                out = model(input_ids=tok, past_key_values=past, use_cache=True, num_logits_to_keep=1)
                past = out.past_key_values
                tok = out.logits[:, -1, :].argmax(-1, keepdim=True)
                toks.append(int(tok))
            t2 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3, toks

    t0 = time.perf_counter()
    generate(1, prompt[:, :warmup_len])
    print(f"lm_torch_worker: warm-up ({warmup_len} prompt tokens) {time.perf_counter() - t0:.2f} s", file=sys.stderr, flush=True)
    res = {"load_s": round(load_s, 3), "prefill_ms": [], "prefill_tok_s": [], "decode_ms": [], "decode_tok_s": []}
    for r in range(reps):
        pm, dm, toks = generate(new_tokens)
        res["prefill_ms"].append(pm)
        res["prefill_tok_s"].append(prompt_len * 1e3 / pm)
        res["decode_ms"].append(dm)
        res["decode_tok_s"].append(new_tokens * 1e3 / dm)
        res["tokens"] = toks
        print(f"lm_torch_worker: {mode} call {r + 1}: prefill {pm:.1f} ms ({prompt_len * 1e3 / pm:.1f} tok/s), "
              f"decode {dm:.1f} ms ({new_tokens * 1e3 / dm:.2f} tok/s)", file=sys.stderr, flush=True)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
