#!/usr/bin/env bash
# Installs the Debian 12 packages slotgate builds, tests and benchmarks with.
# Idempotent: does nothing (and needs no network) when everything is present.
set -euo pipefail
PACKAGES=(
  build-essential dpkg-dev cmake ninja-build ccache pkg-config git curl python3
  libevent-dev libssl-dev libnghttp2-dev prometheus-cpp-dev
  libhiredis-dev libre2-dev libsimdjson-dev nlohmann-json3-dev libyaml-cpp-dev
  libsystemd-dev libgtest-dev libgmock-dev libbenchmark-dev libcurl4-openssl-dev
  redis-server wrk nghttp2-client haproxy openssl ca-certificates clang-format
  clang libclang-rt-14-dev  # the sanitizer builds and tests/fuzz (libFuzzer, ASan/UBSan, TSan)
  valgrind  # bench/load/callgrind.sh, bench/run.sh: instructions per request
  strace  # bench/run.sh: syscalls per request
  chromium  # the dashboard's browser test
  prometheus  # promtool: checks and unit-tests conf/prometheus/slotgate.rules.yml
  nodejs  # tests/sdk: the OpenAI and Anthropic SDKs the integration tests drive (npm ci in test.sh)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# Debian's nodejs comes without npm (a separate package); other builds of nodejs bring their own.
if ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >&2
fi
