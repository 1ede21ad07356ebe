#!/usr/bin/env bash
# Cluster-mode load run: slotgate with Redis-shared slots vs. in-process slots (see bench.py).
# Builds Release first; pass --build DIR to use an existing build instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ " $* " != *" --build "* ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C build slotgate mock_provider
  set -- --build build "$@"
fi
exec python3 bench/cluster/bench.py "$@"
