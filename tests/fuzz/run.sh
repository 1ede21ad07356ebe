#!/usr/bin/env bash
# Runs libFuzzer targets of a fuzz build (tests/fuzz/README.md) for a bounded time each, over
# a scratch copy of their committed seed corpus (tests/fuzz/<name>/, never written to), with
# their dictionary (tests/fuzz/<name>.dict) when there is one. Exits non-zero on the first
# crash, sanitizer report, leak, timeout (10 s per input) or memory blow-up (2 GiB); the
# input that did it is saved as BUILD/fuzz-artifacts/<name>-crash-* (or -timeout-, -oom-).
#
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS_EACH] [TARGET...]
#
# BUILD_DIR defaults to build-fuzz, SECONDS_EACH to 20, TARGETs (e.g. config_loader) to every
# fuzz_* executable in BUILD_DIR/tests/fuzz. Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 ...".
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build-fuzz}" && pwd)"
SECONDS_EACH="${2:-20}"
shift $(($# < 2 ? $# : 2))
TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
  for exe in "$BUILD"/tests/fuzz/fuzz_*; do
    [ -x "$exe" ] && TARGETS+=("$(basename "$exe" | sed 's/^fuzz_//')")
  done
fi
if ((${#TARGETS[@]} == 0)); then
  echo "no fuzz targets in $BUILD/tests/fuzz (build with -DSLOTGATE_FUZZ=ON)" >&2
  exit 1
fi
ARTIFACTS="$BUILD/fuzz-artifacts"
mkdir -p "$ARTIFACTS"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
for name in "${TARGETS[@]}"; do
  exe="$BUILD/tests/fuzz/fuzz_$name"
  [ -x "$exe" ] || { echo "missing $exe" >&2; exit 1; }
  [ -d "$HERE/$name" ] || { echo "missing seed corpus $HERE/$name" >&2; exit 1; }
  work=$(mktemp -d "/tmp/slotgate-fuzz-$name.XXXXXX")
  dict=()
  [ -f "$HERE/$name.dict" ] && dict=("-dict=$HERE/$name.dict")
  echo "== fuzz $name: ${SECONDS_EACH}s"
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  if ! "$exe" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$ARTIFACTS/$name-" "${dict[@]}" ${FUZZ_FLAGS:-} "$work" "$HERE/$name" \
      >"$work.log" 2>&1; then
    tail -n 60 "$work.log" >&2
    echo "fuzz $name FAILED (log: $work.log, inputs: $ARTIFACTS)" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^stat::new_units_added|^stat::peak_rss_mb' "$work.log" | tr '\n' ' '
  echo
  rm -rf "$work" "$work.log"
done
