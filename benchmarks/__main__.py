"""Run every benchmark and print its table: ``python -m benchmarks [--quick]``.

``--quick`` runs each with a tiny count: the test suite uses it so that the
benchmarks never rot; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import platform

import aiohttp

from . import inprocess, instructions, memory, realserver


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="tiny counts (smoke test)")
    parser.add_argument("--skip-server", action="store_true", help="no wrk rounds")
    parser.add_argument(
        "--skip-instructions", action="store_true", help="no callgrind table"
    )
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
        f"{platform.machine()}, {platform.processor() or platform.system()}"
    )
    tables = []
    if args.quick:
        tables += [inprocess.main(count=50, repeat=1), memory.main(100, 1_000)]
        if not args.skip_server:
            tables.append(realserver.main(rounds=1, seconds=1))
        if not args.skip_instructions:
            rows = [row for row in instructions.ROWS if row.case == "GET"][:2]
            tables.append(instructions.main(small=4, large=8, warmup=4, rows=rows))
    else:
        tables += [inprocess.main(), memory.main()]
        if not args.skip_server:
            tables.append(realserver.main())
        if not args.skip_instructions:
            tables.append(instructions.main())
    for table in tables:
        print()
        print(table)


if __name__ == "__main__":
    main()
