#!/bin/sh
# Encoder benchmark entry point: qeff vs ONNX Runtime (onnxruntime-node) vs
# PyTorch on random MiniLM-L6- and BERT-base-sized models. See README.md.
#
#   benchmarks/run_encoders.sh BUILD_DIR [run_encoders.py options]
#
# BUILD_DIR: a built qeff (release) build directory. PYTHON (default
# /work/refenv/bin/python, else python3) must have torch, transformers, numpy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [options]   (options: $here/run_encoders.py --help)" >&2
  exit 2
fi
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x /work/refenv/bin/python ]; then py=/work/refenv/bin/python; else py=python3; fi
fi
BENCH_COMMAND="$0 $*"
export BENCH_COMMAND
exec "$py" "$here/run_encoders.py" --python "$py" "$@"
