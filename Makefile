# Two commands matter on a fresh machine (both do their own set-up):
#   make demo   - the main job: the whole service on a local cloud, on example data the project generates
#   make test   - the whole test suite (lint, unit, statistical, functional, static, artifact, local cloud,
#                 state machine; `sam validate --lint` when the SAM CLI is installed)
#   make test-fast - lint, unit, functional (moto) and static checks on both CPUs: the inner loop
#   make layer  - build the layer and the functions exactly as `sam build` lays them out (.aws-sam/build)
#   make test-sam-local - every function through `sam local invoke` against `drift-retrain local serve`
#                 (needs Docker: tools/sam-local/setup.sh as root; skips with a message without it)
#   make lock   - re-resolve requirements.lock and the layer's requirements.txt after a pyproject change
#   make scan   - checkov on template.yaml and on the SAM-transformed template (part of make test): fails on
#                 any finding not fixed or skipped in the template's Metadata with a reason
#
# One interpreter everywhere: the Lambda runtime's (template.yaml Globals.Function.Runtime).
RUNTIME := $(shell sed -n 's/^ *Runtime: python\([0-9.]*\).*/\1/p' template.yaml | head -n 1)
PYTHON ?= $(shell tools/find-python.sh $(RUNTIME))
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
BUILD ?= .aws-sam/build

.PHONY: setup setup-browser scan demo test test-fast lint format lock layer sam-validate test-sam-local bench bench-stream bench-traffic bench-scale diagram config-doc aws-smoke clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK) $(wildcard tools/asl-lint/package-lock.json)
	@test -n "$(PYTHON)" || { echo "make setup: no python$(RUNTIME) (see the message above)"; exit 1; }
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(RUNTIME)".split("."))))'; then \
		echo "$(VENV) is not python$(RUNTIME): recreating it"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@# Every version comes from the lock (the layer installs the same pins: layers/drift_core/requirements.txt).
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(LOCK) -e '.[dev]'
	@if [ -f tools/asl-lint/package-lock.json ]; then npm ci --prefix tools/asl-lint --no-audit --no-fund --silent; fi
	@touch $@

# Debian's chromium for the browser tests (tests/browser drive it with Playwright; no browser download),
# and the pinned Mermaid they draw the state machine graphs with (out/state-machine/).
setup-browser: tools/mermaid/node_modules/.package-lock.json
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests (apt-get)"; \
		(export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
			|| echo "apt-get could not install chromium: the browser tests will say so"; \
	else echo "No /usr/bin/chromium: the browser tests skip (install it as root: apt-get install chromium)"; fi

tools/mermaid/node_modules/.package-lock.json: tools/mermaid/package-lock.json
	npm ci --prefix tools/mermaid --no-audit --no-fund --silent

# The lock is resolved for Lambda's platform (CPython $(RUNTIME), x86_64, manylinux_2_28 = Amazon Linux 2023);
# the layer's requirements are the runtime dependencies' closure at the same versions. Existing pins are
# kept; `make lock LOCK_FLAGS=--upgrade` moves everything to the newest versions pyproject.toml allows.
LOCK_FLAGS ?=
lock: setup
	$(VENV)/bin/uv pip compile tools/checkov/requirements.in --python-version $(RUNTIME) \
		--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" $(LOCK_FLAGS) \
		-o tools/checkov/requirements.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version $(RUNTIME) \
		--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" $(LOCK_FLAGS) -o $(LOCK)
	$(VENV)/bin/uv pip compile pyproject.toml -c $(LOCK) --python-version $(RUNTIME) \
		--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" --no-annotate \
		-o layers/drift_core/requirements.txt

# checkov and the SAM translator live in their own venv: checkov pins boto3/botocore below requirements.lock.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp

$(CHECKOV_STAMP): tools/checkov/requirements.txt
	@test -n "$(PYTHON)" || { echo "make scan: no python$(RUNTIME) (see the message above)"; exit 1; }
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
		-r tools/checkov/requirements.txt
	@touch $@

scan: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/python tools/checkov/scan.py template.yaml

demo: setup
	$(VENV)/bin/drift-retrain local demo --out out/local-demo

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Four workers on two CPUs: a worker running workflows on a local cloud waits part of its time (Lambda
# and SageMaker threads, endpoint transitions, polls), and the extra workers fill those gaps (the whole
# suite, back to back: 330 s with -n 3, 309 s with -n 4; tests/statemachine alone: 211 s with -n 2,
# 165 s with -n 3, 168 s with -n 4). test-fast's tests never wait, so it keeps -n 2.
TEST_WORKERS ?= 4
# pytest keeps each test module's rewritten assertions in __pycache__ unless bytecode writing is off:
# without that cache every worker rewrites all of them on every run (3 s of collection each, measured).
PYTEST_ENV := PYTHONDONTWRITEBYTECODE=

test: setup setup-browser lint sam-validate scan
	$(PYTEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=15 --ignore=tests/sam_local

test-fast: setup lint
	$(PYTEST_ENV) TEST_EXAMPLES_SHARE=0.2 $(PY) -m pytest -n 2 --dist loadscope -m "not statistical" tests/unit tests/functional tests/static

# The layer and every function as `sam build` lays them out, with sizes and the cold import of each handler.
layer: setup
	$(PY) -m drift_retrain_local.stack.artifacts --out $(BUILD) --python "$(PYTHON)"

# `sam validate --lint` when the SAM CLI is installed (tools/sam-local/setup.sh installs it), else a note.
sam-validate:
	@tools/sam-local/sam.sh validate --lint --template template.yaml --region us-east-1 \
		|| { rc=$$?; [ $$rc -eq 3 ] && echo "sam validate --lint: SKIPPED (no SAM CLI; tools/sam-local/setup.sh installs it)" || exit $$rc; }

test-sam-local: setup
	tools/sam-local/test.sh

# Regenerate docs/state-machine.md from the definition (a static test fails when it is stale).
diagram: setup
	$(PY) scripts/state_diagram.py

# Regenerate docs/configuration.md from template.yaml's parameters and the settings schema (a static test
# fails when it is stale).
config-doc: setup
	$(PY) scripts/configuration_doc.py

bench: setup
	$(PY) benchmarks/drift_benchmark.py

# Prequential stream benchmark through the local service (creates benchmarks/.venv-stream with river on first use).
bench-stream: setup
	$(PY) benchmarks/stream_benchmark.py

# The same Agrawal 0 -> 2 stream as labelled batches and as endpoint traffic with late labels (about 3 min)
# A partition on the Distributed Map through the local cloud, and the cost per GB on AWS (64 parts x 64 MB by
# default; PARTS=8 PART_MB=4 for a smoke run).
bench-scale: setup
	$(PY) benchmarks/scale_benchmark.py --parts $(or $(PARTS),64) --part-mb $(or $(PART_MB),64)

bench-traffic: setup
	$(PY) benchmarks/traffic_heal.py

# The checks only a real account can run (docs/aws-notes.md): prints the plan, refuses without credentials
# or in CI, and deploys only with CONFIRM=yes (it costs money). Never part of `make test`.
aws-smoke: setup
	bash scripts/aws_smoke.sh

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) out .pytest_cache .ruff_cache .aws-sam
