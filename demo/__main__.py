"""``python -m demo``: serve the demo page and its API until Ctrl+C."""

from __future__ import annotations

from .app import main

if __name__ == "__main__":
    main()
