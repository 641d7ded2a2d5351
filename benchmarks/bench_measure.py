"""Peak-memory and result plumbing shared by the peer workers (standard library only, so the Evidently
worker can import it from its own virtual environment).

Peak memory is the worker process's own high-water resident set size:

* ``VmHWM`` from ``/proc/self/status`` (Linux). It belongs to the process's current address space, so it
  counts only what this worker touched after ``exec``.
* ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` as a fallback (and recorded alongside). On Linux it also
  carries the parent's high-water mark across ``fork``/``exec``, which is why it is not the headline.

Both include the interpreter and the imported libraries: that is what a real run needs.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

#: Workers print their result as one line starting with this marker (libraries may print too).
RESULT_MARKER = "BENCH_RESULT "


def _vm_hwm_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _ru_maxrss_mb() -> float:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return value / (1024.0 * 1024.0) if sys.platform == "darwin" else value / 1024.0


def peak_memory() -> dict[str, Any]:
    hwm = _vm_hwm_mb()
    maxrss = _ru_maxrss_mb()
    return {
        "peak_mb": round(hwm if hwm is not None else maxrss, 1),
        "peak_source": "VmHWM" if hwm is not None else "ru_maxrss",
        "ru_maxrss_mb": round(maxrss, 1),
    }


def emit(result: dict[str, Any]) -> None:
    """Print the worker's result for the orchestrator (peak memory is read last, after all the work)."""
    result.update(peak_memory())
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
