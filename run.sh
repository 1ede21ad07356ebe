#!/usr/bin/env bash
# Quick start: installs what is missing, builds Release, starts the bundled
# mock provider and slotgate on conf/slotgate.yaml. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")"
./install-deps.sh
# ccache shares objects between clones and build dirs (paths made relative).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" slotgate mock_provider

# Demo secrets for the mock setup; real deployments set their own.
export MOCK_PROVIDER_KEY=${MOCK_PROVIDER_KEY:-mock-secret}
export SLOTGATE_DEMO_KEY=${SLOTGATE_DEMO_KEY:-demo-key}

"$BUILD/tests/mock_provider/mock_provider" --listen 127.0.0.1:9911 >/dev/null &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null || true' EXIT

cat <<MSG
slotgate: data plane on http://127.0.0.1:8080, ops on http://127.0.0.1:9901 (dashboard: /dashboard)
try:
  curl -s http://127.0.0.1:8080/v1/chat/completions -H "Authorization: Bearer $SLOTGATE_DEMO_KEY" \\
       -H 'content-type: application/json' -d '{"model":"mini","messages":[{"role":"user","content":"hi"}]}'
  curl -sN http://127.0.0.1:8080/v1/chat/completions -H "Authorization: Bearer $SLOTGATE_DEMO_KEY" \\
       -H 'x-mock-delay-ms: 300' -d '{"model":"mini","stream":true,"messages":[{"role":"user","content":"hi"}]}'
MSG
"$BUILD/gateway/slotgate" -c conf/slotgate.yaml
