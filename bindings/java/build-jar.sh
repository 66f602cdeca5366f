#!/bin/sh
# Builds the jar for Meson: build-jar.sh OBJCOPY JNI_LIBRARY NATIVE_DIR OUTPUT_JAR MVN [MAVEN ARGS...]
# The JNI library goes into the jar without its debug sections (NATIVE_DIR,
# which Maven takes as qeff.native.dir); Maven writes only into the build tree.
set -eu
objcopy="$1" jni="$2" native_dir="$3" jar="$4"
shift 4
mkdir -p "$native_dir"
"$objcopy" --strip-debug "$jni" "$native_dir/libqeff_jni.so.tmp"
mv -f "$native_dir/libqeff_jni.so.tmp" "$native_dir/libqeff_jni.so"
"$@" -Dmaven.test.skip=true package
cp -f "$(dirname "$native_dir")/$(basename "$jar")" "$jar"
