#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration
# tests (CTest) on a Release build, then the unit tests again under
# AddressSanitizer+UndefinedBehaviorSanitizer, every fuzz target for a short
# bounded run (clang, libFuzzer) and the threaded ones under ThreadSanitizer.
# Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")"
# Prints a stage's title with the seconds since the start: the log shows where the time goes.
stage() { echo "== $* (${SECONDS} s)"; }
./install-deps.sh
# ccache shares objects between clones and build dirs (paths made relative).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
JOBS=${JOBS:-$(nproc)}

stage "SDK test clients (tests/sdk: the OpenAI and Anthropic Node SDKs, pinned by package-lock.json)"
npm ci --prefix tests/sdk --no-audit --no-fund --loglevel=error

stage "format check"
tests/check_format.sh
stage "layering check (includes run one way, ../shared/DESIGN.md)"
python3 tests/check_layering.py

stage "release build + all tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j "$JOBS"
ctest --test-dir build -j "$JOBS" --output-on-failure --timeout 300 | tee build/ctest.log
PASSED=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' build/ctest.log)
PASSED=${PASSED:-0}

# Runs one gtest binary, adds its passed count to PASSED.
run_gtest() {
  local log
  log=$(mktemp)
  "$@" --gtest_brief=1 | tee "$log"
  PASSED=$((PASSED + $(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\..*/\1/p' "$log" | tail -1)))
  rm -f "$log"
}

# The sanitizer builds use clang (as the fuzz build does): it compiles them in about half of
# GCC's time, most of a cold run. The Release build above, the one that ships, stays GCC's.
# Their debug information is line tables only: a sanitizer report still names every frame's
# function, file and line, and the compiler and linker skip the type information.
SANITIZER_COMPILERS=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
SANITIZER_DEBUG=(-DCMAKE_C_FLAGS_DEBUG=-gline-tables-only -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only)

stage "ASan/UBSan: unit tests (clang)"
cmake -S . -B build-asan-clang -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DSLOTGATE_SANITIZE=address,undefined -DSLOTGATE_BENCH=OFF "${SANITIZER_COMPILERS[@]}" \
  "${SANITIZER_DEBUG[@]}" >/dev/null
UNIT_TARGETS=$(ninja -C build-asan-clang -t targets all | grep -o '^unit_[a-z0-9]*' | sort -u)
ninja -C build-asan-clang -j "$JOBS" $UNIT_TARGETS
for t in $UNIT_TARGETS; do
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_gtest "build-asan-clang/tests/$t"
done

stage "fuzz: every libFuzzer target ${FUZZ_SECONDS:-20}s under ASan/UBSan (tests/fuzz)"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${SANITIZER_COMPILERS[@]}" \
  -DSLOTGATE_FUZZ=ON >/dev/null
ninja -C build-fuzz -j "$JOBS"
tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-20}"

stage "TSan: threaded unit tests (clang; limits, alias, metrics, the gateway's: dispatchers, workers, admin, cluster runtime)"
cmake -S . -B build-tsan-clang -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLOTGATE_SANITIZE=thread \
  -DSLOTGATE_BENCH=OFF "${SANITIZER_COMPILERS[@]}" "${SANITIZER_DEBUG[@]}" >/dev/null
ninja -C build-tsan-clang -j "$JOBS" unit_limits unit_alias unit_metrics unit_gateway
# All of unit_gateway (about 20 s under TSan): cross-thread posts to a Dispatcher, the admin
# thread's start and stop, worker loops, the breakers' thread and the control thread meet there.
for t in unit_limits unit_alias unit_metrics unit_gateway; do
  TSAN_OPTIONS=halt_on_error=1 run_gtest "build-tsan-clang/tests/$t"
done
stage "all test stages passed"
echo "$PASSED passed, 0 failed"
