#!/usr/bin/env bash
# Everything `sam local invoke` needs on this machine kind, without a container registry (see
# docs/deployment.md, section 11): Debian's docker.io with a plain dockerd, a locally built stand-in for Lambda's
# python3.12 base image, and the SAM CLI in .venv-sam. Each step is skipped when already done.
#
# Needs root (apt-get, dockerd). Prints one line per step with its duration. The stand-in image is
# Debian bookworm (glibc 2.36) with the machine's CPython 3.12 and awslambdaric, tagged as the image SAM
# looks for: it runs our code as Lambda does, but it is not Amazon Linux 2023.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=tools/sam-local
IMAGE="public.ecr.aws/lambda/python:3.12-x86_64"
SAM_VERSION=1.170.0
AWSLAMBDARIC_VERSION=4.2.2
DOCKERD_PID=/run/drift-retrain-dockerd.pid
DOCKERD_LOG=/tmp/drift-retrain-dockerd.log

step() { printf '%-56s' "$1"; }
done_in() { echo "$(( $(date +%s) - $1 )) s${2:+ ($2)}"; }

if [ "$(id -u)" != 0 ]; then
    echo "tools/sam-local/setup.sh needs root (apt-get, dockerd)" >&2
    exit 1
fi

started=$(date +%s); step "packages (docker.io, debootstrap)"
if command -v dockerd >/dev/null && command -v debootstrap >/dev/null; then done_in "$started" "present"; else
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
    done_in "$started"
fi

started=$(date +%s); step "container engine (dockerd)"
if docker info >/dev/null 2>&1; then done_in "$started" "running"; else
    dockerd >"$DOCKERD_LOG" 2>&1 &
    echo $! >"$DOCKERD_PID"
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    if ! docker info >/dev/null 2>&1; then
        echo "dockerd did not start (log: $DOCKERD_LOG):" >&2; tail -20 "$DOCKERD_LOG" >&2; exit 2
    fi
    done_in "$started" "pid $(cat "$DOCKERD_PID"), stop with tools/sam-local/stop-engine.sh"
fi

started=$(date +%s); step "stand-in image $IMAGE"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then done_in "$started" "present"; else
    python="$(tools/find-python.sh 3.12)"
    "$HERE/build-image.sh" "$python" "$IMAGE" "$AWSLAMBDARIC_VERSION"
    done_in "$started"
fi

started=$(date +%s); step "SAM CLI $SAM_VERSION (.venv-sam)"
if [ -x .venv-sam/bin/sam ] && .venv-sam/bin/sam --version | grep -q "$SAM_VERSION"; then done_in "$started" "present"; else
    "$(tools/find-python.sh 3.12)" -m venv .venv-sam
    .venv-sam/bin/python -m pip install -qq --disable-pip-version-check "aws-sam-cli==$SAM_VERSION"
    done_in "$started"
fi
