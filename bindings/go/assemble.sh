#!/bin/sh
# Assemble the Go module qeff.dev/qeff in the build directory (Meson has no
# Go support): SWIG's cgo wrappers into internal/capi, the hand-written
# package at the module root, the examples under examples/.
#
#   assemble.sh SWIG SOURCE_ROOT MODULE_DIR STAMP
set -eu
swig=$1 src=$2 mod=$3 stamp=$4
rm -rf "$mod"
mkdir -p "$mod/internal/capi" "$mod/examples"
"$swig" -go -cgo -intgosize 64 -DSWIGWORDSIZE64 \
  -I"$src/include" -I"$src/bindings" -I"$src/bindings/go" \
  -o "$mod/internal/capi/qeff_wrap.c" -outdir "$mod/internal/capi" \
  "$src/bindings/qeff.i"
cp "$src/bindings/go/go.mod" "$mod/go.mod"
cp "$src/bindings/go/qeff/"*.go "$mod/"
cp -R "$src/examples/go/." "$mod/examples/"
touch "$stamp"
