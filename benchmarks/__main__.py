"""Run every benchmark and print its table: ``python -m benchmarks [--quick]``.

``--quick`` runs each with a tiny count: the test suite uses it so that the
benchmarks never rot; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import platform

import aiohttp

from . import inprocess, memory, realserver


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="tiny counts (smoke test)")
    parser.add_argument("--skip-server", action="store_true", help="no wrk rounds")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
        f"{platform.machine()}, {platform.processor() or platform.system()}"
    )
    print()
    if args.quick:
        print(inprocess.main(count=50, repeat=1))
        print()
        print(memory.main(first=100, second=1_000))
        if not args.skip_server:
            print()
            print(realserver.main(rounds=1, seconds=1))
        return
    print(inprocess.main())
    print()
    print(memory.main())
    if not args.skip_server:
        print()
        print(realserver.main())


if __name__ == "__main__":
    main()
