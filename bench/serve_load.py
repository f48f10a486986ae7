"""A bounded load test of `jixiao serve` on the loopback address: single evaluations of the
founding case (JSON), a fixed number of requests from a few keep-alive clients, with 1 and 2
uvicorn workers. Prints requests per second and p50/p99 latency; asserts nothing about time.

    .venv/bin/python bench/serve_load.py [--requests 400] [--clients 4] [--workers 1 2]

Each run starts its own server on a free port, with a copy of rules/ and a fresh SQLite
decision log in a temporary folder (so every request is also a logged decision), and stops it.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = (ROOT / "evidence" / "video-conference-2017.yaml").read_bytes()
PATH = "/v1/packs/video-conference-2017/eval?name=evidence.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(workers: int, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    packs = folder / "packs"
    shutil.copytree(ROOT / "rules", packs)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jixiao.engine.cli",
        "serve",
        "--packs",
        str(packs),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--max-in-flight",
        "64",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def client(port: int, count: int, out: list[float], failures: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/yaml"}
    for _ in range(count):
        started = time.perf_counter()
        conn.request("POST", PATH, body=EVIDENCE, headers=headers)
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - started)
        if response.status != 200:
            failures.append(response.status)


def run(workers: int, requests: int, clients: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        server, port = start(workers, Path(tmp))
        try:
            client(port, 10 * workers, [], [])  # warm up: the packs are checked at start
            latencies: list[float] = []
            failures: list[int] = []
            per = requests // clients
            threads = [
                threading.Thread(target=client, args=(port, per, latencies, failures))
                for _ in range(clients)
            ]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - began
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    latencies.sort()
    return {
        "workers": workers,
        "requests": len(latencies),
        "failed": len(failures),
        "rps": len(latencies) / took,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; {args.requests} requests from {args.clients} clients")
    print("workers  requests  failed  req/s   p50 ms  p99 ms")
    for workers in args.workers:
        r = run(workers, args.requests, args.clients)
        print(
            f"{r['workers']:>7}  {r['requests']:>8}  {r['failed']:>6}  {r['rps']:>5.1f}  "
            f"{r['p50_ms']:>7.1f}  {r['p99_ms']:>6.1f}"
        )


if __name__ == "__main__":
    main()
