#!/usr/bin/env bash
# Stop the dockerd that tools/sam-local/setup.sh started (by its pid file; a dockerd started otherwise is left alone).
set -euo pipefail
pid_file=/run/drift-retrain-dockerd.pid
[ -f "$pid_file" ] || exit 0
pid="$(cat "$pid_file")"
if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
fi
rm -f "$pid_file"
