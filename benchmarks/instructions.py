"""Instructions per request of a real aiohttp server, counted by callgrind.

Timings on shared virtual machines drift by tens of percent from one minute to
the next; the number of instructions a process runs for the same work does
not. Each row starts ``python -m benchmarks.server STACK PORT`` under
``valgrind --tool=callgrind --instr-atstart=no``, sends warm-up requests,
switches counting on (``callgrind_control -i on``), sends *count* requests over
four keep-alive connections and stops the server. Two such runs with different
counts give the cost of one request, with start-up and shutdown cancelled
out: ``(I(large) - I(small)) / (large - small)``.

Run ``python -m benchmarks.instructions`` (``make bench`` does, after the
other tables), or ``--dry-run`` to check every row's server and answers
without valgrind, in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import stack as config

CONNECTIONS = 4
CORS_STACKS = frozenset({"cors", "cors-check", "aiohttp-cors", "full"})
REQUEST_ID_STACKS = frozenset({"request-id", "uuid.uuid4", "full"})
CASES = {
    "GET": ("GET", config.HEADERS),
    "preflight": ("OPTIONS", config.PREFLIGHT_HEADERS),
    "PUT": ("PUT", config.HEADERS),
}


@dataclass(frozen=True)
class Row:
    """One measured server: a stack and one kind of request, answered 200."""

    stack: str
    case: str
    #: The row that does the same job with our middleware, for the ratio.
    versus: str = ""


ROWS = (
    Row("bare", "GET"),
    Row("noop", "GET"),
    Row("floor", "GET"),
    Row("cors", "GET"),
    Row("aiohttp-cors", "GET", versus="cors"),
    Row("cors-check", "GET"),
    Row("error", "GET"),
    Row("https", "GET"),
    Row("proxy", "GET"),
    Row("XForwardedRelaxed", "GET", versus="proxy"),
    Row("timeout", "GET"),
    Row("timeout-limits", "GET"),
    Row("asyncio.timeout", "GET", versus="timeout"),
    Row("request-id", "GET"),
    Row("uuid.uuid4", "GET", versus="request-id"),
    Row("full", "GET"),
    Row("bare", "preflight"),
    Row("cors", "preflight"),
    Row("aiohttp-cors", "preflight", versus="cors"),
    Row("cors-check", "preflight"),
    Row("full", "preflight"),
    Row("bare", "PUT"),
    Row("shield", "PUT"),
    Row("asyncio.shield", "PUT", versus="shield"),
    Row("full", "PUT"),
)


def request_bytes(case: str) -> bytes:
    method, headers = CASES[case]
    lines = [f"{method} {config.PATH} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if method == "PUT":
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


_ALLOWED = f"\r\nAccess-Control-Allow-Origin: {config.ORIGIN}\r\n".encode().lower()
# A fresh id, since the benchmark requests bring none.
_NEW_ID = re.compile(rb"\r\nX-Request-ID: [0-9a-f]{32}\r\n", re.IGNORECASE)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> tuple[int, bool, bool]:
    writer.write(data)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"\r\nContent-Length: (\d+)", head, re.IGNORECASE)
    if length is None:
        raise RuntimeError(f"answer without Content-Length: {head!r}")
    await reader.readexactly(int(length.group(1)))
    return status, _ALLOWED in head.lower(), _NEW_ID.search(head) is not None


async def load(port: int, case: str, count: int) -> set[tuple[int, bool, bool]]:
    """Send *count* requests over keep-alive connections.

    :return: The answers' statuses, each with whether it allowed our origin
        and whether it carried a new request id.
    """
    data = request_bytes(case)
    statuses: set[tuple[int, bool, bool]] = set()

    async def connection(share: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(share):
                statuses.add(await _exchange(reader, writer, data))
        finally:
            writer.close()
            await writer.wait_closed()

    shares = [
        count // CONNECTIONS + (i < count % CONNECTIONS) for i in range(CONNECTIONS)
    ]
    await asyncio.gather(*(connection(share) for share in shares if share))
    return statuses


def _server_command(row: Row, port: int) -> list[str]:
    return [sys.executable, "-m", "benchmarks.server", row.stack, str(port)]


def _start(command: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        # Random string hashes would move dict and set layouts from run to
        # run, and their instruction counts with them.
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert process.stdout is not None
    # benchmarks.server prints one line once it listens: the event we wait for.
    line = process.stdout.readline()
    if not line.startswith("listening"):
        process.kill()
        raise RuntimeError(f"{' '.join(command)} did not start: {line!r}")
    return process


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)  # run_app shuts down cleanly on SIGINT
    if process.wait(timeout=120) != 0:
        raise RuntimeError(f"server exited with {process.returncode}")


def _check(row: Row, answers: set[tuple[int, bool, bool]]) -> None:
    # A CORS stack that stopped granting the origin, or a request id stack
    # that stopped sending ids, would be measured cheap.
    expected = {(200, row.stack in CORS_STACKS, row.stack in REQUEST_ID_STACKS)}
    if answers != expected:
        raise RuntimeError(f"{row}: answered {sorted(answers)}, not {expected}")


def count_instructions(row: Row, count: int, warmup: int) -> int:
    """Run one server under callgrind; return the instructions it counted."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        port = _free_port()
        process = _start(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                *_server_command(row, port),
            ]
        )
        try:
            _check(row, asyncio.run(load(port, row.case, warmup)))
            subprocess.run(
                ["callgrind_control", "-i", "on", str(process.pid)],
                check=True,
                capture_output=True,
                timeout=60,
            )
            _check(row, asyncio.run(load(port, row.case, count)))
        finally:
            _stop(process)
        match = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no totals in {out}")
        return int(match.group(1))


