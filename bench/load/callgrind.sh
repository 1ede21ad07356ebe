#!/usr/bin/env bash
# Deterministic CPU cost per proxied request: runs slotgate (one worker, the bench config of
# bench/benchlib.py) under callgrind against the mock provider, sends N requests of
# bench/load/post.lua's shape with h2load over HTTP/1.1 (or cleartext HTTP/2 with prior
# knowledge, PROTO=h2) on 127.0.0.1, and prints the instructions per request, net of an idle
# run (startup + shutdown with no traffic).
#
#   bench/load/callgrind.sh [BUILD_DIR] [N] [OUT_DIR] [PROTO: h1 (default) | h2]
#
# With REDIS_PORT set, slotgate runs in cluster mode against that redis-server (slots as Redis
# leases), so the two modes' instructions per request can be compared.
#
# Wall-clock numbers on a shared machine are noisy; instruction counts are not, so compare
# this figure before and after a change. OUT_DIR keeps callgrind.out.{idle,load} for
# `callgrind_annotate --inclusive=yes OUT_DIR/callgrind.out.load`.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
N="${2:-20000}"
OUT="${3:-$(mktemp -d /tmp/slotgate-cg.XXXXXX)}"
PROTO="${4:-h1}"
case "$PROTO" in
  h1) PROTO_FLAG=(--h1) ;;
  h2) PROTO_FLAG=() ;;  # h2load speaks h2c with prior knowledge to an http:// URI
  *) echo "PROTO must be h1 or h2" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
for tool in valgrind h2load python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # up to 120 s: slotgate starts slowly under valgrind
  for _ in $(seq 1200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2; return 1
}

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

MOCK_PORT=$(free_port)
"$BUILD/tests/mock_provider/mock_provider" --listen "127.0.0.1:$MOCK_PORT" --threads 1 >/dev/null &
PIDS+=($!)
wait_port "$MOCK_PORT"

printf '{"model":"mini","messages":[{"role":"user","content":"hi"}]}' >"$OUT/body.json"
export BENCH_PROVIDER_KEY=bench-provider-key BENCH_CLIENT_KEY=bench-client-key

# One callgrind run of slotgate with $1 requests; prints total Ir.
run() {
  local n=$1 name=$2 port admin
  port=$(free_port); admin=$(free_port)
  PYTHONPATH="$HERE/.." python3 -c "import sys, benchlib; print(benchlib.slotgate_config(*map(int, sys.argv[1:])))" \
    "$port" "$admin" "$MOCK_PORT" ${REDIS_PORT:+"$REDIS_PORT"} >"$OUT/slotgate.yaml"
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$name" \
    "$BUILD/gateway/slotgate" -c "$OUT/slotgate.yaml" 2>"$OUT/slotgate.$name.log" &
  local sg=$!
  PIDS+=($sg)
  wait_port "$port"
  if [ "$n" -gt 0 ]; then
    timeout 600 h2load ${PROTO_FLAG[@]+"${PROTO_FLAG[@]}"} -n "$n" -c 4 -d "$OUT/body.json" \
      -H 'Content-Type: application/json' -H 'Authorization: Bearer bench-client-key' \
      "http://127.0.0.1:$port/v1/chat/completions" >"$OUT/h2load.$name.txt"
    grep -E '^requests:|^status codes:' "$OUT/h2load.$name.txt" >&2
  fi
  kill -TERM "$sg"
  wait "$sg" || true
  grep -m1 '^summary:' "$OUT/callgrind.out.$name" | awk '{print $2}'
}

IDLE=$(run 0 idle)
LOAD=$(run "$N" load)
echo "idle Ir: $IDLE"
echo "load Ir: $LOAD ($N requests)"
echo "Ir/request ($PROTO): $(( (LOAD - IDLE) / N ))"
echo "profiles: $OUT"
