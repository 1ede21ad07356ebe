#!/usr/bin/env bash
# HTTP/2 front bench: h2load through slotgate (cleartext h2, prior knowledge) vs. haproxy with
# an h2 front (`bind ... proto h2`), both in front of the same mock provider, same request.
#
# usage: bench/h2/run.sh [--build DIR] [--no-build] [--duration SECONDS] [--clients N]
#                        [--streams M] [--latency-ms MS]
# Defaults: build dir "build" (Release, built first), 5 s per target, 4 connections x 32
# streams, no mock latency. Prints req/s and mean/max request latency per target.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build
do_build=1
duration=5
clients=4
streams=32
latency_ms=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --duration) duration=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --latency-ms) latency_ms=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in h2load haproxy; do
  command -v "$tool" >/dev/null || { echo "$tool is required (nghttp2-client, haproxy)" >&2; exit 1; }
done
if [[ $do_build == 1 ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build" slotgate mock_provider
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  tail -n 5 "$work"/*.log >&2
  exit 1
}

mock_port=$(free_port)
sg_port=$(free_port)
admin_port=$(free_port)
hap_port=$(free_port)

"$build/tests/mock_provider/mock_provider" --listen "127.0.0.1:$mock_port" --threads 2 \
  >"$work/mock.log" 2>&1 &
pids+=($!)
wait_port "$mock_port"

cat >"$work/slotgate.yaml" <<EOF
server:
  listen: 127.0.0.1:$sg_port
  workers: 1
  http2: { max_concurrent_streams: 128 }
admin:
  listen: 127.0.0.1:$admin_port
providers:
  - name: mock
    type: openai
    base_url: http://127.0.0.1:$mock_port
    keys:
      - { id: mock-key, secret_env: BENCH_PROVIDER_KEY, max_concurrency: 0 }
models:
  - name: gpt-4o-mini
    targets:
      - { provider: mock, model: gpt-4o-mini }
clients:
  - { id: bench, key_env: BENCH_CLIENT_KEY, max_concurrency: 0, models: ["*"] }
EOF
BENCH_PROVIDER_KEY=mock-secret BENCH_CLIENT_KEY=bench-key \
  "$build/gateway/slotgate" -c "$work/slotgate.yaml" >"$work/slotgate.log" 2>&1 &
pids+=($!)

# haproxy: the config every bench uses (bench/benchlib.py): one thread, like slotgate's one
# worker; an h2 front (prior knowledge) besides its HTTP/1.1 one, HTTP/1.1 to the mock.
hap_h1_port=$(free_port)
python3 -c 'import sys; sys.path.insert(0, "bench"); from benchlib import haproxy_config
print(haproxy_config(*map(int, sys.argv[1:])))' "$hap_h1_port" "$hap_port" "$mock_port" \
  >"$work/haproxy.cfg"
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_port "$sg_port"
wait_port "$hap_port"

echo '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' >"$work/body.json"
run() {
  local name=$1 port=$2
  local out
  out=$(h2load -c "$clients" -m "$streams" -D "$duration" --warm-up-time=1 -d "$work/body.json" \
    -H 'authorization: Bearer bench-key' -H 'content-type: application/json' \
    -H "x-mock-latency-ms: $latency_ms" "http://127.0.0.1:$port/v1/chat/completions" 2>&1)
  local rps ok lat_mean lat_max
  rps=$(sed -nE 's/^finished in .*, ([0-9.]+) req\/s.*/\1/p' <<<"$out")
  ok=$(sed -nE 's/^requests: .* ([0-9]+) succeeded, ([0-9]+) failed.*/\1 ok, \2 failed/p' <<<"$out")
  read -r lat_min lat_max lat_mean _ < <(awk '/^time for request:/ {print $4, $5, $6}' <<<"$out")
  printf '%-22s %10s req/s   latency mean %8s  max %8s   (%s)\n' "$name" "$rps" "$lat_mean" \
    "$lat_max" "$ok"
}
echo "h2load: $clients connections x $streams streams, ${duration}s, mock latency ${latency_ms} ms"
run "slotgate (h2c)" "$sg_port"
run "haproxy (h2 front)" "$hap_port"
