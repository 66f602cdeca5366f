#!/usr/bin/env python3
"""Stream text from a causal LM and report QEfficient-style figures.

    python generate.py MODEL_DIR [PROMPT] [--max-new-tokens N]

Loads the model (e.g. tests/fixtures/models/llama-tiny), compiles it
(prefill chunks of 32 tokens, 256 tokens of context), prints the generated
text as it streams, then the time to first token and the decode speed.
Ctrl-C cancels the stream cleanly.
"""

import argparse
import sys

import qeff


def main(argv):
    parser = argparse.ArgumentParser(description="Stream text from a causal LM.")
    parser.add_argument("model_dir")
    parser.add_argument("prompt", nargs="?", default="Once upon a time")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    args = parser.parse_args(argv[1:])
    try:
        with qeff.AutoModelForCausalLM.from_pretrained(args.model_dir) as lm:
            lm.compile(prefill_seq_len=32, ctx_len=256)
            print(f"{lm.model.architecture}: {args.prompt!r} ->", flush=True)
            with lm.stream(args.prompt, max_new_tokens=args.max_new_tokens) as stream:
                try:
                    for event in stream:
                        print(event.text, end="", flush=True)
                except KeyboardInterrupt:
                    stream.cancel()
                    for _ in stream:  # drain what the cancel ended
                        pass
                result = stream.result
    except qeff.QeffError as err:
        print(f"\ngenerate: {err}", file=sys.stderr)
        return 1
    m = result.perf_metrics
    print(f"\n\n[{result.finish_reasons[0]}] {m.prompt_tokens} prompt tokens, {m.generated_tokens} generated")
    print(f"time to first token {m.ttft_ms:.2f} ms | prefill {m.prefill_tokens_per_s:.1f} tok/s | "
          f"decode {m.decode_tokens_per_s:.1f} tok/s | total {m.total_ms:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
