#!/usr/bin/env python3
"""Fails when a file includes a room it must not (the layering of ../shared/DESIGN.md).

Includes run one way: gateway/event/, gateway/http1/ (the pure HTTP/1.1 parser both edges
use) and conf/ are the ground floor; alias/, limits/ (with limits/cluster/, which also reports
to metrics/), routing/ and metrics/ stand on them and include nothing else of gateway/;
gateway/downstream/ and gateway/upstream/ know nothing of proxying (never gateway/proxy/,
gateway/admin/ or gateway/'s own files); gateway/proxy/ and gateway/admin/ stand on all of
those; gateway/'s own files (main, server, worker) are on top. The one exception: the config
snapshot (gateway/config_snapshot.h, gateway/gateway_context.h) lives in gateway/'s root because the
server builds and swaps it, yet the proxy and admin planes read it, so they may include it.
Chromium's DEPS include_rules are the model: the rules are written down here, next to the
check, and every project include ("conf/...", "gateway/...") of every source file is held to
them. Third-party includes ("prometheus/...", <...>) are not rooms and pass.

    tests/check_layering.py [--self-test]
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Rooms, most specific first: a file belongs to the first room its path starts with.
ROOMS = [
    "gateway/event/", "gateway/http1/", "gateway/downstream/", "gateway/upstream/", "gateway/proxy/",
    "gateway/admin/", "gateway/", "limits/cluster/", "limits/", "alias/",
    "routing/", "metrics/", "conf/", "tests/", "bench/",
]
LEAVES = ["conf/", "gateway/event/", "gateway/http1/", "alias/", "limits/", "limits/cluster/", "routing/",
          "metrics/"]
# Which rooms a room may include (its own always). Rooms not listed here may include anything.
ALLOWED = {
    "conf/": ["conf/"],
    "gateway/event/": ["gateway/event/"],
    "gateway/http1/": ["gateway/http1/"],
    "alias/": ["conf/", "gateway/event/"],
    "limits/": ["conf/", "gateway/event/", "limits/cluster/"],
    "limits/cluster/": ["conf/", "gateway/event/", "limits/", "metrics/"],
    "routing/": ["conf/", "gateway/event/", "limits/", "limits/cluster/", "alias/"],
    "metrics/": ["conf/", "gateway/event/"],
    "gateway/downstream/": LEAVES + ["gateway/downstream/"],
    "gateway/upstream/": LEAVES + ["gateway/upstream/"],
    "gateway/proxy/": LEAVES + ["gateway/downstream/", "gateway/upstream/", "gateway/proxy/"],
    "gateway/admin/": LEAVES + ["gateway/downstream/", "gateway/upstream/", "gateway/proxy/",
                                "gateway/admin/"],
}
# Files outside a room's allowed rooms that it may still include (see the module comment).
CONFIG_SNAPSHOT = ["gateway/config_snapshot.h", "gateway/key_registry.h", "gateway/gateway_context.h"]
ALLOWED_FILES = {"gateway/proxy/": CONFIG_SNAPSHOT, "gateway/admin/": CONFIG_SNAPSHOT}
PROJECT_TOPS = ("conf/", "alias/", "limits/", "routing/", "metrics/", "gateway/", "tests/")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def room_of(path):
    for room in ROOMS:
        if path.startswith(room):
            return room
    return None


def violations(files):
    """(file, line number, included path, room of file) for every include a rule forbids."""
    found = []
    for path, text in files:
        room = room_of(path)
        allowed = ALLOWED.get(room)
        if allowed is None:
            continue
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            if not target.startswith(PROJECT_TOPS):
                continue  # third-party headers included with quotes
            target_room = room_of(target)
            if target in ALLOWED_FILES.get(room, []):
                continue
            if target_room != room and target_room not in allowed:
                line = text.count("\n", 0, match.start()) + 1
                found.append((path, line, target, room))
    return found


def self_test():
    cases = [
        ("limits/x.cc", '#include "gateway/worker.h"\n', 1),
        ("limits/x.cc", '#include "gateway/event/timer.h"\n#include "conf/config.h"\n', 0),
        ("gateway/downstream/h1.cc", '\n#include "gateway/proxy/proxy_request.h"\n', 1),
        ("gateway/downstream/h1.cc", '#include "gateway/worker.h"\n', 1),
        ("gateway/upstream/pool.cc", '#include "gateway/http1/http1_parser.h"\n', 0),
        ("gateway/http1/p.cc", '#include "gateway/downstream/h1.h"\n', 1),
        ("gateway/proxy/p.cc", '#include "gateway/config_snapshot.h"\n', 0),
        ("gateway/downstream/h1.cc", '#include "gateway/config_snapshot.h"\n', 1),
        ("limits/cluster/c.cc", '#include "metrics/metrics.h"\n', 0),
        ("gateway/proxy/p.cc", '#include "gateway/upstream/pool.h"\n', 0),
        ("gateway/proxy/p.cc", '#include "gateway/server.h"\n', 1),
        ("conf/c.cc", '#include "metrics/log.h"\n', 1),
        ("metrics/m.cc", '#include "prometheus/counter.h"\n', 0),
        ("gateway/server.cc", '#include "gateway/proxy/p.h"\n', 0),
    ]
    bad = 0
    for path, text, expected in cases:
        got = len(violations([(path, text)]))
        if got != expected:
            print(f"self-test: {path} {text!r}: {got} violations, expected {expected}")
            bad = 1
    return bad


def main():
    if "--self-test" in sys.argv:
        return self_test()
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.h", "*.cc"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    files = [(p, (ROOT / p).read_text(errors="replace")) for p in listed if (ROOT / p).exists()]
    found = violations(files)
    for path, line, target, room in found:
        print(f"{path}:{line}: includes \"{target}\": {room} may include only "
              f"{', '.join(ALLOWED[room])} (tests/check_layering.py, ../shared/DESIGN.md)")
    if self_test():
        return 1
    print(f"layering: {len(files)} files checked, {len(found)} violations")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
