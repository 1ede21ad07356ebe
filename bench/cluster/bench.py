#!/usr/bin/env python3
"""Cluster-mode load run: the same slotgate config with and without `redis`, same run.

Starts the mock provider, a redis-server, and two slotgate processes (in-process slots, and
cluster mode with slots as Redis leases) on one worker each, then runs ROUNDS rounds of wrk
against each in turn (interleaved, every run bounded by DURATION) and prints requests/s, p50,
p99, slotgate CPU per request and Redis CPU per request, then medians and the ratio
cluster/in-process. Every request takes a client slot and a provider-key slot, so in cluster
mode it costs two acquire scripts and two ZREMs (pipelined with other requests' commands).
Traffic stays on 127.0.0.1. Pinning: slotgate and redis on cpu 0, mock and wrk on cpu 1.
"""
import argparse, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchlib import (BENCH_ENV, cpu_seconds, free_port, non2xx_total, run_wrk,  # noqa: E402
                      slotgate_config, stop_all, wait_port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    ncpu = os.cpu_count() or 1
    proxy_cpu, load_cpu = ("0", "1") if ncpu > 1 else ("0", "0")
    tmp = tempfile.mkdtemp(prefix="slotgate-cluster-bench-")
    procs = []
    try:
        mock_port, redis_port = free_port(), free_port()
        procs.append(subprocess.Popen(["taskset", "-c", load_cpu,
                                       os.path.join(args.build, "tests/mock_provider/mock_provider"),
                                       "--listen", f"127.0.0.1:{mock_port}"],
                                      stdout=subprocess.DEVNULL))
        redis = subprocess.Popen(["taskset", "-c", proxy_cpu, "redis-server", "--port", str(redis_port),
                                  "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL)
        procs.append(redis)
        wait_port(mock_port)
        wait_port(redis_port)
        env = dict(os.environ, **BENCH_ENV)
        targets = {}
        for name, rport in (("in-process", None), ("cluster", redis_port)):
            port, admin = free_port(), free_port()
            path = os.path.join(tmp, f"{name}.yaml")
            with open(path, "w") as f:
                f.write(slotgate_config(port, admin, mock_port, rport))
            log = open(os.path.join(tmp, f"{name}.log"), "w")
            p = subprocess.Popen(["taskset", "-c", proxy_cpu,
                                  os.path.join(args.build, "gateway/slotgate"), "-c", path],
                                 env=env, stderr=log)
            procs.append(p)
            wait_port(port)
            targets[name] = (f"http://127.0.0.1:{port}/v1/chat/completions", p.pid)
        time.sleep(0.5)  # cluster mode connects to Redis
        for url, _ in targets.values():
            run_wrk(url, 1, args.connections, load_cpu)  # warm-up
        results = {name: [] for name in targets}
        for r in range(args.rounds):
            for name, (url, pid) in targets.items():
                before, rbefore = cpu_seconds(pid), cpu_seconds(redis.pid)
                res = run_wrk(url, args.duration, args.connections, load_cpu)
                n = max(res["requests"], 1)
                res["cpu_us_per_req"] = (cpu_seconds(pid) - before) * 1e6 / n
                res["redis_us_per_req"] = (cpu_seconds(redis.pid) - rbefore) * 1e6 / n
                results[name].append(res)
                print(f"round {r + 1} {name:10s} {res['rps']:9.0f} req/s  p50 {res['p50_ms']:.3f} ms  "
                      f"p99 {res['p99_ms']:.3f} ms  non-2xx {res['errors']}  "
                      f"slotgate {res['cpu_us_per_req']:.1f} us/req  redis {res['redis_us_per_req']:.1f} us/req",
                      flush=True)
        keys = ("rps", "p50_ms", "p99_ms", "cpu_us_per_req", "redis_us_per_req")
        med = {name: {k: statistics.median([x[k] for x in runs]) for k in keys}
               for name, runs in results.items()}
        print("\nmedians over %d rounds of %ds, %d connections (slotgate+redis on cpu %s, mock+wrk on cpu %s)"
              % (args.rounds, args.duration, args.connections, proxy_cpu, load_cpu))
        print("| mode | req/s | p50 ms | p99 ms | slotgate CPU µs/req | redis CPU µs/req |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, m in med.items():
            print(f"| {name} | {m['rps']:.0f} | {m['p50_ms']:.3f} | {m['p99_ms']:.3f} | "
                  f"{m['cpu_us_per_req']:.1f} | {m['redis_us_per_req']:.1f} |")
        c, i = med["cluster"], med["in-process"]
        print(f"\ncluster/in-process throughput: {c['rps'] / i['rps']:.2f}x; "
              f"p50 +{(c['p50_ms'] - i['p50_ms']) * 1000:.0f} us")
        return 1 if non2xx_total(results) else 0
    finally:
        stop_all(procs)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
