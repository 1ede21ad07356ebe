#!/usr/bin/env bash
# Soak run (not in CI): slotgate + redis-server + the mock provider on 127.0.0.1 under mixed
# traffic with faults, reloads and Redis restarts for MINUTES (default 10), then a leak check.
# See bench/soak/soak.py for what runs and what is reported.
#
#   bench/soak/run.sh [MINUTES] [BUILD_DIR]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
for tool in python3 redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
exec python3 "$HERE/soak.py" "${1:-10}" "${2:-$HERE/../../build}"
