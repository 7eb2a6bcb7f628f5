"""Smoke tests: every benchmark runs with a tiny count, so none can rot.

They assert the shape of the output, never a timing.
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks import inprocess, memory, realserver

from .conftest import ROOT, require


def test_inprocess_reports_every_stack_and_case() -> None:
    out = inprocess.main(count=20, repeat=1)
    for name in inprocess.STACKS:
        assert f"\n{name} " in out
    for case in inprocess.CASES:
        assert case in out.splitlines()[1]


def test_memory_reports_growth() -> None:
    out = memory.main(first=50, second=200)
    assert out.startswith("Memory: traced after 50 requests")
    assert "growth" in out


def test_realserver_runs_wrk_against_three_servers() -> None:
    require("wrk", "wrk")
    out = realserver.main(rounds=1, seconds=1)
    for name in realserver.STACKS:
        assert f"\n{name} " in out


def test_make_bench_entry_point_prints_tables() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--skip-server"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "In-process: ns per request" in out
    assert "Memory:" in out
