#!/usr/bin/env python3
"""Encode throughput of HuggingFace's Rust `tokenizers`, single-threaded, on the parity corpus.

    RAYON_NUM_THREADS=1 /work/refenv/bin/python tests/tokenizer/bench_hf.py [shared/data/tokenizers] [seconds] [name]

Same corpus, same tokenizers and same measure (bytes of UTF-8 text per second through
Tokenizer.encode, one text at a time, special-token strings literal, no truncation/padding)
as tests/bench/bench_tokenizer.cpp, with its output format: MB/s per second of wall time, and per
second of this process's CPU time (steadier on a shared machine). With a tokenizer name, only that one
runs, and its throughput is also shown per part of the corpus (the short strings, then each large input).
"""
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from tokenizers import Tokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference import generate  # noqa: E402


def measure(tok, texts, seconds):
    """(wall MB/s, CPU MB/s, rounds) of encoding texts for `seconds` after one warm-up pass."""
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    for t in texts:
        tok.encode(t)
    rounds, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        for t in texts:
            tok.encode(t)
        rounds += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return nbytes * rounds / elapsed / 1e6, nbytes * rounds / cpu / 1e6, rounds


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "data", "tokenizers")
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    with open(os.path.join(HERE, "corpus.json"), encoding="utf-8") as f:
        c = json.load(f)
    strings = [t for t in c["strings"] if isinstance(t, str)]
    large = [generate(s) for s in c["large"]]
    texts = strings + large
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    print(f"corpus: {len(texts)} texts, {nbytes} bytes")
    paths = [(n, os.path.join(HERE, "generated", n, "tokenizer.json"))
             for n in ["wordpiece", "bpe_bytelevel", "bpe_sentencepiece", "unigram"]]
    paths += [(n, os.path.join(shared, n, "tokenizer.json")) for n in ["gpt2", "llama2", "bert-uncased-minilm", "falcon"]]
    for name, path in paths:
        if not os.path.exists(path) or (only and name != only):
            continue
        tok = Tokenizer.from_file(path)
        tok.no_truncation()
        tok.no_padding()
        tok.encode_special_tokens = True
        wall, cpu, rounds = measure(tok, texts, seconds)
        print(f"{name:<20} {wall:8.2f} MB/s  (cpu {cpu:.2f} MB/s, {rounds} rounds)")
        if not only:
            continue
        wall, cpu, _ = measure(tok, strings, seconds)
        print(f"  {'strings':<18} {wall:8.2f} MB/s  (cpu {cpu:.2f} MB/s)")
        for i, t in enumerate(large):
            wall, cpu, _ = measure(tok, [t], seconds)
            print(f"  large {i:<12} {wall:8.2f} MB/s  (cpu {cpu:.2f} MB/s)")


if __name__ == "__main__":
    main()
