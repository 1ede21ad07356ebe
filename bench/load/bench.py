#!/usr/bin/env python3
"""Load run: slotgate vs. a direct call vs. haproxy, interleaved, same run.

Pins each proxy to core 0 (one worker / one thread) and the mock provider and
wrk to the other core, runs ROUNDS rounds of wrk against each target in turn,
and prints requests/s, p50, p99 and proxy CPU per request (utime+stime of the
proxy process over the run / requests), then medians and the ratios
slotgate/haproxy and slotgate - direct. Traffic goes to 127.0.0.1 only and
every run is bounded by DURATION.
"""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchlib import (BENCH_ENV, cpu_seconds, free_port, haproxy_config, non2xx_total,  # noqa: E402
                      run_wrk, slotgate_config, stop_all, wait_port)
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    ncpu = os.cpu_count() or 1
    proxy_cpu, load_cpu = ("0", "1") if ncpu > 1 else ("0", "0")
    tmp = tempfile.mkdtemp(prefix="slotgate-bench-")
    procs = []
    try:
        mock_port, sg_port, sg_admin, ha_port = free_port(), free_port(), free_port(), free_port()
        procs.append(subprocess.Popen(["taskset", "-c", load_cpu,
                                       os.path.join(args.build, "tests/mock_provider/mock_provider"),
                                       "--listen", f"127.0.0.1:{mock_port}"],
                                      stdout=subprocess.DEVNULL))
        wait_port(mock_port)
        conf = os.path.join(tmp, "slotgate.yaml")
        with open(conf, "w") as f:
            f.write(slotgate_config(sg_port, sg_admin, mock_port))
        env = dict(os.environ, **BENCH_ENV)
        log = open(os.path.join(tmp, "slotgate.log"), "w")
        sg = subprocess.Popen(["taskset", "-c", proxy_cpu, os.path.join(args.build, "gateway/slotgate"),
                               "-c", conf], env=env, stderr=log)
        procs.append(sg)
        wait_port(sg_port)
        hacfg = os.path.join(tmp, "haproxy.cfg")
        with open(hacfg, "w") as f:
            f.write(haproxy_config(ha_port, None, mock_port))
        ha = subprocess.Popen(["taskset", "-c", proxy_cpu, shutil.which("haproxy") or "/usr/sbin/haproxy",
                               "-f", hacfg, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(ha)
        wait_port(ha_port)
        targets = {
            "direct": (f"http://127.0.0.1:{mock_port}/v1/chat/completions", None),
            "haproxy": (f"http://127.0.0.1:{ha_port}/v1/chat/completions", ha.pid),
            "slotgate": (f"http://127.0.0.1:{sg_port}/v1/chat/completions", sg.pid),
        }
        # Warm-up: fills connection pools and caches.
        for url, _ in targets.values():
            run_wrk(url, 1, args.connections, load_cpu)
        results = {name: [] for name in targets}
        for r in range(args.rounds):
            for name, (url, pid) in targets.items():
                before = cpu_seconds(pid) if pid else 0.0
                res = run_wrk(url, args.duration, args.connections, load_cpu)
                used = cpu_seconds(pid) - before if pid else 0.0
                res["cpu_us_per_req"] = used * 1e6 / max(res["requests"], 1) if pid else None
                results[name].append(res)
                print(f"round {r + 1} {name:9s} {res['rps']:9.0f} req/s  p50 {res['p50_ms']:.3f} ms  "
                      f"p99 {res['p99_ms']:.3f} ms  non-2xx {res['errors']}"
                      + (f"  cpu {res['cpu_us_per_req']:.1f} us/req" if pid else ""), flush=True)
        med = {}
        for name, runs in results.items():
            med[name] = {k: statistics.median([x[k] for x in runs]) for k in ("rps", "p50_ms", "p99_ms")}
            cpus = [x["cpu_us_per_req"] for x in runs if x["cpu_us_per_req"] is not None]
            med[name]["cpu_us_per_req"] = statistics.median(cpus) if cpus else None
        print("\nmedians over %d rounds of %ds, %d connections (proxy on cpu %s, mock+wrk on cpu %s)"
              % (args.rounds, args.duration, args.connections, proxy_cpu, load_cpu))
        print("| target | req/s | p50 ms | p99 ms | proxy CPU µs/req |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, m in med.items():
            cpu = f"{m['cpu_us_per_req']:.1f}" if m["cpu_us_per_req"] is not None else "–"
            print(f"| {name} | {m['rps']:.0f} | {m['p50_ms']:.3f} | {m['p99_ms']:.3f} | {cpu} |")
        s, h, d = med["slotgate"], med["haproxy"], med["direct"]
        print(f"\nslotgate/haproxy throughput: {s['rps'] / h['rps']:.2f}x")
        print(f"slotgate/haproxy CPU per request: {s['cpu_us_per_req'] / h['cpu_us_per_req']:.2f}x")
        print(f"slotgate - direct p50: {(s['p50_ms'] - d['p50_ms']) * 1000:.0f} us; "
              f"haproxy - direct p50: {(h['p50_ms'] - d['p50_ms']) * 1000:.0f} us")
        return 1 if non2xx_total(results) else 0
    finally:
        stop_all(procs)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
