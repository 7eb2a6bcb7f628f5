"""Smoke tests: every benchmark runs with a tiny count, so none can rot.

Each runs ``python -m benchmarks ...`` as ``make bench`` does, in a process of
its own, and asserts the shape of what it prints, never a timing. The tests
never import the benchmarks: these are a program of their own, whose only
interface is their command line.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .helpers import ROOT, require

pytestmark = pytest.mark.bench

# The in-process table's stacks and cases, as benchmarks/inprocess.py has them.
INPROCESS_STACKS = (
    "bare",
    "request-id",
    "proxy",
    "cors",
    "error",
    "https",
    "timeout",
    "shield",
    "full",
)
INPROCESS_CASES = ("GET", "POST", "preflight")


def run(module: str, *args: str) -> str:
    """Run ``python -m <module> <args>`` in the checkout; return what it printed."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout


def table(out: str, title: str) -> list[str]:
    """The lines of the table of *out* whose first line starts with *title*."""
    blocks = [block.splitlines() for block in out.split("\n\n")]
    [lines] = [block for block in blocks if block and block[0].startswith(title)]
    return lines


@pytest.fixture(scope="module")
def quick() -> str:
    """What ``python -m benchmarks --quick`` prints without wrk and valgrind."""
    return run("benchmarks", "--quick", "--skip-server", "--skip-instructions")


def test_inprocess_reports_every_stack_and_case(quick: str) -> None:
    _, header, *rows = table(quick, "In-process: ns per request")
    assert header.split() == ["stack", *INPROCESS_CASES]
    assert [row.split()[0] for row in rows] == list(INPROCESS_STACKS)


def test_memory_reports_growth_and_no_task_left(quick: str) -> None:
    [line] = table(quick, "Memory:")
    assert line.startswith("Memory: traced after 100 requests")
    assert "growth" in line
    assert line.endswith("tasks still alive: 0")


def test_realserver_runs_wrk_against_three_servers() -> None:
    require("wrk", "wrk")
    out = run("benchmarks", "--quick", "--skip-instructions")
    _, _, *rows = table(out, "Real server: wrk")
    assert [row.split()[0] for row in rows] == ["bare", "floor", "full"]


def test_instructions_dry_run_checks_every_server() -> None:
    lines = run("benchmarks.instructions", "--dry-run").splitlines()
    assert all(re.fullmatch(r"\S+ (GET|preflight|PUT): ok", line) for line in lines)
    rows = {line.removesuffix(": ok") for line in lines}
    assert {"bare GET", "full GET", "full preflight", "full PUT"} <= rows


def test_instructions_counts_one_row_under_valgrind() -> None:
    require("valgrind", "valgrind")
    out = run("benchmarks.instructions", "--quick", "--only", "noop", "--cases", "GET")
    _, header, *rows = table(out, "Real server, instructions per request")
    assert header.split()[:3] == ["stack", "case", "instructions"]
    assert [row.split()[:2] for row in rows] == [["bare", "GET"], ["noop", "GET"]]
    noop_above_bare = int(rows[1].split()[3].replace(",", ""))
    assert noop_above_bare > 0
