"""``drift-retrain local demo``: generate the example data and run it through the local cloud.

Small on purpose (a 2-core laptop finishes in a few minutes): 4,000 training rows and batches of 1,000,
enough for the drift tests, the concept test and a retrain (``min_labelled_rows`` is 500). The retrain
also trains the ``recent`` window (off by default: it costs a job) so the demo shows why the rows since
the change win over a window that mixes both concepts.

Then live traffic: five files of 1,000 rows go to the endpoint as requests (labels removed), Data Capture
records them, the labels arrive as ground truth one window (1,000 rows) later, the old default behaviour
comes back in the third file, and a model retrained from the captured rows heals the endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drift_retrain_local.demos.data import LABEL, write_demo_data, write_demo_traffic
from drift_retrain_local.run.batches import Echo
from drift_retrain_local.run.local_run import local_run
from drift_retrain_local.run.output_folder import clear_outputs

__all__ = ["DEMO_BATCH_ROWS", "DEMO_TRAIN_ROWS", "local_demo"]

DEMO_TRAIN_ROWS = 4_000
DEMO_BATCH_ROWS = 1_000
DEMO_TRAFFIC_ROWS = 1_000
#: Settings of the demo on top of the local run's (a monitoring window is one traffic file).
DEMO_SETTINGS = {
    "candidate_strategies": "since_change,newest,recent,registry",
    "monitor_window_rows": DEMO_TRAFFIC_ROWS,
}


def local_demo(out: str | Path, echo: Echo = print, **kwargs: Any) -> dict[str, Any]:
    """Write the demo data under ``<out>/data`` and :func:`~drift_retrain_local.run.local_run.local_run` it."""
    out = Path(out)
    clear_outputs(out, ["data"])  # local_run clears what it writes itself
    train, batches = write_demo_data(out / "data", train_rows=DEMO_TRAIN_ROWS, batch_rows=DEMO_BATCH_ROWS)
    echo(f"Demo data in {out / 'data'}:")
    echo(f"  {train.name}: {DEMO_TRAIN_ROWS:,} labelled rows (label column {LABEL!r})")
    for path, description in batches:
        echo(f"  {path.name}: {description}")
    traffic = write_demo_traffic(out / "data", rows=DEMO_TRAFFIC_ROWS)
    for path, description in traffic:
        echo(f"  {path.name}: {DEMO_TRAFFIC_ROWS:,} requests' rows, {description}")
    settings = {**DEMO_SETTINGS, **(kwargs.pop("settings", None) or {})}
    kwargs.setdefault("traffic", [path for path, _ in traffic])
    return local_run(
        train, [path for path, _ in batches], out, label=LABEL, echo=echo, settings=settings, **kwargs
    )
