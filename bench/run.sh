#!/usr/bin/env bash
# slotgate vs. haproxy, every figure of issue 12 in one bounded run (about 5 minutes): req/s and
# CPU per request, added latency at low load, instructions, syscalls and allocations per
# request, HTTP/2, cluster vs. in-process, 10,000 idle streams. See bench/compare.py.
#
#   bench/run.sh [--build DIR] [--only wrk,latency,callgrind,strace,allocs,h2,cluster,idle] ...
#
# Builds Release into ./build first unless --build is given. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
./install-deps.sh
if [[ " $* " != *" --build "* ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C build slotgate mock_provider bench_alloc_count
  set -- --build build "$@"
fi
exec python3 bench/compare.py "$@"
