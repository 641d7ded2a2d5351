#!/usr/bin/env bash
# Run the SAM CLI: `sam` on PATH, else the one tools/sam-local/setup.sh installs in .venv-sam.
# Exits 3 (and says so) when there is none, so callers can skip.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SAM_CLI_TELEMETRY=0
if command -v sam >/dev/null 2>&1; then exec sam "$@"; fi
if [ -x .venv-sam/bin/sam ]; then exec .venv-sam/bin/sam "$@"; fi
echo "no SAM CLI (tools/sam-local/setup.sh installs it into .venv-sam)" >&2
exit 3
