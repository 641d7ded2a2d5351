"""The training manifest: exactly which batches went into which candidate, and what was left out and why.

Written to ``training/<execution>/manifest.json`` by PrepareTrainingData; the lineage record links it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from drift_retrain.aws import storage
from drift_retrain.engine.profile import time_order_of

if TYPE_CHECKING:
    from drift_retrain.workflow.prepare_training_data.retrain_run import Retrain
    from drift_retrain.workflow.prepare_training_data.window_reading import Window, WindowReader

__all__ = ["manifest"]


def manifest(
    retrain: Retrain,
    strategies: list[str],
    windows: dict[str, Window],
    items: list[dict[str, Any]],
    dropped: list[dict[str, str]],
    reader: WindowReader,
    split: dict[str, Any],
    hyperparameters: dict[str, str],
) -> dict[str, Any]:
    """Exactly which batches went into which candidate, and which were left out and why."""
    settings, bucket = retrain.settings, retrain.settings.bucket
    skipped = [s for w in windows.values() for s in w.skipped]
    skipped += [{"key": key, "reason": reason} for key, reason in reader.unusable.items()]
    primary = items[0]
    return {
        "execution_name": retrain.execution_name,
        "execution_arn": retrain.execution_arn,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bootstrap": retrain.bootstrap,
        "trigger": {
            k: retrain.trigger.get(k)
            for k in (
                "report",
                "reasons",
                "drifted_features",
                "concept_drift",
                "performance_gap",
                "kind",
                "challenger_signal",
            )
        },
        "schema": retrain.schema.to_dict(),
        # what orders each batch's rows in time; the held-out rows are the newest by it
        "time_order": time_order_of(retrain.schema),
        "baseline_profile": None
        if retrain.champion is None
        else storage.s3_uri(bucket, settings.profile_key),
        "strategies": strategies,
        "window_strategy": primary["strategy"],
        "window_ended": primary["window_ended"],
        # with registry candidates alone, the batches that held the test rows
        "batches": [
            _batch_entry(retrain, reader, key)
            for key in primary["batches"] or next(iter(windows.values())).keys
        ],
        "candidates": [
            {
                k: item.get(k)
                for k in (
                    "id",
                    "strategy",
                    "algorithm",
                    "batches",
                    "rows",
                    "previous_rows",
                    "window_ended",
                    "source_model",
                )
            }
            for item in items
        ],
        "dropped_candidates": dropped,
        "skipped": list({s["key"]: s for s in skipped}.values()),
        "split": split,
        "window": {
            "candidates": list(settings.window.candidates),
            "since_change_max_batches": settings.window.since_change_max_batches,
            "max_batches": settings.window.max_batches,
            "max_rows": settings.window.max_rows,
            "previous_data_share": settings.window.previous_data_share,
            "registry_candidates": settings.window.registry_candidates,
            "test_share": settings.window.test_share,
            "validation_share": settings.window.validation_share,
        },
        "hyperparameters": hyperparameters,
        "names": retrain.names.to_dict(),
    }


def _batch_entry(retrain: Retrain, reader: WindowReader, key: str) -> dict[str, Any]:
    frame = reader.frames.get(key)
    if key == retrain.batch["key"]:
        return {**retrain.batch, "labelled_rows": 0 if frame is None else len(frame), "trigger": True}
    return {
        "bucket": retrain.settings.bucket,
        "key": key,
        "etag": reader.etags.get(key, ""),
        "labelled_rows": 0 if frame is None else len(frame),
    }
