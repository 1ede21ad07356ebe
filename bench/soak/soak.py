#!/usr/bin/env python3
"""Soak run: slotgate in cluster mode (redis-server) in front of the mock provider, under mixed
traffic with injected faults for a bounded time, then a check that nothing leaked.

    bench/soak/run.sh [MINUTES] [BUILD_DIR]      (default 10 minutes, ../../build)

Traffic (16 client threads, 127.0.0.1 only): JSON chat and streams, upstream faults through the
mock's x-mock-fail (drop: stream broken midway, close: no response, hang: no answer until
request_timeout), client aborts mid-stream, slow readers of a 4 MiB answer, request bodies
trickled a byte at a time; a config reload every 30 s; a Redis restart at a third and at two
thirds of the run.

At the end (load stopped, a settle period), it reports: slots in use (must be 0), leases in
Redis (ZCARD of every lease set; must be 0), heap in use (slotgate_heap_in_use_bytes; must be
back within 8 MiB of its baseline), open descriptors (must be back to their baseline within
40 s; any over it are named), RSS against its baseline with its peak per quarter of the run
(retention plateaus, a leak climbs), request outcomes. Exit code 0 when all of that holds.
SOAK_HOLD_SECONDS=N keeps the processes N seconds after the report, for inspection.

Not part of CI: it takes minutes and loads the machine.
"""
import http.client, json, os, random, re, signal, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import free_port, wait_port  # noqa: E402

CLIENT_KEY = "soak-client-key"
THREADS = 16
PREFIX = "soak:"
KEY_IDS = ["soak-openai-a", "soak-openai-b", "soak-anthropic"]
FD_GRACE_S = 40  # the longest legitimate close: lingering_time 30 s, plus slack
HEAP_MARGIN_BYTES = 8 << 20


def config_text(mock_port, redis_port, version):
    # `version` changes a client limit so that every reload installs a new snapshot.
    return f"""server:
  listen: 127.0.0.1:0
  workers: 2
  header_timeout: 5s
  body_timeout: 5s
  idle_timeout: 5s
  drain_timeout: 10s
admin:
  listen: 127.0.0.1:0
redis:
  url: redis://127.0.0.1:{redis_port}/0
  prefix: "{PREFIX}"
  lease_ttl: 5s
  on_unavailable: local
providers:
  - name: openai
    type: openai
    base_url: http://127.0.0.1:{mock_port}
    request_timeout: 4s
    keys:
      - {{ id: soak-openai-a, secret_env: SOAK_PROVIDER_KEY, max_concurrency: 12 }}
      - {{ id: soak-openai-b, secret_env: SOAK_PROVIDER_KEY, max_concurrency: 12 }}
    circuit_breaker: {{ failure_threshold: 50, open_duration: 2s }}
  - name: anthropic
    type: anthropic
    base_url: http://127.0.0.1:{mock_port}
    request_timeout: 4s
    keys:
      - {{ id: soak-anthropic, secret_env: SOAK_PROVIDER_KEY, max_concurrency: 12 }}
models:
  - name: gpt-soak
    targets: [{{ provider: openai, model: gpt-up }}]
  - name: claude-soak
    targets: [{{ provider: anthropic, model: claude-up }}]
clients:
  - id: soak-tenant
    key_env: SOAK_CLIENT_KEY
    max_concurrency: {20 + version % 2}
    queue: {{ max_waiting: 16, timeout: 2s }}
routing:
  retries: 1
"""


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.by = {}

    def add(self, name):
        with self.lock:
            self.by[name] = self.by.get(name, 0) + 1


def chat_body(model, stream):
    return json.dumps({"model": model, "stream": stream, "max_tokens": 16,
                       "messages": [{"role": "user", "content": "soak"}]})


