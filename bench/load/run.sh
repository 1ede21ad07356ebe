#!/usr/bin/env bash
# Load run: slotgate vs. direct vs. haproxy (see bench.py). Builds Release first.
set -euo pipefail
cd "$(dirname "$0")/../.."
./install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build slotgate mock_provider
exec python3 bench/load/bench.py --build build "$@"
