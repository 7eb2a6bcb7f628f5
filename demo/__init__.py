"""The demo of ``make demo``: the recommended middlewares at work in a browser.

Run it with ``python -m demo``; :mod:`demo.app` holds the applications.
"""
