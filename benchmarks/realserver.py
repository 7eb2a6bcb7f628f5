"""Real-server throughput under Debian's wrk, loopback only, bounded in time.

Three servers run side by side: ``bare`` (no middlewares), ``floor`` (as many
no-op middlewares as ``full`` has: what aiohttp itself charges) and ``full``
(the recommended stack of ours). wrk
visits them in interleaved rounds (A B C A B C ...) so that machine drift falls
on all three alike. Reported: the median req/s of each, their ratios, and the
median of each round's own ratio to the floor.
"""

from __future__ import annotations

import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack

from .stack import HEADERS, PATH

STACKS = ("bare", "floor", "full")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(stack: str, stack_exit: ExitStack) -> int:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server", stack, str(port)]
    )
    stack_exit.callback(process.wait, 10)
    stack_exit.callback(process.terminate)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)  # polling a port: the server gives no other signal
    raise RuntimeError(f"benchmark server {stack!r} did not start")


def wrk(port: int, seconds: int) -> float:
    command = ["wrk", "-t1", "-c32", f"-d{seconds}s"]
    for name, value in HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{PATH}")
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk reported errors:\n{out}")
    return float(match.group(1))


def run(rounds: int, seconds: int) -> dict[str, list[float]]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    samples: dict[str, list[float]] = {name: [] for name in STACKS}
    with ExitStack() as servers:
        ports = {name: start(name, servers) for name in STACKS}
        for _ in range(rounds):
            for name in STACKS:
                samples[name].append(wrk(ports[name], seconds))
    return samples


def table(samples: dict[str, list[float]], rounds: int, seconds: int) -> str:
    median = {name: statistics.median(values) for name, values in samples.items()}
    # Each round's ratio compares servers measured seconds apart: the machine's
    # drift between rounds cancels out of it.
    paired = {
        name: statistics.median(
            a / b for a, b in zip(values, samples["floor"], strict=True)
        )
        for name, values in samples.items()
    }
    lines = [
        f"Real server: wrk -t1 -c32, {rounds} interleaved rounds of {seconds}s, "
        "median req/s",
        f"{'stack':<10}{'req/s':>12}{'/ bare':>10}{'/ floor':>10}"
        f"{'/ floor, per round':>22}",
    ]
    for name in STACKS:
        lines.append(
            f"{name:<10}{median[name]:>12,.0f}"
            f"{median[name] / median['bare']:>10.3f}"
            f"{median[name] / median['floor']:>10.3f}"
            f"{paired[name]:>22.3f}"
        )
    return "\n".join(lines)


def main(rounds: int = 10, seconds: int = 2) -> str:
    return table(run(rounds, seconds), rounds, seconds)
