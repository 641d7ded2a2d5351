"""``drift-retrain demo``: the drift checks alone on generated data, in seconds, with no cloud.

It trains a champion the way the built-in algorithm would (label-first numeric matrix,
``binary:logistic``), profiles its training data with its holdout error, and checks each example batch,
printing and saving the reports. ``drift-retrain local demo`` runs the whole service instead.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from drift_retrain import strict_json
from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.metric_names import ERROR_RATE
from drift_retrain.engine.performance import HoldoutPerformance, encode_labels, prediction_losses
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.reading import read_csv
from drift_retrain.engine.report import DriftReport, render_text
from drift_retrain.engine.schema import infer_schema
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.reports.formatting import fmt_metric, metric_label
from drift_retrain_local.demos.data import LABEL, write_demo_data
from drift_retrain_local.run.output_folder import CHECK_DEMO_OUTPUTS, clear_outputs

HYPERPARAMETERS = {"objective": "binary:logistic", "max_depth": 5, "eta": 0.2, "eval_metric": "logloss"}
NUM_ROUND = 60


def run_demo(out: str | Path, *, echo=print) -> list[dict]:
    """Generate data, train and profile a champion, check every batch; returns one summary row per batch."""
    import xgboost  # local: only the demo trains models in-process

    out = Path(out)
    clear_outputs(out, CHECK_DEMO_OUTPUTS)  # no report of an earlier run left beside this run's
    started = time.perf_counter()
    echo(f"[1/4] generating example data in {out / 'data'}")
    train_path, batches = write_demo_data(out / "data")
    training = read_csv(train_path, label=LABEL).frame
    schema = infer_schema(training, label=LABEL)
    order = np.random.default_rng(0).permutation(len(training))
    cut = int(len(training) * 0.8)
    fit_rows, holdout_rows = training.iloc[np.sort(order[:cut])], training.iloc[np.sort(order[cut:])]

    echo(f"[2/4] training the champion (XGBoost, {NUM_ROUND} rounds) on {len(fit_rows):,} rows")
    encoder = FeatureEncoder.fit(fit_rows, schema)
    matrix = xgboost.DMatrix(
        encoder.transform(fit_rows), label=encode_labels(fit_rows[LABEL], schema.classes)
    )
    booster = xgboost.train(HYPERPARAMETERS, matrix, num_boost_round=NUM_ROUND)

    def predictor(frame: pd.DataFrame) -> np.ndarray:
        return booster.predict(xgboost.DMatrix(encoder.transform(frame)))

    holdout_losses = prediction_losses(
        schema.task, holdout_rows[LABEL].to_numpy(), predictor(holdout_rows), schema.classes
    )
    holdout = HoldoutPerformance.from_losses(schema.task, holdout_losses)
    echo(f"      holdout error rate {holdout.value:.3f} on {holdout.rows:,} rows")

    echo("[3/4] building the baseline profile")
    profile = build_profile(
        fit_rows,
        schema,
        holdout=holdout,
        holdout_rows=holdout_rows,
        holdout_losses=holdout_losses,
        metadata={"model_name": "demo-champion"},
    )
    profile_path = profile.save(out / "profile")
    echo(f"      {profile_path} ({profile_path.stat().st_size / 1e3:.0f} kB)")

    echo(f"[4/4] checking {len(batches)} batches")
    config = DriftConfig()
    summary = []
    (out / "reports").mkdir(parents=True, exist_ok=True)
    for path, description in batches:
        batch_id = path.stem
        try:
            report = run_check(path, profile, config, predictor=predictor, batch_id=batch_id)
        except InvalidBatchError as error:
            report = DriftReport.invalid(error, config, batch_id=batch_id, source=str(path))
        data = report.to_dict()
        strict_json.write_file(out / "reports" / f"{batch_id}.json", data)
        echo("")
        echo(f"--- {path.name}: {description}")
        echo(render_text(data))
        summary.append(_summary_row(path.name, data))
    echo("")
    echo(_summary_table(summary))
    echo(f"\nreports in {out / 'reports'}; finished in {time.perf_counter() - started:.1f} s")
    return summary


def _summary_row(name: str, report: dict) -> dict:
    concept = report["concept_drift"]
    if report["status"] != "ok":
        outcome = "quarantine"
    elif report["retrain"]:
        outcome = "retrain"
    elif report["alert"]:
        outcome = "alert"
    else:
        outcome = "no drift"
    return {
        "file": name,
        "outcome": outcome,
        "drifted_features": report["drifted_features"],
        "concept_drift": bool(concept.get("detected")),
        "error": concept.get("error"),
        "metric": concept.get("metric"),
        "detail": report["error"]
        or "; ".join(report["retrain_reasons"])
        or report.get("retrain_blocked_by")
        or "",
    }


def _summary_table(rows: list[dict]) -> str:
    """One line per batch; the last column is the champion's error in the reports' metric, named once."""
    metric = next((row["metric"] for row in rows if row["metric"]), ERROR_RATE)
    label = metric_label(metric)
    lines = [f"{'batch':<42} {'outcome':<11} {'drifted':>7} {'concept':>8} {label:>10}"]
    for row in rows:
        error = "" if row["error"] is None else fmt_metric(row["error"], metric)
        lines.append(
            f"{row['file']:<42} {row['outcome']:<11} {len(row['drifted_features']):>7} "
            f"{'yes' if row['concept_drift'] else 'no':>8} {error:>10}"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    run_demo(sys.argv[1] if len(sys.argv) > 1 else "out/demo")
