# Two commands matter on a fresh machine (both do their own set-up):
#   make demo   - the main job: the whole service on a local cloud, on example data the project generates
#   make test   - the whole test suite (lint, unit, statistical, functional, static, local cloud, state machine)
#   make test-fast - lint, unit, functional (moto) and static checks: the inner loop (about a minute)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup setup-browser demo test test-fast lint format bench bench-stream diagram aws-smoke clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(wildcard tools/asl-lint/package-lock.json)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@if [ -f tools/asl-lint/package-lock.json ]; then npm ci --prefix tools/asl-lint --no-audit --no-fund --silent; fi
	@touch $@

# Debian's chromium for the browser tests (tests/browser drive it with Playwright; no browser download).
setup-browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests (apt-get)"; \
		(export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
			|| echo "apt-get could not install chromium: the browser tests will say so"; \
	else echo "No /usr/bin/chromium: the browser tests skip (install it as root: apt-get install chromium)"; fi

demo: setup
	$(VENV)/bin/drift-retrain local demo --out out/local-demo

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test: setup setup-browser lint
	$(PY) -m pytest --durations=15

test-fast: setup lint
	$(PY) -m pytest -m "not statistical" tests/unit tests/functional tests/static

# Regenerate docs/state-machine.md from the definition (a static test fails when it is stale).
diagram: setup
	$(PY) scripts/state_diagram.py

bench: setup
	$(PY) benchmarks/drift_benchmark.py

# Prequential stream benchmark through the local service (creates benchmarks/.venv-stream with river on first use).
bench-stream: setup
	$(PY) benchmarks/stream_benchmark.py

# The checks only a real account can run (docs/aws-notes.md): prints the plan, refuses without credentials
# or in CI, and deploys only with CONFIRM=yes (it costs money). Never part of `make test`.
aws-smoke: setup
	bash scripts/aws_smoke.sh

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
