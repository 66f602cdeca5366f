#!/usr/bin/env bash
# Runs every libFuzzer binary of a -Dfuzz=true build for a bounded time.
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS] [TARGET...]
#
# SECONDS per target (default 30). TARGETs: names such as `safetensors`
# (default: every fuzz_* binary in BUILD_DIR/tests/fuzz). Each target fuzzes
# a scratch copy of tests/fuzz/corpus/<target> (the source tree is never
# written), with TMPDIR inside the scratch directory. Reports executions and
# executions/s per target. A crash, leak, timeout or broken invariant fails
# the target: its reproducers are copied to BUILD_DIR/fuzz-artifacts/<target>/
# (add them to the corpus as crash-<what> after fixing) and the script exits
# 1. Environment: FUZZ_ARGS adds libFuzzer flags; KEEP_SCRATCH=1 keeps the
# scratch directories.
set -u

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [SECONDS] [TARGET...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
seconds=${2:-30}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(cd "$(dirname "$0")" && pwd)
bindir="$build/tests/fuzz"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$bindir"/fuzz_*; do
    n=$(basename "$f")
    case "$n" in fuzz_replay_*|*.p) continue ;; esac
    [ -x "$f" ] && [ -f "$f" ] && targets+=("${n#fuzz_}")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "no libFuzzer binaries in $bindir (configure with -Dfuzz=true, see docs/reliability.md)" >&2
  exit 2
fi

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$bindir/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz_$t: not built" >&2
    summary+=("$(printf '%-18s %s' "$t" 'NOT BUILT')")
    failed=1
    continue
  fi
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/qeff-fuzz-run-$t-XXXXXX")
  mkdir -p "$scratch/corpus" "$scratch/artifacts" "$scratch/tmp"
  if [ -d "$here/corpus/$t" ]; then cp -r "$here/corpus/$t/." "$scratch/corpus/"; fi
  echo "== fuzz_$t: ${seconds}s on $(ls "$scratch/corpus" | wc -l) corpus files"
  # -timeout: one input may take at most 25 s (a hang is a finding);
  # -rss_limit_mb: memory must stay bounded by the caps.
  TMPDIR="$scratch/tmp" QEFF_HOME="$scratch/tmp/qeff-home" "$bin" \
    -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" ${FUZZ_ARGS:-} \
    "$scratch/corpus" > "$scratch/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/log" | tail -1)
  ncorpus=$(ls "$scratch/corpus" | wc -l)
  nart=$(ls "$scratch/artifacts" | wc -l)
  if [ $rc -ne 0 ] || [ "$nart" -ne 0 ]; then
    failed=1
    dest="$build/fuzz-artifacts/$t"
    mkdir -p "$dest"
    cp "$scratch/artifacts/"* "$dest/" 2>/dev/null
    cp "$scratch/log" "$dest/log.txt"
    echo "fuzz_$t FAILED (exit $rc, $nart artifacts in $dest):"
    grep -E "ERROR: |fuzz invariant failed|SUMMARY:|==[0-9]+==|Test unit written" "$scratch/log" | head -20
    tail -40 "$scratch/log"
    summary+=("$(printf '%-18s %10s execs %8s/s  corpus %5s  CRASH (%s)' "$t" "${execs:-?}" "${rate:-?}" "$ncorpus" "$dest")")
  else
    summary+=("$(printf '%-18s %10s execs %8s/s  corpus %5s  ok' "$t" "${execs:-?}" "${rate:-?}" "$ncorpus")")
  fi
  if [ "${KEEP_SCRATCH:-0}" = 1 ]; then echo "scratch kept: $scratch"; else rm -rf "$scratch"; fi
done

echo
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
