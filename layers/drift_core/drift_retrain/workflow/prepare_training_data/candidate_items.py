"""The candidates of one retrain as the Map state receives them: windows, held-out rows, files, names.

``candidates`` decides which strategies run; this module reads each window's rows, holds out the shared
test rows once, writes each trained candidate's channels and each registry model's scoring input, and
describes every candidate as one Map item.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.engine.policy import REFRESH
from drift_retrain.workflow.prepare_training_data.candidates import (
    BOOTSTRAP_WINDOWS,
    TRAINED,
    candidate_names,
    registry_models,
)
from drift_retrain.workflow.prepare_training_data.retrain_run import Retrain
from drift_retrain.workflow.prepare_training_data.window import (
    fit_rows,
    hold_out,
    newest_rows,
    sample_previous,
)
from drift_retrain.workflow.prepare_training_data.window_reading import (
    Window,
    WindowReader,
    labelled,
    stream_csv,
)
from drift_retrain.workflow.shared.algorithms import XGBOOST, algorithm_fields
from drift_retrain.workflow.shared.exceptions import NotEnoughTrainingDataError

__all__ = ["previous_sample", "registry_items", "trained_items", "windows_for"]

_SEED_WINDOWS = {
    1.0: "first model: all of the seed data",
    0.5: "first model: the newest half of the seed data",
    0.25: "first model: the newest quarter of the seed data",
}


def windows_for(retrain: Retrain, reader: WindowReader, strategies: list[str]) -> dict[str, Window]:
    """The batches of each strategy that trains (``registry`` trains nothing)."""
    key = retrain.batch["key"]
    if retrain.bootstrap:
        return {
            name: Window(name, [key], _SEED_WINDOWS[share], newest_share=share)
            for name, share in BOOTSTRAP_WINDOWS.items()
            if name in strategies
        }
    windows: dict[str, Window] = {}
    for strategy in strategies:
        if strategy == "since_change":
            windows[strategy] = reader.since_change(
                key, retrain.champion, retrain.settings.drift, refresh=retrain.trigger.get("kind") == REFRESH
            )
        elif strategy == "newest":
            windows[strategy] = Window(strategy, [key], "the triggering batch only: the freshest rows")
        elif strategy in ("recent", "recent_plus_previous"):
            window = reader.recent(key)
            windows[strategy] = Window(strategy, window.keys, window.ended)
    return windows


def previous_sample(retrain: Retrain) -> pd.DataFrame | None:
    """A share of the champion's training rows (the ``recent_plus_previous`` candidate only).

    Streamed and sampled to ``WINDOW_MAX_ROWS`` rows first, like every window batch (flat memory).
    """
    ref = (retrain.champion.metadata.get("training_data") if retrain.champion else None) or None
    share = retrain.settings.window.previous_data_share
    if not ref or share <= 0:
        return None
    table = stream_csv(
        retrain.s3,
        ObjectRef(ref["bucket"], ref["key"]),
        retrain.settings.limits,
        schema=retrain.schema,
        max_rows=retrain.settings.window.max_rows,
        seed=retrain.seed,
    )
    rows = labelled(table.frame, retrain.schema.label)
    return sample_previous(rows, share, retrain.seed)


def trained_items(
    retrain: Retrain,
    reader: WindowReader,
    windows: dict[str, Window],
    trigger_frame: pd.DataFrame,
    registry_follows: bool,
) -> tuple[list[dict[str, Any]], pd.DataFrame, dict[str, Any], list[dict[str, str]]]:
    """Hold out the test rows from the first window, then write every trained candidate's channels.

    A window too small to train on (after the held-out rows) is left out; when even the first is, only
    registry candidates remain (``registry_follows``), judged on the same newest rows.
    """
    settings = retrain.settings.window
    rows = {name: reader.rows(window, trigger_frame) for name, window in windows.items()}
    primary = next(iter(rows))
    items: list[dict[str, Any]] = []
    dropped: list[dict[str, str]] = []
    try:
        held = hold_out(rows[primary], settings)
    except NotEnoughTrainingDataError as exc:
        if not registry_follows:
            raise
        # Too small to train on, but earlier models can still be judged on the newest rows.
        held = hold_out(rows[primary], settings, need_training_rows=False)
        dropped = [{"strategy": name, "reason": str(exc)} for name in windows]
        return (
            items,
            held.test,
            {"test": len(held.test), "test_from": held.sources, "seed": retrain.seed},
            dropped,
        )
    seen: dict[tuple, str] = {}
    for name, window in windows.items():
        previous = previous_sample(retrain) if name == "recent_plus_previous" else None
        identity = (tuple(k for k, _ in rows[name]), previous is not None, window.newest_share)
        if identity in seen:
            dropped.append({"strategy": name, "reason": f"the same rows as {seen[identity]}"})
            continue
        frames = newest_rows([held.rest.get(key, frame) for key, frame in rows[name]], window.newest_share)
        try:
            train, validation, previous_rows = fit_rows(
                frames,
                settings,
                seed=retrain.seed,
                label=retrain.schema.label,
                classification=retrain.schema.is_classification,
                previous=previous,
            )
        except NotEnoughTrainingDataError as exc:
            dropped.append({"strategy": name, "reason": str(exc)})
            continue
        seen[identity] = name
        folder = f"candidate-{len(items) + 1}"
        metadata = {
            "execution_arn": retrain.execution_arn,
            "trigger_batch": retrain.batch,
            "window_strategy": name,
            "training_batches": [key for key, _ in rows[name]],
            "rows": {"train": len(train), "validation": len(validation), "test": len(held.test)},
        }
        written = retrain.files.write_trained(folder, train, validation, held.test, metadata)
        plan = retrain.algorithm_plan  # windows x algorithms, all on the same channels
        for algorithm in plan.rest if items else plan.first:
            items.append(
                _item(retrain, len(items) + 1, name, window, written)
                | algorithm_fields(
                    algorithm, retrain.schema, retrain.settings.algorithms, retrain.settings.hyperparameters
                )
                | {
                    "rows": {"train": len(train), "validation": len(validation)},
                    "batches": [k for k, _ in rows[name]],
                    "previous_rows": previous_rows,
                }
            )
    split = {"test": len(held.test), "test_from": held.sources, "seed": retrain.seed}
    return items, held.test, split, dropped


def _item(
    retrain: Retrain, index: int, strategy: str, window: Window | None, written: dict
) -> dict[str, Any]:
    names = candidate_names(retrain.names.base, index)
    return {
        "id": f"candidate-{index}",
        "strategy": strategy,
        "train": strategy in (*TRAINED, *BOOTSTRAP_WINDOWS),
        "names": names,
        "model_output_uri": retrain.files.uri(f"models/{names['model']}/artifacts/"),
        "checkpoint_uri": retrain.files.checkpoints(index),
        "transform_output": retrain.files.transform_output(f"candidate-{index}"),
        "window_ended": None if window is None else window.ended,
        "model_data_url": None,
        "source_model": None,
        "source_training_job": None,
        **written,
    }


def registry_items(retrain: Retrain, test: pd.DataFrame, first_index: int) -> list[dict[str, Any]]:
    """Earlier models re-scored on the same held-out rows: free candidates for a recurring concept."""
    champion = retrain.champion
    models = registry_models(
        retrain.s3,
        retrain.settings.bucket,
        exclude=None if champion is None else champion.metadata.get("model_name"),
        schema=retrain.schema,
        limit=retrain.settings.window.registry_candidates,
    )
    items = []
    for offset, model in enumerate(models):
        index = first_index + offset
        test_uri = retrain.files.write_registry(f"candidate-{index}", model.profile, test)
        written = {
            "test_uri": test_uri,
            "candidate_profile": retrain.files.ref(model.profile_key),
            "raw_training_data": None
            if not model.training_data_key
            else retrain.files.ref(model.training_data_key),
            "train_uri": None,
            "validation_uri": None,
        }
        item = _item(retrain, index, "registry", None, written)
        item.update(_registry_algorithm(retrain, model))
        item.update(
            {
                "train": False,
                "model_data_url": model.model_artifacts,
                "source_model": model.name,
                "source_training_job": model.profile.metadata.get("training_job"),
                "window_ended": f"model {model.name}, promoted {model.promoted_at}",
                "rows": model.profile.metadata.get("rows") or {},
                "batches": [],
                "previous_rows": 0,
            }
        )
        items.append(item)
    return items


def _registry_algorithm(retrain: Retrain, model: Any) -> dict[str, Any]:
    """An earlier model is re-scored with the algorithm (and image) it was trained with."""
    algorithm = str(model.profile.metadata.get("algorithm") or XGBOOST)
    settings = retrain.settings
    fields = algorithm_fields(algorithm, retrain.schema, settings.algorithms, settings.hyperparameters)
    image = model.profile.metadata.get("training_image")
    return fields | ({"training_image": str(image)} if image else {})
