"""Benchmarks of aiohttp-middlewares: ``make bench`` (``python -m benchmarks``)."""
