#!/usr/bin/env bash
# `make test-sam-local`: every function through `sam local invoke` with its events/ sample, against
# `drift-retrain local serve` (tests/sam_local). Skips, saying why, where Docker cannot run here.
set -euo pipefail
cd "$(dirname "$0")/../.."
skip() { echo "test-sam-local: SKIPPED: $*"; exit 0; }
tools/sam-local/sam.sh --version >/dev/null 2>&1 || skip "no SAM CLI (run tools/sam-local/setup.sh as root)"
docker info >/dev/null 2>&1 || skip "no container engine reachable (run tools/sam-local/setup.sh as root)"
docker image inspect public.ecr.aws/lambda/python:3.12-x86_64 >/dev/null 2>&1 \
    || skip "no python3.12 Lambda image (run tools/sam-local/setup.sh as root)"
exec .venv/bin/python -m pytest tests/sam_local -p no:cacheprovider -rA "$@"
