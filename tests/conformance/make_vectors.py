#!/usr/bin/env python3
"""Writes tests/conformance/vectors.json: the expected values of the
conformance scenario (SCENARIO.md), taken from the fixture references
(tests/fixtures/reference/*.json, made with the official transformers code).
Every language's conformance test reads this one file. Run with any Python 3:
    python3 tests/conformance/make_vectors.py
"""
import json
import pathlib

here = pathlib.Path(__file__).resolve().parent
ref_dir = here.parent / "fixtures" / "reference"


def rows(tensor):
    rows_, dim = tensor["shape"]
    data = tensor["data"]
    return [data[r * dim:(r + 1) * dim] for r in range(rows_)]


UTF8_TEXT = "h\u00e9llo \U0001F44B w\u00f6rld\u0000nul \u2713 \u65e5\u672c \U0001F600"

bert = json.loads((ref_dir / "bert-tiny.json").read_text())
llama = json.loads((ref_dir / "llama-tiny.json").read_text())

vectors = {
    "about": "Expected values of tests/conformance/SCENARIO.md; written by make_vectors.py "
             "from tests/fixtures/reference (official transformers 4.47 outputs). Paths are "
             "relative to tests/fixtures/models.",
    "encoder": {
        "model": "bert-tiny",
        "compile": {"batch_size": 2, "seq_len": [16, 32]},
        "texts": bert["batch"]["texts"],
        "embeddings": rows(bert["batch"]["sentence_embedding"]),
        "atol": 1e-4,
        "source": "bert-tiny.json batch.sentence_embedding (sentence-transformers: mean pooling, L2 normalized)",
    },
    "lm": {
        "model": "llama-tiny",
        "compile": {"batch_size": 1, "prefill_seq_len": 8, "ctx_len": 64},
        "prompt": llama["generate_single"]["prompt"],
        "prompt_ids": llama["generate_single"]["input_ids"],
        "max_new_tokens": llama["generate_single"]["max_new_tokens"],
        "new_token_ids": llama["generate_single"]["new_token_ids"],
        "source": "llama-tiny.json generate_single (LlamaForCausalLM.generate, greedy)",
    },
    "errors": {
        "missing_dir": {"model": "does-not-exist", "status": "QEFF_E_NOT_FOUND", "code": 2,
                        "message_contains": "does-not-exist"},
        "bad_option": {"key": "compile.batch_size", "value": 0, "status": "QEFF_E_INVALID_ARGUMENT",
                       "code": 1, "message_contains": "compile.batch_size"},
        "too_long_prompt": {"compile": {"batch_size": 1, "prefill_seq_len": 8, "ctx_len": 32},
                            "prompt": "the river was cold " * 20,
                            "status": "QEFF_E_CONTEXT_OVERFLOW", "code": 11,
                            "message_contains": "ctx_len"},
    },
    "utf8": {
        "model": "llama-tiny",
        "text": UTF8_TEXT,
        "text_utf8_hex": UTF8_TEXT.encode("utf-8").hex(),
        "note": "tokenize + decode (skip special tokens) must give the text back byte for byte; "
                "it holds a 4-byte emoji and an embedded NUL; text_utf8_hex is its UTF-8 bytes (for JSON parsers that stop at \\u0000)",
    },
}

(here / "vectors.json").write_text(json.dumps(vectors, indent=1, ensure_ascii=True) + "\n")
print("wrote", here / "vectors.json")