def post(port, path, body, headers, timeout):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Authorization": f"Bearer {CLIENT_KEY}", "Content-Type": "application/json"}
        h.update(headers)
        conn.request("POST", path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, data
    finally:
        conn.close()


def raw_head(path, length, extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer {CLIENT_KEY}\r\n"
            f"Content-Type: application/json\r\n{extra}Content-Length: {length}\r\n\r\n").encode()


def scenario(port, counts, rng):
    kind = rng.choices(
        ["json", "stream", "anthropic", "drop", "close", "hang", "abort", "slow_reader",
         "trickle_body"],
        weights=[40, 25, 10, 5, 5, 2, 6, 4, 3])[0]
    model, path = ("claude-soak", "/v1/messages") if kind == "anthropic" else \
        ("gpt-soak", "/v1/chat/completions")
    try:
        if kind in ("json", "anthropic"):
            status, _ = post(port, path, chat_body(model, False), {}, 15)
            counts.add(f"{kind}_{status}")
        elif kind == "stream":
            status, data = post(port, path, chat_body(model, True),
                                {"x-mock-chunks": "20", "x-mock-delay-ms": "10"}, 15)
            counts.add(f"stream_{status}_{'done' if b'[DONE]' in data else 'cut'}")
        elif kind in ("drop", "close", "hang"):
            stream = kind == "drop"
            try:
                status, _ = post(port, path, chat_body(model, stream), {"x-mock-fail": kind}, 15)
                counts.add(f"fault_{kind}_{status}")
            except (http.client.HTTPException, OSError):
                counts.add(f"fault_{kind}_broken")  # drop mid-stream: the client sees it broken
        elif kind == "abort":
            body = chat_body(model, True).encode()
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(raw_head(path, len(body), "x-mock-chunks: 50\r\nx-mock-delay-ms: 20\r\n")
                          + body)
                s.recv(2048)  # the head and a first chunk, then leave
            counts.add("client_abort")
        elif kind == "slow_reader":
            body = chat_body(model, False).encode()
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
                s.sendall(raw_head(path, len(body), "x-mock-body-bytes: 4194304\r\n") + body)
                end = time.time() + 6 + rng.random() * 6
                got = 0
                while time.time() < end:
                    chunk = s.recv(512)
                    if not chunk:
                        break
                    got += len(chunk)
                    time.sleep(0.25)
            counts.add("slow_reader")
        elif kind == "trickle_body":
            body = chat_body(model, False).encode()
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(raw_head(path, len(body) + 100))
                end = time.time() + 10
                cut = False
                while time.time() < end and not cut:
                    try:
                        s.sendall(b" ")
                        s.settimeout(0.3)
                        cut = s.recv(1) == b""
                    except socket.timeout:
                        pass
                    except OSError:
                        cut = True
            counts.add("trickle_cut" if cut else "trickle_not_cut")
    except (OSError, http.client.HTTPException) as e:
        counts.add(f"{kind}_error_{type(e).__name__}")


def metrics(admin_port):
    conn = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return text


def metric_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def proc_figures(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def socket_table(pid):
    """inode -> "proto local->remote state" for the process's TCP and UDP sockets."""
    states = {"01": "ESTABLISHED", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
              "0A": "LISTEN", "04": "FIN_WAIT1", "05": "FIN_WAIT2", "09": "LAST_ACK"}

    def addr(hexaddr):
        host, port = hexaddr.split(":")
        if len(host) == 8:
            host = ".".join(str(int(host[i:i + 2], 16)) for i in (6, 4, 2, 0))
        return f"{host}:{int(port, 16)}"

    table = {}
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/{pid}/net/{proto}") as f:
                next(f)
                for line in f:
                    cols = line.split()
                    table[cols[9]] = (f"{proto} {addr(cols[1])}->{addr(cols[2])} "
                                      f"{states.get(cols[3], cols[3])}")
        except OSError:
            pass
    return table


def describe_fds(pid):
    """fd -> what it is: a path, "pipe", "anon_inode:[eventfd]", or a TCP/UDP socket's ends."""
    sockets = socket_table(pid)
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            target = sockets.get(m.group(1), "unix socket")
        elif target.startswith("pipe:"):
            target = "pipe"
        out[int(fd)] = target
    return out


def fd_kind(description, listen_ports=()):
    """A descriptor's kind, without ephemeral ports: what the baseline comparison counts."""
    m = re.fullmatch(r"(tcp6?|udp6?) (\S+):(\d+)->(\S+):(\d+) (\S+)", description)
    if not m:
        return description
    proto, _, lport, rhost, rport, state = m.groups()
    if state == "LISTEN":
        return f"{proto} listen :{lport}"
    if lport in listen_ports:
        return f"{proto} accepted on :{lport} {state}"
    return f"{proto} to {rhost}:{rport} {state}"


def fd_difference(before, after):
    """Kinds of descriptor open at the end but not at the baseline (+) and the reverse (-).
    The soak's own last /metrics request shows up as one "accepted on :ADMIN_PORT" socket for
    a moment: the gateway closes its side only once its loop has read the client's close."""
    ports = {re.search(r":(\d+)->", d).group(1) for d in list(before.values()) +
             list(after.values()) if d.endswith(" LISTEN")}
    count = lambda fds: {k: sum(1 for d in fds.values() if fd_kind(d, ports) == k)
                         for k in {fd_kind(d, ports) for d in fds.values()}}
    b, a = count(before), count(after)
    return {k: a.get(k, 0) - b.get(k, 0) for k in sorted(set(a) | set(b))
            if a.get(k, 0) != b.get(k, 0)}


def rss_by_quarter(samples):
    """The highest RSS in each quarter of the run: a leak keeps climbing, a plateau does not."""
    if not samples:
        return []
    span = samples[-1][0] or 1
    return [max((r for t, r in samples if q * span / 4 <= t <= (q + 1) * span / 4), default=0)
            for q in range(4)]


def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True,
                          timeout=10).stdout.strip()


def start_redis(port, workdir):
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    build = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
    if not 0 < minutes <= 60:
        sys.exit("minutes must be in (0, 60]")
    work = tempfile.mkdtemp(prefix="slotgate-soak-")
    procs = []
    try:
        mock_port, redis_port = free_port(), free_port()
        procs.append(subprocess.Popen([f"{build}/tests/mock_provider/mock_provider", "--listen",
                                       f"127.0.0.1:{mock_port}", "--threads", "2"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        redis = start_redis(redis_port, work)
        wait_port(mock_port)
        wait_port(redis_port)
        cfg = os.path.join(work, "slotgate.yaml")
        version = 0
        with open(cfg, "w") as f:
            f.write(config_text(mock_port, redis_port, version))
        log = open(os.path.join(work, "slotgate.log"), "w+")
        env = dict(os.environ, SOAK_PROVIDER_KEY="soak-provider-secret", SOAK_CLIENT_KEY=CLIENT_KEY)
        gw = subprocess.Popen([f"{build}/gateway/slotgate", "-c", cfg], stderr=log,
                              stdout=subprocess.DEVNULL, env=env)
        procs.append(gw)
        started = None
        for _ in range(200):
            log.seek(0)
            started = next((json.loads(l) for l in log if '"event":"started"' in l), None)
            if started:
                break
            time.sleep(0.05)
        if not started:
            sys.exit("slotgate did not start; log in " + work)
        port = int(started["listen"].rsplit(":", 1)[1])
        admin = int(started["admin"].rsplit(":", 1)[1])

        # Warm-up (pools, buffers, Redis scripts), then the baseline.
        for _ in range(50):
            post(port, "/v1/chat/completions", chat_body("gpt-soak", False), {}, 10)
            post(port, "/v1/chat/completions", chat_body("gpt-soak", True), {}, 10)
        time.sleep(6)  # pooled upstream connections idle out (provider idle_timeout 4s)
        base_rss, base_fds = proc_figures(gw.pid)
        base_fd_map = describe_fds(gw.pid)
        base_heap = metric_sum(metrics(admin), "slotgate_heap_in_use_bytes")
        print(f"baseline: rss {base_rss} KiB, fds {base_fds} (slotgate pid {gw.pid})", flush=True)

        counts = Counts()
        stop_at = time.time() + minutes * 60
        stop = threading.Event()

        def client(seed):
            rng = random.Random(seed)
            while not stop.is_set() and time.time() < stop_at:
                scenario(port, counts, rng)

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(THREADS)]
        for t in threads:
            t.start()
        t0 = time.time()
        next_reload = t0 + 30
        redis_restarts = [t0 + minutes * 60 / 3, t0 + 2 * minutes * 60 / 3]
        peak_rss, peak_fds, reloads = 0, 0, {}
        rss_samples = []  # (seconds into the run, RSS KiB)
        while time.time() < stop_at:
            time.sleep(1)
            rss, fds = proc_figures(gw.pid)
            rss_samples.append((time.time() - t0, rss))
            peak_rss, peak_fds = max(peak_rss, rss), max(peak_fds, fds)
            if time.time() >= next_reload:
                version += 1
                with open(cfg, "w") as f:
                    f.write(config_text(mock_port, redis_port, version))
                conn = http.client.HTTPConnection("127.0.0.1", admin, timeout=10)
                conn.request("POST", "/admin/reload")
                status = conn.getresponse().status
                conn.close()
                reloads[status] = reloads.get(status, 0) + 1
                next_reload += 30
            if redis_restarts and time.time() >= redis_restarts[0]:
                redis_restarts.pop(0)
                redis.send_signal(signal.SIGKILL)
                redis.wait()
                time.sleep(3)
                redis = start_redis(redis_port, work)
                wait_port(redis_port)
                counts.add("redis_restart")
        stop.set()
        for t in threads:
            t.join(timeout=30)

        # Settle: in-flight requests end (request_timeout 4s, idle_timeout 5s), pools idle out.
        slots = None
        for _ in range(60):
            slots = metric_sum(metrics(admin), "concurrency_slots_in_use")
            if slots == 0:
                break
            time.sleep(1)
        time.sleep(8)
        text = metrics(admin)
        slots = metric_sum(text, "concurrency_slots_in_use")
        end_rss, end_fds = proc_figures(gw.pid)
        end_fd_map = describe_fds(gw.pid)
        end_heap = metric_sum(text, "slotgate_heap_in_use_bytes")
        end_heap_free = metric_sum(text, "slotgate_heap_free_bytes")
        # A descriptor over the baseline may be one that legitimately closes later (a
        # lingering close has 30 s, a Redis reconnect its backoff): what it is, and whether it
        # goes within a grace period, tells a leak from a late close.
        fds_over = fd_difference(base_fd_map, end_fd_map)
        grace_s = 0
        while len(describe_fds(gw.pid)) > len(base_fd_map) and grace_s < FD_GRACE_S:
            time.sleep(1)
            grace_s += 1
        late_fds = len(describe_fds(gw.pid))
        now = redis_cli(redis_port, "TIME").split()[0]
        leases, live = {}, {}
        for key_id in KEY_IDS + ["soak-tenant"]:
            key = f"{PREFIX}slots:{key_id}"
            leases[key_id] = int(redis_cli(redis_port, "ZCARD", key) or 0)
            live[key_id] = int(redis_cli(redis_port, "ZCOUNT", key, str(int(now) * 1000), "+inf")
                               or 0)
        report = {
            "minutes": minutes,
            "requests": dict(sorted(counts.by.items())),
            "reloads": reloads,
            "slots_in_use_end": slots,
            "redis_lease_zcard_end": leases,
            "redis_live_leases_end": live,
            "rss_kib": {"baseline": base_rss, "peak": peak_rss, "end": end_rss},
            "rss_kib_by_quarter": rss_by_quarter(rss_samples),
            "heap_in_use_kib": {"baseline": round(base_heap / 1024),
                                "end": round(end_heap / 1024)},
            "heap_free_held_kib_end": round(end_heap_free / 1024),
            "open_fds": {"baseline": len(base_fd_map), "peak": peak_fds,
                         "end": len(end_fd_map), f"after_up_to_{FD_GRACE_S}s": late_fds,
                         "seconds_to_baseline": grace_s if late_fds <= len(base_fd_map) else None},
            "fds_end_minus_baseline": fds_over,
            "connections_open_end": metric_sum(text, "slotgate_downstream_connections_open"),
            "closes": {l.split('reason="')[1].split('"')[0]: float(l.rsplit(" ", 1)[1])
                       for l in text.splitlines()
                       if l.startswith("slotgate_downstream_connections_closed_total{")},
            "rejects": {l.split('reason="')[1].split('"')[0]: float(l.rsplit(" ", 1)[1])
                        for l in text.splitlines() if l.startswith("slotgate_http_rejects_total{")},
            "workdir": work,
        }
        print(json.dumps(report, indent=2))
        # Memory: what is allocated and not freed must be back near its baseline (bounded
        # caches fill during the run, hence the margin); RSS above it is what the allocator
        # holds free, reported (with the per-quarter peaks: a plateau, not a climb) but not a
        # leak by itself.
        heap_ok = end_heap <= base_heap + HEAP_MARGIN_BYTES
        ok = (slots == 0 and sum(leases.values()) == 0 and late_fds <= len(base_fd_map)
              and heap_ok)
        print("RESULT:", "ok" if ok else "LEAK", flush=True)
        hold = float(os.environ.get("SOAK_HOLD_SECONDS", "0"))  # time to inspect the process
        if hold > 0:
            print(f"holding slotgate (pid {gw.pid}) for {hold:.0f} s", flush=True)
            time.sleep(hold)
        return 0 if ok else 1
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        try:
            redis.send_signal(signal.SIGTERM)
        except Exception:
            pass
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
