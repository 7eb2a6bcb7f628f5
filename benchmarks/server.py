"""A benchmark server: ``python -m benchmarks.server STACK PORT``.

It prints ``listening`` once it accepts connections and stops on SIGINT.
"""

from __future__ import annotations

import sys

from aiohttp import web

from .stack import make_app


def main() -> None:
    stack, port = sys.argv[1], int(sys.argv[2])
    web.run_app(
        make_app(stack),
        host="127.0.0.1",
        port=port,
        print=lambda _: print("listening", flush=True),
        access_log=None,
    )


if __name__ == "__main__":
    main()
