"""Peer 2: Evidently's default data-drift preset (``Report([DataDriftPreset()])``, evidently 0.7.x).

Runs inside ``benchmarks/.venv-evidently`` (created by drift_benchmark.py), never in the project venv.
It reads both CSVs with pandas, declares the 20 numeric and 5 categorical features with a
``DataDefinition`` (the label column is left out, as for the other peers), runs the preset with its
defaults and reads each column's verdict from the ``ValueDrift`` test results of the snapshot.

Usage: ``python benchmarks/peer_evidently.py BASELINE.csv BATCH.csv [--label label]``;
prints one ``BENCH_RESULT {json}`` line (see bench_measure.py).
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd
from bench_measure import emit


def column_verdicts(snapshot) -> tuple[dict[str, dict], int | None]:
    """Per-column drift verdicts from an Evidently 0.7 snapshot, plus the preset's drifted-column count.

    ``DataDriftPreset`` adds a ``DriftedColumnsCount`` metric and one ``ValueDrift(column=...)`` metric
    per column. A ``ValueDrift`` result's ``value`` is the drift score; the method and threshold Evidently
    picked are resolved into the metric's params; with tests included, its single test ("Value Drift for
    column X") has status FAIL exactly when Evidently detected drift in that column.
    """
    verdicts: dict[str, dict] = {}
    drifted_count = None
    for result in snapshot.metric_results.values():
        params = result.metric_value_location.metric.params
        kind = str(params.get("type", ""))
        if kind.endswith(":DriftedColumnsCount"):
            drifted_count = int(result.count.value)
        elif kind.endswith(":ValueDrift"):
            statuses = [t.status.value for t in result.tests if t.id == "drift"]
            verdicts[params["column"]] = {
                "method": params.get("method"),
                "threshold": params.get("threshold"),
                "score": float(result.value),
                "drifted": "FAIL" in statuses,
                "verdict_found": bool(statuses),
            }
    return verdicts, drifted_count


def detect(baseline_path: str, batch_path: str, label: str) -> dict:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    started = time.perf_counter()
    base = pd.read_csv(baseline_path).drop(columns=[label])
    batch = pd.read_csv(batch_path).drop(columns=[label])
    read_seconds = time.perf_counter() - started
    numeric = [c for c in base.columns if pd.api.types.is_numeric_dtype(base[c])]
    categorical = [c for c in base.columns if c not in numeric]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    reference = Dataset.from_pandas(base, data_definition=definition)
    current = Dataset.from_pandas(batch, data_definition=definition)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # include_tests=True only attaches Evidently's own per-column verdict (its "Value Drift" test)
        # to each result; the preset, its methods and thresholds are the defaults.
        snapshot = Report([DataDriftPreset()], include_tests=True).run(current, reference)
    seconds = time.perf_counter() - started
    verdicts, drifted_count = column_verdicts(snapshot)
    drifted = [c for c in base.columns if verdicts.get(c, {}).get("drifted")]
    if drifted_count is not None and drifted_count != len(drifted):
        raise RuntimeError(f"Evidently counted {drifted_count} drifted columns but its tests name {drifted}")
    if len(verdicts) != len(base.columns) or not all(v["verdict_found"] for v in verdicts.values()):
        raise RuntimeError(
            f"no Evidently verdict for some columns: {sorted(set(base.columns) - set(verdicts))}"
        )
    return {
        "seconds": seconds,
        "read_seconds": read_seconds,
        "compute_seconds": seconds - read_seconds,
        "drifted": drifted,
        "evidently_drifted_count": drifted_count,
        "columns": verdicts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Evidently DataDriftPreset (benchmark peer)")
    parser.add_argument("baseline")
    parser.add_argument("batch")
    parser.add_argument("--label", default="label")
    args = parser.parse_args()
    import evidently  # imported before the clock starts, like the other peers' libraries

    result = detect(args.baseline, args.batch, args.label)
    result["versions"] = {"evidently": evidently.__version__, "pandas": pd.__version__}
    emit(result)


if __name__ == "__main__":
    main()
