"""Helpers shared by the load runs in bench/: ports, process CPU, wrk runs."""
import os, re, socket, subprocess, time

POST_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "load", "post.lua")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def to_ms(text):
    """wrk's latency text ("870.00us", "1.20ms", "2.00s", "1.00m") in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if m is None:
        raise RuntimeError(f"unexpected wrk latency {text!r}")
    v, unit = float(m.group(1)), m.group(2)
    return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[unit]


def run_wrk(url, seconds, connections, cpu, script=POST_LUA):
    """One bounded wrk run pinned to `cpu`: requests/s, total, p50/p99 ms, non-2xx count."""
    out = subprocess.run(["taskset", "-c", cpu, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                          "--latency", "-s", script, url],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    try:
        # Anchored to the distribution's lines: "+/- Stdev" columns end in "%" too (69.50%).
        p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
        p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    except (AttributeError, RuntimeError) as e:
        raise RuntimeError(f"cannot read wrk's latency ({e}) from:\n{out}") from e
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "requests": total, "p50_ms": p50, "p99_ms": p99,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def non2xx_total(results):
    """Non-2xx responses over every run of every target; warns on stderr when any."""
    errors = sum(x["errors"] for runs in results.values() for x in runs)
    if errors:
        import sys
        print(f"WARNING: {errors} non-2xx responses", file=sys.stderr)
    return errors


def stop_all(procs, timeout=10):
    """SIGTERM every process, then wait for each (SIGKILL past the timeout)."""
    import signal
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()


# Secrets the bench configs name; bench/load/post.lua sends BENCH_CLIENT_KEY's value.
BENCH_ENV = {"BENCH_PROVIDER_KEY": "bench-provider-key", "BENCH_CLIENT_KEY": "bench-client-key"}


def slotgate_config(port, admin, mock_port, redis_port=None):
    """The one-worker slotgate config every load run uses (cluster mode with redis_port)."""
    text = f"""
server: {{ listen: 127.0.0.1:{port}, workers: 1 }}
admin: {{ listen: 127.0.0.1:{admin} }}
providers:
  - name: mock
    type: openai
    base_url: http://127.0.0.1:{mock_port}
    keys: [{{ id: bench-key, secret_env: BENCH_PROVIDER_KEY, max_concurrency: 1000 }}]
models:
  - name: gpt-4o-mini
    aliases: [mini]
    targets: [{{ provider: mock, model: gpt-4o-mini }}]
clients:
  - {{ id: bench, key_env: BENCH_CLIENT_KEY, max_concurrency: 1000 }}
"""
    if redis_port:
        text += f"redis: {{ url: 'redis://127.0.0.1:{redis_port}/0', lease_ttl: 30s }}\n"
    return text


def haproxy_config(h1_port, h2_port, mock_port, maxconn=4096, busy_polling=False):
    """haproxy as the pure-proxy yardstick: one thread, keep-alive reuse to the mock, an HTTP/1.1
    front on h1_port and (when h2_port is given) an h2 front. busy_polling: haproxy's option that
    polls with a zero timeout instead of sleeping (a core at 100% for fewer wake-ups)."""
    h2_front = f"""frontend fe_h2
  bind 127.0.0.1:{h2_port} proto h2
  default_backend be
""" if h2_port else ""
    return f"""
global
  nbthread 1{chr(10) + "  busy-polling" if busy_polling else ""}
  maxconn {maxconn}
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend fe
  bind 127.0.0.1:{h1_port}
  default_backend be
{h2_front}backend be
  server mock 127.0.0.1:{mock_port}
"""
