#!/usr/bin/env bash
# Fails if libqeff.so defines a dynamic symbol outside the public C ABI.
# nm lists the symbol-version nodes (QEFF_x.y) as absolute 'A' symbols: they
# are the version script's release names, not code or data.
set -euo pipefail
lib="$1"
syms=$(nm -D --defined-only "$lib" | sed -E "s/@+[A-Za-z0-9_.]+$//")
bad=$(echo "$syms" | awk '$2 != "A" && $3 !~ /^qeff_/ {print $3}')
nodes=$(echo "$syms" | awk '$2 == "A" && $3 !~ /^QEFF_[0-9]+\.[0-9]+$/ {print $3}')
count=$(echo "$syms" | awk '$3 ~ /^qeff_/' | wc -l)
if [ -n "$bad$nodes" ]; then
  echo "unexpected exported symbols:"; echo "$bad"; echo "$nodes"; exit 1
fi
if [ "$count" -lt 30 ]; then
  echo "only $count qeff_* symbols exported; expected the whole C ABI"; exit 1
fi
# Every function declared in the public header is exported.
header="$(dirname "$0")/../../include/qeff/qeff.h"
missing=0
for fn in $(grep -oE 'QEFF_API [^(]*\b(qeff_[a-z0-9_]+)\(' "$header" | grep -oE 'qeff_[a-z0-9_]+\($' | tr -d '('); do
  echo "$syms" | awk '{print $3}' | grep -qx "$fn" || { echo "not exported: $fn"; missing=1; }
done
[ "$missing" = 0 ]
echo "ok: $count qeff_* symbols, nothing else"
