#!/bin/sh
# Causal-LM benchmark entry point: qeff vs PyTorch (and llama.cpp, when
# node-llama-cpp is installed), prefill and decode tokens/s on a random
# TinyLlama-1.1B-shaped model in fp32 and bf16 (llama.cpp: GGUF F32, F16, BF16,
# Q8_0, Q4_0). See README.md.
#
#   benchmarks/run_lm.sh BUILD_DIR [run_lm.py options]
#
# BUILD_DIR: a built qeff (release) build directory. PYTHON (default
# /work/refenv/bin/python, else python3) must have torch, transformers, numpy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [options]   (options: $here/run_lm.py --help)" >&2
  exit 2
fi
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x /work/refenv/bin/python ]; then py=/work/refenv/bin/python; else py=python3; fi
fi
BENCH_COMMAND="$0 $*"
export BENCH_COMMAND
exec "$py" "$here/run_lm.py" --python "$py" "$@"
