#!/usr/bin/env bash
# Builds the Debian package from a finished build, unpacks it into a temporary root and checks
# what an operator gets: the layout, the dependencies dpkg-shlibdeps found, the conffiles, the
# shipped config passing `slotgate --check` with the binary from the package, and the systemd
# unit passing `systemd-analyze verify` where the machine has systemd-analyze.
#   check_package.sh BUILD_DIR
set -euo pipefail
BUILD=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "check_package: $*" >&2; exit 1; }

cpack --config "$BUILD/CPackConfig.cmake" -B "$WORK/out" >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log" >&2; fail "cpack failed"; }
DEB=$(ls "$WORK"/out/slotgate_*.deb)
echo "package: $(basename "$DEB")"

depends=$(dpkg-deb -f "$DEB" Depends)
for lib in libevent-2.1 libevent-openssl libnghttp2 libhiredis libre2 libsimdjson libyaml-cpp \
  libprometheus-cpp-core libssl3 libsystemd0; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
conffiles=$(dpkg-deb -I "$DEB" conffiles)
for f in /etc/slotgate/slotgate.yaml /etc/slotgate/slotgate.env; do
  grep -qx "$f" <<<"$conffiles" || fail "$f is not a conffile"
done

ROOT=$WORK/root
dpkg-deb -x "$DEB" "$ROOT"
# The prefix is /usr unless a build directory chose another (CMAKE_INSTALL_PREFIX); the unit
# names the binary wherever the package put it.
UNIT=$(cd "$ROOT" && ls -d usr/lib/systemd/system/slotgate.service usr/local/lib/systemd/system/slotgate.service 2>/dev/null | head -1 || true)
[[ -n $UNIT ]] || fail "no slotgate.service in the package"
UNIT=$ROOT/$UNIT
BIN=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$UNIT")
[[ -x $ROOT$BIN ]] || fail "ExecStart names $BIN, not in the package"
for f in etc/slotgate/slotgate.yaml etc/slotgate/slotgate.env \
  ; do
  [[ -e $ROOT/$f ]] || fail "missing /$f"
done
SHARE=$(dirname "$(dirname "$ROOT$BIN")")/share
for f in slotgate/grafana/slotgate-dashboard.json slotgate/prometheus/slotgate.rules.yml \
  doc/slotgate/README.md; do
  [[ -e $SHARE/$f ]] || fail "missing $SHARE/$f"
done
[[ $(stat -c %a "$ROOT/etc/slotgate/slotgate.env") == 600 ]] || fail "slotgate.env is not 0600"

# The shipped config is valid once its secrets are set, and names them when they are not.
OPENAI_API_KEY=sk-test SLOTGATE_CLIENT_KEY=client-test \
  "$ROOT$BIN" --check -c "$ROOT/etc/slotgate/slotgate.yaml"
if env -u OPENAI_API_KEY -u SLOTGATE_CLIENT_KEY "$ROOT$BIN" --check \
  -c "$ROOT/etc/slotgate/slotgate.yaml" >"$WORK/check.out" 2>&1; then
  fail "--check passed without the secrets"
fi
grep -q "providers\[0\].keys\[0\].secret_env" "$WORK/check.out" || fail "$(cat "$WORK/check.out")"

for line in Type=notify "ExecReload=/bin/kill -HUP \$MAINPID" LimitNOFILE=65536 DynamicUser=yes \
  NoNewPrivileges=yes ProtectSystem=strict CapabilityBoundingSet= \
  "ExecStart=$BIN -c /etc/slotgate/slotgate.yaml"; do
  grep -qxF "$line" "$UNIT" || fail "unit lacks '$line'"
done
if command -v systemd-analyze >/dev/null; then
  # verify insists that ExecStart's binary exists: point it at the unpacked one. Any output
  # (an unknown or misspelt directive is only a warning) counts as a failure.
  sed "s|$BIN|$ROOT$BIN|g" "$UNIT" >"$WORK/slotgate.service"
  if ! systemd-analyze verify "$WORK/slotgate.service" >"$WORK/verify.out" 2>&1 ||
    [[ -s $WORK/verify.out ]]; then
    fail "systemd-analyze verify: $(cat "$WORK/verify.out")"
  fi
  echo "systemd-analyze verify: clean"
else
  echo "systemd-analyze not found: unit not verified"
fi
echo "package OK"