def per_request(row: Row, small: int, large: int, warmup: int) -> float:
    low = count_instructions(row, small, warmup)
    high = count_instructions(row, large, warmup)
    return (high - low) / (large - small)


def dry_run(row: Row, count: int = 8) -> None:
    """Check one row's server and answers, natively, without valgrind."""
    port = _free_port()
    process = _start(_server_command(row, port))
    try:
        _check(row, asyncio.run(load(port, row.case, count)))
    finally:
        _stop(process)


def table(results: dict[Row, float], small: int, large: int) -> str:
    base = {row.case: cost for row, cost in results.items() if row.stack == "bare"}
    floor = next((cost for row, cost in results.items() if row.stack == "floor"), None)
    ours = {(row.stack, row.case): cost for row, cost in results.items()}
    lines = [
        "Real server, instructions per request (callgrind; "
        f"{large:,} - {small:,} requests over {CONNECTIONS} keep-alive connections)",
        f"{'stack':<20}{'case':<11}{'instructions':>14}{'above bare':>12}"
        f"{'peer / ours':>13}",
    ]
    for row, cost in results.items():
        above = cost - base[row.case]
        peer = ""
        if row.versus:
            mine = ours[row.versus, row.case] - base[row.case]
            peer = f"{above / mine:.2f}x"
        lines.append(
            f"{row.stack:<20}{row.case:<11}{cost:>14,.0f}{above:>12,.0f}{peer:>13}"
        )
    if floor is not None and ("full", "GET") in ours:
        lines.append(
            f"full GET above the floor (as many no-op middlewares): "
            f"{ours['full', 'GET'] - floor:,.0f}"
        )
    return "\n".join(lines)


def main(
    small: int = 1_000,
    large: int = 5_000,
    warmup: int = 500,
    rows: list[Row] | None = None,
    jobs: int = 2,
) -> str:
    if shutil.which("valgrind") is None:
        raise RuntimeError("valgrind is not installed: apt-get install valgrind")
    rows = list(ROWS) if rows is None else rows
    with ThreadPoolExecutor(jobs) as pool:
        costs = list(pool.map(lambda r: per_request(r, small, large, warmup), rows))
    return table(dict(zip(rows, costs, strict=True)), small, large)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions")
    parser.add_argument("--quick", action="store_true", help="tiny counts (smoke)")
    parser.add_argument("--dry-run", action="store_true", help="no valgrind")
    parser.add_argument("--only", help="comma-separated stacks (bare always runs)")
    parser.add_argument("--cases", help="comma-separated cases (GET, preflight, PUT)")
    parser.add_argument("--jobs", type=int, default=2, help="servers at once")
    return parser.parse_args()


def _selected(args: argparse.Namespace) -> list[Row]:
    stacks = {"bare", *args.only.split(",")} if args.only else None
    cases = set(args.cases.split(",")) if args.cases else None
    return [
        row
        for row in ROWS
        if (stacks is None or row.stack in stacks)
        and (cases is None or row.case in cases)
    ]


if __name__ == "__main__":
    args = _parse()
    rows = _selected(args)
    if args.dry_run:
        for row in rows:
            dry_run(row)
            print(f"{row.stack} {row.case}: ok")
    elif args.quick:
        print(main(small=4, large=8, warmup=4, rows=rows, jobs=args.jobs))
    else:
        print(main(rows=rows, jobs=args.jobs))
