# Every target sets itself up: a fresh Debian machine with Python 3.11, pip and
# apt is enough. Re-running on a set-up machine starts working within seconds.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# Debian packages the browser, proxy, load and instruction-count tests drive.
APT_PACKAGES := chromium nginx-light wrk valgrind

# The oldest versions pyproject.toml admits: test-min keeps that promise true.
# aiosignal is held at the release aiohttp 3.11.0 came out with: the type hints
# of aiosignal 1.4 no longer fit aiohttp 3.11.0's signals (mypy refuses
# app.on_shutdown.append(...) for any coroutine there), whoever the caller is.
MIN_PINS := aiohttp==3.11.0 yarl==1.17.0 aiosignal==1.3.1
MIN_VENV := .venv-min

.PHONY: all test test-min test-pythons lint format typecheck pytest docs bench demo demo-screenshot system-deps clean

all: test

# Debian's python3 needs python3-venv for `-m venv`; install it when we may.
$(BIN)/python:
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; } || true
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev,bench]'
	touch $@

# Installs the Debian packages that are missing, when we may (root). Elsewhere
# the tests that need them skip with a message saying what to install (in CI,
# CI=true, they fail instead).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	command -v valgrind >/dev/null 2>&1 || missing="$$missing valgrind"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Not root: install$$missing yourself to run the browser and nginx tests"; \
		fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) system-deps
	$(BIN)/pytest

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

test: lint typecheck pytest docs

# The suite (browser tests aside, they need nothing version-specific) and the
# type check of the package, its tests and the docs examples, against the
# minimum aiohttp and yarl.
test-min: | $(BIN)/python
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet $(MIN_PINS) --editable '.[test]'
	$(MIN_VENV)/bin/mypy --cache-dir .mypy_cache/min aiohttp_middlewares tests docs/examples
	$(MIN_VENV)/bin/python -m pytest -q -p no:cacheprovider --no-cov \
		-m "not browser and not bench and not package" --ignore=tests/test_demo.py

# The suite on every CPython that pyproject.toml claims, each in its own venv:
# one summary line per version; an absent or failing version fails the target.
test-pythons: $(STAMP) system-deps
	$(BIN)/python .ci/pythons.py

bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks

demo: $(STAMP)
	$(BIN)/python -m demo

demo-screenshot: $(STAMP) system-deps
	$(BIN)/python -m demo --screenshot docs/_static/demo.png

clean:
	rm -rf $(VENV) $(MIN_VENV) .venv-py* .coverage .coverage.* htmlcov .pytest_cache .mypy_cache .ruff_cache .hypothesis docs/_build dist build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
