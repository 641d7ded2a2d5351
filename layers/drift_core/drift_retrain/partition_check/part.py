"""One child of the partition check: one part (or one byte range of a large CSV) read and summarised, the
summary written to S3.

The summary (``engine.summary.PartialSummary``) can be megabytes, past Step Functions' 256 KB for a
child's output, so it is written to ``partition-checks/<batch-id>/partials/<n>.json`` and the child
returns where. A part that is bad input (``InvalidBatchError``: its reason code, prefixed with its name)
is returned as such, not raised: retrying cannot make it better, and the reduce step quarantines the
batch with that reason. Anything else raises: the map retries the child, then records it as failed.

An item with ``start`` and ``end`` is a byte range of a CSV (``engine.csv_ranges``), read by ranged GETs
pinned to the object's revision; a range in which no row starts returns ``"empty": true`` and no summary.
"""

from __future__ import annotations

import logging
from contextlib import closing
from dataclasses import replace
from typing import Any

import pandas as pd

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.ranged import RangedObject, open_for_reading
from drift_retrain.aws.storage import write_json
from drift_retrain.detect.context import DetectSettings
from drift_retrain.detect.inputs import load_profile, predictor
from drift_retrain.detect.scale_out import item_bytes
from drift_retrain.echo import echo
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.summary import summarize_range, summarize_source
from drift_retrain.exceptions import InvalidBatchError, ProfileError
from drift_retrain.layout import partition_check_keys
from drift_retrain.partition_check.ab_rows import write_ab_rows

__all__ = ["summarise_part"]

logger = logging.getLogger(__name__)


def summarise_part(clients: Any, settings: DetectSettings, event: dict[str, Any]) -> dict[str, Any]:
    """Summarise the part ``event["part"]`` (``index``, ``key``, ``etag``, ``size``, ``start`` and ``end``
    for a byte range, and its shares of the row budgets) of ``event["batch"]``.

    Returns ``{"index", "key", "etag", "partial_key"}`` (with ``start``, ``end`` for a range),
    ``{..., "empty": true}`` for a range without a row, or ``{..., "invalid": {...}}`` for a bad part.
    """
    batch, part = event["batch"], event["part"]
    _, partials = partition_check_keys(batch["batch_id"])
    done = {"index": part["index"], "key": part["key"], "etag": part.get("etag")}
    profile = load_profile(clients, settings, batch["bucket"])
    if isinstance(profile, str):  # the reduce step reports it (notified once, there)
        raise ProfileError(profile)
    ref = ObjectRef(batch["bucket"], part["key"], etag=part.get("etag"), size=part.get("size"))
    ranged = "start" in part
    if ranged:
        done.update(start=part["start"], end=part["end"])
    champion = predictor(clients, settings, profile, event.get("champion_variant"))
    # While an A/B test runs (DetectDrift passes its champion variant), the part's labelled rows go to the
    # reduce step too: it scores both variants on them, as DetectDrift does for one object.
    config = item_config(settings.drift, part)
    frames: list[pd.DataFrame] = []
    on_frame = frames.append if event.get("champion_variant") else None
    try:
        settings.limits.check_object_size(item_bytes(part))  # what this Lambda reads
        if ranged:
            with closing(RangedObject(clients.s3, ref)) as source:
                summary = summarize_range(
                    profile,
                    source,
                    config,
                    key=part["key"],
                    start=part["start"],
                    end=part["end"],
                    predictor=champion,
                    limits=settings.limits,
                    on_frame=on_frame,
                    probe=bool(part.get("probe")),
                )
        else:
            with open_for_reading(clients.s3, ref) as opened:
                summary = summarize_source(
                    profile,
                    opened.stream,
                    config,
                    predictor=champion,
                    part=part["key"],
                    limits=settings.limits,
                    on_frame=on_frame,
                    probe=bool(part.get("probe")),
                )
    except InvalidBatchError as error:
        logger.warning("Bad part", extra={"key": part["key"], "code": error.code, "line": error.line})
        reason = f"{_named(part, error)}: {error}"
        return {
            **done,
            "invalid": {"code": error.code, "reason": reason, "line": error.line, "column": error.column},
        }
    if summary is None:
        logger.info("No row starts in the range", extra={"key": part["key"], "start": part["start"]})
        return {**done, "empty": True}
    partial_key = f"{partials}{part['index']:05d}.json"
    write_json(clients.s3, batch["bucket"], partial_key, summary.to_json())
    logger.info("Part summarised", extra={"key": part["key"], "partial_key": partial_key})
    if frames:
        done["ab_rows"] = write_ab_rows(
            clients.s3,
            batch["bucket"],
            f"{partials}{part['index']:05d}.ab-rows.csv",
            frames[0],
            profile,
            summary,
        )
    return {**done, "partial_key": partial_key}


def item_config(config: DriftConfig, part: dict[str, Any]) -> DriftConfig:
    """The check's settings for one item: its share of the batch's row budgets (``scale_out.share_budgets``)."""
    shares = {name: int(part[name]) for name in ("max_rows", "max_prediction_rows") if part.get(name)}
    return replace(config, **shares) if shares else config


def _named(part: dict[str, Any], error: InvalidBatchError) -> str:
    """The part, or the byte range, a bad input's reason is about."""
    if "start" not in part:
        return f"part {echo(part['key'])}"
    where = f"{echo(part['key'])}, bytes {part['start']:,} to {part['end'] - 1:,}"
    if part["start"] and error.line:  # a range does not know how many lines come before it
        where += " (line numbers count the header as line 1 and then the range's lines)"
    return where
