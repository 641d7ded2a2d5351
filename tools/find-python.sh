#!/usr/bin/env bash
# Print the path of a working pythonX.Y: the Lambda runtime's interpreter (template.yaml's Runtime), which
# the dev venv, the layer's .pyc and `sam build` all need. Tries `pythonX.Y` on PATH (a pyenv shim answers
# only when that version is selected, so it is run, not just found), then pyenv's builds, newest first.
set -euo pipefail
want="${1:?usage: tools/find-python.sh 3.12}"
candidates=()
if found="$(command -v "python$want" 2>/dev/null)"; then candidates+=("$found"); fi
for dir in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$want".*/ 2>/dev/null | sort -rV); do
    candidates+=("${dir}bin/python$want")
done
for candidate in "${candidates[@]}"; do
    if path="$("$candidate" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.'))); print(sys.executable)" 2>/dev/null)"; then
        echo "$path"
        exit 0
    fi
done
cat >&2 <<MSG
tools/find-python.sh: no working python$want found (Lambda's runtime in template.yaml is python$want).
  Tried: python$want on PATH, then ${PYENV_ROOT:-$HOME/.pyenv}/versions/$want.*/bin/python$want.
  Install one (e.g. 'pyenv install $want') or name it: make setup PYTHON=/path/to/python$want
MSG
exit 1
