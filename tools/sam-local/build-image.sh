#!/usr/bin/env bash
# Build the stand-in for Lambda's python3.12 base image without a registry: debootstrap a minimal Debian,
# copy this machine's CPython 3.12 into /var/lang, install awslambdaric and boto3 (the lock's version) into
# /var/runtime, add the bootstrap Lambda's image has, and `docker import` it under the tag SAM looks for.
# Usage: build-image.sh PYTHON3.12 IMAGE_TAG AWSLAMBDARIC_VERSION
set -euo pipefail
python="$1"; image="$2"; ric_version="$3"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/lambda-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mirror="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
mirror="${mirror:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)}"
debootstrap --variant=minbase \
    --include=libssl3,libsqlite3-0,libexpat1,libreadline8,libncursesw6,libnsl2,libgdbm6,libgdbm-compat4,libffi8,libbz2-1.0,liblzma5,ca-certificates \
    bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

prefix="$("$python" -c 'import sys; print(sys.prefix)')"
mkdir -p "$rootfs/var/lang" "$rootfs/var/runtime" "$rootfs/var/task" "$rootfs/opt"
tar -C "$prefix" -c \
    --exclude='lib/python3.12/test' --exclude='lib/python3.12/idlelib' --exclude='lib/python3.12/tkinter' \
    --exclude='lib/python3.12/site-packages' --exclude='lib/python3.12/turtledemo' --exclude='__pycache__' \
    bin include lib | tar -C "$rootfs/var/lang" -x
mkdir -p "$rootfs/var/lang/lib/python3.12/site-packages"
"$python" -m compileall -q "$rootfs/var/lang/lib/python3.12" >/dev/null || true

"$python" -m pip install -qq --disable-pip-version-check --only-binary=:all: --target "$rootfs/var/runtime" \
    -c "$root/requirements.lock" "awslambdaric==$ric_version" boto3

cat >"$rootfs/var/runtime/bootstrap" <<'SH'
#!/bin/sh
export AWS_EXECUTION_ENV=AWS_Lambda_python3.12
exec /var/lang/bin/python3.12 /var/runtime/bootstrap.py "$_HANDLER"
SH
cat >"$rootfs/var/runtime/bootstrap.py" <<'PY'
"""Start awslambdaric on the handler with Lambda's path: the function, the layer, the runtime."""
import os
import sys

sys.path[:0] = ["/var/task", "/opt/python/lib/python3.12/site-packages", "/opt/python", "/var/runtime"]
os.chdir("/var/task")
from awslambdaric.__main__ import main  # noqa: E402

main([sys.argv[0], sys.argv[1]])
PY
cat >"$rootfs/lambda-entrypoint.sh" <<'SH'
#!/bin/sh
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
    exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
SH
chmod +x "$rootfs/var/runtime/bootstrap" "$rootfs/lambda-entrypoint.sh"

tar -C "$rootfs" -c . | docker import \
    --change 'ENV LANG=en_US.UTF-8' --change 'ENV TZ=:/etc/localtime' \
    --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
    --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
    --change 'ENV LAMBDA_TASK_ROOT=/var/task' --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
    --change 'WORKDIR /var/task' --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
    - "$image" >/dev/null
