#!/usr/bin/env bash
# Deterministic CPU cost per proxied request: runs slotgate (one worker, the bench config of
# bench/benchlib.py) under callgrind against the mock provider, sends N requests of
# bench/load/post.lua's shape with h2load over HTTP/1.1 (or cleartext HTTP/2 with prior
# knowledge, PROTO=h2) on 127.0.0.1, 4 connections with STREAMS requests in flight on each
# (h2load -m; 1 by default), and prints the instructions per request, net of an idle run
# (startup + shutdown with no traffic).
#
#   bench/load/callgrind.sh [BUILD_DIR] [N] [OUT_DIR] [PROTO: h1 (default) | h2] [STREAMS: 1]
#
# e.g. HTTP/2 at 4 connections x 32 streams: bench/load/callgrind.sh build 5000 OUT h2 32
#
# With REDIS_PORT set, slotgate runs in cluster mode against that redis-server (slots as Redis
# leases), so the two modes' instructions per request can be compared. With PROXY=haproxy the
# same load goes to haproxy instead (benchlib.haproxy_config: one thread; PROTO=h2 sends to its
# h2 front), so the two proxies' instructions per request can be compared.
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
STREAMS="${5:-1}"
PROXY="${PROXY:-slotgate}"
[[ "$STREAMS" =~ ^[1-9][0-9]*$ ]] || { echo "STREAMS must be a positive integer" >&2; exit 2; }
case "$PROXY" in
  slotgate|haproxy) ;;
  *) echo "PROXY must be slotgate or haproxy" >&2; exit 2 ;;
esac
case "$PROTO" in
  h1) PROTO_FLAG=(--h1) ;;
  h2) PROTO_FLAG=() ;;  # h2load speaks h2c with prior knowledge to an http:// URI
  *) echo "PROTO must be h1 or h2" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
TOOLS=(valgrind h2load python3)
[ "$PROXY" = haproxy ] && TOOLS+=(haproxy)
for tool in "${TOOLS[@]}"; do
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

# One callgrind run of the proxy with $1 requests; prints total Ir.
run() {
  local n=$1 name=$2 port admin h1_port h2_port cmd
  if [ "$PROXY" = haproxy ]; then
    h1_port=$(free_port); h2_port=$(free_port)
    PYTHONPATH="$HERE/.." python3 -c "import sys, benchlib; print(benchlib.haproxy_config(*map(int, sys.argv[1:])))" \
      "$h1_port" "$h2_port" "$MOCK_PORT" >"$OUT/haproxy.cfg"
    port=$h1_port; [ "$PROTO" = h2 ] && port=$h2_port
    cmd=("$(command -v haproxy)" -f "$OUT/haproxy.cfg" -db)
  else
    port=$(free_port); admin=$(free_port)
    PYTHONPATH="$HERE/.." python3 -c "import sys, benchlib; print(benchlib.slotgate_config(*map(int, sys.argv[1:])))" \
      "$port" "$admin" "$MOCK_PORT" ${REDIS_PORT:+"$REDIS_PORT"} >"$OUT/slotgate.yaml"
    cmd=("$BUILD/gateway/slotgate" -c "$OUT/slotgate.yaml")
  fi
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$name" \
    "${cmd[@]}" 2>"$OUT/$PROXY.$name.log" &
  local sg=$!
  PIDS+=($sg)
  wait_port "$port"
  if [ "$n" -gt 0 ]; then
    timeout 600 h2load ${PROTO_FLAG[@]+"${PROTO_FLAG[@]}"} -n "$n" -c 4 -m "$STREAMS" -d "$OUT/body.json" \
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
echo "Ir/request ($PROXY, $PROTO, 4x$STREAMS): $(( (LOAD - IDLE) / N ))"
echo "profiles: $OUT"
