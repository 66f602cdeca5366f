#!/usr/bin/env python3
"""PyTorch worker of the encoder benchmark (driven by run_encoders.py).

    torch_worker.py MODEL_DIR IDS_FILE BATCH SEQ THREADS {fp32|bf16} EMB_OUT

Loads the HF BertModel (transformers, fp32, eval), reads BATCH x SEQ int32
token ids (attention mask all ones), warms up, writes the masked-mean-pooled
embeddings of one run to EMB_OUT (float32, row-major [BATCH, hidden]), prints
"ready", then answers each stdin line "run K" with one JSON line
{"times_ms": [...]} (K timed forward+pooling calls) until "quit".
bf16: torch.autocast("cpu", dtype=torch.bfloat16) around the forward pass.
"""
import json
import sys
import time


def main():
    model_dir, ids_file, batch, seq, threads, mode, emb_out = sys.argv[1:8]
    batch, seq, threads = int(batch), int(seq), int(threads)
    import numpy as np
    import torch
    from transformers import BertModel

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    model = BertModel.from_pretrained(model_dir, torch_dtype=torch.float32, add_pooling_layer=False).eval()
    ids = np.fromfile(ids_file, dtype=np.int32).reshape(batch, seq)
    input_ids = torch.from_numpy(ids.astype(np.int64))
    mask = torch.ones_like(input_ids)
    token_type_ids = torch.zeros_like(input_ids)

    def forward():
        with torch.inference_mode():
            if mode == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    h = model(input_ids=input_ids, attention_mask=mask, token_type_ids=token_type_ids).last_hidden_state
                h = h.float()
            else:
                h = model(input_ids=input_ids, attention_mask=mask, token_type_ids=token_type_ids).last_hidden_state
            m = mask.unsqueeze(-1).to(h.dtype)
            return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)

    emb = forward()
    emb.contiguous().numpy().astype(np.float32).tofile(emb_out)
    forward()
    print("ready", flush=True)
    while True:
        cmd = sys.stdin.readline().split()
        if not cmd or cmd[0] == "quit":
            break
        times = []
        for _ in range(int(cmd[1])):
            t0 = time.perf_counter()
            forward()
            times.append((time.perf_counter() - t0) * 1e3)
        print(json.dumps({"times_ms": times}), flush=True)


if __name__ == "__main__":
    main()
