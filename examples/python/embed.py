#!/usr/bin/env python3
"""Embed a few texts with an encoder model and compare them.

    python embed.py MODEL_DIR [TEXT ...]

Loads the model (e.g. tests/fixtures/models/bert-tiny or any
sentence-transformers directory), compiles it for short inputs, embeds the
texts in one call and prints the embedding size and the cosine similarity of
every pair.
"""

import sys

import numpy as np

import qeff

DEFAULT_TEXTS = [
    "The cat sits on the mat.",
    "A cat is sitting on a mat.",
    "Stock markets fell sharply today.",
]


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    texts = argv[2:] or DEFAULT_TEXTS
    try:
        with qeff.AutoModel.from_pretrained(argv[1]) as model:
            model.compile(seq_len=[32, 128], batch_size=min(len(texts), 4))
            out = model.embed(texts)
    except qeff.QeffError as err:
        print(f"embed: {err}", file=sys.stderr)
        return 1
    vectors = out.embeddings
    print(f"{vectors.shape[0]} texts -> {vectors.shape[1]}-dimensional embeddings "
          f"({out.stats['batches']:.0f} batches, {out.stats['total_ms']:.2f} ms)")
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            print(f"cos({i}, {j}) = {similarity[i, j]:+.4f}   {texts[i]!r} ~ {texts[j]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
